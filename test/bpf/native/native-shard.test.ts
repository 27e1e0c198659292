// The sharded read's native side (src/bpf/native/native-shard.ts, bb_shard_* in
// native/read-loop.c): how ranges are split, buffers that grow from a small
// start keeping what was read, and the layout check at load.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapFlag } from '../../../src/bpf/syscall/constants.js';
import { loadShardLoop, shardRange, shardSpace } from '../../../src/bpf/native/shard-library.js';
import { NativeShardRead } from '../../../src/bpf/native/native-shard.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { filledHashMap, VALUE } from '../../helpers.js';

test('shardRange splits any total into n ranges, in order, lengths within one', () => {
  for (const total of [1, 3, 7, 8, 1000, 1024]) {
    for (let n = 1; n <= 6; n++) {
      let at = 0;
      for (let i = 0; i < n; i++) {
        const [s, e] = shardRange(total, n, i);
        assert.equal(s, at);
        assert.ok(e - s === Math.floor(total / n) || e - s === Math.ceil(total / n));
        at = e;
      }
      assert.equal(at, total);
    }
  }
});

test('buffers grow from a small start and keep what was read (ST_NEED_BUFFER)', () => {
  const keys = 30_000;
  const map = filledHashMap(keys, { flags: MapFlag.ZERO_SEED });
  const r = new NativeShardRead(map, { threads: 3, chunk: 100, initialCapacity: 150 });
  try {
    for (let round = 0; round < 2; round++) {
      r.reset();
      r.run();
      const v = new Verifier({ entries: keys, value: VALUE });
      v.reset();
      for (let i = 0; i < 3; i++) v.addMany(r.shard(i).keysU32, r.shard(i).valuesI32, r.keptCounts[i]!);
      const verdict = v.verdict();
      assert.equal(verdict.ok, true, verdict.problems.join('; '));
      assert.equal(verdict.distinct, keys);
    }
  } finally {
    r.free();
    map.close();
  }
});

test("given the verifier's native check, each shard verifies on its own thread all but its last call; the verdict is exact", () => {
  const keys = 30_000;
  const chunk = 100;
  const map = filledHashMap(keys, { flags: MapFlag.ZERO_SEED });
  const r = new NativeShardRead(map, { threads: 3, chunk, initialCapacity: 150 });
  const v = new Verifier({ entries: keys, value: VALUE });
  try {
    for (let round = 0; round < 2; round++) {
      v.reset();
      r.reset();
      r.run(v.nativeCheck(4, 4));
      const verdict = v.verdict();
      assert.equal(verdict.ok, true, verdict.problems.join('; '));
      assert.equal(verdict.checkedBy, 'native');
      assert.equal(verdict.distinct, keys);
      assert.equal(verdict.entries, keys);
      for (let i = 0; i < 3; i++) {
        const folded = r.foldedPerShard[i]!;
        const kept = r.keptCounts[i]!;
        // Every call but the last was verified on the shard's thread: at most a chunk and a bucket's entries were left for after the join.
        assert.ok(folded > 0 && folded <= kept && kept - folded <= 2 * chunk, `shard ${i}: ${folded} of ${kept} verified on its thread`);
      }
    }
    // Without a check nothing is folded on the threads, and the entries are all still there for the sink.
    r.reset();
    r.run();
    assert.deepEqual([...r.foldedPerShard], [0, 0, 0]);
    assert.equal(
      r.keptCounts.reduce((a, b) => a + b, 0),
      keys,
    );
  } finally {
    v.free();
    r.free();
    map.close();
  }
});

test('the library matches the shard layout; hash maps split buckets, arrays keys', () => {
  assert.doesNotThrow(() => loadShardLoop());
  const map = filledHashMap(10, { maxEntries: 1000 });
  try {
    assert.deepEqual(shardSpace(map), { byKey: false, total: 1024 });
  } finally {
    map.close();
  }
  assert.deepEqual(shardSpace({ info: { type: 2 } as never, maxEntries: 1001 }), { byKey: true, total: 1001 });
});
