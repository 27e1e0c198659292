// One measured read: the strategy's read and nothing else between two
// hrtime readings, and around them its CPU time, bpf calls by command (our
// own count), heap growth and GCs. And the kernel's audit: one UNTIMED read
// with the syscall counter attached (a warmup read, or a read of its own,
// stopped after a bounded prefix of a large map), never a timed one: the
// counter's tracepoints slow every syscall of the machine.
import { GCProfiler } from 'node:v8';
import { CMD_SLOTS, cmdLabel } from '../../bpf/syscall/constants.js';
import { newKernelCounts, type KernelCounts, type SyscallCounter } from '../../bpf/programs/counter.js';
import { LatencyHistogram } from '../../bpf/native/latency.js';
import { callPhase } from '../../bpf/syscall/call-account.js';
import { callCounts, callsSince } from '../../bpf/syscall/syscall.js';
import { noiseCounters, noiseSince, type NoiseCounters } from '../../bpf/syscall/noise.js';
import type { EntrySink } from '../../strategies/sink.js';
import { MapChangedError } from '../../strategies/elem.js';
import type { PreparedRead, ReadReport, ShardsReport } from '../../strategies/index.js';
import type { Progress } from './progress.js';
import type { Verdict, VerifyingSink } from '../verification/verdict.js';
import type { WallAccount } from './wall-time.js';

/** Syscalls of one read as the kernel counted them (every thread of the process). */
export interface KernelSample {
  total: number;
  bpfTotal: number;
  bpf: Record<string, number>;
  /**
   * ns spent inside bpf(2) by command (sys_enter to sys_exit, every thread),
   * for commands with time; undefined when the counter's exit program is
   * not loaded.
   */
  bpfNs?: Record<string, number>;
}

/** Memory of one read, in terms comparable with Go's runtime.MemStats. */
export interface MemorySample {
  heapUsedDeltaBytes: number;
  /** external + arrayBuffers growth. */
  externalDeltaBytes: number;
  /** Peak RSS of the process so far (getrusage maxRSS). */
  rssPeakBytes: number;
  /**
   * Bytes allocated on the V8 heap during the read (Go's TotalAlloc delta):
   * heap growth plus what each GC in the read freed (GCProfiler's before/after
   * used heap).
   */
  allocatedBytes: number;
  gcCount: number;
  gcPauseNs: number;
}

/** One measured read. */
export interface ReadSample {
  wallNs: number;
  userNs: number;
  sysNs: number;
  /** bpf calls by command, counted by our own syscall wrapper. */
  bpf: Record<string, number>;
  memory: MemorySample;
  counted: number;
  /** Chunked reads: the chunk at the end of this read, and ENOSPC growths so far. */
  chunk: number | undefined;
  chunkGrowths: number;
  verdict: Verdict;
  /** Which read this was: 'run 1', or 'warmup 1/1' for a warmup that failed. */
  phase: string;
  /** What disturbed it: steal time, the thread's involuntary switches and migrations, read just outside its timed span. */
  noise?: NoiseCounters;
  /** The duration of its bpf calls (iter: read(2) calls), all or sampled; absent when the read timed none (or was cut short). */
  callLatency?: LatencyHistogram;
  /**
   * The per-element walk gave up (more GET_NEXT_KEY steps than max_entries:
   * the map changed underneath): the read is what it delivered until then,
   * and its verdict says so. Absent when the walk ended.
   */
  aborted?: { steps: number };
  /** A sharded read (strategies/sharded.ts): its threads, the overlap it removed, each shard's entries, calls and time. */
  shards?: ShardsReport;
}

/** The verdict's words for a walk that gave up after `steps` keys. */
export function abortedProblem(steps: number, delivered: number): string {
  return `walk aborted after ${steps.toLocaleString('en-US')} GET_NEXT_KEY steps (max_entries + 1: the map changed underneath), ${delivered.toLocaleString('en-US')} entries read until then`;
}

/**
 * What the audited read was: the (first) warmup read, or, without a warmup,
 * an untimed read of its own: the whole map ('full'), or a prefix of it
 * stopped after a bound ('prefix'; see measure-strategy.ts AUDIT_BOUNDS).
 */
export type AuditRead = 'warmup' | 'prefix' | 'full';

