// One strategy read while in-kernel writers change the map (run --writers),
// against the same strategy without them, in the same run and on the same
// map. Each round is:
//
//   1. a read without writers (the map as the loader wrote it: it must be
//      exact, which also checks that the last restore restored it),
//   2. the writers start (each has made a call), a read under them, the
//      writers pause: their ops in the window around that read,
//   3. the writers alone for as long as that read took: their ops with no
//      reader (the reader's cost to the datapath is 3 against 2),
//   4. the map restored to what the loader wrote (writers paused).
//
// Both reads go to the same ConsistencySink, so the reader's figures differ
// only by the writers. Duplicates, misses and restarts under writers are
// the strategy's behaviour and reported; a stray key or a wrong value
// fails the read. A per-element walk that gives up (the max_entries bound)
// is reported as aborted, with what it read, and the rounds go on.
import { newKernelCounts, type SyscallCounter } from '../../bpf/programs/counter.js';
import type { BpfMap } from '../../bpf/maps/map.js';
import { strategyLabelWithThreads, type ReadLoop, type Strategy } from '../../strategies/index.js';
import type { Consistency, ConsistencySink } from '../verification/consistency.js';
import type { Progress } from '../measuring/progress.js';
import { countsAgree, kernelDelta, otherThreadsDelta, type ReadSample } from '../measuring/read-sample.js';
import { Sampler } from '../measuring/sample.js';
import { summarize } from '../measuring/stats.js';

export interface WritersRound {
  /** The read without writers (exact, or a failure). */
  alone: ReadSample;
  /** The read under writers. */
  loaded: ReadSample;
  /** What the read under writers saw. */
  consistency: Consistency;
  /** Writer ops completed in the window around the read under writers, and that window (ns). */
  opsDuringRead: number;
  duringNs: number;
  /** Writer ops with no reader, in a window as long as that read, and the window (ns). */
  opsAlone: number;
  aloneNs: number;
}

export interface WritersMeasurement {
  label: string;
  rounds: WritersRound[];
  /** Median wall / entries of the reads without writers, and under them. */
  readerNsPerEntryAlone: number;
  readerNsPerEntryDuring: number;
  /** Writer ops per second (all writers), alone and during the reads. */
  opsPerSecAlone: number;
  opsPerSecDuringRead: number;
  /** Reads under writers whose walk gave up. */
  aborted: number;
  /** A read without writers was not exact, or a read under them saw a stray key or a wrong value. */
  failed: boolean;
  /** The first problem, for the report. */
  problems: string[];
  /** The kernel's count of one untimed read under writers, by thread; undefined without the kernel count. */
  bpfCalls?: WritersBpfCalls;
}

/**
 * One untimed read under writers with the kernel counter attached, its
 * threads counted apart: the reader (every thread of the process but the
 * writers': the main one, and a sharded read's C threads) against its own
 * count, the writer threads, known by their ids, against theirs (each
 * writer counts its calls).
 */
export interface WritersBpfCalls {
  /** The reader's bpf calls: its own count, the kernel's, and whether they are equal command by command. */
  reader: { self: Record<string, number>; kernel: Record<string, number>; agree: boolean };
  /** The writers' bpf calls in the same window (from before they started to after they paused): their own count (PROG_TEST_RUN), the kernel's. */
  writers: { self: Record<string, number>; kernel: Record<string, number>; agree: boolean };
  /**
   * What that read handed over: entries (repeats included), whether its walk
   * gave up, and what it saw. The reader's kernel-counted calls are held
   * against these (a walk that read no key twice needs at most one
   * GET_NEXT_KEY per key it read or missed, and one more).
   */
  read: { entries: number; aborted: boolean; consistency: Consistency };
}

export type WriteOp = 'update' | 'delete' | 'insert';
export const WRITE_OPS: readonly WriteOp[] = ['update', 'delete', 'insert'];

/** run --writers N [--write-rate OPS|max] [--write-mix …]: the writers a run reads under. */
export interface WritersSetting {
  n: number;
  /** Ops per second per writer, or back to back. */
  rate: number | 'max';
  mix: readonly WriteOp[];
  /** Every volatileEvery-th loaded key is volatile (the writers' own); the rest are stable. */
  volatileEvery: number;
}

/** What a round needs of the writers (writers.ts Writers). */
export interface WriterPool {
  /** Starts every writer; returns once each has made a call. */
  run(): void;
  /** Returns once every writer is idle. */
  pause(): void;
  /** Only while paused: the map back to what the loader wrote. */
  restore(): void;
  totals(): { ops: number; calls: number };
  /** The writer threads' ids (/proc/thread-self), for the kernel count to tell them from the reader's threads. */
  tids(): readonly number[];
}

