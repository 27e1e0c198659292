// The per-element reader against the real kernel: its exact call counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callsSince, snapshotCalls } from '../../../src/bpf/syscall/syscall.js';
import { filledHashMap } from '../../helpers.js';

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
