// The loader and the three fill methods, on the project's own BPF object.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BpfError } from '../../../src/bpf/syscall/bpf-errors.js';
import { BpfObject, ObjectLoadError } from '../../../src/bpf/programs/loader.js';
import { snapshotCalls, callsSince } from '../../../src/bpf/syscall/syscall.js';
import { fillMap, type FillMethod } from '../../../src/harness/filling/fill.js';
import { fillThreads, splitRange } from '../../../src/harness/filling/fill-parallel.js';
import { silentProgress, type Progress } from '../../../src/harness/measuring/progress.js';
import { FILL_PROG, FILL_VALUE, MAP_NAME, patternFor } from '../../../src/harness/filling/bench-map.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { batch } from '../../../src/strategies/batch.js';

const expectedCalls: Record<FillMethod, (n: number) => Record<string, number>> = {
  // One stream per thread (one per 1Mi keys, at most one per CPU), each in calls of 128Ki keys.
  prog: (n) => ({ PROG_TEST_RUN: splitRange(n, fillThreads(n)).reduce((a, r) => a + Math.ceil((r.end - r.start) / (1 << 17)), 0) }),
  batch: (n) => ({ UPDATE_BATCH: Math.ceil(n / (1 << 16)) }),
  elem: (n) => ({ UPDATE_ELEM: n }),
};

for (const method of ['prog', 'batch', 'elem'] as const) {
  test(`--fill ${method} writes keys 0..N-1 with the value, counted`, () => {
    const n = method === 'elem' ? 50_000 : 1_200_000;
    const obj = BpfObject.open();
    try {
      obj.configureMap(MAP_NAME, { maxEntries: n });
      obj.autoloadOnly(method === 'prog' ? [FILL_PROG] : []);
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
    obj.autoloadOnly([FILL_PROG]);
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
    assert.throws(
      () => obj.load(),
      (e: unknown) => e instanceof ObjectLoadError && e.code === 'EINVAL' && !e.message.includes('\n'),
    );
  } finally {
    obj.close();
  }
});

/** The object with the fill program loaded and test_map sized to `maxEntries`. */
function fillObject(maxEntries: number): BpfObject {
  const obj = BpfObject.open();
  try {
    obj.configureMap(MAP_NAME, { maxEntries });
    obj.autoloadOnly([FILL_PROG]);
    obj.load();
    return obj;
  } catch (e) {
    obj.close();
    throw e;
  }
}

/** 128Ki keys a call (short enough to stop the fill on a signal within 0.5 s). */
const KEYS_PER_CALL = 1 << 17;

test("--fill prog on 2 threads writes exactly keys 0..N-1, and counts each thread's own calls", () => {
  const n = 3_000_001;
  // Two contiguous halves, each written in calls of 128Ki keys: 12 + 12 calls
  // (where one thread would make ceil(n / 128Ki) = 23).
  const halves = [Math.floor(n / 2), n - Math.floor(n / 2)];
  const callsPerThread = halves.map((keys) => Math.ceil(keys / KEYS_PER_CALL));
  const obj = fillObject(n);
  try {
    const map = obj.map(MAP_NAME);
    const updates: number[] = [];
    const progress: Progress = { start: (_p, total) => assert.equal(total, n), update: (d) => updates.push(d), end() {} };
    const before = snapshotCalls();
    const r = fillMap('prog', { map, entries: n, pattern: patternFor(map, true), fillProgFd: obj.programFd(FILL_PROG), threads: 2 }, progress);
    assert.equal(r.threads, 2);
    assert.deepEqual(r.callsByThread, callsPerThread);
    assert.deepEqual(r.bpfCalls, { PROG_TEST_RUN: callsPerThread[0]! + callsPerThread[1]! });
    assert.deepEqual(callsSince(before), r.bpfCalls, "the workers' calls join the process's count");
    assert.ok(updates.length >= 2 && updates.every((d, i) => i === 0 || d >= updates[i - 1]!), `progress ${updates.join(', ')}`);
    assert.equal(updates[updates.length - 1], n);

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

test("a map update failing in a worker's stream fails the fill with its errno and text", () => {
  const n = 2_100_000;
  const half = n / 2;
  // Keys of the first half are in the map already (rewriting them takes no
  // new element); the map has room for all but one key of the second half,
  // which the second thread writes: its last call (keys 2,098,576..) fails
  // at its last key (its last call, from half + 8 × 128Ki).
  const obj = fillObject(n - 1);
  try {
    const map = obj.map(MAP_NAME);
    const fillProgFd = obj.programFd(FILL_PROG);
    fillMap('prog', { map, entries: half, pattern: patternFor(map, true), fillProgFd, threads: 1 }, silentProgress);
    const lastStart = half + Math.floor((half - 1) / KEYS_PER_CALL) * KEYS_PER_CALL;
    const lastCount = n - lastStart;
    assert.throws(
      () => fillMap('prog', { map, entries: n, pattern: patternFor(map, true), fillProgFd, threads: 2 }, silentProgress),
      (e: unknown) => {
        assert.ok(e instanceof BpfError, String(e));
        assert.equal(e.message, `bpf UPDATE_ELEM (in kernel) failed: E2BIG (fill stopped after ${lastCount - 1} of ${lastCount} keys from ${lastStart})`);
        assert.equal(e.code, 'E2BIG');
        return true;
      },
    );
  } finally {
    obj.close();
  }
});

test('PROG_TEST_RUN failing in every stream fails the fill with its errno', () => {
  const obj = fillObject(1 << 21);
  try {
    const map = obj.map(MAP_NAME);
    // A map's fd is no program: every thread's first call fails.
    assert.throws(
      () => fillMap('prog', { map, entries: 1 << 21, pattern: patternFor(map, true), fillProgFd: map.fd, threads: 2 }, silentProgress),
      (e: unknown) => e instanceof BpfError && e.cmd === 'PROG_TEST_RUN' && /^bpf PROG_TEST_RUN failed: E[A-Z]+ \(running the fill program\)$/.test(e.message),
    );
  } finally {
    obj.close();
  }
});
