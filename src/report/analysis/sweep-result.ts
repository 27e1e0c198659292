// The sweep's result, table and Markdown: pure functions (its chart: rendering/svg.ts). Per point,
// ns/entry next to how long one call took (p99, max); per size and strategy,
// the fitted cost model (fit.ts), the chunk within 5 % of its asymptote, and
// with a latency budget the fastest chunk whose p99 call stays within it.
import { REFERENCE, referenceOf, type Unavailable } from '../../strategies/index.js';
import type { CallLatency } from '../../bpf/native/latency.js';
import { loopOf as configLoop } from '../../harness/measuring/run-benchmark.js';
import type { SweepOutcome, SweepPoint } from '../../harness/measuring/run-sweep.js';
import type { ReadLoop } from '../../strategies/index.js';
import { paint } from '../formats/color.js';
import { chunkWithin, type CostFit, fitChunkCost } from './fit.js';
import { entriesLabel, fmtDuration, fmtInt, fmtNsPerEntry } from '../formats/format.js';
import type { ToolInfo } from '../result/strategy-json.js';
import { loopOf } from '../result/run-json.js';
import { SCHEMA_VERSION } from '../result/strategy-json.js';
import { SCHEMA_IDS } from '../schema/ids.js';
import { sizeLabel } from '../rendering/sweep-chart.js';
import { compactTable } from '../rendering/table.js';

/** The fraction of the asymptote the fit's "good enough" chunk is within. */
export const NEAR_ASYMPTOTE = 0.05;

/** The cost model of one size and strategy, fitted on its verified chunk points (x: the chunk in use). */
export type SweepFitJson = CostFit & {
  entries: number;
  strategy: string;
  /** The smallest chunk whose fitted ns/entry is within 5 % of perEntry; null without a positive asymptote. */
  within5pctChunk: number | null;
};

/** Per size and strategy: the fastest chunk whose p99 call latency is within the budget, or none. */
export interface LatencyPickJson {
  entries: number;
  strategy: string;
  /** null: no chunk's p99 call is within the budget. */
  chunk: number | null;
  nsPerEntry: number | null;
  p99: number | null;
  /** The chunk with the smallest p99 call (what comes closest), when none is within. */
  closest: { chunk: number; p99: number } | null;
}

export interface SweepResultJson {
  /** schema/sweep.schema.json; absent in results from before it was written. */
  $schema?: string;
  schemaVersion: number;
  kind: 'sweep';
  tool: ToolInfo;
  createdAt: string;
  context: SweepOutcome['context'];
  /** loop: where the read loop ran ('native' or 'js'); maxEntries: max_entries per size (sparse maps). */
  config: { entries: number[]; maxEntries: number[]; chunks: number[]; strategies: string[]; mapType: string; fill: string; runs: number; loop: ReadLoop; maxCallLatencyNs: number | null };
  points: SweepPoint[];
  /** Per size and strategy: the chunk with the lowest ns/entry. */
  best: { entries: number; strategy: string; chunk: number; nsPerEntry: number }[];
  /** Per size and strategy: ns/entry ≈ perCall / chunk + perEntry, least squares on the medians. */
  fits: SweepFitJson[];
  /** With --max-call-latency: the budget (ns) and the chunk picked per size and strategy; null without. */
  latencyBudget: { maxCallLatencyNs: number; picks: LatencyPickJson[] } | null;
  ok: boolean;
  /** Strategies of a default list this kernel refuses, left out (absent before it was recorded). */
  unavailable?: Unavailable[];
}

export interface SweepResultOptions {
  /** The p99 call latency a chunk must stay within (ns). */
  maxCallLatencyNs?: number;
}

/** The verified chunk points of one size and strategy. */
const chunkPoints = (points: readonly SweepPoint[], entries: number, strategy: string) => points.filter((p) => p.entries === entries && p.strategy === strategy && p.verified && p.chunk !== null);

/** The chunk a point's calls ran with: the one ENOSPC grew it to, else the one asked. */
const chunkInUse = (p: SweepPoint) => p.effectiveChunk ?? p.chunk!;

/**
 * The fastest (lowest ns/entry) of `points` whose p99 call latency is at
 * most `budgetNs`; undefined when none is (points without a latency never are).
 */
export function fastestWithin(points: readonly SweepPoint[], budgetNs: number): SweepPoint | undefined {
  let best: SweepPoint | undefined;
  for (const p of points) {
    if (p.chunk === null || !p.verified || !p.callLatency || p.callLatency.p99 > budgetNs) continue;
    if (!best || p.nsPerEntry < best.nsPerEntry) best = p;
  }
  return best;
}

/** The cost model of one series, with its chunk within 5 %; undefined with fewer than two chunks in use. */
export function fitSeries(points: readonly SweepPoint[]): (CostFit & { within5pctChunk: number | null }) | undefined {
  const fit = fitChunkCost(points.map((p) => [chunkInUse(p), p.nsPerEntry] as const));
  return fit && { ...fit, within5pctChunk: chunkWithin(fit, NEAR_ASYMPTOTE) };
}

