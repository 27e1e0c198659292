// The feature probes against this kernel (Linux 6.18 has both commands for
// hash maps), and what each costs: a map made and closed, one probing call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapType } from '../../src/bpf/constants.js';
import { probeLookupAndDelete, probeLookupBatch } from '../../src/bpf/features.js';
import { callsSince, snapshotCalls } from '../../src/bpf/syscall.js';

test('LOOKUP_BATCH is probed with one call on a tiny map', () => {
  const before = snapshotCalls();
  assert.equal(probeLookupBatch(MapType.hash), true);
  assert.equal(probeLookupBatch(MapType.percpu_array), true);
  const calls = callsSince(before);
  assert.equal(calls.MAP_CREATE, 2);
  assert.equal(calls.LOOKUP_BATCH, 2);
});

test('LOOKUP_AND_DELETE_ELEM is probed on an empty map of the same shape', () => {
  const before = snapshotCalls();
  assert.equal(probeLookupAndDelete(MapType.hash, 4, 4), true);
  assert.equal(probeLookupAndDelete(MapType.lru_percpu_hash, 8, 12), true);
  const calls = callsSince(before);
  assert.equal(calls.MAP_CREATE, 2);
  assert.equal(calls.LOOKUP_AND_DELETE_ELEM, 2);
  // Arrays cannot delete: the command answers something other than ENOENT.
  assert.equal(probeLookupAndDelete(MapType.array, 4, 4), false);
});
