// batch-sharded and batch-delete-sharded against real maps: every key
// exactly once for 1–4 threads, on zero-seed hash maps whose bucket layout
// test/bpf/maps/zero-seed.ts computes (so each shard's calls and the overlap at
// each boundary are predicted exactly, empty shards included), on arrays
// split by key range (ranges of unequal length), as drains (the map empty
// after, every key once), with the kernel's count equal to bpfbench's
// across the threads; and the one-line refusals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapFlag, MapType } from '../../src/bpf/syscall/constants.js';
import { BpfMap } from '../../src/bpf/maps/map.js';
import { NativeBlock } from '../../src/bpf/syscall/native-block.js';
import { nextPow2 } from '../../src/bpf/maps/map-types.js';
import { shardRange } from '../../src/bpf/native/shard-library.js';
import { newKernelCounts } from '../../src/bpf/programs/counter.js';
import { callCounts, callsSince, snapshotCalls } from '../../src/bpf/syscall/syscall.js';
import { countsAgree, kernelDelta } from '../../src/harness/measuring/read-sample.js';
import { Verifier } from '../../src/harness/verification/verifier.js';
import { InvalidInputError } from '../../src/errors.js';
import { batch } from '../../src/strategies/batch.js';
import { batchDeleteSharded, batchSharded, canShard } from '../../src/strategies/sharded.js';
import type { ReadReport } from '../../src/strategies/types.js';
import { filledHashMap, startCounter, VALUE } from '../helpers.js';
import { zeroSeedBuckets } from '../bpf/maps/zero-seed.js';

interface ShardWalk {
  calls: number;
  /** Entries of buckets [start, end): the shard's own. */
  own: number;
  /** Entries its last call read from buckets at or past `end`. */
  over: number;
}

/**
 * The walk of one hash shard over buckets [start, end), as the kernel makes
 * it (__htab_map_lookup_and_delete_batch: whole buckets while they fit,
 * empty ones skipped; ENOENT past the last bucket), stopped once out_batch
 * reaches `end`.
 */
function predictShard(buckets: readonly number[], start: number, end: number, chunk: number): ShardWalk {
  let b = start;
  let calls = 0;
  let own = 0;
  for (let i = start; i < end; i++) own += buckets[i]!;
  for (;;) {
    calls++;
    let total = 0;
    let over = 0;
    let enoent = false;
    for (;;) {
      if (b >= buckets.length) {
        enoent = true;
        break;
      }
      const c = buckets[b]!;
      if (c > chunk - total) {
        if (total === 0) throw new Error(`ENOSPC: bucket ${b} holds ${c} > chunk ${chunk}`);
        break;
      }
      total += c;
      if (b >= end) over += c;
      b++;
    }
    if (enoent || b >= end) return { calls, own, over };
  }
}

function predictHash(buckets: readonly number[], threads: number, chunk: number): { walks: ShardWalk[]; overlapEntries: number; overlapCalls: number } {
  const walks = Array.from({ length: threads }, (_, i) => predictShard(buckets, ...shardRange(buckets.length, threads, i), chunk));
  const overlapEntries = walks.reduce((s, w) => s + w.over, 0);
  const overlapCalls = walks.filter((w) => w.over > 0).length;
  return { walks, overlapEntries, overlapCalls };
}

/** Keys 0..n-1 → VALUE into a map (UPDATE_BATCH). */
function fillKeys(map: BpfMap, n: number): void {
  const keys = new NativeBlock(n * 4);
  const values = new NativeBlock(n * 4);
  try {
    for (let i = 0; i < n; i++) keys.u32[i] = i;
    values.u32.fill(VALUE >>> 0);
    map.updateBatch(keys.addr, values.addr, n);
  } finally {
    keys.free();
    values.free();
  }
}

function readOnce(p: ReturnType<typeof batchSharded.prepare>, n: number): { report: ReadReport; calls: Record<string, number> } {
  const v = new Verifier({ entries: n, value: VALUE });
  v.reset();
  const before = snapshotCalls();
  const report = p.read(v);
  const calls = callsSince(before);
  const verdict = v.verdict();
  assert.equal(verdict.ok, true, verdict.problems.join('; '));
  assert.equal(verdict.entries, n);
  assert.equal(verdict.distinct, n);
  assert.equal(report.counted, n);
  return { report, calls };
}

