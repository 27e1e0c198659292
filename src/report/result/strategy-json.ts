// The JSON of one strategy's reads in a run result (schemaVersion 1): what
// it verified, its wall times, its bpf calls as bpfbench and the kernel
// counted them, and what disturbed it. Types, and the one rule a row carries
// (when a read counts as disturbed). Later versions add fields; they never
// rename or remove one.
import type { CallLatency } from '../../bpf/native/latency.js';
import type { Verdict } from '../../harness/verification/verdict.js';
import type { Consistency } from '../../harness/verification/consistency.js';
import type { WritersBpfCalls } from '../../harness/writers/under-writers.js';
import type { AuditRead } from '../../harness/measuring/read-sample.js';

export const SCHEMA_VERSION = 1;

export interface ToolInfo {
  name: string;
  version: string;
}

export type VerifiedJson = Omit<Verdict, 'changedUnderneath' | 'keySum' | 'checksum'> & {
  expectedToFail: boolean;
  /**
   * A map bpfbench did not make: the read saw repeated keys, more entries
   * than max_entries, or its walk gave up, which only a map changed during
   * the read shows (a per-element walk restarts when its key is deleted).
   * Not the strategy's fault: the run is NOT VERIFIED, none is blamed.
   * Absent on a map bpfbench made.
   */
  inconsistentUnderChange?: boolean;
};

export interface KernelCountJson {
  total: number;
  bpf: Record<string, number>;
  bpfTotal: number;
}

