// What one measured read records (its times, calls, memory, the kernel's
// count and the audit), and the arithmetic on those counts: the kernel's
// deltas, whether they agree with bpfbench's own count and with the audit.
import { CMD_SLOTS, cmdLabel } from '../../bpf/syscall/constants.js';
import type { KernelCounts } from '../../bpf/programs/counter.js';
import type { LatencyHistogram } from '../../bpf/native/latency.js';
import type { NoiseCounters } from '../../bpf/syscall/noise.js';
import type { ShardsReport } from '../../strategies/index.js';
import type { Verdict } from '../verification/verdict.js';

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