// Zero-seed maps: the layout is known, so every shard's calls and the overlap are exact.
const HASH_CASES: { keys: number; maxEntries: number; chunk: number }[] = [
  { keys: 1000, maxEntries: 1000, chunk: 7 }, // 1,024 buckets: 3 threads split them unevenly
  { keys: 5000, maxEntries: 6000, chunk: 64 },
  { keys: 3, maxEntries: 64, chunk: 4 }, // 3 keys in 64 buckets: with 4 threads, at least one shard is empty
];

for (const { keys, maxEntries, chunk } of HASH_CASES) {
  const buckets = zeroSeedBuckets(keys, maxEntries);
  for (let threads = 1; threads <= 4; threads++) {
    test(`batch-sharded ×${threads}, ${keys} keys in ${nextPow2(maxEntries)} buckets, chunk ${chunk}: every key once, each shard's calls and the overlap exact`, () => {
      const map = filledHashMap(keys, { maxEntries, flags: MapFlag.ZERO_SEED });
      const p = batchSharded.prepare(map, { chunk, threads });
      try {
        const want = predictHash(buckets, threads, chunk);
        for (let round = 0; round < 2; round++) {
          const { report, calls } = readOnce(p, keys);
          const s = report.shards!;
          assert.equal(s.threads, threads);
          assert.deepEqual(
            s.perShard.calls,
            want.walks.map((w) => w.calls),
          );
          assert.deepEqual(
            s.perShard.entries,
            want.walks.map((w) => w.own),
          );
          assert.deepEqual(s.overlap, { entries: want.overlapEntries, calls: want.overlapCalls, mismatched: 0 });
          assert.deepEqual(calls, { LOOKUP_BATCH: want.walks.reduce((t, w) => t + w.calls, 0) });
        }
        if (keys === 3 && threads === 4)
          assert.ok(
            want.walks.some((w) => w.own === 0),
            'a shard of this case holds no key',
          );
      } finally {
        p.free();
        map.close();
      }
    });
  }
}

test('batch-sharded ×1 makes exactly the calls batch makes', () => {
  const keys = 20_000;
  const map = filledHashMap(keys, { flags: MapFlag.ZERO_SEED });
  const one = batchSharded.prepare(map, { chunk: 256, threads: 1 });
  const plain = batch.prepare(map, { chunk: 256 });
  try {
    const a = readOnce(one, keys);
    const v = new Verifier({ entries: keys, value: VALUE });
    v.reset();
    const before = snapshotCalls();
    plain.read(v);
    assert.deepEqual(a.calls, callsSince(before));
    assert.deepEqual(a.report.shards!.overlap, { entries: 0, calls: 0, mismatched: 0 });
  } finally {
    one.free();
    plain.free();
    map.close();
  }
});

test('batch-sharded on a random-seed map of 64Ki keys, 2 threads: every key once, the overlap removed', () => {
  const keys = 1 << 16;
  const map = filledHashMap(keys);
  const p = batchSharded.prepare(map, { chunk: 4096, threads: 2 });
  try {
    const { report } = readOnce(p, keys);
    const s = report.shards!;
    assert.equal(
      s.perShard.entries.reduce((a, b) => a + b, 0),
      keys,
    );
    assert.ok(s.overlap.calls <= 1);
    assert.equal(s.overlap.mismatched, 0);
  } finally {
    p.free();
    map.close();
  }
});

for (const type of [MapType.array, MapType.percpu_array] as const) {
  const name = type === MapType.array ? 'array' : 'percpu_array';
  for (let threads = 1; threads <= 4; threads++) {
    test(`batch-sharded ×${threads} on an ${name} of 1,001 keys, by key range: every key once, ceil(range / chunk) calls per shard, no overlap`, () => {
      const n = 1001;
      const chunk = 64;
      const map = BpfMap.create({ type, keySize: 4, valueSize: 4, maxEntries: n, name: 'bpfbench_test' });
      try {
        fillKeys(map, n);
        const p = batchSharded.prepare(map, { chunk, threads });
        try {
          if (type === MapType.array) {
            const { report, calls } = readOnce(p, n);
            const want = Array.from({ length: threads }, (_, i) => {
              const [s, e] = shardRange(n, threads, i);
              return Math.ceil((e - s) / chunk);
            });
            assert.deepEqual(report.shards!.perShard.calls, want);
            assert.deepEqual(
              report.shards!.perShard.entries,
              Array.from({ length: threads }, (_, i) => shardRange(n, threads, i)[1] - shardRange(n, threads, i)[0]),
            );
            assert.deepEqual(report.shards!.overlap, { entries: 0, calls: 0, mismatched: 0 });
            assert.deepEqual(calls, { LOOKUP_BATCH: want.reduce((a, b) => a + b, 0) });
          } else {
            // Per-CPU values: a slot per possible CPU; every key once, in key order per shard.
            const seen: number[] = [];
            const r = p.read({
              add() {},
              addMany() {},
              addManyRaw(keyBytes, _v, count) {
                for (let i = 0; i < count; i++) seen.push(keyBytes[i * 4]! | (keyBytes[i * 4 + 1]! << 8) | (keyBytes[i * 4 + 2]! << 16));
              },
              addRaw() {},
            });
            assert.equal(r.counted, n);
            assert.deepEqual(
              seen,
              Array.from({ length: n }, (_, i) => i),
            );
          }
        } finally {
          p.free();
        }
      } finally {
        map.close();
      }
    });
  }
}

