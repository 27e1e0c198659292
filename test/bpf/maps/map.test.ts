// The map itself against the real kernel: creation, info, opening by id,
// failures as BpfError, emptiness.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapFlag, MapType } from '../../../src/bpf/syscall/constants.js';
import { BpfError } from '../../../src/bpf/syscall/bpf-errors.js';
import { BpfMap } from '../../../src/bpf/maps/map.js';
import { callsSince, snapshotCalls } from '../../../src/bpf/syscall/syscall.js';
import { filledHashMap } from '../../helpers.js';

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
  assert.throws(
    () => BpfMap.openById(0x7fff_fff0),
    (e: unknown) => e instanceof BpfError && e.cmd === 'MAP_GET_FD_BY_ID' && e.code === 'ENOENT',
  );
});

test('isEmpty asks GET_NEXT_KEY once', () => {
  const empty = BpfMap.create({ type: MapType.hash, keySize: 4, valueSize: 4, maxEntries: 64, flags: MapFlag.ZERO_SEED });
  const full = filledHashMap(10);
  try {
    const before = snapshotCalls();
    assert.equal(empty.isEmpty(), true);
    assert.equal(full.isEmpty(), false);
    assert.deepEqual(callsSince(before), { GET_NEXT_KEY: 2 });
  } finally {
    empty.close();
    full.close();
  }
});
