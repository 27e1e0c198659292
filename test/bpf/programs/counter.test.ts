// The kernel's syscall count: equal to bpfbench's own count, command by
// command; covering the process's other syscalls and threads; and equal to
// what an independent tool (strace) sees.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { MapElemAttr } from '../../../src/bpf/syscall/attr.js';
import { Cmd, cmdLabel } from '../../../src/bpf/syscall/constants.js';
import { COUNTER_PROG, COUNTER_PROGS, newKernelCounts, SyscallCounter } from '../../../src/bpf/programs/counter.js';
import { BpfObject } from '../../../src/bpf/programs/loader.js';
import { NativeBlock } from '../../../src/bpf/syscall/native-block.js';
import { bpf, callCounts, callsSince } from '../../../src/bpf/syscall/syscall.js';
import { MAP_NAME } from '../../../src/harness/filling/bench-map.js';
import { countsAgree, kernelDelta, type KernelSample } from '../../../src/harness/measuring/read-sample.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { batch } from '../../../src/strategies/batch.js';
import { elem } from '../../../src/strategies/elem.js';
import type { Strategy } from '../../../src/strategies/types.js';
import { filledHashMap, requireTool, startCounter, VALUE } from '../../helpers.js';

function withCounter(fn: (c: SyscallCounter) => Promise<void> | void): Promise<void> | void {
  const { counter, close: done } = startCounter();
  try {
    const r = fn(counter);
    if (r instanceof Promise) return r.finally(done);
    done();
  } catch (e) {
    done();
    throw e;
  }
}

/** Kernel counts of whatever `body` does. */
function kernelCountOf(counter: SyscallCounter, body: () => void): { kernel: KernelSample; self: Record<string, number> } {
  const k0 = newKernelCounts();
  const k1 = newKernelCounts();
  const self0 = Float64Array.from(callCounts);
  counter.read(k0);
  body();
  counter.read(k1);
  const self = callsSince(self0);
  return { kernel: kernelDelta(k0, k1), self };
}

const N = 4000;
for (const [strategy, chunk] of [
  [elem, 0],
  [batch, 256],
] as [Strategy, number][]) {
  test(`kernel count == self count for ${strategy.name}`, () =>
    withCounter((counter) => {
      const map = filledHashMap(N);
      const p = strategy.prepare(map, { chunk });
      try {
        const v = new Verifier({ entries: N, value: VALUE });
        v.reset();
        const { kernel, self } = kernelCountOf(counter, () => p.read(v));
        assert.equal(v.verdict().ok, true);
        assert.deepEqual(kernel.bpf, self);
        assert.equal(countsAgree(self, kernel), true);
        if (strategy === elem) assert.deepEqual(kernel.bpf, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N });
        assert.ok(kernel.total >= kernel.bpfTotal);
      } finally {
        p.free();
        map.close();
      }
    }));
}

test("the total counts the process's other syscalls, from every thread", () =>
  withCounter(async (counter) => {
    const { kernel } = kernelCountOf(counter, () => {
      for (let i = 0; i < 1000; i++) existsSync('/bpfbench-no-such-file');
    });
    assert.equal(kernel.bpfTotal, 0);
    assert.ok(kernel.total >= 1000 && kernel.total < 1500, `total ${kernel.total} (1000 access() calls plus what other threads did)`);

    // A worker thread's syscalls are the same process's (same tgid).
    const k0 = newKernelCounts();
    const k1 = newKernelCounts();
    counter.read(k0);
    await new Promise<void>((resolve, reject) => {
      const w = new Worker("const fs = require('node:fs'); for (let i = 0; i < 2000; i++) fs.existsSync('/bpfbench-no-such-file');", { eval: true });
      w.on('exit', () => resolve());
      w.on('error', reject);
    });
    counter.read(k1);
    assert.ok(k1.total - k0.total >= 2000, `with a worker: ${k1.total - k0.total}`);
  }));

test("a self count that differs from the kernel's is caught", () => {
  const kernel = { total: 10, bpfTotal: 3, bpf: { LOOKUP_BATCH: 3 } };
  assert.equal(countsAgree({ LOOKUP_BATCH: 3 }, kernel), true);
  assert.equal(countsAgree({ LOOKUP_BATCH: 2 }, kernel), false);
  assert.equal(countsAgree({ LOOKUP_BATCH: 3, LOOKUP_ELEM: 1 }, kernel), false);
  assert.equal(countsAgree({ LOOKUP_BATCH: 3 }, { ...kernel, bpfTotal: 4 }), false);
});

