// The kernel feature probe (src/bpf/programs/features.ts) held against attempts made
// without it: each program of the object loaded alone through libbpf, the
// batch and delete commands asked with a raw bpf(2) call whose attr the test
// writes itself, the lockdown mode read through securityfs by a shell. No
// test here says what this kernel has: it says that the probe tells the truth
// about it, whatever it has.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { MapBatchAttr, MapElemAttr } from '../../../src/bpf/syscall/attr.js';
import { Cmd, MapType } from '../../../src/bpf/syscall/constants.js';
import { Errno, errnoName } from '../../../src/bpf/syscall/bpf-errors.js';
import { classify, lockdown } from '../../../src/bpf/programs/feature-probes.js';
import { Feature, kernelFacts, probeCommand, probeFeature, probeLookupAndDelete, probeLookupBatch, resetFeatureCache } from '../../../src/bpf/programs/features.js';
import { BpfObject, ObjectLoadError } from '../../../src/bpf/programs/loader.js';
import { BpfMap } from '../../../src/bpf/maps/map.js';
import { NativeBlock } from '../../../src/bpf/syscall/native-block.js';
import { bpf, callsSince, snapshotCalls } from '../../../src/bpf/syscall/syscall.js';
import { MAP_NAME } from '../../../src/harness/filling/bench-map.js';
import { runCli } from '../../helpers.js';

/** Loads one program of the object alone through libbpf: 'available', or the errno's name. */
function loadAlone(name: string): string {
  const obj = BpfObject.open();
  try {
    obj.configureMap(MAP_NAME, { maxEntries: 1 });
    obj.autoloadOnly([name]);
    obj.load();
    return 'available';
  } catch (e) {
    if (e instanceof ObjectLoadError) return errnoName(e.errno);
    throw e;
  } finally {
    obj.close();
  }
}

/** A raw BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH) on a tiny empty map: the kernel's answer (0, or -errno). */
function rawBatch(type: number, deleting: boolean): number {
  const map = BpfMap.create({ type, keySize: 4, valueSize: 4, maxEntries: 4, name: 'bpfbench_t' });
  const mem = new NativeBlock(MapBatchAttr.SIZE + 8 + 4 * 4 + 4 * 4 * 64);
  try {
    const base = mem.addr;
    mem.setU64(MapBatchAttr.out_batch, base + MapBatchAttr.SIZE);
    mem.setU64(MapBatchAttr.keys, base + MapBatchAttr.SIZE + 8);
    mem.setU64(MapBatchAttr.values, base + MapBatchAttr.SIZE + 8 + 16);
    mem.setU32(MapBatchAttr.count, 4);
    mem.setU32(MapBatchAttr.map_fd, map.fd);
    return bpf(deleting ? Cmd.MAP_LOOKUP_AND_DELETE_BATCH : Cmd.MAP_LOOKUP_BATCH, base, MapBatchAttr.SIZE);
  } finally {
    mem.free();
    map.close();
  }
}

/** What a raw answer means: ENOENT on an empty map is the command working. */
const rawState = (r: number) => (r >= 0 || r === -Errno.ENOENT ? 'available' : classify(-r));

test("every program of the object: the probe says what loading it alone through libbpf says, and a refusal is EPERM or EACCES, never 'available'", () => {
  const facts = kernelFacts();
  const programs = facts.features.filter((f) => f.id.startsWith('program:'));
  const lister = BpfObject.open();
  const names = lister.programs().map((p) => p.name);
  lister.close();
  assert.deepEqual(
    programs.map((f) => f.id),
    names.map((n) => `program:${n}`),
    "one row per program, in the object's order",
  );
  for (const f of programs) {
    const alone = loadAlone(f.id.slice('program:'.length));
    assert.equal(f.state === 'available' ? 'available' : f.errno, alone, f.id);
    if (f.state === 'refused') assert.ok(alone === 'EPERM' || alone === 'EACCES', `${f.id}: refused means EPERM/EACCES, not ${alone}`);
    if (f.state !== 'available') assert.ok(f.why && !f.why.includes('\n'), `${f.id}: one line of why`);
  }
  // The iterator program and its empty twin share a fate: the target is what the kernel judges.
  assert.equal(probeFeature(Feature.iterProgram).state, probeFeature(Feature.iterTarget).state);
});

