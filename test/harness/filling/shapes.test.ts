// Every map type and shape bpfbench creates, read by elem and batch against
// the real kernel: verified (every CPU's value slot included), exact call
// counts, sparse maps, 2-byte keys, 12-byte per-CPU values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapElemAttr } from '../../../src/bpf/syscall/attr.js';
import { Cmd, type MapTypeName } from '../../../src/bpf/syscall/constants.js';
import { possibleCpus } from '../../../src/bpf/maps/cpus.js';
import { NativeBlock } from '../../../src/bpf/syscall/native-block.js';
import { bpf } from '../../../src/bpf/syscall/syscall.js';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import { openBenchMap } from '../../../src/harness/filling/bench-map.js';
import { runBenchmark, type RunConfig } from '../../../src/harness/measuring/run-benchmark.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { batch } from '../../../src/strategies/batch.js';
import { elem } from '../../../src/strategies/elem.js';
import { iter } from '../../../src/strategies/iter.js';
import { ITER, ITER_REFUSAL } from '../../helpers.js';

function config(mapType: MapTypeName, entries: number, extra: Partial<RunConfig> = {}): RunConfig {
  return {
    source: { kind: 'create' },
    mapType,
    keySize: 4,
    valueSize: 4,
    entries,
    maxEntries: entries,
    chunk: 256,
    strategies: [elem, batch, iter],
    fill: 'batch',
    mapFlags: 0,
    repeat: { minRuns: 1, maxRuns: 1, budgetMs: 0, warmup: 0 },
    runsSetting: 1,
    kernelCount: false,
    ...extra,
  };
}

const isArray = (t: string) => t.endsWith('array');

const cases: [MapTypeName, Partial<RunConfig>][] = [
  ['hash', { keySize: 8, valueSize: 16 }],
  ['hash', { keySize: 2 }],
  ['percpu_hash', { valueSize: 12 }],
  ['lru_hash', {}],
  ['lru_percpu_hash', { valueSize: 8 }],
  ['array', { valueSize: 24 }],
  ['percpu_array', { valueSize: 12 }],
  ['hash', { maxEntries: 8000 }],
  ['percpu_hash', { maxEntries: 8000 }],
  ['array', { maxEntries: 8000 }],
  ['lru_hash', { maxEntries: 8000 }],
];

for (const [type, extra] of cases) {
  const n = 3000;
  const c = config(type, n, extra);
  const what = `${type} key ${c.keySize} B value ${c.valueSize} B, ${n} of max_entries ${c.maxEntries}`;
  test(`${what}: elem, batch and iter verify (iter where this kernel allows it, else left out in one line)`, () => {
    const o = runBenchmark(c, { progress: silentProgress });
    const [e, b, it] = o.measurements;
    for (const m of o.measurements) assert.equal(m.verdict.ok, true, `${m.label}: ${m.verdict.problems.join('; ')}`);
    if (ITER) {
      assert.deepEqual(o.unavailable, []);
      assert.deepEqual(it!.samples[0]!.bpf, { ITER_CREATE: 1 });
      assert.equal(it!.verdict.entries, b!.verdict.entries);
    } else {
      // A default list (not named): iter is left out with its reason; elem and batch still verify.
      assert.deepEqual(
        o.measurements.map((m) => m.strategy.name),
        ['elem', 'batch'],
      );
      assert.deepEqual(
        o.unavailable.map((u) => u.strategy),
        ['iter'],
      );
      assert.match(`iter: ${o.unavailable[0]!.reason}`, ITER_REFUSAL);
    }
    // Arrays hold every index (unwritten ones read as zero); hash maps what was written
    // (LRU maps: what they kept).
    const expected = isArray(type) ? c.maxEntries : e!.verdict.entries;
    if (!type.startsWith('lru')) assert.equal(e!.verdict.entries, isArray(type) ? c.maxEntries : n);
    assert.deepEqual(e!.samples[0]!.bpf, { GET_NEXT_KEY: expected + 1, LOOKUP_ELEM: expected });
    assert.equal(b!.verdict.entries, expected);
    assert.equal(o.fill!.method, 'batch');
  });
}

