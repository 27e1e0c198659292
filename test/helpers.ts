// Test helpers: real kernel maps, made and filled without the code under test
// where possible (BPF_MAP_CREATE + UPDATE_BATCH), so a strategy's test does
// not depend on the loader's.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { MapType } from '../src/bpf/constants.js';
import { COUNTER_PROGS, SyscallCounter } from '../src/bpf/counter.js';
import { BpfObject } from '../src/bpf/loader.js';
import { MAP_NAME } from '../src/harness/bench-map.js';
import { BpfMap, type MapSpec } from '../src/bpf/map.js';
import { NativeBlock } from '../src/bpf/native.js';
import { ROOT } from '../src/paths.js';

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