export interface StrategyResultJson {
  strategy: string;
  label: string;
  chunk: number | null;
  runs: number;
  warmupRuns: number;
  verified: VerifiedJson;
  /** Entries the reader's own loop counted (what a naive tool would print). */
  counted: number;
  /** The chunk LOOKUP_BATCH ended with (larger than asked after ENOSPC growths); null for elem. */
  effectiveChunk: number | null;
  /** How often ENOSPC (a bucket larger than the chunk) doubled the chunk. */
  chunkGrowths: number;
  wallNs: { mean: number; sd: number; median: number; min: number; max: number; rme: number | null; samples: number[] };
  /**
   * What disturbed each timed read, in the order of wallNs.samples: the
   * machine's steal time, the reading thread's involuntary context switches
   * and CPU migrations (null: not exposed here), counted just outside the
   * timed span; `disturbed` by the rule of disturbedRead(). Absent in
   * results from before it was recorded.
   */
  noise?: NoiseJson[];
  /** run --runs auto: why the reads stopped ('precision': the median's interval within --precision; 'budget'; 'max runs'). Absent otherwise. */
  stoppedBy?: 'precision' | 'budget' | 'max runs';
  /** Median wall time per entry delivered. */
  nsPerEntry: number;
  /** Median wall time per distinct key seen. */
  nsPerDistinctEntry: number;
  entriesPerSec: number;
  /** CPU time of one read, mean over runs (all threads of the process). */
  cpu: { userNs: number; sysNs: number };
  /**
   * bpf calls of one read. `bpf`, `bpfTotal`, `perEntry`: the first measured
   * read ('run 1'), counted by bpfbench's own syscall wrapper (`countedBy`).
   * The kernel never counts a timed read (its tracepoints slow every
   * syscall): unless disabled, it counts one untimed read, the audit
   * (`audit`; `kernel`, `agree` and `kernelCountedRead` are the same audit,
   * the keys of schemaVersion 1's first form), and `matchesAudit` says
   * whether the timed read made the calls the audit vouched for.
   */
  syscalls: {
    bpf: Record<string, number>;
    bpfTotal: number;
    perEntry: number;
    variedBetweenRuns: boolean;
    /** The audit read's kernel count: every syscall of the process, and its bpf calls by command; null when not counted. */
    kernel: KernelCountJson | null;
    /** Kernel and self counts agree on every command of the audit read; null when not counted. */
    agree: boolean | null;
    /** The audit read's label ('warmup 1/1', or 'audit': an untimed read of its own); null when not counted. */
    kernelCountedRead: string | null;
    /** Who counted `bpf`: bpfbench itself. */
    countedBy: 'self';
    /** The read `bpf` counts: 'run 1' (or the warmup that failed, when no read was timed). */
    read: string;
    /**
     * The kernel's audit: one untimed read with the counter attached. `read`:
     * 'warmup' (the first warmup read), 'full' (a read of its own, the whole
     * map) or 'prefix' (a read of its own stopped after `entries` entries,
     * on a map too large to read whole untimed). `bpf`: bpfbench's count of
     * that read, `kernel`: the kernel's, `agree`: they are equal, command by
     * command. null when not counted.
     */
    audit: { read: AuditRead; entries: number; wallNs: number; bpf: Record<string, number>; kernel: KernelCountJson; agree: boolean; callLatency?: CallLatency | null } | null;
    /**
     * The timed read's counts are the audit's: equal for a full audit; for
     * a prefix, each command's calls per entry equal within one call (the
     * walk's terminal call). false: the kernel did not vouch for `bpf` (the
     * map changed, or ENOSPC grew the chunk in between). null when not counted.
     */
    matchesAudit: boolean | null;
  };
  /**
   * Where a read's time goes, from the AUDIT read (tracepoints attached,
   * which slow each syscall: rough figures): mean ns inside bpf(2) per call
   * by command (sys_enter to sys_exit, commands called only), their sum, and
   * that sum as a fraction of the audit read's wall time. null when not
   * counted, or without the counter's exit program.
   */
  kernelTime: { nsPerCall: Record<string, number>; bpfNs: number; fractionOfWall: number; read: AuditRead } | null;
  /**
   * How long one bpf call (iter: one read(2)) of the measured reads took, ns,
   * merged over runs: percentiles (to < 0.8 %), the longest, the calls
   * timed (`count`), and one call in how many was timed (`sampledEvery`;
   * per-element calls are sampled so that timing them costs < 2 %). null
   * when no call was timed.
   */
  callLatency: CallLatency | null;
  /**
   * A per-element walk that gave up (more GET_NEXT_KEY steps than
   * max_entries: the map changed underneath): which read, after how many
   * steps. Its figures are of what it read until then, and it is not
   * verified. null when every read ended.
   */
  aborted?: { read: string; steps: number } | null;
  /**
   * A sharded read (batch-sharded, batch-delete-sharded), its first measured
   * read: `threads`; `overlap`: entries a shard's last call read past its
   * range (the next shards read them too) and removed before verification,
   * the calls that held them, and of those entries how many did not match
   * what the next shard read in order (0 unless the map changed
   * underneath); `perShard`: each range's entries, bpf calls and thread
   * time (ns). null for other strategies (absent before sharding).
   */
  sharded?: { threads: number; overlap: { entries: number; calls: number; mismatched: number }; perShard: { entries: number[]; calls: number[]; ns: number[] } } | null;
  /**
   * run --writers: what the reads under writers saw (the worst read's
   * figures: most stable duplicates + misses + restarts; `perRead`: every
   * read's, in order). Stable keys are never written by the writers; a
   * stray key or a wrong value fails the strategy, duplicates, misses and
   * restarts are its behaviour. null without writers.
   */
  consistency?: (Consistency & { reads: number; worstRead: string; perRead: Consistency[] }) | null;
  /**
   * run --writers: the cost on both sides, from rounds of (a read without
   * writers, a read under them, the writers alone as long as that read):
   * the reader's median ns/entry without and with writers (readerSlowdown =
   * with / without), and the writers' ops/s (all of them) alone and in the
   * window around each read under them (writerSlowdown = alone / during).
   * null without writers.
   */
  writers?: {
    n: number;
    rate: number | 'max';
    rounds: number;
    readerNsPerEntryAlone: number;
    readerNsPerEntryDuring: number;
    readerSlowdown: number;
    opsPerSecAlone: number;
    opsPerSecDuringRead: number;
    writerSlowdown: number;
    /** Reads under writers whose per-element walk gave up (the max_entries bound). */
    aborted: number;
    /**
     * One untimed read under the writers with the kernel counter attached,
     * threads counted apart: the reader's bpf calls (its own count, the
     * kernel's) and the writer threads' (theirs, the kernel's), each with
     * whether they are equal. null without the kernel count; absent before.
     */
    bpfCalls?: WritersBpfCalls | null;
  } | null;
  /** The worst read's memory figures (Go's TotalAlloc/NumGC ↔ allocatedBytes/gcCount). */
  memory: {
    heapUsedDeltaBytes: number;
    externalDeltaBytes: number;
    rssPeakBytes: number;
    allocatedBytes: number;
    allocatedBytesPerEntry: number;
    gcCount: number;
    gcPauseNs: number;
  };
}

export interface NoiseJson {
  stealNs: number;
  involuntarySwitches: number;
  migrations: number | null;
  disturbed: boolean;
}

/**
 * A read is disturbed when the hypervisor stole ≥ 1 % of its wall time, the
 * thread moved to another CPU, or it was preempted more than once per
 * 100 ms of its wall time (a tick's worth of sharing is normal on a busy
 * 2-core machine; more is someone else's work inside the read).
 */
export function disturbedRead(n: Omit<NoiseJson, 'disturbed'>, wallNs: number): boolean {
  return n.stealNs >= 0.01 * wallNs || (n.migrations ?? 0) > 0 || n.involuntarySwitches > Math.max(1, wallNs / 100e6);
}