export interface UnderWritersOptions {
  map: BpfMap;
  strategy: Strategy;
  chunk: number;
  writers: WriterPool;
  /** How many writers the pool runs (for the phase names). */
  writerCount: number;
  sink: ConsistencySink;
  rounds: number;
  progress: Progress;
  loop?: ReadLoop;
  /** Threads of a sharded strategy. */
  threads?: number;
  iterProgFd?: number;
  strictChunk?: boolean;
  /** The kernel's syscall counter: one untimed read under writers is audited with it (threads apart). */
  counter?: SyscallCounter;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ns` (the writers run in their own threads meanwhile). */
function sleepNs(ns: number): void {
  const until = process.hrtime.bigint() + BigInt(Math.round(ns));
  for (let left = until - process.hrtime.bigint(); left > 0n; left = until - process.hrtime.bigint()) Atomics.wait(sleeper, 0, 0, Number(left) / 1e6);
}

/** ns per entry of a read (entries delivered, repeats included). */
const perEntry = (s: ReadSample) => s.wallNs / Math.max(1, s.verdict.entries);

export function measureUnderWriters(o: UnderWritersOptions): WritersMeasurement {
  const label = strategyLabelWithThreads(o.strategy, o.chunk, o.threads);
  const prepared = o.strategy.prepare(o.map, { chunk: o.chunk, strictChunk: o.strictChunk, iterProgFd: o.iterProgFd, loop: o.loop, threads: o.threads });
  const sampler = new Sampler({ prepared, sink: o.sink, progress: o.progress, label });
  const rounds: WritersRound[] = [];
  const w = o.writers;
  const n = o.writerCount;
  let bpfCalls: WritersBpfCalls | undefined;
  try {
    if (o.counter) bpfCalls = auditUnderWriters(o, sampler);
    for (let i = 1; i <= o.rounds; i++) {
      o.sink.expectExact(true);
      const alone = sampler.read(`no writers ${i}/${o.rounds}`);

      o.sink.expectExact(false);
      w.run();
      const d0 = w.totals().ops;
      const t0 = process.hrtime.bigint();
      const loaded = sampler.read(`under ${n} writer${n === 1 ? '' : 's'} ${i}/${o.rounds}`);
      const d1 = w.totals().ops;
      const duringNs = Number(process.hrtime.bigint() - t0);
      const consistency = o.sink.consistency();

      // The writers alone, as long as the read took (they are still running).
      const a0 = w.totals().ops;
      const s0 = process.hrtime.bigint();
      sleepNs(loaded.wallNs);
      const a1 = w.totals().ops;
      const aloneNs = Number(process.hrtime.bigint() - s0);
      w.pause();
      w.restore();
      rounds.push({ alone, loaded, consistency, opsDuringRead: d1 - d0, duringNs, opsAlone: a1 - a0, aloneNs });
      if (!alone.verdict.ok || (!loaded.verdict.ok && !loaded.aborted)) break;
    }
  } finally {
    w.pause();
    prepared.free();
  }
  const problems: string[] = [];
  for (const r of rounds) {
    if (!r.alone.verdict.ok) problems.push(`${r.alone.phase}: ${r.alone.verdict.problems.join('; ')}`);
    const bad = r.consistency.stray > 0 || r.consistency.wrongValues > 0;
    if (bad) problems.push(`${r.loaded.phase}: ${r.loaded.verdict.problems.filter((p) => !p.startsWith('walk aborted')).join('; ')}`);
  }
  if (bpfCalls && !bpfCalls.reader.agree)
    problems.push(`under writers, the kernel counted the reader's bpf calls ${JSON.stringify(bpfCalls.reader.kernel)}, bpfbench ${JSON.stringify(bpfCalls.reader.self)}`);
  if (bpfCalls && !bpfCalls.writers.agree) problems.push(`the kernel counted the writers' bpf calls ${JSON.stringify(bpfCalls.writers.kernel)}, the writers ${JSON.stringify(bpfCalls.writers.self)}`);
  const sum = (f: (r: WritersRound) => number) => rounds.reduce((a, r) => a + f(r), 0);
  return {
    bpfCalls,
    label,
    rounds,
    readerNsPerEntryAlone: summarize(rounds.map((r) => perEntry(r.alone))).median,
    readerNsPerEntryDuring: summarize(rounds.map((r) => perEntry(r.loaded))).median,
    opsPerSecAlone:
      (sum((r) => r.opsAlone) /
        Math.max(
          1,
          sum((r) => r.aloneNs),
        )) *
      1e9,
    opsPerSecDuringRead:
      (sum((r) => r.opsDuringRead) /
        Math.max(
          1,
          sum((r) => r.duringNs),
        )) *
      1e9,
    aborted: rounds.filter((r) => r.loaded.aborted).length,
    failed: problems.length > 0,
    problems,
  };
}

/**
 * The audit under writers: counter attached and the writers' threads
 * counted apart (by their ids), the writers started, one untimed read, the writers paused, the counter detached; the
 * map restored. Every writer call of the window lies inside it (they start
 * after the attach and are idle before the detach), so both counts are exact.
 */
function auditUnderWriters(o: UnderWritersOptions, sampler: Sampler): WritersBpfCalls {
  const counter = o.counter!;
  const k0 = newKernelCounts();
  const k1 = newKernelCounts();
  const w = o.writers;
  o.sink.expectExact(false);
  counter.countApart(w.tids());
  counter.attach();
  let read: ReadSample;
  let c0: number;
  let c1: number;
  try {
    counter.read(k0);
    c0 = w.totals().calls;
    w.run();
    read = sampler.read(`audit under ${o.writerCount} writer${o.writerCount === 1 ? '' : 's'}`);
    w.pause();
    c1 = w.totals().calls;
    counter.read(k1);
  } finally {
    counter.detach();
    counter.countApart([]);
    w.pause();
  }
  w.restore();
  const reader = kernelDelta(k0, k1);
  const writers = otherThreadsDelta(k0, k1);
  const writerSelf: Record<string, number> = c1 - c0 > 0 ? { PROG_TEST_RUN: c1 - c0 } : {};
  return {
    reader: { self: read.bpf, kernel: reader.bpf, agree: countsAgree(read.bpf, reader) },
    writers: { self: writerSelf, kernel: writers.bpf, agree: countsAgree(writerSelf, { total: 0, bpfTotal: writers.bpfTotal, bpf: writers.bpf }) },
    read: { entries: read.verdict.entries, aborted: read.aborted !== undefined, consistency: o.sink.consistency() },
  };
}
