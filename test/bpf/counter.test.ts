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
import { Worker } from 'node:worker_threads';
import { newKernelCounts, type SyscallCounter } from '../../src/bpf/counter.js';
import { callCounts, callsSince } from '../../src/bpf/syscall.js';
import { countsAgree, kernelDelta, type KernelSample } from '../../src/harness/measure.js';
import { Verifier } from '../../src/harness/verifier.js';
import { batch } from '../../src/strategies/batch.js';
import { elem } from '../../src/strategies/elem.js';
import type { Strategy } from '../../src/strategies/types.js';
import { filledHashMap, startCounter, VALUE } from '../helpers.js';

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
for (const [strategy, chunk] of [[elem, 0], [batch, 256]] as [Strategy, number][]) {
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

test('the total counts the process\'s other syscalls, from every thread', () =>
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

test('a self count that differs from the kernel\'s is caught', () => {
  const kernel = { total: 10, bpfTotal: 3, bpf: { LOOKUP_BATCH: 3 } };
  assert.equal(countsAgree({ LOOKUP_BATCH: 3 }, kernel), true);
  assert.equal(countsAgree({ LOOKUP_BATCH: 2 }, kernel), false);
  assert.equal(countsAgree({ LOOKUP_BATCH: 3, LOOKUP_ELEM: 1 }, kernel), false);
  assert.equal(countsAgree({ LOOKUP_BATCH: 3 }, { ...kernel, bpfTotal: 4 }), false);
});

const FIXTURE = fileURLToPath(new URL('../fixtures/phase.js', import.meta.url));
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

for (const [name, chunk] of [['elem', '0'], ['batch', '128']]) {
  test(`kernel count == self count == strace's count for ${name}`, { skip: haveStrace ? false : 'strace is not installed' }, () => {
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
