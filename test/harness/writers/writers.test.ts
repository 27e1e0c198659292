// The in-kernel writers (src/harness/writers/writers.ts, bpf/bench.bpf.c write_map) on
// the real kernel: they touch only the volatile keys, restore() gives back
// exactly what the loader wrote (checked by the Verifier over a full batch
// read, not by writer code), run() and pause() mean what they say, a rate
// is kept, the reader's own call count is untouched, and close() leaves no
// thread. Then `run --writers` end to end: the per-element walk re-reads or
// gives up under deletes while batch reads each stable key once.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { newKernelCounts } from '../../../src/bpf/programs/counter.js';
import { cmdLabel, CMD_SLOTS } from '../../../src/bpf/syscall/constants.js';
import { FILL_VALUE, openBenchMap, type BenchMap } from '../../../src/harness/filling/bench-map.js';
import { ConsistencySink, freshKeys, writersCapacity, type KeySpace } from '../../../src/harness/verification/consistency.js';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import type { WriteOp, WritersSetting } from '../../../src/harness/writers/under-writers.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { Writers } from '../../../src/harness/writers/writers.js';
import { batch } from '../../../src/strategies/batch.js';
import { runCli, startCounter } from '../../helpers.js';

const N = 65_536;
const EVERY = 8;
const SPACE: KeySpace = { entries: N, volatileEvery: EVERY, fresh: freshKeys(N, EVERY), value: FILL_VALUE };

function benchMap(): BenchMap {
  return openBenchMap({ entries: N, maxEntries: writersCapacity(N, EVERY), fill: 'prog', mapFlags: 0, kernelCount: false, writerProgram: true }, silentProgress);
}

const setting = (n: number, mix: readonly WriteOp[], rate: number | 'max' = 'max'): WritersSetting => ({ n, rate, mix, volatileEvery: EVERY });

