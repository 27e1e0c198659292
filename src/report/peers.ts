// The peers comparison: every implementation × strategy, against the C floor,
// with each one's bpf calls as the kernel counted them.
import type { Unavailable } from '../strategies/index.js';
import type { CallCount, PeerLoop, PeersOutcome } from '../harness/peers.js';
import { strategyByName, strategyLabel } from '../strategies/index.js';
import { paint } from './color.js';
import type { ToolInfo } from './result.js';
import { SCHEMA_VERSION } from './result.js';
import { fmtInt, fmtNsPerEntry, fmtRatio } from './format.js';
import { compactTable } from './table.js';

export interface PeerCellJson {
  impl: string;
  /** bpfbench's rows (impl 'ts'): where its read loop ran. */
  loop?: PeerLoop;
  strategy: string;
  runs: number;
  verified: { ok: boolean; expectedToFail: boolean; entries: number; distinct: number; problems: string[] };
  wallNs: { mean: number; sd: number; median: number; min: number; max: number; samples: number[] };
  nsPerEntry: number;
  /** This implementation's median over C's, same strategy (null without C). */
  ratioToC: number | null;
  allocatedBytesPerEntry: number | null;
  gcCount: number | null;
  /** One audit read's bpf calls by command, counted by the kernel (bpftool: its whole process); null when not audited. */
  bpfCalls: CallCount | null;
  /** The implementation's own count of that read (bpfbench, C) and whether it agrees with the kernel's: a disagreement fails the cell. */
  selfBpfCalls: (CallCount & { agrees: boolean }) | null;
  /** An external peer's whole audited process (start-up included), counted by the kernel. */
  processBpfCalls: CallCount | null;
}

export interface PeersResultJson {
  schemaVersion: number;
  kind: 'peers';
  tool: ToolInfo;
  createdAt: string;
  context: PeersOutcome['context'];
  config: { entries: number; maxEntries: number; chunk: number; rounds: number; strategies: string[]; impls: string[]; loops: PeerLoop[]; fill: string };
  map: PeersOutcome['map'];
  results: PeerCellJson[];
  /** Peers that did not run; `broken`: the tools are there but it did not build (fails the result). */
  skipped: { impl: string; why: string; broken: boolean }[];
  ok: boolean;
  /** Strategies of a default list this kernel refuses, left out for every implementation (absent before it was recorded). */
  unavailable?: Unavailable[];
}

export function buildPeersResult(o: PeersOutcome, tool: ToolInfo, createdAt = new Date()): PeersResultJson {
  const c = (s: string) => o.cells.find((x) => x.impl === 'c' && x.strategy === s);
  const results = o.cells.map((x): PeerCellJson => {
    const base = c(x.strategy);
    return {
      impl: x.impl,
      ...(x.loop ? { loop: x.loop } : {}),
      strategy: x.strategy,
      runs: x.wallNs.samples.length,
      verified: { ok: x.verdict.ok, expectedToFail: x.expectedToFail, entries: x.verdict.entries, distinct: x.verdict.distinct, problems: x.verdict.problems },
      wallNs: { mean: x.wallNs.mean, sd: x.wallNs.sd, median: x.wallNs.median, min: x.wallNs.min, max: x.wallNs.max, samples: x.wallNs.samples },
      nsPerEntry: x.nsPerEntry,
      ratioToC: base && base.verdict.ok === x.verdict.ok ? x.wallNs.median / base.wallNs.median : null,
      allocatedBytesPerEntry: x.allocatedBytesPerEntry,
      gcCount: x.gcCount,
      bpfCalls: x.bpfCalls,
      selfBpfCalls: x.selfBpfCalls,
      processBpfCalls: x.processBpfCalls,
    };
  });
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'peers',
    tool,
    createdAt: createdAt.toISOString(),
    context: o.context,
    config: { entries: o.config.entries, maxEntries: o.config.maxEntries, chunk: o.config.chunk, rounds: o.config.rounds, strategies: [...o.config.strategies], impls: [...o.config.impls], loops: [...o.config.loops], fill: o.config.fill },
    map: o.map,
    results,
    skipped: o.skipped,
    ok: results.every((r) => r.verified.ok || r.verified.expectedToFail) && o.skipped.every((s) => !s.broken),
  };
}

/** `batch(4096)`, as `run` labels it; a name bpfbench does not know, as it is. */
export function peersStrategyLabel(strategy: string, chunk: number): string {
  const s = strategyByName(strategy);
  return s ? strategyLabel(s, chunk) : strategy;
}

