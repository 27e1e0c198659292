// The JSON result of `bpfbench peers` (schemaVersion 1): every
// implementation × strategy cell against the C floor, with its bpf calls as
// the kernel counted them; built from the harness's outcome by a pure
// function.
import type { Unavailable } from '../../strategies/index.js';
import type { CallCount, PeerLoop, PeersOutcome } from '../../harness/peers/peer-cells.js';
import type { ToolInfo } from '../result/strategy-json.js';
import { SCHEMA_VERSION } from '../result/strategy-json.js';
import { SCHEMA_IDS } from '../schema/ids.js';
import { type PeersGateJson, peersGate } from '../rendering/peers-table.js';

export interface PeerCellJson {
  impl: string;
  /** bpfbench's rows (impl 'ts'): where its read loop ran. */
  loop?: PeerLoop;
  strategy: string;
  /** The count it asked each batch call for, when it chose its own (bcc); null: --chunk, or per element. */
  chunk: number | null;
  /** Whose clock timed it: its own ('self'), or bpfbench's (at an exec: reader's marks; bpftool's whole process). */
  timedBy: 'self' | 'bpfbench';
  /** Whether its time includes its process's start-up (bpftool: it cannot mark its read). */
  timeIncludesStartup: boolean;
  /** Why the row did not run to its end (build, start, exit status, protocol, --peer-timeout), one line; null when it did. */
  error: string | null;
  /** Timed reads (0: the row failed before one). */
  runs: number;
  verified: { ok: boolean; expectedToFail: boolean; entries: number; distinct: number; problems: string[]; checkedBy?: 'native' | 'js' | 'native+js' };
  /** null: no read was timed (a failed row). */
  wallNs: { mean: number; sd: number; median: number; min: number; max: number; samples: number[] } | null;
  nsPerEntry: number | null;
  /** This implementation's median over C's, same strategy (null without C). */
  ratioToC: number | null;
  allocatedBytesPerEntry: number | null;
  gcCount: number | null;
  /** The CPUs its timed reads ended on, as each read said (sched_getcpu); null: it does not say (Go, bpftool, bcc, exec:). Absent in older results. */
  cpus?: number[] | null;
  /** One audit read's bpf calls by command, counted by the kernel (bpftool: its whole process); null when not audited. */
  bpfCalls: CallCount | null;
  /** The implementation's own count of that read (bpfbench, C) and whether it agrees with the kernel's: a disagreement fails the cell. */
  selfBpfCalls: (CallCount & { agrees: boolean }) | null;
  /** An external peer's whole audited process (start-up included), counted by the kernel. */
  processBpfCalls: CallCount | null;
  /**
   * The audit read's wall time on the reader's clock, split around bpf(2) by
   * the kernel's sys_enter→sys_exit times: inside (bpfNs) and outside, the
   * reader's own work; per entry too. null: no split (bpftool, exec: readers,
   * a kernel without the exit tracepoint). Absent in older results.
   */
  auditTime?: { wallNs: number; bpfNs: number; outsideNs: number; bpfNsPerEntry: number; outsideNsPerEntry: number } | null;
}

export interface PeersResultJson {
  /** schema/peers.schema.json; absent in results from before it was written. */
  $schema?: string;
  schemaVersion: number;
  kind: 'peers';
  tool: ToolInfo;
  createdAt: string;
  context: PeersOutcome['context'];
  config: {
    entries: number;
    maxEntries: number;
    chunk: number;
    rounds: number;
    strategies: string[];
    impls: string[];
    loops: PeerLoop[];
    fill: string;
    /** Threads of the sharded strategies, bpfbench's and the C peer's alike; null when none ran (absent before sharding). */
    threads?: number | null;
    /** Every read on this CPU (--cpu); null: not pinned (absent before --cpu). */
    cpu?: number | null;
  };
  map: PeersOutcome['map'];
  results: PeerCellJson[];
  /** Peers whose tools are missing (not asked for by name): they did not run. A peer that did not build is a failed row, not here (`broken`: always false since). */
  skipped: { impl: string; why: string; broken: boolean }[];
  ok: boolean;
  /** Strategies of a default list this kernel refuses, left out for every implementation (absent before it was recorded). */
  unavailable?: Unavailable[];
  /** peers --gate: each bpfbench row's ratio to C against the reference, decided (absent without --gate). */
  gate?: PeersGateJson;
}

export function buildPeersResult(o: PeersOutcome, tool: ToolInfo, createdAt = new Date()): PeersResultJson {
  const c = (s: string) => o.cells.find((x) => x.impl === 'c' && x.strategy === s);
  const results = o.cells.map((x): PeerCellJson => {
    const base = c(x.strategy);
    const w = x.wallNs;
    return {
      impl: x.impl,
      ...(x.loop ? { loop: x.loop } : {}),
      strategy: x.strategy,
      chunk: x.chunk,
      timedBy: x.timing.by,
      timeIncludesStartup: x.timing.includesStartup,
      error: x.error,
      runs: w?.samples.length ?? 0,
      verified: { ok: x.verdict.ok, expectedToFail: x.expectedToFail, entries: x.verdict.entries, distinct: x.verdict.distinct, problems: x.verdict.problems, checkedBy: x.verdict.checkedBy ?? 'js' },
      wallNs: w && { mean: w.mean, sd: w.sd, median: w.median, min: w.min, max: w.max, samples: w.samples },
      nsPerEntry: x.nsPerEntry,
      ratioToC: w && base?.wallNs && base.verdict.ok === x.verdict.ok ? w.median / base.wallNs.median : null,
      allocatedBytesPerEntry: x.allocatedBytesPerEntry,
      gcCount: x.gcCount,
      cpus: x.cpus,
      bpfCalls: x.bpfCalls,
      selfBpfCalls: x.selfBpfCalls,
      processBpfCalls: x.processBpfCalls,
      auditTime: x.auditTime && { ...x.auditTime, bpfNsPerEntry: x.auditTime.bpfNs / Math.max(1, x.verdict.entries), outsideNsPerEntry: x.auditTime.outsideNs / Math.max(1, x.verdict.entries) },
    };
  });
  return {
    $schema: SCHEMA_IDS.peers,
    schemaVersion: SCHEMA_VERSION,
    kind: 'peers',
    tool,
    createdAt: createdAt.toISOString(),
    context: o.context,
    config: {
      entries: o.config.entries,
      maxEntries: o.config.maxEntries,
      chunk: o.config.chunk,
      rounds: o.config.rounds,
      strategies: [...o.config.strategies],
      impls: [...o.config.impls],
      loops: [...o.config.loops],
      fill: o.config.fill,
      threads: o.config.threads ?? null,
      cpu: o.config.cpu ?? null,
    },
    map: o.map,
    results,
    skipped: o.skipped,
    ok: results.every((r) => r.error === null && (r.verified.ok || r.verified.expectedToFail)) && o.skipped.every((s) => !s.broken),
    ...(o.config.gate ? { gate: peersGate(results, o.config.gate) } : {}),
  };
}

/** `batch(4096)`, as `run` labels it; a name bpfbench does not know, as it is. */
