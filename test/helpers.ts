// Test helpers: real kernel maps, made and filled without the code under test
// where possible (BPF_MAP_CREATE + UPDATE_BATCH), so a strategy's test does
// not depend on the loader's.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { MapType } from '../src/bpf/syscall/constants.js';
import { COUNTER_PROGS, SyscallCounter } from '../src/bpf/programs/counter.js';
import { BpfObject, ObjectLoadError } from '../src/bpf/programs/loader.js';
import { Errno } from '../src/bpf/syscall/bpf-errors.js';
import { ITER_PROG } from '../src/bpf/programs/map-iter.js';
import { MAP_NAME } from '../src/harness/filling/bench-map.js';
import { BpfMap, type MapSpec } from '../src/bpf/maps/map.js';
import { NativeBlock } from '../src/bpf/syscall/native-block.js';
import { ROOT } from '../src/paths.js';
import { Feature, probeFeature, type FeatureId } from '../src/bpf/programs/features.js';
import { chooseStrategies, type Strategy } from '../src/strategies/index.js';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

export const BIN = join(ROOT, 'bin/bpfbench');
export const VALUE = 0xdeadbeef;

/** A hash map holding keys 0..n-1 → value. */
export function filledHashMap(n: number, spec: Partial<MapSpec> = {}, value = VALUE): BpfMap {
  const map = BpfMap.create({ type: MapType.hash, keySize: 4, valueSize: 4, maxEntries: n, name: 'bpfbench_test', ...spec });
  const step = 1 << 14;
  const keys = new NativeBlock(step * 4);
  const values = new NativeBlock(step * 4);
  try {
    values.u32.fill(value >>> 0);
    for (let start = 0; start < n; start += step) {
      const count = Math.min(step, n - start);
      for (let i = 0; i < count; i++) keys.u32[i] = start + i;
      map.updateBatch(keys.addr, values.addr, count);
    }
  } finally {
    keys.free();
    values.free();
  }
  return map;
}

/** Runs bin/bpfbench with args; stdin closed, stdout/stderr captured, no colour forced. */
export function runCli(args: string[], env: Record<string, string> = {}, prefix: string[] = []): SpawnSyncReturns<string> {
  const cmd = prefix.length ? prefix[0]! : process.execPath;
  const argv = prefix.length ? [...prefix.slice(1), process.execPath, BIN, ...args] : [BIN, ...args];
  return spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

/** The object's syscall counter (counts and bpf(2) time), attached to this process; close() detaches and unloads it. */
export function startCounter(): { counter: SyscallCounter; close(): void } {
  const obj = BpfObject.open();
  obj.configureMap(MAP_NAME, { maxEntries: 1 });
  obj.autoloadOnly(COUNTER_PROGS);
  obj.load();
  const counter = new SyscallCounter(obj);
  counter.attach();
  return {
    counter,
    close() {
      counter.close();
      obj.close();
    },
  };
}

/**
 * Whether this kernel allows a feature, as the probe finds it (src/bpf/programs/features.ts;
 * test/bpf/probes.test.ts holds the probe against raw attempts). A test that
 * needs a feature runs its full checks where it is available, and asserts the
 * one-line refusal where it is not: never a skip.
 */
export function kernelAllows(id: FeatureId): boolean {
  return probeFeature(id).state === 'available';
}

/** This kernel loads the iterator program (iter/bpf_map_elem): refused in lockdown on some builds. */
export const ITER = kernelAllows(Feature.iterProgram);

/** The one line a refused iterator gets, naming it and the errno. */
export const ITER_REFUSAL = /iter: this kernel (refuses|does not support) iter\/bpf_map_elem programs \((E[A-Z0-9]+)/;

/** The strategies of `list` this kernel allows (the probe's word). */
export function allowedStrategies<S extends Strategy>(list: readonly S[]): S[] {
  return chooseStrategies(list, { named: false }).strategies as S[];
}

/**
 * A tool the test needs: missing, the test skips, except under CI=true (or
 * BPFBENCH_REQUIRE_ALL=1), where it fails naming the tool: CI never passes
 * by skipping.
 */
export function requireTool(t: TestContext, tool: string, missing: string | false | undefined): boolean {
  if (!missing) return true;
  if (process.env.CI === 'true' || process.env.BPFBENCH_REQUIRE_ALL === '1') assert.fail(`${tool} is required under CI: ${missing}`);
  t.skip(`${tool}: ${missing}`);
  return false;
}

/** Whether a command is on PATH. */
export const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * Where the probe finds the iterator refused, the refusal holds three ways:
 * the program, loaded on its own by libbpf, fails with a refusal errno (not
 * the probe's word alone); `run --strategies iter` says one line naming it,
 * exit 1; and elem and batch still read and verify.
 */
export function assertIterRefused(): void {
  const obj = BpfObject.open();
  try {
    obj.configureMap(MAP_NAME, { maxEntries: 1 });
    obj.autoloadOnly([ITER_PROG]);
    assert.throws(
      () => obj.load(),
      (e: unknown) => e instanceof ObjectLoadError && (e.errno === Errno.EPERM || e.errno === Errno.EACCES || e.errno === Errno.EINVAL || e.errno === Errno.ENOTSUP || e.errno === 524),
    );
  } finally {
    obj.close();
  }
  const r = runCli(['run', '--entries', '4096', '--runs', '1', '--strategies', 'iter']);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`^bpfbench: ${ITER_REFUSAL.source}`));
  const ok = runCli(['run', '--entries', '4096', '--runs', '1', '--strategies', 'elem,batch', '--json', '-']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(
    JSON.parse(ok.stdout).results.map((s: { strategy: string; verified: { ok: boolean } }) => [s.strategy, s.verified.ok]),
    [
      ['elem', true],
      ['batch', true],
    ],
  );
}
