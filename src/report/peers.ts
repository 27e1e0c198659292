// The peers comparison: every implementation × strategy, against the C floor.
import type { PeersOutcome } from '../harness/peers.js';
import { strategyByName, strategyLabel } from '../strategies/index.js';
import { paint } from './color.js';
import type { ToolInfo } from './result.js';
import { SCHEMA_VERSION } from './result.js';
import { fmtInt, fmtNsPerEntry, fmtRatio } from './format.js';
import { compactTable } from './table.js';

export interface PeerCellJson {
  impl: string;
  strategy: string;
  runs: number;
  verified: { ok: boolean; expectedToFail: boolean; entries: number; distinct: number; problems: string[] };
  wallNs: { mean: number; sd: number; median: number; min: number; max: number; samples: number[] };
  nsPerEntry: number;
  /** This implementation's median over C's, same strategy (null without C). */
  ratioToC: number | null;
  allocatedBytesPerEntry: number | null;
  gcCount: number | null;
  bpfCalls: Record<string, number> | null;
}

export interface PeersResultJson {
  schemaVersion: number;
  kind: 'peers';
  tool: ToolInfo;
  createdAt: string;
  context: PeersOutcome['context'];
  config: { entries: number; maxEntries: number; chunk: number; rounds: number; strategies: string[]; impls: string[]; fill: string };
  map: PeersOutcome['map'];
  results: PeerCellJson[];
  skipped: { impl: string; why: string }[];
  ok: boolean;
}

export function buildPeersResult(o: PeersOutcome, tool: ToolInfo, createdAt = new Date()): PeersResultJson {
  const c = (s: string) => o.cells.find((x) => x.impl === 'c' && x.strategy === s);
  const results = o.cells.map((x): PeerCellJson => {
    const base = c(x.strategy);
    return {
      impl: x.impl,
      strategy: x.strategy,
      runs: x.wallNs.samples.length,
      verified: { ok: x.verdict.ok, expectedToFail: x.expectedToFail, entries: x.verdict.entries, distinct: x.verdict.distinct, problems: x.verdict.problems },
      wallNs: { mean: x.wallNs.mean, sd: x.wallNs.sd, median: x.wallNs.median, min: x.wallNs.min, max: x.wallNs.max, samples: x.wallNs.samples },
      nsPerEntry: x.nsPerEntry,
      ratioToC: base && base.verdict.ok === x.verdict.ok ? x.wallNs.median / base.wallNs.median : null,
      allocatedBytesPerEntry: x.allocatedBytesPerEntry,
      gcCount: x.gcCount,
      bpfCalls: x.bpfCalls,
    };
  });
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'peers',
    tool,
    createdAt: createdAt.toISOString(),
    context: o.context,
    config: { entries: o.config.entries, maxEntries: o.config.maxEntries, chunk: o.config.chunk, rounds: o.config.rounds, strategies: [...o.config.strategies], impls: [...o.config.impls], fill: o.config.fill },
    map: o.map,
    results,
    skipped: o.skipped,
    ok: results.every((r) => r.verified.ok || r.verified.expectedToFail),
  };
}

/** `batch(4096)`, as `run` labels it; a name bpfbench does not know, as it is. */
function label(strategy: string, chunk: number): string {
  const s = strategyByName(strategy);
  return s ? strategyLabel(s, chunk) : strategy;
}

const IMPL_LABEL: Record<string, string> = { ts: 'bpfbench (TypeScript)', c: 'C, raw syscalls', go: 'Go, cilium/ebpf', bpftool: 'bpftool map dump' };

export function renderPeers(r: PeersResultJson, opts: { color: boolean }): string {
  const c = paint(opts.color);
  const rows = r.results.map((x) => [
    IMPL_LABEL[x.impl] ?? x.impl,
    label(x.strategy, r.config.chunk),
    x.verified.ok ? c.green('ok') : x.verified.expectedToFail ? c.yellow('FAILED*') : c.red.bold('FAILED'),
    fmtNsPerEntry(x.nsPerEntry),
    x.ratioToC === null ? '—' : fmtRatio(x.ratioToC),
    x.allocatedBytesPerEntry === null ? '—' : x.allocatedBytesPerEntry < 10 ? x.allocatedBytesPerEntry.toFixed(2) : x.allocatedBytesPerEntry.toFixed(0),
    x.gcCount === null ? '—' : String(x.gcCount),
    String(x.runs),
  ]);
  const head = `${c.bold(`bpfbench peers: hash u32→u32, ${fmtInt(r.config.entries)} entries, one pinned map, ${r.config.rounds} rounds in alternation`)}\n${c.dim(`${r.context.kernel} · ${r.context.cpuModel} · ${r.context.cpus} CPUs`)}`;
  const table = compactTable(['implementation', 'strategy', 'verified', 'ns/entry\nmedian', '× C', 'alloc\nB/entry', 'GCs', 'runs'], ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'], rows, c);
  const notes: string[] = [];
  if (r.results.some((x) => x.verified.expectedToFail && !x.verified.ok)) notes.push(c.dim('* the published loop: its failed verification is expected'));
  for (const x of r.results) if (!x.verified.ok && !x.verified.expectedToFail) notes.push(c.red.bold(`FAILED ${x.impl} ${x.strategy}: `) + c.red(x.verified.problems.join('; ')));
  for (const s of r.skipped) notes.push(c.yellow(`skipped ${s.impl}: ${s.why}`));
  notes.push(c.dim('bpftool is timed as a whole process (start-up and text output included); GCs and allocation are per read (Go: MemStats; TypeScript: V8).'));
  return [head, table, ...notes].join('\n');
}
