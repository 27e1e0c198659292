// The in-kernel writers (src/harness/writers/writers.ts, bpf/bench.bpf.c write_map) on
// the real kernel: they touch only the volatile keys, restore() gives back
// exactly what the loader wrote (checked by the Verifier over a full batch
// read, not by writer code), run() and pause() mean what they say, a rate
// is kept, the reader's own call count is untouched, and close() leaves no
// thread. The per-element walk under deletes, recorded by the test and held
// to the kernel's count of its calls, against ConsistencySink fed the same
// recording. Then `run --writers` end to end: the per-element walk re-reads
// or gives up under deletes (by the kernel's count) while batch reads each
// stable key once.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { newKernelCounts } from '../../../src/bpf/programs/counter.js';
import { cmdLabel, CMD_SLOTS } from '../../../src/bpf/syscall/constants.js';
import { FILL_VALUE, openBenchMap, type BenchMap } from '../../../src/harness/filling/bench-map.js';
import { ConsistencySink, freshKeys, RESTART_JUMP, writersCapacity, type KeySpace } from '../../../src/harness/verification/consistency.js';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import type { WriteOp, WritersSetting } from '../../../src/harness/writers/under-writers.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { Writers } from '../../../src/harness/writers/writers.js';
import type { BpfMap } from '../../../src/bpf/maps/map.js';
import { batch } from '../../../src/strategies/batch.js';
import { elem, MapChangedError } from '../../../src/strategies/elem.js';
import type { EntrySink } from '../../../src/strategies/sink.js';
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

/** The test's own record of a read: every entry the strategy hands over, in order. */
class Recording implements EntrySink {
  keys: number[] = [];
  values: number[] = [];
  reset(): void {
    this.keys = [];
    this.values = [];
  }
  add(key: number, value: number): void {
    this.keys.push(key);
    this.values.push(value);
  }
  addMany(keys: Uint32Array, values: Int32Array, n: number): void {
    for (let i = 0; i < n; i++) this.add(keys[i]!, values[i]!);
  }
  addManyRaw(keyBytes: Uint8Array, valueBytes: Uint8Array, n: number, keySize: number, valueStride: number): void {
    for (let i = 0; i < n; i++) this.addRaw(keyBytes, i * keySize, valueBytes, i * valueStride);
  }
  addRaw(keyBytes: Uint8Array, ko: number, valueBytes: Uint8Array, vo: number): void {
    const k = new DataView(keyBytes.buffer, keyBytes.byteOffset);
    const v = new DataView(valueBytes.buffer, valueBytes.byteOffset);
    this.add(k.getUint32(ko, true), v.getInt32(vo, true));
  }
}

/** What the kernel answered the reader, call by call: each GET_NEXT_KEY's key (undefined: ENOENT), each LOOKUP_ELEM's key and whether it found it. */
interface Spied {
  nextKeys: (number | undefined)[];
  lookups: { key: number; found: boolean }[];
}

/** The map's per-element readers, watched: every answer the kernel gives them is written down in `spied`. */
function spyOnElemReaders(map: BpfMap, spied: Spied): () => void {
  const make = map.elemReader;
  map.elemReader = function (this: BpfMap) {
    const r = make.call(this);
    const nextKey = r.nextKey.bind(r);
    const lookup = r.lookup.bind(r);
    r.nextKey = () => {
      const more = nextKey();
      spied.nextKeys.push(more ? r.keyU32[0]! : undefined);
      return more;
    };
    r.lookup = () => {
      const found = lookup();
      spied.lookups.push({ key: r.keyU32[0]!, found });
      return found;
    };
    return r;
  };
  return () => {
    map.elemReader = make;
  };
}

