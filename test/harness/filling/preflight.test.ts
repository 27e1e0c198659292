// Preflight: the memory estimate against what the kernel charges, refusing a
// map that does not fit, and the privilege check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapType } from '../../../src/bpf/syscall/constants.js';
import { BpfMap } from '../../../src/bpf/maps/map.js';
import { UsageError } from '../../../src/errors.js';
import { openBenchMap } from '../../../src/harness/filling/bench-map.js';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import { checkMemory, estimateMapBytes, fmtGiB, hasBpfPrivilege, MEMORY_HEADROOM, MemoryTooSmallError, possibleCpus, checkMapCreate } from '../../../src/harness/filling/preflight.js';

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

const GiB = 1024 ** 3;
const Mi = 1 << 20;

/** What checkMemory throws, or a failure if it does not throw that. */
function refusal(run: () => unknown): MemoryTooSmallError {
  try {
    run();
  } catch (e) {
    if (e instanceof MemoryTooSmallError) return e;
    throw e;
  }
  assert.fail('the map was not refused');
}

test('a map that does not fit in available memory is refused before it is created', () => {
  const e = refusal(() => checkMemory(MapType.hash, 4, 4, 104_857_600, 104_857_600, 4 * GiB));
  assert.ok(e instanceof UsageError && e.reason === 'cannot-run');
  assert.equal(e.tooBig, 'entries');
  assert.equal(e.mapBytes, estimateMapBytes(MapType.hash, 4, 4, 104_857_600));
  assert.ok(e.mapBytes > 8 * GiB && e.mapBytes < 9 * GiB);
  assert.equal(e.availableBytes, 4 * GiB);
  assert.equal(e.bytesPerSlot, Math.round(e.mapBytes / 104_857_600));
  assert.equal(
    e.message,
    `a 104,857,600-entry map needs about ${fmtGiB(e.mapBytes)} of kernel memory (+${fmtGiB(e.userBytes + MEMORY_HEADROOM)} for bpfbench and headroom), ` +
      `but only 4.0 GiB is available: use fewer entries (each entry costs ~${e.bytesPerSlot} B) or free memory`,
  );
  assert.equal(e.shortfall, e.message.slice(0, e.message.indexOf(': use fewer')));
  assert.doesNotMatch(e.message, /--/, 'the harness names no flag');
  const plan = checkMemory(MapType.hash, 4, 4, 104_857_600, 104_857_600, 20 * GiB);
  assert.ok(plan.mapBytes > 8.5 * GiB && plan.mapBytes < 9.5 * GiB, `100Mi estimate ${plan.mapBytes}`);
});

test("1Mi entries in a map of max_entries 4,294,967,295: the map's max_entries is what does not fit, not the entries", () => {
  const e = refusal(() => checkMemory(MapType.hash, 4, 4, 4_294_967_295, Mi, 8 * GiB));
  assert.equal(e.tooBig, 'maxEntries');
  assert.equal(e.maxEntries, 4_294_967_295);
  assert.equal(e.entries, Mi);
  assert.equal(
    e.message,
    `a map of max_entries 4,294,967,295 needs about ${fmtGiB(e.mapBytes)} of kernel memory (+${fmtGiB(e.userBytes + MEMORY_HEADROOM)} for bpfbench and headroom), ` +
      `but only 8.0 GiB is available: reduce the map's max_entries (each slot costs ~${e.bytesPerSlot} B; 1,048,576 entries would fit in a map of max_entries 1,048,576) or free memory`,
  );
  assert.doesNotMatch(e.message, /fewer entries|--/);
  // The same request on this machine's real memory, through the run's own path, before any map is made.
  const real = refusal(() => openBenchMap({ entries: Mi, maxEntries: 4_294_967_295, fill: 'batch', mapFlags: 0, kernelCount: false }, silentProgress));
  assert.equal(real.tooBig, 'maxEntries');
  assert.match(real.message, /^a map of max_entries 4,294,967,295 needs about .*: reduce the map's max_entries/);
});

test('when not even a map of max_entries = entries fits, the entries are too many (and max_entries with them)', () => {
  const e = refusal(() => checkMemory(MapType.hash, 4, 4, 200 * Mi, 100 * Mi, 4 * GiB));
  assert.equal(e.tooBig, 'entries');
  assert.match(e.message, /^a 209,715,200-entry map needs about .*: use fewer entries and a smaller max_entries \(each entry costs ~\d+ B\) or free memory$/);
});

test('bytes per entry with thousands separators', () => {
  const e = refusal(() => checkMemory(MapType.hash, 4, 8192, Mi, Mi, 4 * GiB));
  assert.ok(e.bytesPerSlot > 8000 && e.bytesPerSlot < 10_000, `${e.bytesPerSlot}`);
  assert.ok(e.message.includes(`(each entry costs ~${e.bytesPerSlot.toLocaleString('en-US')} B)`), e.message);
  assert.match(e.message, /~\d,\d{3} B/);
});

test('privilege is read from the effective capabilities', () => {
  assert.equal(hasBpfPrivilege(0n), false);
  assert.equal(hasBpfPrivilege(1n << 39n), true, 'CAP_BPF');
  assert.equal(hasBpfPrivilege(1n << 21n), true, 'CAP_SYS_ADMIN');
  assert.equal(hasBpfPrivilege(), true, 'the tests run as root');
});

test('this kernel lets root make a hash map (the first check of every run)', () => {
  assert.doesNotThrow(() => checkMapCreate());
  assert.ok(possibleCpus() >= 1);
});