test('LOOKUP_BATCH and LOOKUP_AND_DELETE_BATCH: the probe agrees with a raw bpf(2) call, per map type, with one call each', () => {
  for (const type of [MapType.hash, MapType.percpu_hash, MapType.lru_hash, MapType.array, MapType.percpu_array]) {
    resetFeatureCache();
    const before = snapshotCalls();
    const batch = probeCommand(Feature.lookupBatch, type);
    const calls = callsSince(before);
    assert.deepEqual({ MAP_CREATE: calls.MAP_CREATE, LOOKUP_BATCH: calls.LOOKUP_BATCH }, { MAP_CREATE: 1, LOOKUP_BATCH: 1 }, `type ${type}`);
    assert.equal(batch.state, rawState(rawBatch(type, false)), `LOOKUP_BATCH, type ${type}`);
    assert.equal(probeLookupBatch(type), batch.state === 'available');
    if (type === MapType.hash || type === MapType.lru_hash)
      assert.equal(probeCommand(Feature.lookupAndDeleteBatch, type).state, rawState(rawBatch(type, true)), `LOOKUP_AND_DELETE_BATCH, type ${type}`);
  }
  // Cached: asked again, no call.
  const before = snapshotCalls();
  probeCommand(Feature.lookupBatch, MapType.percpu_array);
  assert.deepEqual(callsSince(before), {});
});

test('LOOKUP_AND_DELETE_ELEM: the probe agrees with a raw call on an empty map of the same shape (ENOENT: it exists)', () => {
  for (const [type, k, v] of [
    [MapType.hash, 4, 4],
    [MapType.lru_percpu_hash, 8, 12],
    [MapType.array, 4, 4],
  ] as const) {
    const map = BpfMap.create({ type, keySize: k, valueSize: v, maxEntries: 1, name: 'bpfbench_t' });
    const mem = new NativeBlock(MapElemAttr.SIZE + 16 + 64 * 16);
    let raw: number;
    try {
      mem.setU32(MapElemAttr.map_fd, map.fd);
      mem.setU64(MapElemAttr.key, mem.addr + MapElemAttr.SIZE);
      mem.setU64(MapElemAttr.value, mem.addr + MapElemAttr.SIZE + 16);
      raw = bpf(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, mem.addr, MapElemAttr.SIZE);
    } finally {
      mem.free();
      map.close();
    }
    assert.equal(probeLookupAndDelete(type, k, v), raw === -Errno.ENOENT, `type ${type}: raw ${raw}`);
  }
});

test('the lockdown mode: the one securityfs shows, read by a shell in its own mount namespace', () => {
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t securityfs securityfs /sys/kernel/security 2>/dev/null; cat /sys/kernel/security/lockdown'], {
    encoding: 'utf8',
  });
  const shown = /\[(\w+)\]/.exec(r.stdout)?.[1] ?? null;
  assert.equal(lockdown().mode, shown, r.stderr);
  if (shown) assert.match(r.stdout, new RegExp(`\\[${shown}\\]`));
});

test('a refused program is never hidden by another: the probe of each is its own, and a second probe makes no bpf call', () => {
  kernelFacts();
  const before = snapshotCalls();
  const again = kernelFacts();
  assert.deepEqual(callsSince(before), {}, 'cached per process');
  const refused = again.features.filter((f) => f.state !== 'available');
  const available = again.features.filter((f) => f.state === 'available');
  // Whatever this kernel refuses, the rest are still probed and found: the counter's program at least (the tests count with it).
  assert.ok(
    available.some((f) => f.id === Feature.counterProgram),
    JSON.stringify(refused),
  );
});

test('info --kernel: the table has the release, the lockdown row and one row per probed feature, the errno of each one refused; --json carries the same rows', () => {
  const j = runCli(['info', '--kernel', '--json']);
  assert.equal(j.status, 0, j.stderr);
  const facts = JSON.parse(j.stdout);
  assert.equal(facts.release, spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim());
  assert.deepEqual(
    facts.features.map((f: { id: string }) => f.id),
    kernelFacts().features.map((f) => f.id),
  );
  const t = runCli(['info', '--kernel']);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, new RegExp(`│ lockdown +│ ${facts.lockdown ?? 'unknown'} `));
  for (const f of facts.features) {
    const row = t.stdout.split('\n').find((l) => l.includes(`│ ${f.feature} `));
    assert.ok(row, `a row for ${f.feature}`);
    assert.ok(row.includes(f.state), `${f.feature}: ${f.state} in ${row}`);
    if (f.errno) assert.ok(row.includes(f.errno), `${f.feature}: ${f.errno}`);
  }
  assert.match(t.stdout, /^\d+ of \d+ available|^all \d+ available/m);
  // Bad input: one line, exit 2.
  const bad = runCli(['info', '--kernel', '--pin', '/sys/fs/bpf/x']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
});