/** What the test itself computes from a recording, with no code of the sink's. */
function oracle(rec: Recording) {
  const stable = (k: number) => k < N && k % EVERY !== 0;
  const times = new Map<number, number>();
  for (const k of rec.keys) times.set(k, (times.get(k) ?? 0) + 1);
  let stableOnce = 0;
  let stableDuplicates = 0;
  for (const [k, c] of times) if (stable(k)) c === 1 ? stableOnce++ : stableDuplicates++;
  // The walk's beginning: its first stable key (stable keys never move, so a walk from the first bucket meets it first).
  const first = rec.keys.find(stable);
  const at = rec.keys.flatMap((k, i) => (k === first ? [i] : []));
  // Each later reading of it is a return to the beginning; those within RESTART_JUMP entries of the previous one are
  // too close to tell from a revisit of its bucket.
  const returns = at.length - 1;
  const near = at.filter((p, i) => i > 0 && p - at[i - 1]! <= RESTART_JUMP).length;
  return {
    entries: rec.keys.length,
    distinct: times.size,
    stableOnce,
    stableDuplicates,
    stableMissed: SPACE.entries - Math.ceil(N / EVERY) - stableOnce - stableDuplicates,
    volatileSeen: rec.keys.filter((k) => !stable(k) && k < N + SPACE.fresh).length,
    stray: rec.keys.filter((k) => k >= N + SPACE.fresh).length,
    wrongValues: rec.values.filter((v) => v !== (FILL_VALUE | 0)).length,
    returns,
    near,
  };
}

