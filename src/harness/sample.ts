// One measured read: the strategy's read and nothing else between two
// hrtime readings, and around them its CPU time, bpf calls by command (our
// own count, and on an audited read the kernel's), heap growth and GCs.
import { GCProfiler } from 'node:v8';
import { CMD_SLOTS, cmdLabel } from '../bpf/constants.js';
import { newKernelCounts, type KernelCounts, type SyscallCounter } from '../bpf/counter.js';
import { callCounts, callsSince } from '../bpf/syscall.js';
import type { PreparedRead } from '../strategies/index.js';
import type { Progress } from './progress.js';
import type { Verdict, VerifyingSink } from './verdict.js';

/** Syscalls of one read as the kernel counted them (every thread of the process). */
export interface KernelSample {
  total: number;
  bpfTotal: number;
  bpf: Record<string, number>;
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
}

/** The read the kernel counter watched, and whether its count matched ours. */
export interface Audit {
  /** 'warmup 1/1' or 'run 1'. */
  read: string;
  kernel: KernelSample;
  bpf: Record<string, number>;
  agree: boolean;
}

/** Kernel counts between two readings, bpf calls keyed by bare command name. */
export function kernelDelta(a: KernelCounts, b: KernelCounts): KernelSample {
  const bpf: Record<string, number> = {};
  for (let i = 0; i < CMD_SLOTS; i++) {
    const d = b.bpf[i]! - a.bpf[i]!;
    if (d > 0) bpf[cmdLabel(i)] = d;
  }
  return { total: b.total - a.total, bpfTotal: b.bpfTotal - a.bpfTotal, bpf };
}

/** Kernel and self counts agree on every command and on the total of bpf calls. */
export function countsAgree(self: Record<string, number>, kernel: KernelSample): boolean {
  const names = new Set([...Object.keys(self), ...Object.keys(kernel.bpf)]);
  for (const n of names) if ((self[n] ?? 0) !== (kernel.bpf[n] ?? 0)) return false;
  return Object.values(self).reduce((a, b) => a + b, 0) === kernel.bpfTotal;
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
  /** The kernel-side syscall counter: it audits the first read only, attached for that read alone. */
  counter?: SyscallCounter;
}

/** Measures the reads of one prepared strategy, one at a time. */
export class Sampler {
  /** The kernel's audit of the first read (undefined without a counter, or before it). */
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
   * and t1 holds the strategy's read and nothing else: the kernel counters
   * are read by memory (no syscall) right at its edges, every other figure
   * outside it.
   */
  read(phase: string): ReadSample {
    const { prepared, sink, progress, label } = this.o;
    const counter = this.audit === undefined ? this.o.counter : undefined;
    prepared.beforeRead?.();
    counter?.attach();
    progress.start(`${label} ${phase}`, sink.total, 'entries');
    sink.reset((n) => progress.update(n));
    const gc = new GCProfiler();
    gc.start();
    const mem0 = process.memoryUsage();
    const cpu0 = process.cpuUsage();
    this.self0.set(callCounts);
    counter?.read(this.k0);
    const t0 = process.hrtime.bigint();
    const report = prepared.read(sink);
    const t1 = process.hrtime.bigint();
    counter?.read(this.k1);
    const bpf = callsSince(this.self0);
    counter?.detach();
    const cpu = process.cpuUsage(cpu0);
    const mem1 = process.memoryUsage();
    const gcs = (gc.stop()?.statistics ?? []) as unknown as GcStat[];
    const memory = memoryOf(mem0, mem1, gcs);
    progress.end();
    const verdict = sink.verdict();
    const after = prepared.afterRead?.();
    if (after) {
      verdict.ok = false;
      verdict.problems.push(after);
    }
    if (counter) {
      const kernel = kernelDelta(this.k0, this.k1);
      this.audit = { read: phase, kernel, bpf, agree: countsAgree(bpf, kernel) };
    }
    const { counted, chunk, chunkGrowths = 0 } = report;
    return { wallNs: Number(t1 - t0), userNs: cpu.user * 1000, sysNs: cpu.system * 1000, bpf, memory, counted, chunk, chunkGrowths, verdict };
  }
}