const FIXTURE = fileURLToPath(new URL('../../fixtures/phase.js', import.meta.url));
const haveStrace = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;

/** bpf calls by command between the fixture's two markers, as strace saw them. */
function straceCounts(log: string): Record<string, number> {
  const lines = log.split('\n');
  const start = lines.findIndex((l) => l.includes('/bpfbench-phase-start'));
  const end = lines.findIndex((l) => l.includes('/bpfbench-phase-end'));
  assert.ok(start >= 0 && end > start, 'markers found');
  const out: Record<string, number> = {};
  for (const l of lines.slice(start + 1, end)) {
    const m = /\bbpf\(BPF_([A-Z_]+)/.exec(l);
    if (!m) continue;
    const name = m[1]!.startsWith('MAP_') && m[1] !== 'MAP_CREATE' ? m[1]!.slice(4) : m[1]!;
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

for (const [name, chunk] of [
  ['elem', '0'],
  ['batch', '128'],
]) {
  test(`kernel count == self count == strace's count for ${name}`, (t) => {
    if (!requireTool(t, 'strace', haveStrace ? undefined : 'not installed')) return;
    const dir = mkdtempSync(join(tmpdir(), 'bpfbench-strace-'));
    const log = join(dir, 'strace.log');
    const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=bpf,access,faccessat,faccessat2', process.execPath, FIXTURE, name, '2000', chunk], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { self: Record<string, number>; kernel: KernelSample; agree: boolean; verified: boolean };
    assert.equal(out.verified, true);
    assert.equal(out.agree, true);
    const traced = straceCounts(readFileSync(log, 'utf8'));
    assert.deepEqual(out.kernel.bpf, out.self);
    assert.deepEqual(traced, out.self);
    if (name === 'elem') assert.deepEqual(traced, { GET_NEXT_KEY: 2001, LOOKUP_ELEM: 2000 });
  });
}

/** The counter with both programs loaded (count and time), attached to this process. */
function withTimedCounter(fn: (c: SyscallCounter) => Promise<void> | void): Promise<void> {
  const obj = BpfObject.open();
  obj.configureMap(MAP_NAME, { maxEntries: 1 });
  obj.autoloadOnly(COUNTER_PROGS);
  obj.load();
  const counter = new SyscallCounter(obj);
  return (async () => fn(counter))().finally(() => {
    counter.close();
    obj.close();
  });
}

/** n LOOKUP_ELEM calls of key 0..n-1 on `map`, each one checked. */
function lookups(map: { fd: number }, n: number): void {
  const m = new NativeBlock(MapElemAttr.SIZE + 16);
  try {
    m.setU32(MapElemAttr.map_fd, map.fd);
    m.setU64(MapElemAttr.key, m.addr + MapElemAttr.SIZE);
    m.setU64(MapElemAttr.value, m.addr + MapElemAttr.SIZE + 8);
    for (let k = 0; k < n; k++) {
      m.setU32(MapElemAttr.SIZE, k);
      const r = bpf(Cmd.MAP_LOOKUP_ELEM, m.addr, MapElemAttr.SIZE);
      if (r !== 0 || m.getU32(MapElemAttr.SIZE + 8) !== VALUE) throw new Error(`lookup of ${k}: ${r}`);
    }
  } finally {
    m.free();
  }
}

test("the kernel times bpf(2) by command: LOOKUP_ELEM > 0 and < the loop's wall time, every other command 0", (t) =>
  withTimedCounter((counter) => {
    assert.equal(counter.timed, true);
    const n = 20_000;
    const map = filledHashMap(n);
    const k0 = newKernelCounts();
    const k1 = newKernelCounts();
    try {
      counter.attach();
      counter.read(k0);
      const t0 = process.hrtime.bigint();
      lookups(map, n);
      const wallNs = Number(process.hrtime.bigint() - t0);
      counter.read(k1);
      counter.detach();
      const L = Cmd.MAP_LOOKUP_ELEM;
      assert.equal(k1.bpf[L]! - k0.bpf[L]!, n, 'the count is exact');
      assert.equal(k1.bpfTotal - k0.bpfTotal, n);
      assert.ok(k0.bpfNs && k1.bpfNs, 'kernel time available');
      const ns = k1.bpfNs[L]! - k0.bpfNs[L]!;
      assert.ok(ns > 0, `LOOKUP_ELEM kernel time ${ns} ns`);
      assert.ok(ns < wallNs, `LOOKUP_ELEM kernel time ${ns} ns < wall ${wallNs} ns`);
      for (let i = 0; i < k1.bpfNs.length; i++) {
        if (i === L) continue;
        assert.equal(k1.bpfNs[i]! - k0.bpfNs[i]!, 0, `${cmdLabel(i)} was not called: 0 ns`);
        assert.equal(k1.bpf[i]! - k0.bpf[i]!, 0, `${cmdLabel(i)} was not called`);
      }
      t.diagnostic(`${n} LOOKUP_ELEM: kernel ${(ns / n).toFixed(0)} ns/call (sys_enter → sys_exit), wall ${(wallNs / n).toFixed(0)} ns/call`);

      // Detached, nothing moves.
      counter.read(k0);
      lookups(map, 100);
      counter.read(k1);
      assert.equal(k1.bpf[L], k0.bpf[L]);
      assert.equal(k1.bpfNs[L], k0.bpfNs[L]);
    } finally {
      map.close();
    }
  }));

test('without the exit program the counts work and kernel time is unavailable (undefined)', () => {
  const obj = BpfObject.open();
  obj.configureMap(MAP_NAME, { maxEntries: 1 });
  obj.autoloadOnly([COUNTER_PROG]);
  obj.load();
  const counter = new SyscallCounter(obj);
  const map = filledHashMap(100);
  try {
    assert.equal(counter.timed, false);
    const { kernel } = (() => {
      counter.attach();
      try {
        return kernelCountOf(counter, () => lookups(map, 100));
      } finally {
        counter.detach();
      }
    })();
    assert.deepEqual(kernel.bpf, { LOOKUP_ELEM: 100 });
    assert.equal(counter.read(newKernelCounts()).bpfNs, undefined);
  } finally {
    map.close();
    counter.close();
    obj.close();
  }
});

// A child process that, once told to on stdin, makes `calls` LOOKUP_ELEM
// calls (on fd 0, not a map: each fails, each is a bpf(2) call all the same).
const CHILD = `
const { bpf } = await import(${JSON.stringify(new URL('../../../src/bpf/syscall/syscall.js', import.meta.url).href)});
const { NativeBlock } = await import(${JSON.stringify(new URL('../../../src/bpf/syscall/native-block.js', import.meta.url).href)});
const attr = new NativeBlock(32);
process.stdout.write('ready\\n');
process.stdin.once('data', () => {
  for (let i = 0; i < Number(process.argv[1]); i++) bpf(${Cmd.MAP_LOOKUP_ELEM}, attr.addr, 32);
  process.exit(0);
});
`;

test('target(tgid) counts another process (a peer) instead of this one', () =>
  withTimedCounter(async (counter) => {
    const calls = 700;
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, String(calls)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const map = filledHashMap(50);
    const k0 = newKernelCounts();
    const k1 = newKernelCounts();
    try {
      counter.target(child.pid!);
      counter.attach();
      counter.read(k0);
      lookups(map, 50); // ours: not counted now
      child.stdin!.write('go\n');
      assert.equal(await exited, 0);
      counter.read(k1);
      const L = Cmd.MAP_LOOKUP_ELEM;
      assert.equal(k1.bpf[L]! - k0.bpf[L]!, calls);
      assert.equal(k1.bpfTotal - k0.bpfTotal, calls);
      assert.ok(k1.bpfNs![L]! - k0.bpfNs![L]! > 0);

      counter.target(process.pid);
      counter.read(k0);
      lookups(map, 50);
      counter.read(k1);
      assert.equal(k1.bpf[L]! - k0.bpf[L]!, 50);
      assert.ok(k1.bpfNs![L]! - k0.bpfNs![L]! > 0);
    } finally {
      counter.detach();
      child.kill();
      map.close();
    }
  }));
