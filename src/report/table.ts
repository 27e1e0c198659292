// The comparison table of a run, as a string (cli-table3 + chalk).
import { Chalk } from 'chalk';
import Table from 'cli-table3';
import type { RunResultJson } from './result.js';
import { fmtBytes, fmtDuration, fmtInt, fmtNsPerEntry, fmtRate, fmtRatio } from './format.js';

export interface RenderOptions {
  color: boolean;
}

export function renderRunTable(r: RunResultJson, opts: RenderOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const table = new Table({
    head: ['strategy', 'entries read', 'verified', 'wall (median)', 'ns/entry', 'entries/s', 'bpf calls', 'calls/entry', 'heap Δ', 'GCs', 'speedup'],
    style: { head: opts.color ? ['cyan'] : [], border: opts.color ? ['grey'] : [] },
    colAligns: ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const s of r.results) {
    const v = s.verified;
    const verified = v.ok ? c.green('ok') : c.red.bold('FAILED');
    const speed = r.summary.speedup[s.strategy];
    table.push([
      s.label,
      fmtInt(v.entries),
      verified,
      fmtDuration(s.wallNs.median) + (s.runs > 1 ? c.dim(` ×${s.runs}`) : ''),
      fmtNsPerEntry(s.nsPerEntry),
      fmtRate(s.entriesPerSec),
      fmtInt(s.syscalls.bpfTotal),
      s.syscalls.perEntry.toFixed(s.syscalls.perEntry >= 0.1 ? 2 : 4),
      fmtBytes(s.memory.heapUsedDeltaBytes, true),
      String(s.memory.gcCount),
      speed === undefined ? '—' : fmtRatio(speed),
    ]);
  }
  return table.toString();
}

/** Lines under the table: failures (red), warnings (yellow), then the summary. */
export function renderRunFooter(r: RunResultJson, opts: RenderOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const lines: string[] = [];
  for (const s of r.results) {
    if (!s.verified.ok) {
      const why = s.verified.expectedToFail ? ' (this loop never advances its cursor: the flaw being reproduced)' : '';
      lines.push(c.red.bold(`FAILED ${s.label}: `) + c.red(s.verified.problems.join('; ') + why));
    }
  }
  for (const w of r.warnings) lines.push(c.yellow(`warning: ${w}`));
  lines.push(r.summary.ok ? c.bold(r.summary.line) : c.red.bold(r.summary.line));
  return lines.join('\n');
}

/** The header above the table: what was measured, where. */
export function renderRunHeader(r: RunResultJson, opts: RenderOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const cfg = r.config;
  const map = `${cfg.mapType} ${cfg.keySize * 8 === 32 ? 'u32' : `${cfg.keySize}B`}→${cfg.valueSize * 8 === 32 ? 'u32' : `${cfg.valueSize}B`}, ${fmtInt(cfg.entries)} entries` + (cfg.maxEntries !== cfg.entries ? ` of ${fmtInt(cfg.maxEntries)}` : '');
  const fill = `filled by ${r.fill.method} in ${fmtDuration(r.fill.wallNs)} (${fmtNsPerEntry(r.fill.nsPerEntry)} ns/entry)`;
  const mem = r.map.memlockBytes !== undefined ? `, kernel memory ${fmtBytes(r.map.memlockBytes)}` : '';
  return [
    c.bold(`bpfbench run: ${map}`),
    c.dim(`map created in ${fmtDuration(r.map.createNs)}${mem}; ${fill}`),
    c.dim(`${r.context.kernel} · ${r.context.cpuModel} · ${r.context.cpus} CPUs · node ${r.context.node} · koffi ${r.context.koffi} · libbpf ${r.context.libbpf}`),
  ].join('\n');
}