for (let threads = 1; threads <= 4; threads++) {
  test(`batch-delete-sharded ×${threads}: every key once, the map empty after, no overlap (a drain needs none)`, () => {
    const keys = 10_000;
    const map = filledHashMap(keys, { maxEntries: 12_000 });
    const p = batchDeleteSharded.prepare(map, { chunk: 128, threads, refill: () => fillKeys(map, keys) });
    try {
      for (let round = 0; round < 2; round++) {
        p.beforeRead?.();
        const { report, calls } = readOnce(p, keys);
        assert.equal(p.afterRead?.(), undefined);
        assert.equal(map.isEmpty(), true);
        assert.deepEqual(report.shards!.overlap, { entries: 0, calls: 0, mismatched: 0 });
        assert.deepEqual(Object.keys(calls), ['LOOKUP_AND_DELETE_BATCH']);
        assert.equal(
          calls.LOOKUP_AND_DELETE_BATCH,
          report.shards!.perShard.calls.reduce((a, b) => a + b, 0),
        );
      }
    } finally {
      p.free();
      map.close();
    }
  });
}

test("the kernel counts every shard's calls (all threads of the process): equal to bpfbench's count", () => {
  const { counter, close } = startCounter();
  const keys = 50_000;
  const map = filledHashMap(keys, { flags: MapFlag.ZERO_SEED });
  const p = batchSharded.prepare(map, { chunk: 512, threads: 4 });
  try {
    const v = new Verifier({ entries: keys, value: VALUE });
    v.reset();
    const k0 = newKernelCounts();
    const k1 = newKernelCounts();
    const self0 = Float64Array.from(callCounts);
    counter.read(k0);
    const report = p.read(v);
    counter.read(k1);
    const self = callsSince(self0);
    const kernel = kernelDelta(k0, k1);
    assert.equal(v.verdict().ok, true);
    assert.deepEqual(kernel.bpf, self);
    assert.equal(countsAgree(self, kernel), true);
    const want = predictHash(zeroSeedBuckets(keys), 4, 512);
    assert.deepEqual(kernel.bpf, { LOOKUP_BATCH: want.walks.reduce((t, w) => t + w.calls, 0) });
    assert.deepEqual(
      report.shards!.perShard.calls,
      want.walks.map((w) => w.calls),
    );
  } finally {
    p.free();
    map.close();
    close();
  }
});

test('refusals, one line each: a map type that cannot shard, the js loop, an array drain', () => {
  assert.equal(canShard(MapType.hash), true);
  assert.equal(canShard(MapType.percpu_array), true);
  const progArray = BpfMap.create({ type: 3, keySize: 4, valueSize: 4, maxEntries: 4, name: 'bpfbench_test' });
  try {
    assert.throws(
      () => batchSharded.prepare(progArray, { chunk: 64, threads: 2 }),
      (e: Error) => e instanceof InvalidInputError && /^batch-sharded: type_3 maps cannot be sharded/.test(e.message) && !e.message.includes('\n'),
    );
  } finally {
    progArray.close();
  }
  const map = filledHashMap(16);
  const arr = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 4, maxEntries: 4, name: 'bpfbench_test' });
  try {
    assert.throws(
      () => batchSharded.prepare(map, { chunk: 64, threads: 2, loop: 'js' }),
      (e: Error) => e instanceof InvalidInputError && /native loop only/.test(e.message),
    );
    assert.throws(
      () => batchDeleteSharded.prepare(arr, { chunk: 64, threads: 2, refill: () => {} }),
      (e: Error) => e instanceof InvalidInputError && /cannot delete/.test(e.message),
    );
  } finally {
    map.close();
    arr.close();
  }
});
