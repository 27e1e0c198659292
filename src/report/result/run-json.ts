// The JSON of a whole run result (schemaVersion 1): its configuration, the
// machine, every strategy's row, the wall-time account; and the read loop a
// result's reads ran in.
import type { ProcessCalls } from '../../bpf/syscall/call-account.js';
import type { RunOutcome } from '../../harness/measuring/run-benchmark.js';
import type { CrossCheck } from '../../harness/verification/census.js';
import type { WritersSetting } from '../../harness/writers/under-writers.js';
import type { ReadLoop, Unavailable } from '../../strategies/index.js';
import type { ToolInfo, StrategyResultJson } from './strategy-json.js';

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
