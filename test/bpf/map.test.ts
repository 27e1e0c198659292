// The kernel boundary against the real kernel: map creation and info, the
// per-element reader's exact call counts, the batch cursor's walk to ENOENT.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cmd, MapFlag, MapType } from '../../src/bpf/constants.js';
import { BpfError, Errno } from '../../src/bpf/errors.js';
import { BpfMap, ChunkTooSmallError } from '../../src/bpf/map.js';
import { callCounts, callsSince, snapshotCalls } from '../../src/bpf/syscall.js';
import { filledHashMap } from '../helpers.js';

test('BPF_MAP_CREATE and OBJ_GET_INFO_BY_FD agree on the map', () => {
  const map = BpfMap.create({ type: MapType.hash, keySize: 4, valueSize: 4, maxEntries: 1000, flags: MapFlag.ZERO_SEED, name: 'info_test' });
  try {
    assert.equal(map.info.type, MapType.hash);
    assert.equal(map.info.typeName, 'hash');
    assert.equal(map.keySize, 4);
    assert.equal(map.valueSize, 4);
    assert.equal(map.maxEntries, 1000);
    assert.equal(map.info.flags, MapFlag.ZERO_SEED);
    assert.equal(map.info.name, 'info_test');
    assert.ok(map.info.id > 0);
    const again = BpfMap.openById(map.info.id);
    assert.equal(again.info.id, map.info.id);
    assert.notEqual(again.fd, map.fd);
    again.close();
    assert.ok((map.memlockBytes() ?? 0) > 0, 'fdinfo reports memlock');
  } finally {
    map.close();
  }
});

test('a failing call throws BpfError naming the command and errno', () => {
  assert.throws(
    () => BpfMap.create({ type: MapType.hash, keySize: 0, valueSize: 4, maxEntries: 10 }),
    (e: unknown) => e instanceof BpfError && e.cmd === 'MAP_CREATE' && e.code === 'EINVAL' && /bpf MAP_CREATE failed: EINVAL/.test(e.message),
  );
  assert.throws(() => BpfMap.openById(0x7fff_fff0), (e: unknown) => e instanceof BpfError && e.cmd === 'MAP_GET_FD_BY_ID' && e.code === 'ENOENT');
});

test('per-element reading makes exactly N+1 GET_NEXT_KEY and N LOOKUP_ELEM calls', () => {
  const n = 5000;
  const map = filledHashMap(n);
  const reader = map.elemReader();
  try {
    const before = snapshotCalls();
    const seen = new Set<number>();
    while (reader.nextKey()) {
      assert.equal(reader.lookup(), true);
      seen.add(reader.keyU32[0]!);
      assert.equal(reader.valueI32[0], 0xdeadbeef | 0);
    }
    assert.equal(seen.size, n);
    assert.deepEqual(callsSince(before), { GET_NEXT_KEY: n + 1, LOOKUP_ELEM: n });
    // reset() starts over.
    reader.reset();
    assert.equal(reader.nextKey(), true);
  } finally {
    reader.free();
    map.close();
  }
});

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
      (e: unknown) => e instanceof ChunkTooSmallError && e.errno === Errno.ENOSPC && /--chunk 1/.test(e.message),
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
