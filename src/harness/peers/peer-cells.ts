// What `bpfbench peers` measures, as types (its configuration, each
// implementation × strategy cell, the outcome), and how a cell is judged
// from its reads and its audit: the verdict, the calls the kernel counted.
import { strategyByName, type ReadLoop } from '../../strategies/index.js';
import type { BenchMap, MapConfig, MapRecord } from '../filling/bench-map.js';
import type { PeerTiming } from './program-peer.js';
import type { KernelSample } from '../measuring/read-sample.js';
import type { RatioGateSpec } from './ratio-gate.js';
import { summarize, type Summary } from '../measuring/stats.js';
import type { Verdict } from '../verification/verdict.js';
import type { Row } from './run-peers.js';

/** Where bpfbench's own read loop runs: in C (one koffi call per hand-over) or in TypeScript (one per syscall). */
export type PeerLoop = ReadLoop;

export interface PeersConfig extends MapConfig {
  chunk: number;
  /** Rounds: each implementation reads once per strategy per round. */
  rounds: number;
  strategies: readonly string[];
  /** 'ts' (bpfbench itself), peer names, and `exec:NAME=COMMAND` readers. */
  impls: readonly string[];
  /** An external peer's process is stopped after this many ms (--peer-timeout). */
  peerTimeoutMs?: number;
  /** A peer whose tools are missing is an error, not a skip (it was asked for by name). */
  requireTools?: boolean;
  /** bpfbench's own rows: one per loop. */
  loops: readonly PeerLoop[];
  pin?: string;
  /** Threads of sharded strategies (batch-sharded), the same for bpfbench and the C peer. */
  threads?: number;
  /** Every read on this CPU (--cpu): bpfbench's reading thread, and each peer's process from its start. */
  cpu?: number;
  /** The ratio gate (--gate): more rounds, up to its cap, until every bpfbench row's ratio to C is decided. */
  gate?: RatioGateSpec;
}

/** A count of bpf calls by command, and who counted it, over what. */
export interface CallCount {
  countedBy: 'kernel' | 'self';
  /** One read (the window the timed reads time), or the whole process (bpftool, which cannot mark its read). */
  covers: 'read' | 'process';
  calls: Record<string, number>;
}

/** One implementation (bpfbench: one of its loops) × strategy, over the rounds. */
export interface PeerCell {
  impl: string;
  /** bpfbench's rows only. */
  loop?: PeerLoop;
  strategy: string;
  /** The count it asked each batch call for, when it chose its own (bcc); null: --chunk, or per element. */
  chunk: number | null;
  /** Whose clock timed it, and whether its process start-up is in the time. */
  timing: PeerTiming;
  expectedToFail: boolean;
  /** Why the row did not run to its end (a build, start, exit status, protocol or timeout failure), one line; null when it did. */
  error: string | null;
  /** null: not one read was timed. */
  wallNs: Summary | null;
  nsPerEntry: number | null;
  /** The first failing read's verdict (the audit read's included; a self count the kernel contradicts fails it), else the last's. */
  verdict: Verdict;
  allocatedBytesPerEntry: number | null;
  gcCount: number | null;
  /** The CPUs its timed reads ended on, as each read saw it (sched_getcpu); null: the implementation does not say (Go, bpftool, bcc, exec:). */
  cpus: number[] | null;
  /** The audit read's bpf calls as the kernel counted them (null: no audit read, e.g. it failed before one). */
  bpfCalls: CallCount | null;
  /** The implementation's own count of the same read, and whether it agrees with the kernel's (bpfbench, C). */
  selfBpfCalls: (CallCount & { agrees: boolean }) | null;
  /** An external peer's whole audited process, start-up included, as the kernel counted it. */
  processBpfCalls: CallCount | null;
  /** The audit read's time, inside bpf(2) (the kernel's clock) and outside it; null where it cannot be split. */
  auditTime: AuditTime | null;
}

/**
 * One audited read's wall time on the reader's own clock, and the time its
 * thread(s) spent inside bpf(2), sys_enter to sys_exit, as the kernel timed
 * it: the rest (outsideNs) is the reader's own work between calls (loop,
 * copies, checks, crossings). The counter's tracepoints are attached during
 * this read, for every implementation alike.
 */
export interface AuditTime {
  wallNs: number;
  bpfNs: number;
  outsideNs: number;
}

