// One self-contained HTML page from any mix of run, sweep and peers results:
// the headline speedup with its interval, ns/entry per strategy with
// whiskers, per-call latency where results carry it, the chunk sweep, the
// peers against the C floor, the merged multi-machine table, and every
// figure's source file and configuration. Inline CSS, SVG and one small
// script (the page's self-check); nothing is fetched, and a Content-Security-
// Policy makes sure of it. A pure function of the results: same input, same page.
import { TOOL } from '../paths.js';
import { cellFailed, cellFigures, columnHead, configTitle, cpuLabel, figureNames, IMPLS, implLabel, loopOf, machineKey, machineOf, mergeResults, peersStrategyLabel, validateResult, callLatencies, type Configuration, type Fleet, type FleetTable, type LoadedResult, type ResultFile } from './fleet.js';
import { entriesLabel } from './export.js';
import { fmtBytes, fmtInt, fmtNsPerEntry, fmtRatio } from './format.js';
import { barsSvg, latencySvg, sweepCurvesSvg, type Bar, type BarPanel, type CurveSeries, type LatencySeries } from './html/charts.js';
import { durationLabel, esc } from './html/markup.js';
import { CSP, SELF_CHECK, STYLE } from './html/style.js';
import type { PeersResultJson } from './peers.js';
import type { RunResultJson } from './result.js';
import type { SweepResultJson } from './sweep.js';

type Run = Extract<LoadedResult, { kind: 'run' }>;
type Sweep = Extract<LoadedResult, { kind: 'sweep' }>;
type Peers = Extract<LoadedResult, { kind: 'peers' }>;

/** A speedup as the summary line writes it: `19.1`, `3.83`. */
export const fmtX = (x: number) => x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2);

/** Each strategy keeps its colour on every chart (palette index, see html/style.ts). */
const STRATEGY_COLOR: Record<string, number> = { batch: 0, elem: 1, iter: 2, 'elem-delete': 3, 'batch-delete': 4, 'batch-fixed-cursor': 5 };
const strategyColor = (s: string) => STRATEGY_COLOR[s] ?? 7;
/** C, the floor, in the text colour; the others in colours of their own. */
const IMPL_COLOR: Record<string, number> = { c: 6, ts: 0, go: 2, bpftool: 3 };
/** Sweep curves, one colour per map size: blue and orange first (apart for every colour vision), not elem's vermillion. */
const SIZE_COLORS = [0, 3, 2, 4, 5, 7];

const plural = (n: number, word: string) => `${fmtInt(n)} ${word}${n === 1 ? '' : 's'}`;
const code = (s: string) => `<code>${esc(s)}</code>`;

/** `AMD EPYC ×2 · Linux 6.18.44`: where a result was measured. */
function whereMeasured(r: LoadedResult): string {
  const m = machineOf(r);
  return `${cpuLabel(m)} · Linux ${m.kernel}`;
}

function runConfig(r: RunResultJson): Configuration {
  const c = r.config;
  return { family: 'bpfbench', mapType: c.mapType, keySize: c.keySize, valueSize: c.valueSize, entries: c.entries, maxEntries: c.maxEntries, mapFlags: c.mapFlags };
}

/** The configuration line under a figure: what, how, where, from which file. */
function sourceLine(r: LoadedResult, what: string): string {
  return `<span class="source">Source: ${code(r.file)} · ${esc(what)} · ${esc(whereMeasured(r))}</span>`;
}

function runWhat(r: Run): string {
  const c = r.json.config;
  const runs = [...new Set(r.json.results.map((s) => s.runs))].join('/');
  return `${configTitle(runConfig(r.json))}, chunk ${fmtInt(c.chunk)}, fill ${c.fill}, loop ${loopOf(r)}, ${runs} run${runs === '1' ? '' : 's'} per strategy`;
}

/** The page's figures, numbered through the page; each section takes the ones added since the last. */
class Figures {
  private n = 0;
  private html: string[] = [];

