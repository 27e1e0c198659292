// The batch cursor against the real kernel: its walk to ENOENT, ENOSPC
// failing or growing the chunk, and, on zero-seed maps whose bucket layout is
// known (zero-seed.ts), exactly the calls and batch sizes the kernel's walk
// makes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkTooSmallError } from '../../../src/bpf/maps/batch-cursor.js';
import { Cmd, MapFlag, MapType } from '../../../src/bpf/syscall/constants.js';
import { Errno } from '../../../src/bpf/syscall/bpf-errors.js';
import { BpfMap } from '../../../src/bpf/maps/map.js';
import { callCounts } from '../../../src/bpf/syscall/syscall.js';
import { filledHashMap } from '../../helpers.js';
import { predictWalk, walk, zeroSeedBuckets } from './zero-seed.js';

test('the batch cursor walks to ENOENT, delivering the last partial batch', () => {
  const n = 10_000;
  const map = filledHashMap(n);
  const chunk = 1024;
  const cursor = map.batches(chunk);
  try {
    const before = callCounts[Cmd.MAP_LOOKUP_BATCH]!;
    const seen = new Set<number>();
    let batches = 0;
    for (const b of cursor) {
      batches++;
      assert.ok(b.count > 0 && b.count <= chunk, `batch of ${b.count}`);
      for (let i = 0; i < b.count; i++) {
        seen.add(b.keysU32[i]!);
        assert.equal(b.valuesI32[i], 0xdeadbeef | 0);
      }
    }
    assert.equal(seen.size, n, 'every key once');
    const calls = callCounts[Cmd.MAP_LOOKUP_BATCH]! - before;
    assert.equal(calls, cursor.calls);
    // Each call but possibly the last delivered entries; the last ended with ENOENT.
    assert.ok(calls === batches || calls === batches + 1, `${calls} calls for ${batches} batches`);
    assert.ok(batches >= Math.ceil(n / chunk));
    // After the end the iterator stays done without calling the kernel.
    assert.equal(cursor.next().done, true);
    assert.equal(callCounts[Cmd.MAP_LOOKUP_BATCH]! - before, calls);
  } finally {
    cursor.free();
    map.close();
  }
});

test('a chunk larger than the map reads everything in one call that ends with ENOENT', () => {
  const n = 300;
  const map = filledHashMap(n);
  const cursor = map.batches(4096);
  try {
    const counts = [...cursor].map((b) => b.count);
    assert.deepEqual(counts, [n]);
    assert.equal(cursor.calls, 1);
  } finally {
    cursor.free();
    map.close();
  }
});

test('an empty map ends at once', () => {
  const map = BpfMap.create({ type: MapType.hash, keySize: 4, valueSize: 4, maxEntries: 64 });
  const cursor = map.batches(16);
  const reader = map.elemReader();
  try {
    assert.deepEqual([...cursor], []);
    assert.equal(cursor.calls, 1);
    assert.equal(reader.nextKey(), false);
  } finally {
    cursor.free();
    reader.free();
    map.close();
  }
});

test('a chunk smaller than a bucket fails with ENOSPC as ChunkTooSmallError', () => {
  // 4096 keys in a 4096-bucket table: with any seed, some bucket holds >= 2.
  const map = filledHashMap(4096);
  const cursor = map.batches(1);
  try {
    assert.throws(
      () => {
        for (const _ of cursor) void _;
      },
      (e: unknown) => e instanceof ChunkTooSmallError && e.errno === Errno.ENOSPC && e.chunk === 1 && /more than 1 entries \(the chunk\)/.test(e.message) && !/--/.test(e.message),
    );
  } finally {
    cursor.free();
    map.close();
  }
});

test("onEnospc 'grow' doubles the chunk and retries the same call, losing nothing", () => {
  const n = 4096;
  const map = filledHashMap(n);
  const cursor = map.batches(1, { onEnospc: 'grow' });
  try {
    const seen = new Set<number>();
    for (const b of cursor) for (let i = 0; i < b.count; i++) seen.add(b.keysU32[i]!);
    assert.equal(seen.size, n);
    assert.ok(cursor.growths >= 1);
    assert.equal(cursor.chunk, 2 ** cursor.growths);
    assert.equal(cursor.requestedChunk, 1);
    // A second walk keeps the grown chunk and needs no growth.
    const g = cursor.growths;
    cursor.reset();
    let total = 0;
    for (const b of cursor) total += b.count;
    assert.equal(total, n);
    assert.equal(cursor.growths, g);
  } finally {
    cursor.free();
    map.close();
  }
});