export interface PeersOutcome {
  config: PeersConfig;
  context: BenchMap['context'];
  map: MapRecord;
  fill: BenchMap['fill'];
  pin: string;
  cells: PeerCell[];
  /** Peers that did not run: tools missing, or (broken) tools there but the peer did not build: a failure. */
  skipped: { impl: string; why: string; broken: boolean }[];
}

export interface Sample {
  wallNs: number;
  verdict: Verdict;
  allocatedBytes: number | null;
  gcCount: number | null;
  /** The count it asked each batch call for, when not --chunk (bcc's own). */
  chunk: number | null;
  /** The CPU the read ended on, when the implementation says (bpfbench, the C peer). */
  cpu: number | null;
}

/** What an audit read found: its verdict and the counts. */
export interface AuditRecord {
  verdict: Verdict | undefined;
  bpfCalls: CallCount;
  selfBpfCalls: (CallCount & { agrees: boolean }) | null;
  processBpfCalls: CallCount | null;
  auditTime: AuditTime | null;
}

/** The split of a read's wall time around bpf(2), when the kernel timed its calls and the read has a time of its own. */
export const kernelCount = (k: KernelSample, covers: CallCount['covers']): CallCount => ({ countedBy: 'kernel', covers, calls: k.bpf });
const callsText = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

/** The verdict, failed by a self count the kernel contradicts, or by a failed audit read. */
export function judged(verdict: Verdict, audit: AuditRecord | undefined): Verdict {
  if (!audit) return verdict;
  if (audit.verdict && !audit.verdict.ok && verdict.ok) verdict = { ...audit.verdict, problems: audit.verdict.problems.map((p) => `audit read: ${p}`) };
  const self = audit.selfBpfCalls;
  if (self && !self.agrees) {
    const problem = `its own count of bpf calls (${callsText(self.calls)}) differs from the kernel's (${callsText(audit.bpfCalls.calls)})`;
    verdict = { ...verdict, ok: false, problems: [...verdict.problems, problem] };
  }
  return verdict;
}

/** A row that ran no read to its end: its one line is its only problem. */
const failedVerdict = (error: string, expectedEntries: number): Verdict => ({
  ok: false,
  entries: 0,
  distinct: 0,
  expectedEntries,
  keySumOk: false,
  checksumOk: false,
  badValues: 0,
  badKeys: 0,
  problems: [error],
});

/** One row × strategy over the rounds: its statistics, its audit, and the first failing read's verdict, else the last's. */
export function cellOf(row: Row, strategy: string, xs: Sample[], audit: AuditRecord | undefined, error: string | undefined, expectedEntries: number): PeerCell {
  const bad = xs.find((x) => !x.verdict.ok);
  const wall = xs.length ? summarize(xs.map((x) => x.wallNs)) : null;
  const alloc = xs.length && xs.every((x) => x.allocatedBytes !== null) ? Math.max(...xs.map((x) => x.allocatedBytes!)) : null;
  const gcs = xs.length && xs.every((x) => x.gcCount !== null) ? Math.max(...xs.map((x) => x.gcCount!)) : null;
  let verdict = judged((bad ?? xs[xs.length - 1])?.verdict ?? failedVerdict(error ?? 'no read', expectedEntries), audit);
  if (error && verdict.ok) verdict = { ...verdict, ok: false, problems: [error] };
  return {
    ...row,
    strategy,
    chunk: xs.find((x) => x.chunk !== null)?.chunk ?? null,
    timing: row.timing,
    error: error ?? null,
    expectedToFail: strategyByName(strategy)?.expectedToFail === true,
    wallNs: wall,
    nsPerEntry: wall ? wall.median / Math.max(1, verdict.entries) : null,
    verdict,
    allocatedBytesPerEntry: alloc === null ? null : alloc / Math.max(1, verdict.entries),
    gcCount: gcs,
    cpus: xs.length && xs.every((x) => x.cpu !== null) ? [...new Set(xs.map((x) => x.cpu!))].sort((a, b) => a - b) : null,
    bpfCalls: audit?.bpfCalls ?? null,
    selfBpfCalls: audit?.selfBpfCalls ?? null,
    processBpfCalls: audit?.processBpfCalls ?? null,
    auditTime: audit?.auditTime ?? null,
  };
}
