// The versioned JSON result of a run (schemaVersion 1). Later versions add
// fields; they never rename or remove one. Built from the harness's
// measurements by a pure function, so the table, the summary and the file
// all say the same thing.
import type { ProcessCalls } from '../../bpf/syscall/call-account.js';
import type { CallLatency } from '../../bpf/native/latency.js';
import type { StrategyMeasurement } from '../../harness/measuring/measure-strategy.js';
import { loopOf as configLoop, type RunOutcome } from '../../harness/measuring/run-benchmark.js';
import { meanRatio, summarize } from '../../harness/measuring/stats.js';
import type { Verdict } from '../../harness/verification/verdict.js';
import { disagreementText, type CrossCheck } from '../../harness/verification/census.js';
import { freshKeys, stableCount, volatileInside, type Consistency } from '../../harness/verification/consistency.js';
import type { WritersBpfCalls, WritersMeasurement, WritersSetting } from '../../harness/writers/under-writers.js';
import { isReference, REFERENCE, referenceOf, type ReadLoop, type Unavailable } from '../../strategies/index.js';
import type { Audit, AuditRead } from '../../harness/measuring/sample.js';
import { processWallNs, type WallAccount } from '../../harness/measuring/wall-time.js';
import { fmtX } from '../formats/format.js';
import { SCHEMA_IDS } from '../schema/ids.js';

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

export interface RunResultJson {
  /** The schema it follows (schema/run.schema.json in the package); absent in results from before it was written. */
  $schema?: string;
  schemaVersion: number;
  tool: ToolInfo;
  createdAt: string;
  context: RunOutcome['context'];
  config: {
    mapType: string;
    keySize: number;
    valueSize: number;
    entries: number;
    maxEntries: number;
    mapFlags: number;
    chunk: number;
    fill: string;
    runs: number | 'auto';
    warmup: number;
    strategies: string[];
    kernelCount: boolean;
    /**
     * How the kernel's count knew this process: 'pid-namespace' (its pid as
     * its own namespace gives it: right in a container too) or 'host-pid'
     * (the fallback for kernels before 5.7); null without the kernel count.
     * Absent before it was recorded.
     */
    counterPid?: 'pid-namespace' | 'host-pid' | null;
    /** 'create', or the pinned path / map id that was read. */
    source: string;
    /** 'loader' (checked against what bpfbench wrote) or 'cross-strategy' (a map it did not fill). */
    verification: string;
    /**
     * Where the read loop ran: 'native' (the C library, one call per
     * hand-over) or 'js' (one koffi call per syscall). Absent in results
     * made before --loop existed, which the js loop made: read it with loopOf().
     */
    loop: ReadLoop;
    /**
     * run --writers: the writers every strategy was also read under (n, the
     * rate per writer, the op mix), and the key space they were given:
     * every volatileEvery-th loaded key and `fresh` keys beyond the loaded
     * ones are theirs; the other (stable) keys they never write. null (or
     * absent, before --writers) without writers.
     */
    writers?: (WritersSetting & { fresh: number; stableKeys: number; volatileKeys: number }) | null;
    /** Threads of the sharded strategies (--threads, default the online CPUs); null when none ran (absent before sharding). */
    threads?: number | null;
  };
  map: RunOutcome['map'] & { estimatedBytes: number };
  /** null for a map this run did not create (--pin, --map-id). */
  fill: { method: string; wallNs: number; nsPerEntry: number; bpfCalls: Record<string, number> /** Threads that filled at once. */; threads: number } | null;
  results: StrategyResultJson[];
  /**
   * A map bpfbench did not fill (verification 'cross-strategy'): the reads
   * that were right on their own, grouped by what they saw (count, distinct
   * keys, key sum, checksum). agree false: they saw different things, and
   * the run is not verified, but no strategy is called wrong (no independent
   * census). null for a map bpfbench filled.
   */
  crossCheck?: CrossCheck | null;
  /** Strategies of a default list this kernel refuses, left out of the run, each with its one-line reason (absent before it was recorded). */
  unavailable?: Unavailable[];
  /** Where the process's wall time went (absent before it was recorded). */
  wallTime?: WallTimeJson;
  /** Every bpf(2) call the process made, by phase and by command (run, reproduce; absent before it was recorded). */
  process?: ProcessCalls;
  summary: {
    ok: boolean;
    /** Median elem time / median time of each verified strategy. */
    speedup: Record<string, number>;
    /** Mean elem time / mean time, with σ propagated from both samples (null σ with one run). */
    speedupMean: Record<string, { x: number; sd: number | null }>;
    /**
     * Sharded strategies against their single-thread strategy in the same
     * run (batch-sharded: batch; batch-delete-sharded: batch-delete), both
     * verified: median over median (`x`), mean over mean with σ (`mean`,
     * `sd`), and the threads. Absent when neither pair ran (and before sharding).
     */
    shardedSpeedup?: Record<string, { over: string; threads: number; x: number; mean: number; sd: number | null }>;
    failed: string[];
    /** Reads of a map bpfbench did not make that the map's changes made inconsistent (not failures); absent before. */
    inconsistentUnderChange?: string[];
    line: string;
  };
  warnings: string[];
}

