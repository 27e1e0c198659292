// The loader and the three fill methods, on the project's own BPF object.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BpfObject, ObjectLoadError } from '../../src/bpf/loader.js';
import { snapshotCalls, callsSince } from '../../src/bpf/syscall.js';
import { fillMap, type FillMethod } from '../../src/harness/fill.js';
import { silentProgress } from '../../src/harness/progress.js';
import { ALL_PROGS, FILL_PROG, FILL_VALUE, MAP_NAME, patternFor } from '../../src/harness/run.js';
import { Verifier } from '../../src/harness/verifier.js';
import { batch } from '../../src/strategies/batch.js';

const expectedCalls: Record<FillMethod, (n: number) => Record<string, number>> = {
  prog: (n) => ({ PROG_TEST_RUN: Math.ceil(n / (1 << 20)) }),
  batch: (n) => ({ UPDATE_BATCH: Math.ceil(n / (1 << 16)) }),
  elem: (n) => ({ UPDATE_ELEM: n }),
};

for (const method of ['prog', 'batch', 'elem'] as const) {
  test(`--fill ${method} writes keys 0..N-1 with the value, counted`, () => {
    const n = method === 'elem' ? 50_000 : 1_200_000;
    const obj = BpfObject.open();
    try {
      obj.configureMap(MAP_NAME, { maxEntries: n });
      obj.autoloadOnly(method === 'prog' ? [FILL_PROG] : [], ALL_PROGS);
      obj.load();
      const map = obj.map(MAP_NAME);
      assert.equal(map.maxEntries, n);
      const before = snapshotCalls();
      const r = fillMap(method, { map, entries: n, pattern: patternFor(map, true), fillProgFd: method === 'prog' ? obj.programFd(FILL_PROG) : undefined }, silentProgress);
      assert.deepEqual(callsSince(before), expectedCalls[method](n));
      assert.deepEqual(r.bpfCalls, expectedCalls[method](n));
      assert.ok(r.wallNs > 0);
      // Read back independently of the fill.
      const p = batch.prepare(map, { chunk: 8192 });
      const v = new Verifier({ entries: n, value: FILL_VALUE });
      v.reset();
      p.read(v);
      p.free();
      const verdict = v.verdict();
      assert.equal(verdict.ok, true, verdict.problems.join('; '));
    } finally {
      obj.close();
    }
  });
}

test('a full map makes the in-kernel fill fail with the map update errno', () => {
  const obj = BpfObject.open();
  try {
    obj.configureMap(MAP_NAME, { maxEntries: 1000 });
    obj.autoloadOnly([FILL_PROG], ALL_PROGS);
    obj.load();
    const map = obj.map(MAP_NAME);
    // A preallocated hash map refuses the 1001st key (E2BIG).
    assert.throws(
      () => fillMap('prog', { map, entries: 1001, pattern: patternFor(map, true), fillProgFd: obj.programFd(FILL_PROG) }, silentProgress),
      (e: unknown) => e instanceof Error && /E2BIG/.test(e.message) && /fill stopped after 1000 of 1001/.test(e.message),
    );
  } finally {
    obj.close();
  }
});

test('a map the kernel refuses fails the load with one line naming the errno', () => {
  const obj = BpfObject.open();
  try {
    obj.configureMap(MAP_NAME, { maxEntries: 1000, flags: 1 << 30 });
    assert.throws(() => obj.load(), (e: unknown) => e instanceof ObjectLoadError && e.code === 'EINVAL' && !e.message.includes('\n'));
  } finally {
    obj.close();
  }
});