test('a per-CPU value wrong on one CPU only is caught', () => {
  const bench = openBenchMap({ ...config('percpu_hash', 500, { valueSize: 12 }) }, silentProgress);
  const mem = new NativeBlock(64 + 16 * possibleCpus());
  try {
    const map = bench.map;
    // Read key 7's per-CPU values, flip a byte in the last CPU's slot, write back.
    mem.u32[8] = 7;
    mem.setU32(MapElemAttr.map_fd, map.fd);
    mem.setU64(MapElemAttr.key, mem.addr + 32);
    mem.setU64(MapElemAttr.value, mem.addr + 64);
    assert.equal(bpf(Cmd.MAP_LOOKUP_ELEM, mem.addr, MapElemAttr.SIZE), 0);
    mem.bytes[64 + 16 * (possibleCpus() - 1) + 5]! ^= 0xff;
    assert.equal(bpf(Cmd.MAP_UPDATE_ELEM, mem.addr, MapElemAttr.SIZE), 0);
    const v = new Verifier(bench.expect!);
    for (const s of [elem, batch]) {
      const p = s.prepare(map, { chunk: 64 });
      v.reset();
      p.read(v);
      p.free();
      const r = v.verdict();
      assert.equal(r.ok, false, s.name);
      assert.equal(r.badValues, 1, s.name);
    }
  } finally {
    mem.free();
    bench.close();
  }
});

test('shapes the kernel or the pattern cannot take are refused with one clear line', () => {
  assert.throws(() => openBenchMap(config('array', 10, { keySize: 8 }), silentProgress), /array maps have 4-byte keys/);
  assert.throws(() => openBenchMap(config('hash', 70_000, { keySize: 2 }), silentProgress), /2-byte keys hold indices up to 65535/);
  assert.throws(() => openBenchMap(config('percpu_hash', 10, { fill: 'prog' }), silentProgress), /--fill prog writes the u32 → u32 hash map/);
});

import { batchDelete, elemDelete } from '../../../src/strategies/drain.js';

for (const type of ['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash'] as MapTypeName[]) {
  test(`${type}: elem-delete and batch-delete drain it, verified, refilled before each read, empty after`, () => {
    const n = 2000;
    // elem after the drains must find the map full again.
    const c = config(type, n, { strategies: [elemDelete, batchDelete, elem], repeat: { minRuns: 2, maxRuns: 2, budgetMs: 0, warmup: 1 } });
    const o = runBenchmark(c, { progress: silentProgress });
    for (const m of o.measurements) {
      assert.equal(m.runs, 2);
      assert.equal(m.verdict.ok, true, `${m.label}: ${m.verdict.problems.join('; ')}`);
      assert.equal(m.note, undefined, 'this kernel has LOOKUP_AND_DELETE_ELEM');
    }
    const [e, b, after] = o.measurements;
    // LRU maps keep a different set after each refill (they evict while filled): each read
    // is verified against what the map kept; the others hold every key again.
    if (type.startsWith('lru')) assert.ok(after!.verdict.entries > 0 && after!.verdict.ok, 'refilled after the drains');
    else assert.equal(after!.verdict.entries, n, 'refilled after the drains');
    const kept = e!.verdict.entries;
    if (!type.startsWith('lru')) assert.equal(kept, n);
    // Each read drains what that refill left (LRU maps: not always the same count).
    for (const s of e!.samples) assert.deepEqual(s.bpf, { GET_NEXT_KEY: s.verdict.entries + 1, LOOKUP_AND_DELETE_ELEM: s.verdict.entries });
    for (const s of b!.samples) assert.deepEqual(Object.keys(s.bpf), ['LOOKUP_AND_DELETE_BATCH']);
  });
}

test('drains refuse arrays clearly, and a map that is not empty after a drain fails it', () => {
  for (const s of [elemDelete, batchDelete]) {
    assert.throws(() => runBenchmark(config('array', 100, { strategies: [s] }), { progress: silentProgress }), /maps cannot delete entries/);
  }
  // The after-check of a drain that left entries behind reports it.
  const bench = openBenchMap(config('hash', 300), silentProgress);
  try {
    const p = batchDelete.prepare(bench.map, { chunk: 1024, refill: () => {} });
    assert.equal(p.afterRead?.(), 'the map is not empty after the drain');
    p.free();
  } finally {
    bench.close();
  }
});
