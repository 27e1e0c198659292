// The tables of a run, as strings (cli-table3 + chalk): a compact main table
// that fits 80 columns, and a detail table (--verbose) with every figure.
import Table from 'cli-table3';
import { paint, type ChalkInstance } from '../formats/color.js';
import { loopOf, type RunResultJson, type WallTimeJson } from '../result/run-json.js';
import type { StrategyResultJson } from '../result/strategy-json.js';
import { fmtBytes, fmtDuration, fmtInt, fmtNsPerEntry, fmtRate, fmtRatio, fmtX, injectText, machineText } from '../formats/format.js';
import { noiseLine } from './detail-table.js';

export interface RenderOptions {
  color: boolean;
}

/** Borderless: two spaces between columns, a rule under the head. */
const COMPACT = {
  chars: {
    top: '',
    'top-mid': '',
    'top-left': '',
    'top-right': '',
    bottom: '',
    'bottom-mid': '',
    'bottom-left': '',
    'bottom-right': '',
    left: '',
    'left-mid': '',
    mid: '',
    'mid-mid': '',
    right: '',
    'right-mid': '',
    middle: '  ',
  },
  style: { 'padding-left': 0, 'padding-right': 0, head: [] as string[], border: [] as string[] },
};

/** `gap`: spaces between columns (default 2). */
export function compactTable(head: string[], aligns: ('left' | 'right')[], rows: string[][], c: ChalkInstance, gap = 2): string {
  const chars = { ...COMPACT.chars, middle: ' '.repeat(gap) };
  const t = new Table({
    ...COMPACT,
    chars,
    head: head.map((h) =>
      h
        .split('\n')
        .map((l) => c.bold(l))
        .join('\n'),
    ),
    colAligns: aligns,
  });
  for (const r of rows) t.push(r);
  const lines = t.toString().split('\n');
  // A rule under the head (as many lines as its tallest cell), as wide as the table.
  const headLines = Math.max(...head.map((h) => h.split('\n').length));
  const width = Math.max(...lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').length));
  return [...lines.slice(0, headLines), c.dim('─'.repeat(width)), ...lines.slice(headLines)].map((l) => l.trimEnd()).join('\n');
}

/** `4.67 s ±1.2%` (σ relative to the mean) when there are repeats. */
function wallCell(s: StrategyResultJson): string {
  const med = fmtDuration(s.wallNs.median);
  if (s.runs < 2) return med;
  return `${med} ±${((s.wallNs.sd / s.wallNs.mean) * 100).toFixed(1)}%`;
}

function callsCell(s: StrategyResultJson, c: ChalkInstance): string {
  const per = s.syscalls.perEntry >= 0.1 ? s.syscalls.perEntry.toFixed(2) : s.syscalls.perEntry.toFixed(4);
  if (s.syscalls.agree === null) return per;
  return s.syscalls.agree ? `${per} ${c.green('✓')}` : `${per} ${c.red.bold('✗')}`;
}

export function allocCell(s: StrategyResultJson): string {
  const b = s.memory.allocatedBytesPerEntry;
  return b >= 10 ? b.toFixed(0) : b >= 0.01 ? b.toFixed(2) : b === 0 ? '0' : '<0.01';
}

/**
 * The main table: one row per strategy, ≤ 80 columns for the usual labels;
 * `p99 call` last when calls were timed (then one space between columns, to fit).
 */
export function renderRunTable(r: RunResultJson, opts: RenderOptions): string {
  const c = paint(opts.color);
  // Results made before call latency existed have none: no column for them.
  const latency = r.results.some((s) => s.callLatency);
  const rows = r.results.map((s) => {
    const v = s.verified;
    const speed = r.summary.speedup[s.strategy];
    return [
      s.label,
      v.inconsistentUnderChange ? c.yellow('changed') : s.aborted ? c.red.bold('ABORTED') : v.ok ? c.green('ok') : c.red.bold('FAILED'),
      wallCell(s),
      fmtNsPerEntry(s.nsPerEntry),
      callsCell(s, c),
      allocCell(s),
      String(s.memory.gcCount),
      speed === undefined ? '—' : fmtRatio(speed),
      ...(latency ? [s.callLatency ? fmtDuration(s.callLatency.p99, 'compact') : '—'] : []),
    ];
  });
  return compactTable(
    ['strategy', 'verified', 'wall\nmedian ±σ', 'ns\n/entry', 'bpf calls\n/entry', 'alloc\nB/entry', 'GCs', 'speedup', ...(latency ? ['p99\ncall'] : [])],
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', ...(latency ? (['right'] as const) : [])],
    rows,
    c,
    latency ? 1 : 2,
  );
}

/**
 * run --writers: each strategy under writers against without, both sides'
 * cost and what the reader saw (the worst read). undefined without writers.
 */
export function renderWritersTable(r: RunResultJson, opts: RenderOptions): string | undefined {
  const w = r.config.writers;
  if (!w) return undefined;
  const c = paint(opts.color);
  const rows = r.results.flatMap((s) => {
    const x = s.writers;
    const k = s.consistency;
    if (!x || !k) return [];
    const bad = k.stray > 0 || k.wrongValues > 0;
    return [
      [
        s.label,
        fmtNsPerEntry(x.readerNsPerEntryAlone),
        fmtNsPerEntry(x.readerNsPerEntryDuring),
        fmtRatio(x.readerSlowdown),
        fmtRate(x.opsPerSecAlone, 'short'),
        fmtRate(x.opsPerSecDuringRead, 'short'),
        fmtRatio(x.writerSlowdown),
        fmtInt(k.stableDuplicates),
        fmtInt(k.stableMissed),
        fmtInt(k.restarts),
        x.aborted ? c.yellow(`${x.aborted}/${x.rounds}`) : `0/${x.rounds}`,
        bad ? c.red.bold(`${fmtInt(k.stray)}/${fmtInt(k.wrongValues)}`) : '0/0',
      ],
    ];
  });
  const rate = w.rate === 'max' ? 'back to back' : `${fmtInt(w.rate)} ops/s each`;
  const title = c.bold(
    `under ${w.n} writer${w.n === 1 ? '' : 's'} (${w.mix.join(',')}, ${rate}), in the kernel: every ${w.volatileEvery}th key and ${fmtInt(w.fresh)} fresh keys volatile, ${fmtInt(w.stableKeys)} stable`,
  );
  const table = compactTable(
    ['strategy', 'reader\nalone', 'ns/entry\nwriters', '\n×', 'writer\nalone', 'ops/s\nduring', '\n÷', 'stable\ndup', 'keys\nmissed', '\nrestarts', '\naborted', 'stray/\nwrong'],
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    rows,
    c,
    1,
  );
  const note = c.dim("dup/missed/restarts: the worst read under writers (the strategy's behaviour, not a failure); stray keys or wrong values fail it");
  return [title, table, note].join('\n');
}

/** Lines under the table: failures (red), warnings (yellow), then the summary. */
export function renderRunFooter(r: RunResultJson, opts: RenderOptions): string {
  const c = paint(opts.color);
  const lines: string[] = [];
  for (const s of r.results) {
    if (s.verified.inconsistentUnderChange) {
      lines.push(c.yellow.bold(`inconsistent under change ${s.label}: `) + c.yellow(`${s.verified.problems.join('; ')} (the map changed during the read; not the strategy's fault)`));
    } else if (!s.verified.ok) {
      const why = s.verified.expectedToFail ? ' (this loop never advances its cursor: the flaw being reproduced)' : '';
      lines.push(c.red.bold(`${s.aborted ? 'ABORTED' : 'FAILED'} ${s.label}: `) + c.red(s.verified.problems.join('; ') + why));
    }
  }
  if (!r.config.kernelCount) lines.push(c.dim("kernel syscall count off (--no-kernel-count): calls are bpfbench's own count"));
  else lines.push(c.dim('✓ = the kernel counted the same bpf calls as bpfbench, command by command'));
  for (const u of r.unavailable ?? []) lines.push(c.yellow(`left out ${u.strategy}: ${u.reason}`));
  for (const s of r.results) {
    const line = noiseLine(s);
    if (line) lines.push(line.disturbed ? c.yellow(line.text) : c.dim(line.text));
  }
  for (const w of r.warnings) lines.push(c.yellow(`warning: ${w}`));
  if (r.wallTime) lines.push(c.dim(wallTimeLine(r.wallTime)));
  lines.push(r.summary.ok ? c.bold(r.summary.line) : c.red.bold(r.summary.line));
  lines.push(...shardedLines(r).map((l) => c.bold(l)));
  return lines.join('\n');
}

/** `wall 12.3 s: create 0.1 %, fill 20.3 %, reads 76.5 % (kernel-bound); bpfbench's own 3.1 %: …` */
export function wallTimeLine(w: WallTimeJson): string {
  const pct = (ns: number) => `${((100 * ns) / Math.max(1, w.totalNs)).toFixed(1)} %`;
  const sumOf = (f: (p: WallTimeJson['phases'][number]) => boolean) => w.phases.filter(f).reduce((a, p) => a + p.ns, 0);
  const reads = sumOf((p) => p.kernelBound && /reads?$|read$/.test(p.phase));
  const other = sumOf((p) => p.kernelBound && !/reads?$|read$/.test(p.phase) && p.phase !== 'create the map' && p.phase !== 'fill');
  const kernel = [`create ${pct(sumOf((p) => p.phase === 'create the map'))}`, `fill ${pct(sumOf((p) => p.phase === 'fill'))}`, `reads ${pct(reads)}`];
  if (other > 0) kernel.push(`refills and other readers ${pct(other)}`);
  const own = w.phases.filter((p) => !p.kernelBound && p.ns > 0).map((p) => `${p.phase} ${pct(p.ns)}`);
  own.push(`everything else ${pct(w.otherNs)}`);
  return `wall ${fmtDuration(w.totalNs)}: ${kernel.join(', ')} (kernel-bound); bpfbench's own ${pct(w.ownNs)}: ${own.join(', ')}`;
}

/** Per sharded strategy: its speedup over the single-thread read of the same run, and the overlap it removed. */
export function shardedLines(r: RunResultJson): string[] {
  const lines: string[] = [];
  for (const s of r.results) {
    if (!s.sharded || !s.verified.ok) continue;
    const sp = r.summary.shardedSpeedup?.[s.strategy];
    const single = sp ? r.results.find((b) => b.strategy === sp.over) : undefined;
    const vs =
      sp && single
        ? `${fmtX(sp.x)}×${sp.sd !== null ? ` (mean ${fmtX(sp.mean)} ± ${fmtX(sp.sd)})` : ''} ${sp.x >= 1 ? 'faster' : 'slower'} than ${single.label}`
        : 'no single-thread read in this run to compare with';
    const o = s.sharded.overlap;
    const overlap = o.calls ? `, overlap removed: ${fmtInt(o.entries)} entries in ${fmtInt(o.calls)} call${o.calls === 1 ? '' : 's'}` : ', no overlap';
    const per = s.sharded.perShard.entries.map((n) => fmtInt(n)).join(' + ');
    lines.push(`${s.label}: ${s.sharded.threads} threads, ${vs}; shards ${per} entries${overlap}${o.mismatched ? ` (${fmtInt(o.mismatched)} not matched: the map changed)` : ''}`);
  }
  return lines;
}

/** The header above the table: what was measured, where. */
export function renderRunHeader(r: RunResultJson, opts: RenderOptions): string {
  const c = paint(opts.color);
  const cfg = r.config;
  const perCpu = cfg.mapType.includes('percpu') ? ' per CPU' : '';
  const map = `${cfg.mapType} ${cfg.keySize === 4 ? 'u32' : `${cfg.keySize}B`}→${cfg.valueSize === 4 ? 'u32' : `${cfg.valueSize}B`}${perCpu}, ${fmtInt(cfg.entries)} entries${cfg.maxEntries !== cfg.entries ? ` of ${fmtInt(cfg.maxEntries)}` : ''}`;
  const mem = r.map.memlockBytes !== undefined ? `kernel memory ${fmtBytes(r.map.memlockBytes)}` : '';
  const origin = r.fill
    ? `map created in ${fmtDuration(r.map.createNs)}, ${mem}; filled by ${r.fill.method} in ${fmtDuration(r.fill.wallNs)} (${fmtNsPerEntry(r.fill.nsPerEntry)} ns/entry)`
    : `existing map ${r.config.source} (id ${r.map.id}), ${mem}; verified across strategies`;
  return [
    // Where the read loop ran: the figures of one loop are not another's.
    c.bold(`bpfbench run: ${map}, loop ${loopOf(r)}`),
    c.dim(origin),
    c.dim(`${r.context.kernel} · ${r.context.cpuModel} · ${r.context.cpus} CPUs · node ${r.context.node} · koffi ${r.context.koffi} · libbpf ${r.context.libbpf}`),
    ...[machineText(r.context)].filter((x) => x !== null).map((x) => c.dim(x)),
    ...[injectText(r.context)].filter((x) => x !== null).map((x) => c.red.bold(x)),
  ].join('\n');
}
