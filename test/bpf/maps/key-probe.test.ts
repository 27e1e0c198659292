// KeyProbe against the real kernel: one LOOKUP_ELEM per question and nothing
// else, hits with their value, misses as false, other errors thrown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapType } from '../../../src/bpf/syscall/constants.js';
import { possibleCpus } from '../../../src/bpf/maps/cpus.js';
import { BpfError } from '../../../src/bpf/syscall/bpf-errors.js';
import { KeyProbe } from '../../../src/bpf/maps/key-probe.js';
import { BpfMap } from '../../../src/bpf/maps/map.js';
import { NativeBlock } from '../../../src/bpf/syscall/native-block.js';
import { callsSince, snapshotCalls } from '../../../src/bpf/syscall/syscall.js';
import { filledHashMap, VALUE } from '../../helpers.js';

test('a probe finds the keys the map holds, with their value, one LOOKUP_ELEM each', () => {
  const map = filledHashMap(100, { maxEntries: 200 });
  const probe = new KeyProbe(map);
  try {
    const u32 = new Uint32Array(probe.key.buffer, probe.key.byteOffset, 1);
    const before = snapshotCalls();
    let hits = 0;
    for (let k = 0; k < 200; k++) {
      u32[0] = k;
      const found = probe.lookup();
      assert.equal(found, k < 100, `key ${k}`);
      if (found) {
        hits++;
        assert.equal(new Uint32Array(probe.value.buffer, probe.value.byteOffset, 1)[0], VALUE);
      }
    }
    assert.equal(hits, 100);
    assert.deepEqual(callsSince(before), { LOOKUP_ELEM: 200 });
  } finally {
    probe.free();
    map.close();
  }
});

test('a probe of a per-CPU map with odd-sized keys and values takes every CPU slot', () => {
  const ncpu = possibleCpus();
  const map = BpfMap.create({ type: MapType.percpu_hash, keySize: 6, valueSize: 12, maxEntries: 8, name: 'bpfbench_test' });
  const slot = 16; // round_up(12, 8)
  const kv = new NativeBlock(8 + slot * ncpu);
  const probe = new KeyProbe(map);
  try {
    assert.equal(probe.key.length, 6);
    assert.equal(probe.value.length, slot * ncpu);
    kv.bytes.set([1, 2, 3, 4, 5, 6], 0);
    for (let c = 0; c < ncpu; c++) kv.bytes.fill(0x40 + c, 8 + c * slot, 8 + c * slot + 12);
    map.updateElem(kv.addr, kv.addr + 8);
    probe.key.set([1, 2, 3, 4, 5, 6]);
    assert.equal(probe.lookup(), true);
    for (let c = 0; c < ncpu; c++) assert.equal(probe.value[c * slot + 11], 0x40 + c, `CPU ${c}'s slot`);
    probe.key[5] = 7;
    assert.equal(probe.lookup(), false, 'one byte of the key differs');
  } finally {
    probe.free();
    kv.free();
    map.close();
  }
});

test('a lookup that fails other than ENOENT throws, naming the command', () => {
  const map = filledHashMap(4);
  const fd = map.fd;
  map.close();
  const probe = new KeyProbe({ fd, keySize: 4, valueStride: 4 });
  try {
    assert.throws(
      () => probe.lookup(),
      (e: unknown) => e instanceof BpfError && e.cmd === 'LOOKUP_ELEM' && e.code === 'EBADF',
    );
  } finally {
    probe.free();
  }
});
