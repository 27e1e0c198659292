// The merged tables of `bpfbench report` (fleet.ts), for a terminal and as
// Markdown: a column per result headed by its file, kernel, CPU and loop;
// per cell ns/entry and × elem (and × C for peers). Pure functions.
import { paint } from '../formats/color.js';
import { cpuLabel, machineKey } from '../analysis/configuration.js';
import type { Cell, Fleet, FleetColumn, FleetTable } from '../analysis/fleet.js';
import { fmtNsPerEntry, fmtRatio, injectText, machineText } from '../formats/format.js';
import { compactTable } from './table.js';

/** The head of a column: the file, the kernel, the CPU, the loop. */
export function columnHead(c: FleetColumn): string[] {
  return [c.file, c.machine.kernel, cpuLabel(c.machine), c.loop === null ? 'loop per row' : `loop ${c.loop}`];
}

export const cellFailed = (cell: Cell) => (cell.ok ? null : cell.expectedToFail ? 'FAILED*' : 'FAILED');

/** The figures a table shows per result: ns/entry and × elem, and × C for peers. */
export function cellFigures(t: FleetTable, cell: Cell): string[] {
  const out = [fmtNsPerEntry(cell.nsPerEntry), cell.speedup === null ? '—' : fmtRatio(cell.speedup)];
  if (t.config.family === 'peers') out.push(cell.ratioToC === null ? '—' : fmtRatio(cell.ratioToC));
  return out;
}

export function figureNames(t: FleetTable): string[] {
  return t.config.family === 'peers' ? ['ns/entry', '× elem', '× C'] : ['ns/entry', '× elem'];
}

/** Some cell failed verification as expected (the published loop). */
export const anyExpectedFailure = (f: Fleet) => f.tables.some((t) => t.rows.some((r) => r.cells.some((c) => c && !c.ok && c.expectedToFail)));

const NOTES = {
  speedup: '× elem: median elem time / median time, in the same result (peers: the same implementation); ns/entry: median',
  failed: '* the published loop: its failed verification is expected',
};

function tableNotes(t: FleetTable): string[] {
  const notes: string[] = [];
  const machines = new Set(t.columns.map((c) => machineKey(c.machine)));
  if (machines.size > 1) notes.push(`${machines.size} machines: the columns differ in kernel or CPU as well as in the figures`);
  const loops = new Set(t.columns.map((c) => c.loop).filter((l) => l !== null));
  if (loops.size > 1) notes.push(`read loops ${[...loops].join(' and ')}: a native loop makes one call into C per read, js one per syscall`);
  return notes;
}

/** The merged tables, for a terminal. */
export function renderFleet(f: Fleet, opts: { color: boolean }): string {
  const c = paint(opts.color);
  const out: string[] = [
    c.bold(
      `bpfbench report: ${f.results} result${f.results === 1 ? '' : 's'} from ${f.machines} machine${f.machines === 1 ? '' : 's'}, ${f.tables.length} configuration${f.tables.length === 1 ? '' : 's'}`,
    ),
  ];
  for (const t of f.tables) {
    const names = figureNames(t);
    // Per column, the width of each figure, so the figures line up under their names.
    const widths = t.columns.map((_, i) => names.map((n, k) => Math.max(n.length, ...t.rows.map((r) => (r.cells[i] ? cellFigures(t, r.cells[i]!)[k]!.length : 0)))));
    const join = (i: number, xs: string[]) => xs.map((x, k) => x.padStart(widths[i]![k]!)).join('  ');
    const head = [`${'\n'.repeat(columnHead(t.columns[0]!).length)}strategy`, ...t.columns.map((col, i) => [...columnHead(col), join(i, names)].join('\n'))];
    const rows = t.rows.map((r) => [
      r.label,
      ...r.cells.map((cell, i) => {
        if (!cell) return c.dim('—');
        const failed = cellFailed(cell);
        if (failed) return cell.expectedToFail ? c.yellow(failed) : c.red.bold(failed);
        return join(i, cellFigures(t, cell));
      }),
    ]);
    out.push('', c.bold(t.title), compactTable(head, ['left', ...t.columns.map(() => 'right' as const)], rows, c));
    for (const n of tableNotes(t)) out.push(c.dim(n));
  }
  out.push('', c.dim(NOTES.speedup));
  if (anyExpectedFailure(f)) out.push(c.dim(NOTES.failed));
  if (f.incomparable.length) {
    out.push('', c.bold('Not compared (another configuration):'));
    for (const line of f.incomparable) out.push(`  ${line}`);
  }
  return out.join('\n');
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|');

/** The merged tables as Markdown. */
export function fleetMarkdown(f: Fleet): string {
  const lines: string[] = [`### bpfbench report: ${f.results} results from ${f.machines} machine${f.machines === 1 ? '' : 's'}`];
  for (const t of f.tables) {
    lines.push('', `#### ${t.title}`, '');
    lines.push(`| strategy | ${t.columns.map((col) => columnHead(col).map(mdCell).join('<br>')).join(' | ')} |`);
    lines.push(`|---|${t.columns.map(() => '---:').join('|')}|`);
    for (const r of t.rows) {
      const cells = r.cells.map((cell) =>
        !cell
          ? '—'
          : (cellFailed(cell) ??
            cellFigures(t, cell)
              .map((x, k) => (k === 0 ? `${x} ns` : `${x}${k === 2 ? ' C' : ''}`))
              .join(' · ')),
      );
      lines.push(`| ${mdCell(r.label)} | ${cells.join(' | ')} |`);
    }
    const notes = tableNotes(t);
    if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));
  }
  lines.push('', `Each cell: ${figureNames(f.tables.find((t) => t.config.family === 'peers') ?? f.tables[0]!).join(' · ')}. ${NOTES.speedup}.`);
  if (anyExpectedFailure(f)) lines.push('', NOTES.failed);
  if (f.incomparable.length) lines.push('', 'Not compared (another configuration):', '', ...f.incomparable.map((l) => `- ${l}`));
  return `${lines.join('\n')}\n`;
}

/**
 * Each file's machine beyond its kernel and CPU (mitigations, BPF JIT,
 * hypervisor, SMT, clock source, THP) and an injected slowdown, one line
 * each; empty when no result recorded them.
 */
export function renderMachines(results: readonly { file: string; json: { context: Parameters<typeof machineText>[0] } }[], opts: { color: boolean }): string {
  const c = paint(opts.color);
  const lines: string[] = [];
  for (const r of results) {
    const m = machineText(r.json.context);
    const inj = injectText(r.json.context);
    if (m) lines.push(c.dim(`${r.file}: ${m}`));
    if (inj) lines.push(c.red.bold(`${r.file}: ${inj}`));
  }
  return lines.length ? ['', c.bold('Machines:'), ...lines].join('\n') : '';
}
