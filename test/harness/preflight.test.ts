// Preflight: the memory estimate against what the kernel charges, refusing a
// map that does not fit, and the privilege check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapType } from '../../src/bpf/constants.js';
import { BpfMap } from '../../src/bpf/map.js';
import { UsageError } from '../../src/errors.js';
import { checkMemory, estimateMapBytes, hasBpfPrivilege, possibleCpus, probeBatchSupport } from '../../src/harness/preflight.js';

test('the estimate is within 10 % above what the kernel reports for a hash map', () => {
  for (const n of [100_000, 1 << 20]) {
    const map = BpfMap.create({ type: MapType.hash, keySize: 4, valueSize: 4, maxEntries: n });
    try {
      const kernel = map.memlockBytes()!;
      const est = estimateMapBytes(MapType.hash, 4, 4, n);
      assert.ok(est >= kernel && est <= kernel * 1.1, `estimate ${est} vs kernel ${kernel}`);
    } finally {
      map.close();
    }
  }
});

test('a map that does not fit in available memory is refused before it is created', () => {
  assert.throws(
    () => checkMemory(MapType.hash, 4, 4, 104_857_600, 104_857_600, 4 * 1024 ** 3),
    (e: unknown) => e instanceof UsageError && e.reason === 'cannot-run' && /needs about 8\.\d GiB/.test(e.message) && /only 4\.0 GiB is available/.test(e.message) && /--entries/.test(e.message),
  );
  const plan = checkMemory(MapType.hash, 4, 4, 104_857_600, 104_857_600, 20 * 1024 ** 3);
  assert.ok(plan.mapBytes > 8.5 * 1024 ** 3 && plan.mapBytes < 9.5 * 1024 ** 3, `100Mi estimate ${plan.mapBytes}`);
});

test('privilege is read from the effective capabilities', () => {
  assert.equal(hasBpfPrivilege(0n), false);
  assert.equal(hasBpfPrivilege(1n << 39n), true, 'CAP_BPF');
  assert.equal(hasBpfPrivilege(1n << 21n), true, 'CAP_SYS_ADMIN');
  assert.equal(hasBpfPrivilege(), true, 'the tests run as root');
});

test('this kernel has LOOKUP_BATCH for hash maps', () => {
  assert.doesNotThrow(() => probeBatchSupport());
  assert.ok(possibleCpus() >= 1);
});