/** The read the kernel counter watched, and whether its count matched ours. */
export interface Audit {
  read: AuditRead;
  /** Its label: 'warmup 1/1', or 'audit'. */
  phase: string;
  /** Entries the read delivered (a prefix: the bound, or the hand-over that crossed it). */
  entries: number;
  /** Its wall time, tracepoints attached (the kernel time's denominator). */
  wallNs: number;
  kernel: KernelSample;
  /** Our own count of the same read. */
  bpf: Record<string, number>;
  /** Kernel and self counts agree on this read. */
  agree: boolean;
  /** ENOSPC growths of the chunk up to the end of this read (0: the chunk it began with). */
  chunkGrowths?: number;
  /** The same read's own call timings (the latency code's clock, beside the kernel's); undefined when not timed (a prefix cut short). */
  callLatency?: LatencyHistogram;
}

/** Kernel counts between two readings, bpf calls (and their time) keyed by bare command name. */
export function kernelDelta(a: KernelCounts, b: KernelCounts): KernelSample {
  const bpf: Record<string, number> = {};
  for (let i = 0; i < CMD_SLOTS; i++) {
    const d = b.bpf[i]! - a.bpf[i]!;
    if (d > 0) bpf[cmdLabel(i)] = d;
  }
  const out: KernelSample = { total: b.total - a.total, bpfTotal: b.bpfTotal - a.bpfTotal, bpf };
  if (a.bpfNs && b.bpfNs) {
    const ns: Record<string, number> = {};
    for (let i = 0; i < CMD_SLOTS; i++) {
      const d = b.bpfNs[i]! - a.bpfNs[i]!;
      if (d > 0) ns[cmdLabel(i)] = d;
    }
    out.bpfNs = ns;
  }
  return out;
}

/** The other threads' bpf calls between two readings (KernelCounts.otherBpf, split threads), by bare command name. */
export function otherThreadsDelta(a: KernelCounts, b: KernelCounts): { bpf: Record<string, number>; bpfTotal: number } {
  const bpf: Record<string, number> = {};
  for (let i = 0; i < CMD_SLOTS; i++) {
    const d = b.otherBpf[i]! - a.otherBpf[i]!;
    if (d > 0) bpf[cmdLabel(i)] = d;
  }
  return { bpf, bpfTotal: b.otherBpfTotal - a.otherBpfTotal };
}

/** Kernel and self counts agree on every command and on the total of bpf calls. */
export function countsAgree(self: Record<string, number>, kernel: KernelSample): boolean {
  const names = new Set([...Object.keys(self), ...Object.keys(kernel.bpf)]);
  for (const n of names) if ((self[n] ?? 0) !== (kernel.bpf[n] ?? 0)) return false;
  return Object.values(self).reduce((a, b) => a + b, 0) === kernel.bpfTotal;
}

/**
 * Whether a timed read made the calls the kernel vouched for in the audit.
 * A full audit (or a warmup): the same count for every command. A prefix of
 * M entries against a timed read of N: every command's count scaled by M/N
 * within one call (the walk's terminal call, or the prefix's last call
 * cut short): elem's M GET_NEXT_KEY + M LOOKUP_ELEM against N+1 and N.
 */
export function matchesAudit(audit: Pick<Audit, 'read' | 'entries' | 'kernel'>, bpf: Record<string, number>, entries: number): boolean {
  const seen = audit.kernel.bpf;
  const names = new Set([...Object.keys(seen), ...Object.keys(bpf)]);
  const prefix = audit.read === 'prefix' && entries > 0;
  for (const n of names) {
    const a = seen[n] ?? 0;
    const t = bpf[n] ?? 0;
    if (prefix ? Math.abs(a - (t * audit.entries) / entries) > 1 : a !== t) return false;
  }
  return true;
}

/** Thrown by the bounded audit sink once the prefix is delivered; only Sampler.audit catches it. */
class AuditBoundReached extends Error {
  constructor() {
    super('the audit prefix is complete');
    this.name = 'AuditBoundReached';
  }
}
const BOUND_REACHED = new AuditBoundReached();

/**
 * The audit read's sink: forwards every entry to the verifier, then stops
 * the read (throws) once `bound` entries are delivered. A strategy delivers
 * one entry or one hand-over at a time, so the read stops at the first
 * delivery that reaches the bound. Timed reads never see it.
 */