/**
 * The loop a result's reads ran in (run, sweep): config.loop, or 'js' for
 * results made before --loop (the js loop made them). Of a result file as
 * loaded ({kind, json}), null for peers: their loop is per row.
 */
export function loopOf(r: { config: { loop?: ReadLoop } }): ReadLoop;
export function loopOf(r: { kind: string; json: object }): ReadLoop | null;
export function loopOf(r: { config: { loop?: ReadLoop } } | { kind: string; json: object }): ReadLoop | null {
  if ('config' in r) return r.config.loop ?? 'js';
  return r.kind === 'peers' ? null : loopOf(r.json as { config: { loop?: ReadLoop } });
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const worst = (m: StrategyMeasurement, f: (s: StrategyMeasurement['samples'][number]) => number) => Math.max(...m.samples.map(f));

const kernelCount = (k: Audit['kernel']): KernelCountJson => ({ total: k.total, bpf: k.bpf, bpfTotal: k.bpfTotal });

/** The audit read's kernel time, per call and as a share of its wall time; null without one. */
function kernelTimeOf(audit: Audit | undefined): StrategyResultJson['kernelTime'] {
  const ns = audit?.kernel.bpfNs;
  if (!audit || !ns) return null;
  const nsPerCall: Record<string, number> = {};
  for (const [cmd, calls] of Object.entries(audit.kernel.bpf)) if (calls > 0) nsPerCall[cmd] = (ns[cmd] ?? 0) / calls;
  const bpfNs = sum(ns);
  return { nsPerCall, bpfNs, fractionOfWall: bpfNs / Math.max(1, audit.wallNs), read: audit.read };
}

/** A mismatch fails the strategy where the calls cannot vary: a fixed layout, and no ENOSPC growth since the audit. */
function auditMismatchFails(m: StrategyMeasurement): boolean {
  return m.matchesAudit === false && m.fixedLayout && !m.samples.some((s) => s.chunkGrowths > 0);
}

export function strategyResult(m: StrategyMeasurement, setting?: WritersSetting): StrategyResultJson {
  const first = m.samples[0]!;
  const median = m.wallNs.median;
  const bpfTotal = sum(first.bpf);
  const audit = m.audit;
  const agree = audit ? audit.agree : null;
  const v = { ...m.verdict, problems: [...m.verdict.problems] };
  if (audit && !audit.agree) {
    // A count we cannot trust is a failed measurement, like a wrong read.
    v.ok = false;
    v.problems.push(`the kernel counted ${sum(audit.kernel.bpf)} bpf calls (${JSON.stringify(audit.kernel.bpf)}), bpfbench ${sum(audit.bpf)} (${JSON.stringify(audit.bpf)})`);
  }
  if (audit && auditMismatchFails(m)) {
    // On a fixed layout the same read makes the same calls: the kernel's count does not vouch for these.
    v.ok = false;
    v.problems.push(
      `${first.phase} made ${bpfTotal} bpf calls (${JSON.stringify(first.bpf)}), not those of the audited read (${audit.read}, ${audit.entries} entries: ${JSON.stringify(audit.kernel.bpf)})`,
    );
  }
  const w = m.underWriters;
  if (w?.failed) {
    v.ok = false;
    v.problems.push(...w.problems);
  }
  const allocated = worst(m, (s) => s.memory.allocatedBytes);
  return {
    strategy: m.strategy.name,
    label: m.label,
    chunk: m.strategy.usesChunk ? m.chunk : null,
    runs: m.runs,
    warmupRuns: m.warmupRuns,
    verified: {
      ok: v.ok,
      expectedToFail: m.strategy.expectedToFail === true,
      entries: v.entries,
      distinct: v.distinct,
      expectedEntries: v.expectedEntries,
      keySumOk: v.keySumOk,
      checksumOk: v.checksumOk,
      badValues: v.badValues,
      badKeys: v.badKeys,
      problems: v.problems,
      checkedBy: v.checkedBy ?? 'js',
    },
    counted: first.counted,
    effectiveChunk: m.strategy.usesChunk ? (m.samples[m.samples.length - 1]!.chunk ?? m.chunk) : null,
    chunkGrowths: Math.max(...m.samples.map((s) => s.chunkGrowths)),
    wallNs: { mean: m.wallNs.mean, sd: m.wallNs.sd, median, min: m.wallNs.min, max: m.wallNs.max, rme: m.wallNs.rme, samples: m.wallNs.samples },
    ...(m.samples.every((s) => s.noise) ? { noise: m.samples.map((s) => ({ ...s.noise!, disturbed: disturbedRead(s.noise!, s.wallNs) })) } : {}),
    ...(m.stoppedBy ? { stoppedBy: m.stoppedBy } : {}),
    nsPerEntry: median / Math.max(1, v.entries),
    nsPerDistinctEntry: median / Math.max(1, v.distinct),
    entriesPerSec: v.entries / (median / 1e9),
    cpu: { userNs: mean(m.samples.map((s) => s.userNs)), sysNs: mean(m.samples.map((s) => s.sysNs)) },
    syscalls: {
      bpf: first.bpf,
      bpfTotal,
      perEntry: bpfTotal / Math.max(1, v.entries),
      variedBetweenRuns: m.callsVaried,
      kernel: audit ? kernelCount(audit.kernel) : null,
      agree,
      kernelCountedRead: audit ? audit.phase : null,
      countedBy: 'self',
      read: first.phase,
      audit: audit
        ? { read: audit.read, entries: audit.entries, wallNs: audit.wallNs, bpf: audit.bpf, kernel: kernelCount(audit.kernel), agree: audit.agree, callLatency: audit.callLatency?.summary() ?? null }
        : null,
      matchesAudit: m.matchesAudit,
    },
    kernelTime: kernelTimeOf(audit),
    callLatency: m.callLatency?.summary() ?? null,
    aborted: m.aborted ? { read: m.aborted.phase, steps: m.aborted.steps } : null,
    sharded: first.shards ?? null,
    consistency: w ? consistencyJson(w) : null,
    writers: w && setting ? writersJson(w, setting) : null,
    memory: {
      heapUsedDeltaBytes: worst(m, (s) => s.memory.heapUsedDeltaBytes),
      externalDeltaBytes: worst(m, (s) => s.memory.externalDeltaBytes),
      rssPeakBytes: worst(m, (s) => s.memory.rssPeakBytes),
      allocatedBytes: allocated,
      allocatedBytesPerEntry: allocated / Math.max(1, v.entries),
      gcCount: worst(m, (s) => s.memory.gcCount),
      gcPauseNs: worst(m, (s) => s.memory.gcPauseNs),
    },
  };
}

/** How far a read under writers strayed from reading each stable key once. */
const disorder = (c: Consistency) => c.stableDuplicates + c.stableMissed + c.restarts;

function consistencyJson(w: WritersMeasurement): NonNullable<StrategyResultJson['consistency']> {
  let worstAt = 0;
  w.rounds.forEach((r, i) => {
    if (disorder(r.consistency) > disorder(w.rounds[worstAt]!.consistency)) worstAt = i;
  });
  const worstRound = w.rounds[worstAt]!;
  return { ...worstRound.consistency, reads: w.rounds.length, worstRead: worstRound.loaded.phase, perRead: w.rounds.map((r) => r.consistency) };
}

function writersJson(w: WritersMeasurement, s: WritersSetting): NonNullable<StrategyResultJson['writers']> {
  return {
    n: s.n,
    rate: s.rate,
    rounds: w.rounds.length,
    readerNsPerEntryAlone: w.readerNsPerEntryAlone,
    readerNsPerEntryDuring: w.readerNsPerEntryDuring,
    readerSlowdown: w.readerNsPerEntryDuring / w.readerNsPerEntryAlone,
    opsPerSecAlone: w.opsPerSecAlone,
    opsPerSecDuringRead: w.opsPerSecDuringRead,
    writerSlowdown: w.opsPerSecAlone / Math.max(1e-9, w.opsPerSecDuringRead),
    aborted: w.aborted,
    bpfCalls: w.bpfCalls ?? null,
  };
}

function keySpaceOf(entries: number, volatileEvery: number): { fresh: number; stableKeys: number; volatileKeys: number } {
  const space = { entries, volatileEvery, fresh: freshKeys(entries, volatileEvery), value: 0 };
  return { fresh: space.fresh, stableKeys: stableCount(space), volatileKeys: volatileInside(space) + space.fresh };
}

/** One sentence per verified strategy, compared with the reference: `batch(4096) read 1,048,576 entries 7.41 ± 0.12× faster than elem`. */
export function summaryLine(results: StrategyResultJson[], speedup: Record<string, number>, speedupMean: Record<string, { x: number; sd: number | null }> = {}): string {
  const failed = results.filter((r) => !r.verified.ok);
  if (failed.length) return `FAILED: ${failed.map((r) => r.label).join(', ')} failed verification`;
  const base = referenceOf(results);
  const others = results.filter((r) => !isReference(r.strategy) && r.verified.ok && speedup[r.strategy] !== undefined);
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (base && others.length) {
    return others
      .map((r) => {
        const m = speedupMean[r.strategy];
        const x = m?.sd != null ? m.x : speedup[r.strategy]!;
        const pm = m?.sd != null ? ` ± ${fmtX(m.sd)}` : '';
        const how = x >= 1 ? `${fmtX(x)}${pm}× faster than` : `${fmtX(1 / x)}× slower than`;
        return `${r.label} read ${fmt(r.verified.entries)} entries ${how} ${REFERENCE.name}`;
      })
      .join('; ');
  }
  const ok = results.filter((r) => r.verified.ok);
  return ok.map((r) => `${r.label} read ${fmt(r.verified.entries)} entries in ${(r.wallNs.median / 1e9).toFixed(3)} s`).join('; ');
}

export interface WallTimeJson {
  /** The process's wall time from its start to the result (process.uptime()). */
  totalNs: number;
  /** Each phase as timed where it ran, in order; kernelBound: the kernel does its work (create, fill, the reads themselves). */
  phases: { phase: string; ns: number; kernelBound: boolean }[];
  /** What no phase covers: node's start, loading modules, the command line, building the result. */
  otherNs: number;
  /** bpfbench's own time: the phases that are not kernel-bound, and otherNs; and its share of totalNs. */
  ownNs: number;
  ownShare: number;
}

/** The account of a run's wall time, closed at `totalNs`. */
export function wallTimeOf(wall: WallAccount, totalNs: number): WallTimeJson {
  const phases = wall.phases.map((p) => ({ ...p }));
  const covered = phases.reduce((a, p) => a + p.ns, 0);
  const total = Math.max(totalNs, covered);
  const otherNs = total - covered;
  const ownNs = phases.filter((p) => !p.kernelBound).reduce((a, p) => a + p.ns, 0) + otherNs;
  return { totalNs: total, phases, otherNs, ownNs, ownShare: ownNs / Math.max(1, total) };
}

/** The result of a run; `totalNs`: the process's wall time so far (the wall-time account's total). */
export function buildRunResult(o: RunOutcome, tool: ToolInfo, createdAt = new Date(), totalNs = processWallNs()): RunResultJson {
  const results = o.measurements.map((m) => strategyResult(m, o.config.writers));
  const base = referenceOf(results, (r) => r.verified.ok);
  const speedup: Record<string, number> = {};
  const speedupMean: Record<string, { x: number; sd: number | null }> = {};
  if (base) {
    for (const r of results) {
      if (!r.verified.ok) continue;
      speedup[r.strategy] = base.wallNs.median / r.wallNs.median;
      const { x, sd } = meanRatio(base.wallNs, base.runs, r.wallNs, r.runs);
      speedupMean[r.strategy] = { x, sd };
    }
  }
  const shardedSpeedup: NonNullable<RunResultJson['summary']['shardedSpeedup']> = {};
  for (const r of results) {
    if (!r.sharded || !r.verified.ok) continue;
    const single = results.find((b) => b.strategy === r.strategy.replace(/-sharded$/, '') && b.verified.ok);
    if (!single) continue;
    const { x, sd } = meanRatio(single.wallNs, single.runs, r.wallNs, r.runs);
    shardedSpeedup[r.strategy] = { over: single.strategy, threads: r.sharded.threads, x: single.wallNs.median / r.wallNs.median, mean: x, sd };
  }
  // A map bpfbench did not make: a read that saw what only a changing map
  // shows (repeated keys, an abandoned walk) is inconsistent under change,
  // not wrong. Nothing was written to contradict, so nothing else is.
  const changed: string[] = [];
  if (!o.fill) {
    o.measurements.forEach((m, i) => {
      const r = results[i]!;
      const byChange =
        !r.verified.ok && !m.strategy.expectedToFail && (m.verdict.changedUnderneath === true || m.aborted !== undefined) && r.syscalls.agree !== false && !(m.underWriters?.failed ?? false);
      r.verified.inconsistentUnderChange = byChange;
      if (byChange) changed.push(r.label);
    });
  }
  // A strategy expected to fail (the published loop) still fails the run: its
  // read was wrong. Commands that reproduce it on purpose decide for themselves.
  const failed = results.filter((r) => !r.verified.ok && !r.verified.inconsistentUnderChange).map((r) => r.label);
  const disagree = o.crossCheck !== null && !o.crossCheck.agree;
  const warnings = runWarnings(results);
  if (disagree) warnings.unshift(disagreementText(o.crossCheck!));
  if (changed.length) warnings.unshift(changedText(results.filter((r) => r.verified.inconsistentUnderChange)));
  for (const m of o.measurements) if (m.note) warnings.push(`${m.label}: ${m.note}`);
  warnings.push(...o.notes);
  return {
    $schema: SCHEMA_IDS.run,
    schemaVersion: SCHEMA_VERSION,
    tool,
    createdAt: createdAt.toISOString(),
    context: o.context,
    config: {
      mapType: o.map.type,
      keySize: o.map.keySize,
      valueSize: o.map.valueSize,
      entries: o.fill ? o.config.entries : (results.find((r) => r.verified.ok)?.verified.entries ?? 0),
      maxEntries: o.map.maxEntries,
      mapFlags: o.config.mapFlags,
      chunk: o.config.chunk,
      fill: o.config.fill,
      runs: o.config.runsSetting,
      warmup: o.config.repeat.warmup,
      strategies: o.config.strategies.map((s) => s.name),
      kernelCount: o.config.kernelCount,
      counterPid: o.counterPid,
      source: o.config.source.kind === 'create' ? 'create' : o.config.source.kind === 'pin' ? `pin:${o.config.source.path}` : `id:${o.config.source.id}`,
      verification: o.fill ? 'loader' : 'cross-strategy',
      loop: configLoop(o.config),
      threads: o.config.threads ?? null,
      writers: o.config.writers ? { ...o.config.writers, mix: [...o.config.writers.mix], ...keySpaceOf(o.config.entries, o.config.writers.volatileEvery) } : null,
    },
    map: { ...o.map, estimatedBytes: o.memory.mapBytes },
    fill: o.fill ? { method: o.fill.method, wallNs: o.fill.wallNs, nsPerEntry: o.fill.wallNs / Math.max(1, o.fill.entries), bpfCalls: o.fill.bpfCalls, threads: o.fill.threads } : null,
    results,
    crossCheck: o.crossCheck ?? null,
    unavailable: o.unavailable,
    wallTime: wallTimeOf(o.wall, totalNs),
    ...(o.calls ? { process: o.calls } : {}),
    summary: {
      ok: failed.length === 0 && !disagree && changed.length === 0,
      speedup,
      speedupMean,
      ...(Object.keys(shardedSpeedup).length ? { shardedSpeedup } : {}),
      failed,
      ...(o.fill ? {} : { inconsistentUnderChange: changed }),
      line:
        failed.length > 0
          ? summaryLine(
              results.filter((r) => !r.verified.inconsistentUnderChange),
              speedup,
              speedupMean,
            )
          : changed.length
            ? `NOT VERIFIED: the map changed while bpfbench read it (${changed.join(', ')} saw it change, see the warning above); no strategy is called wrong`
            : disagree
              ? 'NOT VERIFIED: the strategies saw different contents (see the warning above); none is called wrong'
              : summaryLine(results, speedup, speedupMean),
    },
    warnings,
  };
}

/** Why reads of a map bpfbench did not make are inconsistent, and whose fault that is not. */
function changedText(rs: StrategyResultJson[]): string {
  const what = rs.map((r) => `${r.label} (${r.verified.problems.join('; ')})`).join(', ');
  return `the map changed while bpfbench read it: ${what}. Another process wrote to it: a per-element walk restarts from the first bucket when the key it stands on is deleted, and so reads keys again (or gives up); a batch read sees a bucket as it was at its call. Inconsistent under change, not a fault of the strategy`;
}

/** σ/mean above this is a noisy measurement. */
export const NOISY_CV = 0.1;
/** A first run this much slower than the median of the others was not warm. */
export const SLOW_FIRST_RUN = 1.5;
/** Reads shorter than this are too short to time well. */
export const MIN_READ_NS = 1e6;

/** What a careful reader should know before trusting the figures. */
export function runWarnings(results: StrategyResultJson[]): string[] {
  const w: string[] = [];
  for (const r of results) {
    const t = r.wallNs;
    if (r.syscalls.agree === false) w.push(`${r.label}: the kernel's syscall count DISAGREES with bpfbench's: the figures are not trustworthy`);
    if (r.chunkGrowths > 0) w.push(`${r.label}: a hash bucket held more than ${r.chunk} entries (ENOSPC): the chunk grew ${r.chunkGrowths}× to ${r.effectiveChunk} (--strict-chunk fails instead)`);
    if (r.syscalls.matchesAudit === false && r.verified.ok)
      w.push(
        `${r.label}: ${r.syscalls.read} made other bpf calls than the audited read (${r.syscalls.audit?.read}): the kernel's count does not vouch for its figures (the map changed, or the chunk grew)`,
      );
    if (r.syscalls.variedBetweenRuns) w.push(`${r.label}: bpf call counts differed between runs (was the map modified during the run?)`);
    if (r.runs >= 2 && t.sd / t.mean > NOISY_CV)
      w.push(`${r.label}: runs vary by σ/mean = ${((t.sd / t.mean) * 100).toFixed(0)} % (> ${NOISY_CV * 100} %): the machine is noisy, or the runs are too few`);
    if (r.runs >= 3) {
      const restMedian = summarize(t.samples.slice(1)).median;
      if (t.samples[0]! > SLOW_FIRST_RUN * restMedian) w.push(`${r.label}: the first run was ${(t.samples[0]! / restMedian).toFixed(1)}× slower than the others (not warm: use --warmup)`);
    }
    if (r.runs === 2) w.push(`${r.label}: only 2 runs: the stated ± is not a reliable interval (use --runs 3 or more)`);
    if (t.min < MIN_READ_NS) w.push(`${r.label}: a read took ${(t.min / 1e6).toFixed(3)} ms (< 1 ms): too short to time reliably; use more --entries`);
  }
  return w;
}
