// One measured read: the strategy's read and nothing else between two
// hrtime readings, and around them its CPU time, bpf calls by command (our
// own count), heap growth and GCs. And the kernel's audit: one UNTIMED read
// with the syscall counter attached (a warmup read, or a read of its own,
// stopped after a bounded prefix of a large map), never a timed one: the
// counter's tracepoints slow every syscall of the machine.
import { GCProfiler } from 'node:v8';
import { CMD_SLOTS } from '../../bpf/syscall/constants.js';
import { newKernelCounts, type SyscallCounter } from '../../bpf/programs/counter.js';
import { LatencyHistogram } from '../../bpf/native/latency.js';
import { callPhase } from '../../bpf/syscall/call-account.js';
import { callCounts, callsSince } from '../../bpf/syscall/syscall.js';
import { noiseCounters, noiseSince } from '../../bpf/syscall/noise.js';
import type { EntrySink } from '../../strategies/sink.js';
import { MapChangedError } from '../../strategies/elem.js';
import type { PreparedRead, ReadReport } from '../../strategies/index.js';
import type { Progress } from './progress.js';
import type { VerifyingSink } from '../verification/verdict.js';
import type { WallAccount } from './wall-time.js';
import { type MemorySample, type ReadSample, abortedProblem, type AuditRead, type Audit, kernelDelta, countsAgree } from './read-sample.js';

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
    // A drain's refill is kernel work (the fill's calls), accounted as such, not as the harness's own.
    const refill0 = process.hrtime.bigint();
    prepared.beforeRead?.();
    const refillNs = prepared.beforeRead ? Number(process.hrtime.bigint() - refill0) : 0;
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
      if (prepared.beforeRead) account.add('refill before each drain', refillNs, true);
      account.add('around each read: reset, counters, verdict', Number(process.hrtime.bigint() - start) - sample.wallNs - refillNs, false);
    }
    if (report?.shards) {
      const r = report.shards;
      sample.shards = { threads: r.threads, overlap: { ...r.overlap }, perShard: { entries: [...r.perShard.entries], calls: [...r.perShard.calls], ns: [...r.perShard.ns] } };
    }
    return { sample, cut, entries: cut ? bounded!.delivered : verdict.entries };
  }
}