class BoundedSink implements EntrySink {
  delivered = 0;
  constructor(
    private readonly inner: EntrySink,
    private readonly bound: number,
  ) {}

  private took(n: number): void {
    this.delivered += n;
    if (this.delivered >= this.bound) throw BOUND_REACHED;
  }

  add(key: number, value: number): void {
    this.inner.add(key, value);
    this.took(1);
  }

  addMany(keys: Uint32Array, values: Int32Array, n: number): void {
    this.inner.addMany(keys, values, n);
    this.took(n);
  }

  addManyRaw(keyBytes: Uint8Array, valueBytes: Uint8Array, n: number, keySize: number, valueStride: number): void {
    this.inner.addManyRaw(keyBytes, valueBytes, n, keySize, valueStride);
    this.took(n);
  }

  addRaw(keyBytes: Uint8Array, keyOff: number, valueBytes: Uint8Array, valueOff: number): void {
    this.inner.addRaw(keyBytes, keyOff, valueBytes, valueOff);
    this.took(1);
  }
}

interface GcStat {
  cost: number;
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

/** A read's memory figures from the process's memory before and after it and the GCs inside it. */
function memoryOf(mem0: NodeJS.MemoryUsage, mem1: NodeJS.MemoryUsage, gcs: GcStat[]): MemorySample {
  const freed = gcs.reduce((a, g) => a + (g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize), 0);
  return {
    heapUsedDeltaBytes: mem1.heapUsed - mem0.heapUsed,
    externalDeltaBytes: mem1.external + mem1.arrayBuffers - (mem0.external + mem0.arrayBuffers),
    rssPeakBytes: process.resourceUsage().maxRSS * 1024,
    allocatedBytes: Math.max(0, mem1.heapUsed - mem0.heapUsed + freed),
    gcCount: gcs.length,
    gcPauseNs: gcs.reduce((a, g) => a + g.cost * 1000, 0),
  };
}

export interface SamplerOptions {
  prepared: PreparedRead;
  sink: VerifyingSink;
  progress: Progress;
  /** The strategy's label, in front of each phase on the progress line. */
  label: string;
  /** The kernel-side syscall counter: attached for the audited read alone (audited()). */
  counter?: SyscallCounter;
  /** The run's wall-time account: each read's own time, and the time around it. */
  account?: WallAccount;
}

/** Measures the reads of one prepared strategy, one at a time. */
export class Sampler {
  /** The kernel's audit (undefined without a counter, or before audited()). */
  audit: Audit | undefined;
  private readonly o: SamplerOptions;
  private readonly k0 = newKernelCounts();
  private readonly k1 = newKernelCounts();
  private readonly self0 = new Float64Array(CMD_SLOTS);

  constructor(o: SamplerOptions) {
    this.o = o;
  }

  /**
   * One full read into the sink, measured and judged. The window between t0
   * and t1 holds the strategy's read and nothing else; every other figure
   * is taken outside it. The kernel counter is not attached.
   */
  read(phase: string): ReadSample {
    return this.measured(phase, undefined, undefined).sample;
  }

  /**
   * The audit: one untimed read with the kernel counter attached, its
   * counts set as `audit` (set once: later calls are plain reads). `kind`
   * 'warmup': a warmup read, returned as its sample. Otherwise a read of
   * its own, into a sink that stops it after `bound` entries (none: the
   * whole map); 'prefix' if it stopped there, 'full' if the map ended first.
   * The sample of a stopped read is not a verdict on the map.
   */
  audited(phase: string, kind: 'warmup' | 'own', bound?: number): ReadSample {
    const counter = this.audit === undefined ? this.o.counter : undefined;
    const { sample, cut, entries } = this.measured(phase, counter, kind === 'own' ? bound : undefined);
    if (counter) {
      const kernel = kernelDelta(this.k0, this.k1);
      const read: AuditRead = kind === 'warmup' ? 'warmup' : cut ? 'prefix' : 'full';
      this.audit = { read, phase, entries, wallNs: sample.wallNs, kernel, bpf: sample.bpf, agree: countsAgree(sample.bpf, kernel) };
      if (sample.callLatency) this.audit.callLatency = sample.callLatency;
      this.audit.chunkGrowths = sample.chunkGrowths;
    }
    return sample;
  }