function latencyPick(points: readonly SweepPoint[], entries: number, strategy: string, budgetNs: number): LatencyPickJson {
  const pick = fastestWithin(points, budgetNs);
  if (pick) return { entries, strategy, chunk: pick.chunk, nsPerEntry: pick.nsPerEntry, p99: pick.callLatency!.p99, closest: null };
  const timed = points.filter((p) => p.callLatency);
  const closest = timed.length ? timed.reduce((a, p) => (p.callLatency!.p99 < a.callLatency!.p99 ? p : a)) : undefined;
  return { entries, strategy, chunk: null, nsPerEntry: null, p99: null, closest: closest ? { chunk: closest.chunk!, p99: closest.callLatency!.p99 } : null };
}

export function buildSweepResult(o: SweepOutcome, tool: ToolInfo, createdAt = new Date(), opts: SweepResultOptions = {}): SweepResultJson {
  const best: SweepResultJson['best'] = [];
  const fits: SweepFitJson[] = [];
  const picks: LatencyPickJson[] = [];
  for (const entries of o.config.entries) {
    for (const s of o.config.strategies) {
      const pts = chunkPoints(o.points, entries, s.name);
      if (opts.maxCallLatencyNs !== undefined) picks.push(latencyPick(pts, entries, s.name, opts.maxCallLatencyNs));
      if (!pts.length) continue;
      const b = pts.reduce((a, p) => (p.nsPerEntry < a.nsPerEntry ? p : a));
      best.push({ entries, strategy: s.name, chunk: b.chunk!, nsPerEntry: b.nsPerEntry });
      const fit = fitSeries(pts);
      if (fit) fits.push({ entries, strategy: s.name, ...fit });
    }
  }
  return {
    $schema: SCHEMA_IDS.sweep,
    schemaVersion: SCHEMA_VERSION,
    kind: 'sweep',
    tool,
    createdAt: createdAt.toISOString(),
    context: o.context,
    config: {
      entries: o.config.entries,
      maxEntries: o.config.entries.map((e, i) => o.config.maxEntries?.[i] ?? e),
      chunks: o.config.chunks,
      strategies: o.config.strategies.map((s) => s.name),
      mapType: o.config.mapType ?? 'hash',
      fill: o.config.fill,
      runs: o.config.repeat.minRuns,
      loop: configLoop(o.config),
      maxCallLatencyNs: opts.maxCallLatencyNs ?? null,
    },
    points: o.points,
    best,
    fits,
    latencyBudget: opts.maxCallLatencyNs === undefined ? null : { maxCallLatencyNs: opts.maxCallLatencyNs, picks },
    ok: o.points.every((p) => p.verified),
  };
}

/** `64Ki` or, for a sparse map, `64Ki of 16Mi`, joined by `sep`. */
const sizesLabel = (r: SweepResultJson, sep: string) => r.config.entries.map((_, i) => sizeLabel(r, i)).join(sep);

/** `1,234 ± 56` (no ± without a standard error). */
const pm = (x: number, se: number | null) => `${fmtNsPerEntry(x)}${se === null ? '' : ` ± ${fmtNsPerEntry(se)}`}`;

/** One line per fit: both constants with their standard errors, the fit's error, and the chunk within 5 %. */
export function fitLine(f: SweepFitJson, label: string): string {
  const err = [f.r2 === null ? undefined : `R² ${f.r2.toFixed(3)}`, f.rse === null ? undefined : `residual σ ${fmtNsPerEntry(f.rse)} ns/entry`, `${f.n} points`].filter((x) => x).join(', ');
  const near = f.within5pctChunk === null ? 'no positive asymptote: the model does not fit' : `within 5 % of ${fmtNsPerEntry(f.perEntryNs)} ns/entry from chunk ${fmtInt(f.within5pctChunk)}`;
  return `${label}: ${pm(f.perCallNs, f.perCallSe)} ns per call, ${pm(f.perEntryNs, f.perEntrySe)} ns per entry (${err}); ${near}`;
}

/** One line per size and strategy: the chunk picked under the budget, or that none is. */
export function budgetLine(p: LatencyPickJson, label: string): string {
  if (p.chunk !== null) return `${label}: chunk ${fmtInt(p.chunk)} (${fmtNsPerEntry(p.nsPerEntry!)} ns/entry, p99 call ${fmtDuration(p.p99!, 'compact')})`;
  return `${label}: no chunk${p.closest ? ` (the smallest p99 call is ${fmtDuration(p.closest.p99, 'compact')}, at chunk ${fmtInt(p.closest.chunk)})` : ' (no call was timed)'}`;
}

/** A series in the fit and budget lines: `batch 1Mi`, `batch 64Ki of 16Mi`. */
const seriesLabel = (r: SweepResultJson, entries: number, strategy: string) => `${strategy} ${sizeLabel(r, r.config.entries.indexOf(entries))}`;