test('the per-element walk under deletes, held to the kernel: the recording is the whole walk, it re-reads, and ConsistencySink counts what the recording shows', (t) => {
  const bench = benchMap();
  const kc = startCounter();
  const k0 = newKernelCounts();
  const k1 = newKernelCounts();
  const spied: Spied = { nextKeys: [], lookups: [] };
  const unspy = spyOnElemReaders(bench.map, spied);
  const w = Writers.start(bench.writerProgFd!, SPACE, setting(1, ['delete', 'insert']));
  const p = elem.prepare(bench.map, { chunk: 1, loop: 'js' });
  const rec = new Recording();
  const sink = new ConsistencySink(SPACE);
  const maxEntries = writersCapacity(N, EVERY);
  const volatile = (k: number) => k >= N || k % EVERY === 0;
  let reReading = 0;
  let restarted = 0;
  try {
    kc.counter.countApart(w.tids());
    for (let walk = 1; walk <= 3; walk++) {
      rec.reset();
      spied.nextKeys.length = 0;
      spied.lookups.length = 0;
      kc.counter.read(k0);
      w.run();
      let aborted = false;
      try {
        p.read(rec);
      } catch (e) {
        if (!(e instanceof MapChangedError)) throw e;
        aborted = true;
      } finally {
        w.pause();
        kc.counter.read(k1);
      }
      w.restore();
      const o = oracle(rec);

      // (a) The recording is the whole walk. The reader thread made GET_NEXT_KEY and LOOKUP_ELEM calls alone, by the
      // kernel's count. elem.ts looks up each key GET_NEXT_KEY gives it, so LOOKUP_ELEM = GET_NEXT_KEY - 1 either way:
      // a walk to the end adds the ENOENT that ends it; a walk that gives up stops after max_entries + 1 keys, before
      // the last one's lookup. A lookup of a key deleted since its GET_NEXT_KEY misses and hands the sink nothing
      // (only a volatile key can be deleted): entries = LOOKUP_ELEM - misses, misses counted by the spy on the
      // reader, which the kernel's count says saw every call.
      const calls = Object.fromEntries(Array.from({ length: CMD_SLOTS }, (_, i) => [cmdLabel(i), k1.bpf[i]! - k0.bpf[i]!]).filter(([, d]) => (d as number) > 0));
      const gnk = calls.GET_NEXT_KEY as number;
      assert.deepEqual(calls, { GET_NEXT_KEY: gnk, LOOKUP_ELEM: gnk - 1 }, `walk ${walk}: the reader's calls, by the kernel`);
      assert.equal(spied.nextKeys.length, gnk, 'the spy saw every GET_NEXT_KEY');
      assert.equal(spied.lookups.length, gnk - 1, 'and every LOOKUP_ELEM');
      const missed = spied.lookups.filter((l) => !l.found);
      assert.ok(
        missed.every((l) => volatile(l.key)),
        'only a volatile key vanishes between its GET_NEXT_KEY and its lookup',
      );
      assert.deepEqual(
        rec.keys,
        spied.lookups.filter((l) => l.found).map((l) => l.key),
        'the sink was handed every key found, in order',
      );
      assert.equal(o.entries, gnk - 1 - missed.length, `walk ${walk}: entries recorded = GET_NEXT_KEY - 1 - missed lookups`);
      if (aborted) assert.equal(gnk, maxEntries + 1, 'a walk that gave up: max_entries + 1 keys, the last not looked up');
      else assert.equal(spied.nextKeys.at(-1), undefined, 'a walk to the end: its last GET_NEXT_KEY said ENOENT');

      // (b) Re-reads, by the kernel: a walk that read no key twice steps on each key it reads or misses once, so it
      // needs at most distinct + missed + 1 GET_NEXT_KEY calls. A walk that gave up made more steps than the map can
      // hold keys: it cannot have done without starting over.
      const reReads = gnk - 1 - missed.length - o.distinct;
      assert.ok(reReads >= 0);
      if (reReads > 0) reReading++;
      if (aborted) assert.ok(o.returns > 0, `walk ${walk} gave up: it returned to its beginning`);

      // (c) The same recording replayed into ConsistencySink: its figures are the oracle's.
      sink.expectExact(false);
      sink.reset();
      for (let i = 0; i < rec.keys.length; i++) sink.add(rec.keys[i]!, rec.values[i]!);
      const c = sink.consistency();
      assert.deepEqual(
        {
          entries: sink.verdict().entries,
          stableOnce: c.stableOnce,
          stableDuplicates: c.stableDuplicates,
          stableMissed: c.stableMissed,
          volatileSeen: c.volatileSeen,
          stray: c.stray,
          wrongValues: c.wrongValues,
        },
        { entries: o.entries, stableOnce: o.stableOnce, stableDuplicates: o.stableDuplicates, stableMissed: o.stableMissed, volatileSeen: o.volatileSeen, stray: 0, wrongValues: 0 },
        `walk ${walk}: the sink's figures`,
      );
      assert.equal(o.stray + o.wrongValues, 0, "writers write only their key space, with the loader's value");
      // Restarts: every restart sends the walk back to the first bucket, where it meets its first stable key again.
      // The sink counts those returns but the ones within RESTART_JUMP entries of the previous (a bucket's revisit
      // looks the same); a restart before the walk reaches that key again is not a return (it is among the first few
      // entries: the key is one of the first bucket's).
      assert.equal(c.restarts, o.returns - o.near, `walk ${walk}: restarts = returns to the beginning (${o.returns}) - those too near (${o.near})`);
      // Each stable key read twice or more is at least one entry read again: the kernel's count must leave room for it.
      assert.ok(c.stableDuplicates <= reReads, `walk ${walk}: ${c.stableDuplicates} stable keys read again, ${reReads} re-read entries by the kernel's count`);
      if (c.restarts > 0) restarted++;
      t.diagnostic(
        `walk ${walk}: ${aborted ? 'gave up' : 'to the end'}; kernel GET_NEXT_KEY ${gnk}, LOOKUP_ELEM ${gnk - 1}; entries ${o.entries}, missed ${missed.length}, distinct ${o.distinct}, re-read ${reReads}; stable duplicates ${o.stableDuplicates}; returns to the beginning ${o.returns} (${o.near} near), restarts ${c.restarts}`,
      );
    }
  } finally {
    kc.counter.countApart([]);
    p.free();
    unspy();
    w.close();
    kc.close();
    bench.close();
  }
  assert.ok(reReading > 0, 'a walk under deletes re-read keys, by the kernel');
  assert.ok(restarted > 0, 'and restarted');
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

test('run --writers 1 with deletes: the per-element walk re-reads stable keys or gives up; batch reads each once; the JSON says so', (t) => {
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
  // elem under deletes, held to the kernel: the audited read under writers (writers.bpfCalls.read: what it handed
  // over) against the kernel's count of the reader's calls. elem.ts looks up each key GET_NEXT_KEY gives it:
  // LOOKUP_ELEM = GET_NEXT_KEY - 1 whether the walk ends (the last GET_NEXT_KEY is the ENOENT) or gives up (after
  // max_entries + 1 keys, before the last one's lookup); a lookup of a key deleted since misses and hands over nothing.
  const ek = e.writers.bpfCalls;
  const rd = ek.read;
  const rc = rd.consistency;
  const gnk = ek.reader.kernel.GET_NEXT_KEY;
  assert.deepEqual(ek.reader.kernel, { GET_NEXT_KEY: gnk, LOOKUP_ELEM: gnk - 1 }, 'elem under writers: GET_NEXT_KEY and LOOKUP_ELEM alone');
  if (rd.aborted) assert.equal(gnk, j.config.maxEntries + 1, 'a walk that gave up stepped on max_entries + 1 keys');
  const missed = gnk - 1 - rd.entries;
  assert.ok(missed >= 0 && missed < j.config.writers.volatileKeys, `${missed} lookups missed (only volatile keys vanish, and seldom)`);
  assert.equal(rc.stray + rc.wrongValues, 0);
  // A walk that read no key twice steps on each key it reads or misses once: it needs at most one GET_NEXT_KEY per
  // stable key read (stableOnce + stableDuplicates), per volatile entry read and per miss, and one more. The kernel's
  // calls beyond that are stable keys read again: there are some exactly when the sink says stable keys were read
  // twice, at least one per such key; more than RESTART_JUMP of them is more than revisits of a bucket (a few
  // entries each, rare under delete,insert) can make: the walk started over, and the sink must say so; and a walk
  // that gave up made more steps than the map can hold keys: it started over too.
  const withoutReReads = rc.stableOnce + rc.stableDuplicates + rc.volatileSeen + missed + 1;
  const reRead = gnk - withoutReReads;
  t.diagnostic(
    `elem audited under writers: kernel GET_NEXT_KEY ${gnk}, entries ${rd.entries}, missed ${missed}, stable re-read ${reRead}, duplicates ${rc.stableDuplicates}, restarts ${rc.restarts}, aborted ${rd.aborted}; rounds aborted ${e.writers.aborted}, restarts ${e.consistency.perRead.map((c: { restarts: number }) => c.restarts)}`,
  );
  assert.ok(reRead >= 0);
  assert.equal(rc.stableDuplicates > 0, reRead > 0, `stable keys read twice: ${rc.stableDuplicates} by the sink, ${reRead} entries re-read by the kernel's count`);
  assert.ok(reRead >= rc.stableDuplicates);
  if (reRead > RESTART_JUMP || rd.aborted) assert.ok(rc.restarts > 0, `${reRead} entries re-read${rd.aborted ? ', the walk gave up' : ''}: it started over`);
  if (rc.restarts > 0) assert.ok(rc.stableDuplicates > 0, 'a restart reads the first stable key again');
  // And the writer did change the map under the walk: the audited read re-read, by the kernel's count, or a round gave up.
  assert.ok(reRead > 0 || e.writers.aborted > 0, `elem under deletes: ${JSON.stringify(rc)}`);
  for (const c of b.consistency.perRead) {
    assert.equal(c.stableDuplicates, 0, 'a batch walk is consistent per bucket');
    assert.equal(c.stableMissed, 0);
    assert.equal(c.restarts, 0);
    assert.equal(c.stableOnce, 57_344);
  }
  assert.match(r.stdout, /under 1 writer \(delete,insert, back to back\)/);
  assert.match(r.stdout, /^batch\(1024\) +[\d,.]+ +[\d,.]+ .* 0 +0 +0 +0\/2 +0\/0$/m);
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
