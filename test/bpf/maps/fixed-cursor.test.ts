// The published loop's cursor against the real kernel: the same in_batch (a
// pointer to 0) every call, max_entries / chunk calls, each re-reading from
// bucket 0; it stops early only on an ENOENT that copied nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapFlag, MapType } from '../../../src/bpf/syscall/constants.js';
import { FixedCursor } from '../../../src/bpf/maps/fixed-cursor.js';
import { BpfMap } from '../../../src/bpf/maps/map.js';
import { filledHashMap } from '../../helpers.js';
import { firstBatch, walk, zeroSeedBuckets } from './zero-seed.js';

test('every call returns the first batch again, max_entries / chunk times', () => {
  const n = 1000;
  const buckets = zeroSeedBuckets(n);
  const map = filledHashMap(n, { flags: MapFlag.ZERO_SEED });
  try {
    for (const chunk of [64, 7]) {
      const calls = Math.floor(map.maxEntries / chunk);
      const cursor = new FixedCursor(map, chunk, calls);
      try {
        const first = firstBatch(buckets, chunk);
        const want = { counts: new Array<number>(calls).fill(first), calls: { LOOKUP_BATCH: calls } };
        assert.deepEqual(walk(cursor), want, `chunk ${chunk}`);
        assert.equal(cursor.calls, calls);
        assert.equal(cursor.growths, 0);
        // Done means done, and reset() makes the same walk again.
        assert.equal(cursor.next().done, true);
        cursor.reset();
        assert.deepEqual(walk(cursor), want);
      } finally {
        cursor.free();
      }
    }
  } finally {
    map.close();
  }
});

test('an ENOENT that copied entries does not stop it; one that copied nothing does', () => {
  // 50 entries, chunk 100: every call walks all buckets and ends with ENOENT, count 50.
  const map = filledHashMap(50, { maxEntries: 1000 });
  const empty = BpfMap.create({ type: MapType.hash, keySize: 4, valueSize: 4, maxEntries: 1000 });
  const a = new FixedCursor(map, 100, 10);
  const b = new FixedCursor(empty, 64, 15);
  try {
    assert.deepEqual(walk(a), { counts: new Array<number>(10).fill(50), calls: { LOOKUP_BATCH: 10 } });
    assert.deepEqual(walk(b), { counts: [], calls: { LOOKUP_BATCH: 1 } });
  } finally {
    a.free();
    b.free();
    map.close();
    empty.close();
  }
});