/** Rows: chunk; columns: each size's ns/entry, p99 and max call per strategy; elem first as the reference. */
export function renderSweepTable(r: SweepResultJson, opts: { color: boolean }): string {
  const c = paint(opts.color);
  const sizes = r.config.entries;
  const cols = sizes.flatMap((e, i) => r.config.strategies.map((s) => ({ e, s, i })));
  const head = ['chunk', ...cols.flatMap(({ s, i }) => [`${s} ${sizeLabel(r, i)}\nns/entry`, 'p99\ncall', 'max\ncall'])];
  const lat = (l: CallLatency | null | undefined, f: (l: CallLatency) => number) => (l ? fmtDuration(f(l), 'compact') : '—');
  const cells = (p: SweepPoint | undefined) =>
    !p
      ? ['—', '—', '—']
      : [!p.verified ? c.red.bold('FAILED') : fmtNsPerEntry(p.nsPerEntry) + (p.chunkGrowths ? c.dim(`→${p.effectiveChunk}`) : ''), lat(p.callLatency, (l) => l.p99), lat(p.callLatency, (l) => l.max)];
  const rows: string[][] = [];
  const refRow = sizes.map((e) => referenceOf(r.points, (p) => p.entries === e));
  if (refRow.some((p) => p)) rows.push([c.dim(REFERENCE.name), ...cols.flatMap(({ e }) => cells(refRow[sizes.indexOf(e)]))]);
  for (const chunk of r.config.chunks) {
    rows.push([fmtInt(chunk), ...cols.flatMap(({ e, s }) => cells(r.points.find((p) => p.entries === e && p.strategy === s && p.chunk === chunk)))]);
  }
  const table = compactTable(
    head,
    head.map(() => 'right' as const),
    rows,
    c,
  );
  const best = r.best.map((b) => `${b.strategy} ${entriesLabel(b.entries)}: chunk ${fmtInt(b.chunk)} (${fmtNsPerEntry(b.nsPerEntry)} ns/entry)`).join('; ');
  const title = c.bold(`bpfbench sweep: ${r.config.mapType}, ${sizesLabel(r, ', ')} entries, loop ${loopOf(r)}`);
  const lines = [title, table, c.bold(`fastest chunk: ${best}`)];
  if (r.fits?.length) {
    lines.push(c.bold('cost model, least squares on the medians: ns/entry ≈ perCall / chunk + perEntry (± standard errors)'));
    for (const f of r.fits) lines.push(`  ${fitLine(f, seriesLabel(r, f.entries, f.strategy))}`);
  }
  if (r.latencyBudget) {
    lines.push(c.bold(`fastest chunk with p99 call ≤ ${fmtDuration(r.latencyBudget.maxCallLatencyNs, 'compact')}:`));
    for (const p of r.latencyBudget.picks) lines.push(`  ${p.chunk === null ? c.yellow(budgetLine(p, seriesLabel(r, p.entries, p.strategy))) : budgetLine(p, seriesLabel(r, p.entries, p.strategy))}`);
  }
  if (r.points.some((p) => p.chunkGrowths)) lines.push(c.dim('→N: ENOSPC grew the chunk to N'));
  const sampled = [...new Set(r.points.map((p) => p.callLatency?.sampledEvery ?? 1).filter((k) => k > 1))];
  if (sampled.length) lines.push(c.dim(`p99/max call: every call timed, except one in ${sampled.join(' or ')} for calls of fewer than 64 entries (per-element calls)`));
  return lines.join('\n');
}

export function sweepMarkdown(r: SweepResultJson): string {
  const lines = [`### bpfbench sweep: ${r.config.mapType}, ${sizesLabel(r, ', ')} entries, loop ${loopOf(r)}`, '', `${r.context.kernel}, ${r.context.cpuModel}`, ''];
  lines.push('| size | strategy | chunk | effective chunk | ns/entry | p99 call | max call | verified |', '|---|---|---|---|---|---|---|---|');
  const lat = (p: SweepPoint, f: (l: CallLatency) => number) => (p.callLatency ? fmtDuration(f(p.callLatency), 'compact') : '—');
  for (const p of r.points) {
    lines.push(
      `| ${entriesLabel(p.entries)} | ${p.strategy} | ${p.chunk ?? '—'} | ${p.effectiveChunk ?? '—'} | ${p.nsPerEntry.toFixed(1)} | ${lat(p, (l) => l.p99)} | ${lat(p, (l) => l.max)} | ${p.verified ? 'ok' : 'FAILED'} |`,
    );
  }
  lines.push('', ...r.best.map((b) => `- fastest ${b.strategy} at ${entriesLabel(b.entries)}: chunk ${b.chunk} (${b.nsPerEntry.toFixed(1)} ns/entry)`));
  if (r.fits?.length) {
    lines.push('', 'Cost model, least squares on the medians: ns/entry ≈ perCall / chunk + perEntry (± standard errors):', '');
    for (const f of r.fits) lines.push(`- ${fitLine(f, seriesLabel(r, f.entries, f.strategy))}`);
  }
  if (r.latencyBudget) {
    lines.push('', `Fastest chunk with p99 call ≤ ${fmtDuration(r.latencyBudget.maxCallLatencyNs, 'compact')}:`, '');
    for (const p of r.latencyBudget.picks) lines.push(`- ${budgetLine(p, seriesLabel(r, p.entries, p.strategy))}`);
  }
  return `${lines.join('\n')}\n`;
}