  take(): string {
    const out = this.html.join('\n');
    this.html = [];
    return out;
  }

  add(svg: string, title: string, caption: string, source: string, caveats: string[] = []): void {
    this.n++;
    const list = caveats.length ? `<ul class="caveats">${caveats.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
    this.html.push(`<figure id="figure-${this.n}">\n${svg}\n<figcaption><strong>Figure ${this.n}. ${esc(title)}.</strong> ${caption} ${source}${list}</figcaption>\n</figure>`);
  }
}

// --- Headline ------------------------------------------------------------------

function headlineCard(r: Run): string | null {
  const s = r.json.summary;
  const where = `${configTitle(runConfig(r.json))} · ${whereMeasured(r)}`;
  if (!s.ok) {
    return `<div class="card failed"><div class="big">FAILED</div><div class="what">${esc(s.line)}</div><div class="where">${esc(where)}</div><div class="how">${code(r.file)}</div></div>`;
  }
  const elem = r.json.results.find((x) => x.strategy === 'elem');
  const candidates = r.json.results.filter((x) => x.strategy !== 'elem' && x.verified.ok && s.speedupMean[x.strategy]);
  if (!elem || !candidates.length) return null;
  const best = candidates.reduce((a, b) => (s.speedupMean[b.strategy]!.x > s.speedupMean[a.strategy]!.x ? b : a));
  const m = s.speedupMean[best.strategy]!;
  const faster = m.x >= 1;
  const x = faster ? m.x : 1 / m.x;
  const pm = m.sd !== null && faster ? `<span class="pm"> ± ${fmtX(m.sd)}</span>` : '';
  const what = faster ? `${best.label} reads ${fmtInt(best.verified.entries)} entries this much faster than elem` : `${best.label} is this much slower than elem`;
  const how = m.sd !== null ? `mean time over ${best.runs} and ${elem.runs} runs; ± one standard deviation, propagated from both` : 'one run each: no interval';
  return `<div class="card"><div class="big"><span class="x">${fmtX(x)}</span>${pm}×</div><div class="what">${esc(what)}</div><div class="where">${esc(where)}</div><div class="how">${esc(how)} · ${code(r.file)}</div></div>`;
}

// --- Figures ---------------------------------------------------------------------

/** One panel per run result on one scale: the strategies' ns/entry, whiskers from the fastest to the slowest run. */
function runsFigure(figs: Figures, runs: Run[], id: string): void {
  const panels: BarPanel[] = runs.map((r) => ({
    title: runs.length > 1 ? `${configTitle(runConfig(r.json))} · ${r.file}` : '',
    bars: r.json.results.map((s): Bar => {
      const n = Math.max(1, s.verified.entries);
      const speed = r.json.summary.speedup[s.strategy];
      const lo = s.wallNs.min / n;
      const hi = s.wallNs.max / n;
      return {
        label: s.label,
        value: s.nsPerEntry,
        lo,
        hi,
        color: strategyColor(s.strategy),
        valueText: `${fmtNsPerEntry(s.nsPerEntry)} ns`,
        note: !s.verified.ok ? 'FAILED verification' : s.strategy === 'elem' || speed === undefined ? '' : `${fmtRatio(speed)} faster`,
        failed: !s.verified.ok,
        tooltip: `${s.label}: median ${fmtNsPerEntry(s.nsPerEntry)} ns/entry over ${plural(s.runs, 'run')}; fastest ${fmtNsPerEntry(lo)}, slowest ${fmtNsPerEntry(hi)}`,
      };
    }),
  }));
  const sizes = [...new Set(runs.map((r) => entriesLabel(r.json.config.entries)))];
  const svg = barsSvg(id, `Nanoseconds per entry by strategy: ${runs.map((r) => configTitle(runConfig(r.json))).join('; ')}`, panels, 'ns per entry (median)', { shared: true });
  const multi = runs.some((r) => r.json.results.some((s) => s.runs > 1));
  const single = runs.some((r) => r.json.results.some((s) => s.runs === 1));
  const interval = multi ? `whiskers span the fastest to the slowest run (wallNs min–max, per entry)${single ? '; a strategy measured once has none' : ''}` : 'one run per strategy: no interval';
  const sources = runs.map((r) => sourceLine(r, runWhat(r))).join('');
  const caveats = runs.flatMap((r) => r.json.warnings.map((w) => (runs.length > 1 ? `${r.file}: ${w}` : w)));
  figs.add(
    svg,
    `Time per entry, ${sizes.join(' and ')} entries`,
    `Bars: the median time of a whole read divided by the entries it returned; ${interval}. “faster”: median elem time over this strategy’s. ${runs.length > 1 ? 'One scale for all panels.' : ''}`,
    sources,
    caveats,
  );
}

function latencyFigure(figs: Figures, r: Run, nextId: () => string): boolean {
  const series: LatencySeries[] = [];
  for (const s of r.json.results) {
    // A colour per line: a strategy may have one per bpf command.
    for (const d of callLatencies((s as { callLatency?: unknown }).callLatency)) {
      series.push({ label: d.name ? `${s.label} · ${d.name}` : s.label, color: series.length, values: [d.p.p50, d.p.p90, d.p.p99, d.p.p999, d.p.max] });
    }
  }
  if (!series.length) return false;
  const svg = latencySvg(nextId(), `Time per bpf call by percentile, ${configTitle(runConfig(r.json))}`, series);
  const rows = series.map((s) => `${s.label}: p50 ${durationLabel(s.values[0])}, p90 ${durationLabel(s.values[1])}, p99 ${durationLabel(s.values[2])}, p99.9 ${durationLabel(s.values[3])}, max ${durationLabel(s.values[4])}`);
  figs.add(svg, `Time per bpf call, ${entriesLabel(r.json.config.entries)} entries`, `The distribution of single bpf(2) calls, by percentile (the x axis is evenly spaced in nines; y is logarithmic). ${esc(rows.join('; '))}.`, sourceLine(r, runWhat(r)));
  return true;
}

interface SweepModel {
  entries: number;
  strategy?: string;
  perEntryNs: number;
  perCallNs: number;
}

function sweepFigure(figs: Figures, r: Sweep, id: string): void {
  const j: SweepResultJson = r.json;
  const models = ((j as { model?: SweepModel[] }).model ?? []) as SweepModel[];
  const series: CurveSeries[] = [];
  j.config.entries.forEach((e) => {
    for (const s of j.config.strategies) {
      const pts = j.points.filter((p) => p.entries === e && p.strategy === s && p.chunk !== null && p.verified);
      if (!pts.length) continue;
      const ref = j.points.find((p) => p.entries === e && p.strategy === 'elem' && p.verified);
      const model = models.find((m) => m.entries === e && (m.strategy === undefined || m.strategy === s));
      const curve: CurveSeries = { label: `${entriesLabel(e)} ${s}`, color: SIZE_COLORS[series.length % SIZE_COLORS.length]!, points: pts.map((p) => [p.chunk!, p.nsPerEntry]) };
      if (ref) curve.reference = { value: ref.nsPerEntry, label: `${entriesLabel(e)} elem` };
      if (model) curve.model = { perEntryNs: model.perEntryNs, perCallNs: model.perCallNs };
      series.push(curve);
    }
  });
  if (!series.length) return;
  const svg = sweepCurvesSvg(id, `Nanoseconds per entry against chunk, ${j.config.mapType}, ${j.config.entries.map(entriesLabel).join(' and ')} entries`, series);
  const best = j.best.map((b) => `${b.strategy} at ${entriesLabel(b.entries)}: chunk ${fmtInt(b.chunk)} (${fmtNsPerEntry(b.nsPerEntry)} ns/entry)`).join('; ');
  const fitted = series.filter((s) => s.model);
  const modelText = fitted.length
    ? ` Dotted: the fitted model ns/entry = a + b ÷ chunk (${fitted.map((s) => `${s.label}: a = ${fmtNsPerEntry(s.model!.perEntryNs)} ns per entry, b = ${fmtNsPerEntry(s.model!.perCallNs)} ns per call`).join('; ')}).`
    : '';
  const failed = j.points.filter((p) => !p.verified).map((p) => `${entriesLabel(p.entries)} ${p.label}: failed verification (${p.problems.join('; ')})`);
  const runs = [...new Set(j.points.map((p) => p.runs))].join('/');
  const what = `${j.config.mapType} u32→u32, ${j.config.entries.map(entriesLabel).join(' and ')} entries, chunks ${j.config.chunks.map((c) => c.toLocaleString('en-US')).join(', ')}, fill ${j.config.fill}, loop ${loopOf(r)}, ${runs} runs per point`;
  figs.add(
    svg,
    `Time per entry against chunk size`,
    `Solid: the median ns/entry of LOOKUP_BATCH reads at each chunk; dashed: per element (elem) at the same size.${modelText} Fastest: ${esc(best)}.`,
    sourceLine(r, what),
    failed,
  );
}

function peersFigure(figs: Figures, r: Peers, id: string): void {
  const j: PeersResultJson = r.json;
  const panels: BarPanel[] = [];
  for (const strategy of j.config.strategies) {
    const cells = j.results
      .filter((x) => x.strategy === strategy)
      .sort((a, b) => Object.keys(IMPLS).indexOf(a.impl) - Object.keys(IMPLS).indexOf(b.impl));
    if (!cells.length) continue;
    const c = cells.find((x) => x.impl === 'c');
    const bars = cells.map((x): Bar => {
      const n = Math.max(1, x.verified.entries);
      const loop = (x as { loop?: string }).loop;
      const note = !x.verified.ok
        ? `wrong read: ${fmtInt(x.verified.distinct)} distinct keys`
        : x.impl === 'c'
          ? 'the floor'
          : x.ratioToC === null
            ? ''
            : `${fmtRatio(x.ratioToC)} C`;
      return {
        label: implLabel(x.impl, loop),
        value: x.nsPerEntry,
        lo: x.wallNs.min / n,
        hi: x.wallNs.max / n,
        color: IMPL_COLOR[x.impl] ?? 7,
        valueText: `${fmtNsPerEntry(x.nsPerEntry)} ns`,
        note,
        failed: !x.verified.ok,
        tooltip: `${implLabel(x.impl, loop)}, ${peersStrategyLabel(x.strategy, j.config.chunk)}: median ${fmtNsPerEntry(x.nsPerEntry)} ns/entry over ${plural(x.runs, 'round')}${x.verified.ok ? '' : ` — failed verification: ${x.verified.problems.join('; ')}`}`,
      };
    });
    const panel: BarPanel = { title: peersStrategyLabel(strategy, j.config.chunk), bars };
    if (c) panel.floor = { value: c.nsPerEntry, label: `C, raw syscalls: ${fmtNsPerEntry(c.nsPerEntry)} ns/entry, the floor` };
    panels.push(panel);
  }
  if (!panels.length) return;
  const svg = barsSvg(id, `Nanoseconds per entry by implementation and strategy, ${fmtInt(j.config.entries)} entries`, panels, 'ns per entry (median)');
  const rounds = [...new Set(j.results.map((x) => x.runs))].join('/');
  const what = `peers: hash u32→u32, ${fmtInt(j.config.entries)} entries (${entriesLabel(j.config.entries)}), one pinned map, chunk ${fmtInt(j.config.chunk)}, fill ${j.config.fill}, ${rounds} rounds in alternation`;
  const caveats = j.skipped.map((s) => `skipped ${IMPLS[s.impl] ?? s.impl}: ${s.why}`);
  const expected = j.results.some((x) => !x.verified.ok && x.verified.expectedToFail) ? ' Hollow bars: the published loop, which re-reads the first buckets; its read is wrong by design.' : '';
  figs.add(
    svg,
    `bpfbench against other implementations`,
    `Each panel has its own scale. Bars: the median of the rounds; whiskers: the fastest to the slowest round. Dashed line: C with raw syscalls, the floor; “× C”: median time over C’s, same strategy. bpftool is timed as a whole process (start-up and text output included).${expected}`,
    sourceLine(r, what),
    caveats,
  );
}

// --- The merged table ----------------------------------------------------------

function fleetTableHtml(t: FleetTable): string {
  const names = figureNames(t);
  const k = names.length;
  const head1 = t.columns.map((c) => {
    const [file, kernel, cpu, loop] = columnHead(c);
    return `<th class="col" colspan="${k}" scope="colgroup">${code(file!)}<br>${esc(kernel!)}<br>${esc(cpu!)}<br>${esc(loop!)}</th>`;
  });
  const head2 = t.columns.flatMap(() => names.map((n, i) => `<th scope="col"${i === 0 ? ' class="first"' : ''}>${esc(n)}</th>`));
  const rows = t.rows.map((r) => {
    const cells = r.cells.flatMap((cell) => {
      if (!cell) return [`<td class="first missing" colspan="${k}">—</td>`];
      const failed = cellFailed(cell);
      if (failed) return [`<td class="first failed" colspan="${k}">${failed}</td>`];
      return cellFigures(t, cell).map((x, i) => `<td${i === 0 ? ' class="first"' : ''}>${esc(x)}</td>`);
    });
    return `<tr><th scope="row">${esc(r.label)}</th>${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table>\n<caption>${esc(t.title)}</caption>\n<thead><tr><th rowspan="2" scope="col">strategy</th>${head1.join('')}</tr><tr>${head2.join('')}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function fleetSection(f: Fleet): string {
  const out: string[] = [];
  out.push(`<p>One table per configuration (what the kernel walks: map type, key and value size, entries, max_entries, map_flags; and whether bpfbench or every peer read it). A column per result: its file, kernel, CPU and read loop. ns/entry is the median; “× elem” is the median elem time over the row’s, within one result (peers: the same implementation); “× C” is the peers’ ratio to C.</p>`);
  for (const t of f.tables) out.push(fleetTableHtml(t));
  if (f.tables.some((t) => t.rows.some((r) => r.cells.some((c) => c && !c.ok && c.expectedToFail)))) out.push('<p class="meta">FAILED*: the published loop, whose failed verification is expected.</p>');
  if (f.incomparable.length) {
    out.push('<h3>Not compared</h3>', `<ul class="plain">${f.incomparable.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`);
  }
  return out.join('\n');
}

function sourcesSection(results: LoadedResult[]): string {
  return results
    .map((r) => {
      const c = r.json.context;
      const what =
        r.kind === 'run'
          ? runWhat(r)
          : r.kind === 'sweep'
            ? `sweep: ${r.json.config.mapType}, ${r.json.config.entries.map(entriesLabel).join(' and ')} entries, chunks ${r.json.config.chunks.map((x) => x.toLocaleString('en-US')).join(', ')}, loop ${loopOf(r)}`
            : `peers: ${r.json.config.impls.map((i) => IMPLS[i] ?? i).join(', ')}; ${fmtInt(r.json.config.entries)} entries, chunk ${fmtInt(r.json.config.chunk)}`;
      const made = `${r.kind} result, made ${r.json.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} by ${r.json.tool.name} ${r.json.tool.version}`;
      const machine = `Linux ${c.kernel} · ${cpuLabel(machineOf(r))} · ${fmtBytes(c.memTotalBytes)} · node ${c.node} · koffi ${c.koffi} · libbpf ${c.libbpf}`;
      return `<div class="source-item"><h3>${code(r.file)}</h3><p>${esc(what)}</p><p class="meta">${esc(made)}<br>${esc(machine)}</p></div>`;
    })
    .join('\n');
}

// --- The page --------------------------------------------------------------------

/** The page for results already checked (validateResult). */
export function htmlPage(results: LoadedResult[]): string {
  const runs = results.filter((r): r is Run => r.kind === 'run');
  const sweeps = results.filter((r): r is Sweep => r.kind === 'sweep');
  const peers = results.filter((r): r is Peers => r.kind === 'peers');
  const fleet = mergeResults(results);
  const machines = new Set(results.map((r) => machineKey(machineOf(r)))).size;
  const body: string[] = [];
  const kinds = [['run', runs.length], ['sweep', sweeps.length], ['peers', peers.length]].filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ');
  body.push(`<header>\n<h1>Reading eBPF maps from user space</h1>`);
  body.push(`<p class="lede">How long user space takes to read every entry of a BPF map: per element (GET_NEXT_KEY + LOOKUP_ELEM, 2N+1 system calls) or in batches (BPF_MAP_LOOKUP_BATCH), every read verified, on the real kernel.</p>`);
  body.push(`<p class="meta">${esc(plural(results.length, 'result'))} (${esc(kinds)}) from ${esc(plural(machines, 'machine'))}, measured by bpfbench.</p>\n</header>`);

  const cards = runs.map(headlineCard).filter((c): c is string => c !== null);
  if (cards.length) body.push(`<section id="headline"><div class="headline">\n${cards.join('\n')}\n</div></section>`);

  let chart = 0;
  const nextId = () => `chart-${++chart}`;
  const figs = new Figures();
  if (runs.length) {
    runsFigure(figs, runs, nextId());
    body.push(`<section id="per-entry"><h2>Time per entry</h2><p>Every strategy reads the same map and is verified against what was written; the time is the wall time of a whole read.</p>\n${figs.take()}</section>`);
    let latency = false;
    for (const r of runs) latency = latencyFigure(figs, r, nextId) || latency;
    if (latency) body.push(`<section id="latency"><h2>Time per call</h2><p>Each read is many bpf(2) calls; their distribution shows the cost of one crossing and how far the slowest calls stray from it.</p>\n${figs.take()}</section>`);
  }
  if (sweeps.length) {
    for (const r of sweeps) sweepFigure(figs, r, nextId());
    body.push(`<section id="sweep"><h2>How large a batch?</h2><p>A batch call pays for one crossing into the kernel and copies up to a chunk of entries; the curves show where a larger chunk stops paying off.</p>\n${figs.take()}</section>`);
  }
  if (peers.length) {
    for (const r of peers) peersFigure(figs, r, nextId());
    body.push(`<section id="peers"><h2>Against other implementations</h2><p>The same pinned map read by bpfbench and by C (raw syscalls, the floor), Go (cilium/ebpf) and bpftool, in alternation.</p>\n${figs.take()}</section>`);
  }
  body.push(`<section id="merged"><h2>All results, by configuration</h2>\n${fleetSection(fleet)}</section>`);
  body.push(`<section id="sources"><h2>Sources</h2><p>Every figure above names its file; these are the files, and where they were measured.</p>\n${sourcesSection(results)}</section>`);
  body.push(`<footer>Made by ${esc(`${TOOL.name} ${TOOL.version}`)} from ${esc(results.map((r) => r.file).join(', '))}. One self-contained file: no fonts, scripts or images from the network.</footer>`);

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="${esc(`${TOOL.name} ${TOOL.version}`)}">
<title>bpfbench: ${esc(fleet.tables.map((t) => t.title).join('; '))}</title>
<script>${SELF_CHECK}</script>
<style>${STYLE}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
<pre id="selfcheck"></pre>
</body>
</html>
`;
}

/**
 * The page for result files as read (`{file, json}`: json as parsed, or a
 * result object a command just built); each is checked against the JSON
 * contract first (an InvalidInputError names the file and the field).
 */
export function htmlReport(results: ResultFile[]): string {
  return htmlPage(results.map((r) => validateResult(r.file, r.json)));
}