test('a zero-seed map with chunk = max_entries = entries is read in one LOOKUP_BATCH call ending with ENOENT', () => {
  const n = 1000;
  const map = filledHashMap(n, { flags: MapFlag.ZERO_SEED });
  const cursor = map.batches(map.maxEntries);
  try {
    // Every bucket fits in one call: it walks them all and passes the last.
    assert.deepEqual(walk(cursor), { counts: [n], calls: { LOOKUP_BATCH: 1 } });
    assert.equal(cursor.calls, 1);
  } finally {
    cursor.free();
    map.close();
  }
});

test('on a zero-seed map the cursor makes exactly the calls the kernel walk of its known bucket layout needs', () => {
  const n = 1000;
  const buckets = zeroSeedBuckets(n);
  assert.equal(
    buckets.reduce((a, b) => a + b, 0),
    n,
  );
  const map = filledHashMap(n, { flags: MapFlag.ZERO_SEED });
  try {
    for (const chunk of [1000, 512, 256, 100, 64, 16, 7]) {
      const want = predictWalk(buckets, chunk);
      const cursor = map.batches(chunk);
      try {
        const got = walk(cursor);
        assert.deepEqual(got.counts, want.counts, `chunk ${chunk}: batch sizes`);
        assert.deepEqual(got.calls, { LOOKUP_BATCH: want.calls }, `chunk ${chunk}: calls`);
        // Every call but the last ended at a bucket that did not fit: each delivered entries.
        assert.equal(want.calls, want.counts.length);
        // A second walk from reset() is the same.
        cursor.reset();
        assert.deepEqual(walk(cursor), got);
      } finally {
        cursor.free();
      }
    }
    // Growing on ENOSPC: each doubling is one more call, the same one again.
    const largest = Math.max(...buckets);
    assert.ok(largest > 1, `the largest bucket holds ${largest}`);
    const want = predictWalk(buckets, 1, true);
    assert.equal(want.chunk, 2 ** Math.ceil(Math.log2(largest)));
    const cursor = map.batches(1, { onEnospc: 'grow' });
    try {
      const got = walk(cursor);
      assert.deepEqual(got.counts, want.counts);
      assert.deepEqual(got.calls, { LOOKUP_BATCH: want.calls });
      assert.equal(cursor.growths, want.growths);
      assert.equal(cursor.chunk, want.chunk);
    } finally {
      cursor.free();
    }
  } finally {
    map.close();
  }
});

test('the deleting cursor walks a zero-seed map with the same calls and leaves it empty', () => {
  const n = 1000;
  const chunk = 64;
  const want = predictWalk(zeroSeedBuckets(n), chunk);
  const map = filledHashMap(n, { flags: MapFlag.ZERO_SEED });
  const cursor = map.batches(chunk, { deleting: true });
  try {
    assert.deepEqual(walk(cursor), { counts: want.counts, calls: { LOOKUP_AND_DELETE_BATCH: want.calls } });
    assert.equal(map.isEmpty(), true);
  } finally {
    cursor.free();
    map.close();
  }
});

test('an array map walks by key: max_entries / chunk full batches, the last call ends with ENOENT', () => {
  const n = 1000;
  const chunk = 64;
  const map = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 4, maxEntries: n });
  const cursor = map.batches(chunk);
  try {
    const { counts, calls } = walk(cursor);
    const full = Math.floor(n / chunk);
    assert.deepEqual(counts, [...new Array<number>(full).fill(chunk), n - full * chunk]);
    assert.deepEqual(calls, { LOOKUP_BATCH: full + 1 });
  } finally {
    cursor.free();
    map.close();
  }
});

test('ChunkTooSmallError keeps the chunk and names no flag', () => {
  const e = new ChunkTooSmallError(4096);
  assert.equal(e.chunk, 4096);
  assert.equal(e.errno, Errno.ENOSPC);
  assert.equal(e.message, 'bpf LOOKUP_BATCH failed: ENOSPC (the next hash bucket holds more than 4096 entries (the chunk))');
});