  /**
   * Forgets the audit, so that the next audited() read is audited: the
   * first audit grew the chunk (ENOSPC), so its calls are not those the
   * timed reads, at the grown chunk, make.
   */
  forgetAudit(): void {
    this.audit = undefined;
  }

  private measured(phase: string, counter: SyscallCounter | undefined, bound: number | undefined): { sample: ReadSample; cut: boolean; entries: number } {
    const { prepared, sink, progress, label } = this.o;
    const start = process.hrtime.bigint();
    // The process's account of bpf calls (call-account.ts): the read's own calls in a phase of its own, set outside its memory and time windows.
    const around = `${label}: around reads`;
    callPhase(around);
    const bounded = bound === undefined ? undefined : new BoundedSink(sink, bound);
    prepared.beforeRead?.();
    counter?.attach();
    progress.start(`${label} ${phase}`, bound === undefined ? sink.total : Math.min(bound, sink.total || bound), 'entries');
    sink.reset((n) => progress.update(n));
    callPhase(`${label}: ${phase}${counter ? ' (audited)' : ''}`);
    const gc = new GCProfiler();
    gc.start();
    const mem0 = process.memoryUsage();
    const cpu0 = process.cpuUsage();
    this.self0.set(callCounts);
    counter?.read(this.k0);
    const noise0 = noiseCounters();
    const t0 = process.hrtime.bigint();
    let report: ReadReport | undefined;
    let aborted: MapChangedError | undefined;
    try {
      report = prepared.read(bounded ?? sink);
    } catch (e) {
      // A walk that gave up has read what it read: reported, not lost.
      if (e instanceof MapChangedError) aborted = e;
      else if (e !== BOUND_REACHED) {
        counter?.detach();
        gc.stop();
        callPhase(around);
        progress.end();
        throw e;
      }
    }
    const t1 = process.hrtime.bigint();
    const noise = noiseSince(noise0, noiseCounters());
    counter?.read(this.k1);
    const bpf = callsSince(this.self0);
    counter?.detach();
    const cpu = process.cpuUsage(cpu0);
    const mem1 = process.memoryUsage();
    const gcs = (gc.stop()?.statistics ?? []) as unknown as GcStat[];
    callPhase(around);
    const memory = memoryOf(mem0, mem1, gcs);
    progress.end();
    const verdict = sink.verdict();
    const after = prepared.afterRead?.();
    // A read stopped after its prefix is no verdict on the map (a drain is not empty after it).
    const cut = report === undefined && aborted === undefined;
    if (aborted) {
      verdict.ok = false;
      verdict.problems.unshift(abortedProblem(aborted.steps, verdict.entries));
    } else if (after && !cut) {
      verdict.ok = false;
      verdict.problems.push(after);
    }
    const { counted, chunk, chunkGrowths = 0 } = report ?? { counted: aborted ? aborted.steps : bounded!.delivered };
    const sample: ReadSample = { wallNs: Number(t1 - t0), userNs: cpu.user * 1000, sysNs: cpu.system * 1000, bpf, memory, counted, chunk, chunkGrowths, verdict, phase, noise };
    if (aborted) sample.aborted = { steps: aborted.steps };
    // Copied out of the reader (the next read overwrites it), after the timed window.
    if (report?.callLatency) sample.callLatency = LatencyHistogram.of(report.callLatency);
    const account = this.o.account;
    if (account) {
      const kind = counter ? 'audit read' : phase.startsWith('warmup') ? 'warmup reads' : phase === 'audit' ? 'audit read' : 'timed reads';
      account.add(`${label}: ${kind}`, sample.wallNs, true);
      account.add('around each read: reset, counters, verdict', Number(process.hrtime.bigint() - start) - sample.wallNs, false);
    }
    if (report?.shards) {
      const r = report.shards;
      sample.shards = { threads: r.threads, overlap: { ...r.overlap }, perShard: { entries: [...r.perShard.entries], calls: [...r.perShard.calls], ns: [...r.perShard.ns] } };
    }
    return { sample, cut, entries: cut ? bounded!.delivered : verdict.entries };
  }
}