/** A full batch read of the map into a sink. */
function readAll(bench: BenchMap, sink: { reset(): void }): void {
  const p = batch.prepare(bench.map, { chunk: 4096, loop: 'js' });
  try {
    sink.reset();
    p.read(sink as never);
  } finally {
    p.free();
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const tasks = () => readdirSync('/proc/self/task').length;

test('writers touch only the volatile keys, as the mix says; restore() gives back what the loader wrote', () => {
  const bench = benchMap();
  const threads = tasks();
  // The kernel's count, threads apart: what the writer threads called, by the kernel's clock of commands, not theirs.
  const kc = startCounter();
  const k0 = newKernelCounts();
  const k1 = newKernelCounts();
  const byCmd = (a: Float64Array, b: Float64Array) => Object.fromEntries(Array.from({ length: CMD_SLOTS }, (_, i) => [cmdLabel(i), b[i]! - a[i]!]).filter(([, d]) => (d as number) > 0));
  try {
    for (const mix of [['update'], ['delete'], ['insert'], ['update', 'delete', 'insert']] as WriteOp[][]) {
      const w = Writers.start(bench.writerProgFd!, SPACE, setting(2, mix));
      try {
        assert.equal(w.tids().length, 2, 'each writer gave its thread id');
        kc.counter.countApart(w.tids());
        kc.counter.read(k0);
        w.run();
        sleep(50);
        w.pause();
        kc.counter.read(k1);
        const t = w.totals();
        // This thread made no bpf call meanwhile; the writer threads made PROG_TEST_RUN calls alone, as many as they say.
        assert.deepEqual(byCmd(k0.bpf, k1.bpf), {}, "the writers' calls are not the reader's");
        assert.deepEqual(byCmd(k0.otherBpf, k1.otherBpf), { PROG_TEST_RUN: t.calls }, 'the writer threads, by the kernel');
        assert.ok(t.calls >= 2, `each writer made a call (${t.calls})`);
        // Each call runs the program's 2,048 ops (its loop bound): the ops follow from the kernel's count of calls.
        assert.equal(t.updates + t.deletes + t.inserts + t.misses + t.full, (k1.otherBpfTotal - k0.otherBpfTotal) * 2048, 'every call ran its ops');
        assert.equal(t.updates > 0, mix.includes('update'), `updates under ${mix}`);
        assert.equal(t.deletes > 0, mix.includes('delete'), `deletes under ${mix}`);
        assert.equal(t.inserts > 0, mix.includes('insert'), `inserts under ${mix}`);
        assert.equal(t.full, 0, 'the map holds every key at once');
        sleep(20);
        assert.deepEqual(w.totals(), t, 'paused: nothing moves');

        // What the map holds now: every stable key with its value, nothing outside the key space.
        const seen = new ConsistencySink(SPACE);
        readAll(bench, seen);
        const c = seen.consistency();
        assert.equal(c.stableMissed, 0);
        assert.equal(c.stableDuplicates, 0);
        assert.equal(c.stray, 0);
        assert.equal(c.wrongValues, 0);
        if (mix.includes('delete') || mix.includes('insert')) assert.notEqual(c.volatileSeen, N / EVERY, 'the volatile keys changed');

        w.restore();
        const v = new Verifier({ entries: N, value: FILL_VALUE });
        readAll(bench, v);
        assert.equal(v.verdict().ok, true, `after restore: ${v.verdict().problems.join('; ')}`);
      } finally {
        kc.counter.countApart([]);
        w.close();
      }
    }
  } finally {
    kc.close();
    bench.close();
  }
  assert.equal(tasks(), threads, 'close() leaves no writer thread');
});

test('a rate is kept: ops per writer per second within 25 %', () => {
  const bench = benchMap();
  try {
    const rate = 20_000;
    const w = Writers.start(bench.writerProgFd!, SPACE, setting(2, ['update'], rate));
    try {
      const t0 = process.hrtime.bigint();
      w.run();
      sleep(500);
      w.pause();
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const want = rate * 2 * s;
      const got = w.totals().ops;
      assert.ok(Math.abs(got - want) <= 0.25 * want, `${got} ops in ${s.toFixed(3)} s, want ≈ ${want.toFixed(0)}`);
      w.restore();
    } finally {
      w.close();
    }
  } finally {
    bench.close();
  }
});

test('run --writers 1 with deletes: the per-element walk re-reads stable keys or gives up; batch reads each once; the JSON says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-writers-'));
  const out = join(dir, 'w.json');
  const r = runCli(['run', '--entries', '64Ki', '--runs', '2', '--warmup', '0', '--writers', '1', '--write-mix', 'delete,insert', '--strategies', 'elem,batch', '--chunk', '1024', '--json', out]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(j.config.writers, { n: 1, rate: 'max', mix: ['delete', 'insert'], volatileEvery: 8, fresh: 8192, stableKeys: 57_344, volatileKeys: 16_384 });
  assert.equal(j.config.maxEntries, N + 8192, 'max_entries holds the fresh keys too');
  const [e, b] = j.results;
  assert.equal(e.verified.ok, true, e.verified.problems.join('; '));
  assert.equal(b.verified.ok, true, b.verified.problems.join('; '));
  for (const s of [e, b]) {
    assert.equal(s.writers.n, 1);
    assert.equal(s.writers.rounds, 2);
    assert.ok(s.writers.opsPerSecAlone > 0 && s.writers.opsPerSecDuringRead > 0);
    assert.ok(s.writers.readerNsPerEntryAlone > 0 && s.writers.readerNsPerEntryDuring > 0);
    assert.equal(s.consistency.stray, 0);
    assert.equal(s.consistency.wrongValues, 0);
    assert.equal(s.consistency.perRead.length, 2);
    // The kernel count on, writers and reader apart: the reader's calls under writers are its own count, the
    // writer threads' are the writers' count of their PROG_TEST_RUN calls, and nothing else.
    const k = s.writers.bpfCalls;
    assert.ok(k, `${s.label}: the read under writers audited by the kernel`);
    assert.deepEqual(k.reader.kernel, k.reader.self, `${s.label}: the reader's calls under writers`);
    assert.equal(k.reader.agree, true);
    assert.deepEqual(Object.keys(k.writers.kernel), ['PROG_TEST_RUN'], `${s.label}: the writers' calls are PROG_TEST_RUN alone`);
    assert.ok(k.writers.kernel.PROG_TEST_RUN > 0);
    assert.deepEqual(k.writers.kernel, k.writers.self, `${s.label}: the writer threads' calls, kernel and writers`);
    assert.equal(k.writers.agree, true);
    assert.equal(s.syscalls.agree, true, `${s.label}: the reader's own audit (no writers) still agrees`);
  }
  // Without writers, the audit read is the whole map: elem's calls are N+1 and N, whatever the writers did after.
  assert.deepEqual(e.syscalls.audit.kernel.bpf, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N });
  assert.deepEqual(b.syscalls.audit.kernel.bpf.LOOKUP_BATCH >= N / 1024, true);
  const ec = e.consistency;
  assert.ok(ec.stableDuplicates > 0 || ec.restarts > 0 || e.writers.aborted > 0, `elem under deletes: ${JSON.stringify(ec)}`);
  for (const c of b.consistency.perRead) {
    assert.equal(c.stableDuplicates, 0, 'a batch walk is consistent per bucket');
    assert.equal(c.stableMissed, 0);
    assert.equal(c.restarts, 0);
    assert.equal(c.stableOnce, 57_344);
  }
  assert.match(r.stdout, /under 1 writer \(delete,insert, back to back\)/);
  assert.match(r.stdout, /^batch\(1024\) +[\d,]+ +[\d,]+ .* 0 +0 +0 +0\/2 +0\/0$/m);
});

test('--writers refuses what it cannot run, in one line', () => {
  for (const [args, want] of [
    [['--writers', '1', '--strategies', 'elem-delete'], /elem-delete empties the map as it reads: not with --writers/],
    [['--writers', '1', '--map-type', 'array'], /--writers runs the object's writer program on the u32 → u32 hash map/],
    [['--writers', '1', '--max-entries', '4096'], /--max-entries \(4,096\) must hold --entries and the writers' 512 fresh keys: at least 4,608/],
    [['--writers', '0'], /--writers must be between 1 and 64/],
    [['--writers', '1', '--write-mix', 'upsert'], /unknown write op 'upsert'/],
    [['--writers', '1', '--write-rate', 'fast'], /is not a whole number/],
  ] as [string[], RegExp][]) {
    const r = runCli(['run', '--entries', '4096', ...args]);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, want, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});
