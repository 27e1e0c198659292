// Exports of a run result: Markdown, CSV, and github-action-benchmark's
// `customSmallerIsBetter` JSON. Pure functions returning strings.
//
// Each names the read loop (config.loop): the Markdown heading says it, the
// CSV has a `loop` column (the last, so the columns before it keep their
// places), and github-action-benchmark names get ` [js]` for the js loop
// only: the default native loop keeps the plain names, so a chart follows
// the default, and js figures are a series of their own.
import { entriesLabel } from './format.js';
import { loopOf, type RunResultJson } from '../result/run-json.js';

export function toMarkdown(r: RunResultJson): string {
  const c = r.config;
  const lines = [
    `### bpfbench: ${c.mapType} ${c.keySize}/${c.valueSize} B, ${c.entries.toLocaleString('en-US')} entries, loop ${loopOf(r)}`,
    '',
    `${r.context.kernel}, ${r.context.cpuModel}, ${r.context.cpus} CPUs, node ${r.context.node}`,
    '',
    '| strategy | verified | runs | wall median (ns) | σ (ns) | ns/entry | bpf calls/entry | kernel count | alloc B/entry | GCs | speedup vs elem |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of r.results) {
    const speed = r.summary.speedup[s.strategy];
    lines.push(
      `| ${s.label} | ${s.verified.ok ? 'ok' : 'FAILED'} | ${s.runs} | ${Math.round(s.wallNs.median)} | ${Math.round(s.wallNs.sd)} | ${s.nsPerEntry.toFixed(1)} | ${s.syscalls.perEntry.toFixed(4)} | ${s.syscalls.agree === null ? 'off' : s.syscalls.agree ? 'agrees' : 'DIFFERS'} | ${s.memory.allocatedBytesPerEntry.toFixed(3)} | ${s.memory.gcCount} | ${speed === undefined ? '—' : `${speed.toFixed(2)}×`} |`,
    );
  }
  lines.push('', r.summary.line);
  if (r.warnings.length) lines.push('', ...r.warnings.map((w) => `- ${w}`));
  return `${lines.join('\n')}\n`;
}

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function toCsv(r: RunResultJson): string {
  const head = [
    'strategy',
    'label',
    'chunk',
    'verified',
    'entries',
    'distinct',
    'runs',
    'wall_median_ns',
    'wall_mean_ns',
    'wall_sd_ns',
    'ns_per_entry',
    'bpf_calls',
    'bpf_calls_per_entry',
    'kernel_agrees',
    'allocated_bytes_per_entry',
    'gc_count',
    'speedup_vs_elem',
    'loop',
  ];
  const rows = r.results.map((s) => [
    s.strategy,
    s.label,
    s.chunk ?? '',
    s.verified.ok ? 'ok' : 'FAILED',
    s.verified.entries,
    s.verified.distinct,
    s.runs,
    s.wallNs.median,
    s.wallNs.mean,
    s.wallNs.sd,
    s.nsPerEntry,
    s.syscalls.bpfTotal,
    s.syscalls.perEntry,
    s.syscalls.agree === null ? '' : String(s.syscalls.agree),
    s.memory.allocatedBytesPerEntry,
    s.memory.gcCount,
    r.summary.speedup[s.strategy] ?? '',
    loopOf(r),
  ]);
  return `${[head, ...rows].map((row) => row.map(csvCell).join(',')).join('\n')}\n`;
}

/** github-action-benchmark, tool `customSmallerIsBetter`: `[{name, unit, value, range}]`. */
export function toGab(r: RunResultJson): { name: string; unit: string; value: number; range: string }[] {
  const size = entriesLabel(r.config.entries);
  const loop = loopOf(r) === 'js' ? ' [js]' : '';
  const out: { name: string; unit: string; value: number; range: string }[] = [];
  for (const s of r.results) {
    if (!s.verified.ok) continue;
    const perEntrySd = s.wallNs.sd / Math.max(1, s.verified.entries);
    out.push({ name: `${s.label} ns/entry (${size})${loop}`, unit: 'ns/entry', value: Number(s.nsPerEntry.toFixed(3)), range: `± ${perEntrySd.toFixed(3)}` });
    out.push({ name: `${s.label} allocated B/entry (${size})${loop}`, unit: 'B/entry', value: Number(s.memory.allocatedBytesPerEntry.toFixed(4)), range: '± 0' });
  }
  return out;
}