/** The implementations' names, C (the floor) first, in the order the report lists them. */
export const IMPL_LABEL: Record<string, string> = { c: 'C, raw syscalls', ts: 'bpfbench (TypeScript)', go: 'Go, cilium/ebpf', bpftool: 'bpftool map dump' };

/** A row's implementation as the table names it: `ts (native)`, `C, raw syscalls`. */
export function implLabel(x: Pick<PeerCellJson, 'impl' | 'loop'>): string {
  if (x.impl === 'ts') return `ts (${x.loop ?? 'js'})`;
  return IMPL_LABEL[x.impl] ?? x.impl;
}

/** One line per command, the counts aligned: `65,537 GET_NEXT_KEY`; the whole process marked as such. */
function callsCell(n: CallCount | null): string {
  if (!n) return '—';
  const counts = Object.entries(n.calls).map(([cmd, k]) => [fmtInt(k), cmd] as const);
  const width = Math.max(0, ...counts.map(([k]) => k.length));
  const lines = counts.map(([k, cmd]) => `${k.padStart(width)} ${cmd}`);
  if (n.covers === 'process') lines.push('(its whole process)');
  return lines.join('\n') || 'none';
}

export function renderPeers(r: PeersResultJson, opts: { color: boolean }): string {
  const c = paint(opts.color);
  const rows = r.results.map((x) => [
    implLabel(x),
    peersStrategyLabel(x.strategy, r.config.chunk),
    x.verified.ok ? c.green('ok') : x.verified.expectedToFail ? c.yellow('FAILED*') : c.red.bold('FAILED'),
    fmtNsPerEntry(x.nsPerEntry),
    x.ratioToC === null ? '—' : fmtRatio(x.ratioToC),
    x.allocatedBytesPerEntry === null ? '—' : x.allocatedBytesPerEntry < 10 ? x.allocatedBytesPerEntry.toFixed(2) : x.allocatedBytesPerEntry.toFixed(0),
    x.gcCount === null ? '—' : String(x.gcCount),
    String(x.runs),
  ]);
  const head = `${c.bold(`bpfbench peers: hash u32→u32, ${fmtInt(r.config.entries)} entries, one pinned map, ${r.config.rounds} rounds in alternation`)}\n${c.dim(`${r.context.kernel} · ${r.context.cpuModel} · ${r.context.cpus} CPUs`)}`;
  const table = compactTable(['implementation', 'strategy', 'verified', 'ns/entry\nmedian', '× C', 'alloc\nB/entry', 'GCs', 'runs'], ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'], rows, c);
  const selfCell = (x: PeerCellJson) => (x.selfBpfCalls === null ? '—' : x.selfBpfCalls.agrees ? c.green('= ✓') : c.red.bold('≠ ✗'));
  const callRows = r.results.map((x) => [implLabel(x), peersStrategyLabel(x.strategy, r.config.chunk), callsCell(x.bpfCalls), selfCell(x)]);
  const calls = compactTable(['implementation', 'strategy', 'bpf calls of one read,\ncounted by the kernel', 'own\ncount'], ['left', 'left', 'left', 'left'], callRows, c);
  const notes: string[] = [];
  if (r.results.some((x) => x.verified.expectedToFail && !x.verified.ok)) notes.push(c.dim('* the published loop: its failed verification is expected'));
  for (const x of r.results) if (!x.verified.ok && !x.verified.expectedToFail) notes.push(c.red.bold(`FAILED ${implLabel(x)} ${x.strategy}: `) + c.red(x.verified.problems.join('; ')));
  for (const s of r.skipped) notes.push(s.broken ? c.red.bold(`FAILED ${s.impl}: `) + c.red(s.why) : c.yellow(`skipped ${s.impl}: ${s.why}`));
  if (r.results.some((x) => x.impl === 'ts')) notes.push(c.dim('ts: bpfbench itself, its read loop native (C, one koffi call per hand-over) or js (one koffi call per syscall).'));
  notes.push(c.dim('bpftool is timed as a whole process (start-up and text output included); GCs and allocation are per read (Go: MemStats; TypeScript: V8).'));
  notes.push(c.dim('bpf calls: one untimed audit read per row, the syscall counter filtered to its process; own count: the implementation\'s count of the same read, = ✓ when it equals the kernel\'s.'));
  return [head, table, '', calls, ...notes].join('\n');
}
