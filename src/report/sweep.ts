// The sweep's result, table, Markdown and chart: pure functions.
import { loopOf as configLoop } from '../harness/run.js';
import type { SweepOutcome, SweepPoint } from '../harness/sweep.js';
import type { ReadLoop } from '../strategies/index.js';
import { paint } from './color.js';
import { entriesLabel } from './export.js';
import { fmtInt, fmtNsPerEntry } from './format.js';
import type { ToolInfo } from './result.js';
import { SCHEMA_VERSION } from './result.js';
import { sweepSvg, type SweepSeries } from './svg.js';
import { compactTable } from './table.js';

export interface SweepResultJson {
  schemaVersion: number;
  kind: 'sweep';
  tool: ToolInfo;
  createdAt: string;
  context: SweepOutcome['context'];
  /** loop: where the read loop ran ('native' or 'js'). */
  config: { entries: number[]; chunks: number[]; strategies: string[]; mapType: string; fill: string; runs: number; loop: ReadLoop };
  points: SweepPoint[];
  /** Per size and strategy: the chunk with the lowest ns/entry. */
  best: { entries: number; strategy: string; chunk: number; nsPerEntry: number }[];
  ok: boolean;
}

export function buildSweepResult(o: SweepOutcome, tool: ToolInfo, createdAt = new Date()): SweepResultJson {
  const best: SweepResultJson['best'] = [];
  for (const entries of o.config.entries) {
    for (const s of o.config.strategies) {
      const pts = o.points.filter((p) => p.entries === entries && p.strategy === s.name && p.verified && p.chunk !== null);
      if (!pts.length) continue;
      const b = pts.reduce((a, p) => (p.nsPerEntry < a.nsPerEntry ? p : a));
      best.push({ entries, strategy: s.name, chunk: b.chunk!, nsPerEntry: b.nsPerEntry });
    }
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'sweep',
    tool,
    createdAt: createdAt.toISOString(),
    context: o.context,
    config: { entries: o.config.entries, chunks: o.config.chunks, strategies: o.config.strategies.map((s) => s.name), mapType: o.config.mapType ?? 'hash', fill: o.config.fill, runs: o.config.repeat.minRuns, loop: configLoop(o.config) },
    points: o.points,
    best,
    ok: o.points.every((p) => p.verified),
  };
}

/** Rows: chunk; columns: each size's ns/entry per strategy; elem first as the reference. */
export function renderSweepTable(r: SweepResultJson, opts: { color: boolean }): string {
  const c = paint(opts.color);
  const sizes = r.config.entries;
  const cols = sizes.flatMap((e) => r.config.strategies.map((s) => ({ e, s })));
  const head = ['chunk', ...cols.map(({ e, s }) => `${s} ${entriesLabel(e)}\nns/entry`)];
  const cell = (p: SweepPoint | undefined) => (!p ? '—' : !p.verified ? c.red.bold('FAILED') : fmtNsPerEntry(p.nsPerEntry) + (p.chunkGrowths ? c.dim(`→${p.effectiveChunk}`) : ''));
  const rows: string[][] = [];
  const elemRow = sizes.map((e) => r.points.find((p) => p.entries === e && p.strategy === 'elem'));
  if (elemRow.some((p) => p)) rows.push([c.dim('elem'), ...cols.map(({ e }) => cell(elemRow[sizes.indexOf(e)]))]);
  for (const chunk of r.config.chunks) {
    rows.push([fmtInt(chunk), ...cols.map(({ e, s }) => cell(r.points.find((p) => p.entries === e && p.strategy === s && p.chunk === chunk)))]);
  }
  const table = compactTable(head, ['right', ...cols.map(() => 'right' as const)], rows, c);
  const best = r.best.map((b) => `${b.strategy} ${entriesLabel(b.entries)}: chunk ${fmtInt(b.chunk)} (${fmtNsPerEntry(b.nsPerEntry)} ns/entry)`).join('; ');
  const title = c.bold(`bpfbench sweep: ${r.config.mapType}, ${r.config.entries.map(entriesLabel).join(', ')} entries, loop ${r.config.loop}`);
  return `${title}\n${table}\n${c.bold(`fastest chunk: ${best}`)}` + (r.points.some((p) => p.chunkGrowths) ? `\n${c.dim('→N: ENOSPC grew the chunk to N')}` : '');
}

export function sweepMarkdown(r: SweepResultJson): string {
  const lines = [`### bpfbench sweep: ${r.config.mapType}, ${r.config.entries.map(entriesLabel).join(', ')} entries, loop ${r.config.loop}`, '', `${r.context.kernel}, ${r.context.cpuModel}`, ''];
  lines.push('| size | strategy | chunk | effective chunk | ns/entry | verified |', '|---|---|---|---|---|---|');
  for (const p of r.points) lines.push(`| ${entriesLabel(p.entries)} | ${p.strategy} | ${p.chunk ?? '—'} | ${p.effectiveChunk ?? '—'} | ${p.nsPerEntry.toFixed(1)} | ${p.verified ? 'ok' : 'FAILED'} |`);
  lines.push('', ...r.best.map((b) => `- fastest ${b.strategy} at ${entriesLabel(b.entries)}: chunk ${b.chunk} (${b.nsPerEntry.toFixed(1)} ns/entry)`));
  return `${lines.join('\n')}\n`;
}

export function sweepChart(r: SweepResultJson): string {
  const series: SweepSeries[] = [];
  for (const e of r.config.entries) {
    for (const s of r.config.strategies) {
      const pts = r.points.filter((p) => p.entries === e && p.strategy === s && p.chunk !== null && p.verified);
      if (!pts.length) continue;
      const ref = r.points.find((p) => p.entries === e && p.strategy === 'elem' && p.verified);
      series.push({ label: `${entriesLabel(e)}${r.config.strategies.length > 1 ? ` ${s}` : ''}`, points: pts.map((p) => [p.chunk!, p.nsPerEntry]), reference: ref?.nsPerEntry });
    }
  }
  return sweepSvg(series, `ns per entry vs chunk: ${r.config.mapType}, ${r.config.entries.map(entriesLabel).join(' and ')} entries, loop ${r.config.loop}`);
}
