// The HTML report without a browser: the numbers on the page are the JSON's,
// formatted as the tables format them; every figure names its source file;
// nothing on the page reaches the network; the charts place marks where the
// figures say.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidInputError } from '../../../src/errors.js';
import { esc, fmtDuration, fmtInt, fmtNsPerEntry, fmtPercent, fmtRatio, fmtX } from '../../../src/report/formats/format.js';
import { htmlReport } from '../../../src/report/html/page.js';
import { barsSvg, latencySvg } from '../../../src/report/html/charts.js';
import type { SweepResultJson } from '../../../src/report/analysis/sweep-result.js';
import { sweepDrawing } from '../../../src/report/rendering/svg.js';
import { linearTicks, logTicks } from '../../../src/report/html/markup.js';
import { OKABE_ITO } from '../../../src/report/html/style.js';
import { ROOT } from '../../../src/paths.js';
import { runCli } from '../../helpers.js';

type Json = { [k: string]: any };

// Real results of one machine (6.18.44-fc-v769; the runs with the js loop), kept as fixtures: the tests hold the rendering to them, whatever results/ holds today.
const RUN1 = 'test/fixtures/results/run-1Mi-js-v769.json';
const RUN4 = 'test/fixtures/results/run-4Mi-js-v769.json';
const PEERS = 'test/fixtures/results/peers-1Mi-v769.json';
const SWEEP = 'test/fixtures/results/sweep-reference-1Mi-4Mi-v769.json';
const read = (file: string): Json => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
const committed = () => [RUN1, RUN4, PEERS, SWEEP].map((file) => ({ file, json: read(file) }));

/** Text as a reader sees it: tags removed, entities decoded. */
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const figures = (html: string) => [...html.matchAll(/<figure id="figure-(\d+)">([\s\S]*?)<\/figure>/g)].map((m) => ({ n: Number(m[1]), html: m[2]! }));
const section = (html: string, id: string) => [...html.matchAll(/<section id="([^"]+)">([\s\S]*?)<\/section>/g)].find((m) => m[1] === id)?.[2] ?? '';

/** One document that fetches nothing, and says so in its Content-Security-Policy. */
function assertSelfContained(html: string): void {
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.ok(html.trimEnd().endsWith('</html>'));
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; script-src &#39;unsafe-inline&#39;; img-src data:;/);
  assert.doesNotMatch(html, /\b(src|href|srcset|xlink:href|action|poster)\s*=/i, 'no attribute that loads anything');
  assert.doesNotMatch(html, /https?:\/\//, 'no URL at all');
  assert.doesNotMatch(html, /@import|url\(|<link|<iframe|<object|<embed|<img/i);
  assert.equal(html.match(/<script>/g)?.length, 1, 'the self-check, inline');
}

test('self-contained: no fetch of any kind, a Content-Security-Policy that forbids one, one document', () => {
  const html = htmlReport(committed());
  assertSelfContained(html);
  assert.match(html, /@media \(prefers-color-scheme: dark\)/);
  assert.match(html, /font:17px\/1\.6 system-ui,/);
  for (const c of Object.values(OKABE_ITO)) assert.ok(html.includes(c), `Okabe–Ito ${c}`);
  assert.equal(htmlReport(committed()), html, 'a pure function: same results, same page');
});

test('the headline: summary.speedupMean x ± sd of the fastest strategy, as the summary line writes it', () => {
  const html = htmlReport(committed());
  const cards = [...html.matchAll(/<div class="card">([\s\S]*?)<\/div><\/div>/g)].map((m) => text(m[1]!));
  assert.equal(cards.length, 2);
  for (const [i, file] of [RUN1, RUN4].entries()) {
    const r = read(file);
    const best = r.results.filter((s: Json) => s.strategy !== 'elem').sort((a: Json, b: Json) => r.summary.speedupMean[b.strategy].x - r.summary.speedupMean[a.strategy].x)[0];
    const m = r.summary.speedupMean[best.strategy];
    const headline = `${fmtX(m.x)} ± ${fmtX(m.sd)}×`;
    assert.ok(cards[i]!.startsWith(headline), `${cards[i]} starts with ${headline}`);
    assert.ok(r.summary.line.includes(headline), `the CLI's summary line says the same: ${r.summary.line}`);
    assert.ok(cards[i]!.includes(`${best.label} reads ${best.verified.entries.toLocaleString('en-US')} entries`));
    assert.ok(cards[i]!.includes(file));
  }
});

test('time per entry: a bar per strategy at its ns/entry, its speedup, whiskers from the fastest to the slowest run', () => {
  const html = htmlReport(committed());
  const fig = figures(section(html, 'per-entry'))[0]!;
  assert.equal(fig.n, 1);
  const t = text(fig.html);
  for (const file of [RUN1, RUN4]) {
    const r = read(file);
    assert.ok(fig.html.includes(`Source: <code>${file}</code>`), `source ${file}`);
    assert.ok(t.includes(`hash u32→u32, ${r.config.entries.toLocaleString('en-US')} entries (${r.config.entries / 1048576}Mi), chunk 4,096, fill prog, loop ${r.config.loop ?? 'js'}`));
    for (const s of r.results) {
      assert.ok(t.includes(`${fmtNsPerEntry(s.nsPerEntry)} ns`), `${file} ${s.label} ns/entry`);
      if (s.strategy !== 'elem') assert.ok(t.includes(`${fmtRatio(r.summary.speedup[s.strategy])} faster`), `${file} ${s.label} speedup`);
    }
    for (const w of r.warnings) assert.ok(t.includes(`${file}: ${w}`), w);
  }
  assert.ok(t.includes('whiskers span the fastest to the slowest run (wallNs min–max, per entry)'));
  // Geometry: one shared scale, so bar widths are proportional to ns/entry across both panels.
  const bars = [...fig.html.matchAll(/<rect class="bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[2]));
  const values = [RUN1, RUN4].flatMap((f) => read(f).results.map((s: Json) => s.nsPerEntry));
  assert.equal(bars.length, values.length);
  const scale = bars[0]! / values[0]!;
  for (const [i, w] of bars.entries()) assert.ok(Math.abs(w - values[i]! * scale) < 0.2, `bar ${i}: ${w} vs ${values[i]! * scale}`);
  assert.equal(fig.html.match(/class="whisker"/g)?.length, values.length, 'every strategy ran more than once: a whisker each');
});

/** The chart's own scales, read from its tick marks (not from the code that drew it): value → px, log-interpolated between two ticks. */
function scalesOf(svg: string): { x: (chunk: number) => number; y: (ns: number) => number } {
  const yt = [...svg.matchAll(/<text class="tick" x="[\d.]+" y="([\d.]+)" text-anchor="end" dominant-baseline="middle">([^<]+)<\/text>/g)].map((m) => ({
    at: Number(m[1]),
    v: Number(m[2]!.replace(/,/g, '')),
  }));
  const xt = [...svg.matchAll(/<text class="tick" x="([\d.]+)" y="[\d.]+" text-anchor="middle">([\d,]+)<\/text>/g)].map((m) => ({ at: Number(m[1]), v: Number(m[2]!.replace(/,/g, '')) }));
  assert.ok(yt.length >= 2 && xt.length >= 2, 'ticks on both axes');
  const logScale = (t: { at: number; v: number }[]) => {
    const [a, b] = [t[0]!, t[t.length - 1]!];
    return (v: number) => a.at + ((Math.log(v) - Math.log(a.v)) / (Math.log(b.v) - Math.log(a.v))) * (b.at - a.at);
  };
  return { x: logScale(xt), y: logScale(yt) };
}

test('the sweep: a curve per size, elem dashed, the fitted model from fits[] dotted through every swept chunk, the source', () => {
  const html = htmlReport(committed());
  const sw = read(SWEEP);
  const fig = figures(section(html, 'sweep'))[0]!;
  assert.equal(fig.n, 2);
  assert.equal(fig.html.match(/<polyline class="series"/g)?.length, sw.config.entries.length);
  assert.equal(fig.html.match(/<line class="reference"/g)?.length, sw.config.entries.length);
  const dots = fig.html.match(/<circle class="dot"/g)?.length;
  assert.equal(dots, sw.points.filter((p: Json) => p.chunk !== null && p.verified).length);
  const t = text(fig.html);
  for (const b of sw.best) assert.ok(t.includes(`${b.strategy} at ${b.entries / 1048576}Mi: chunk ${b.chunk.toLocaleString('en-US')} (${fmtNsPerEntry(b.nsPerEntry)} ns/entry)`));
  assert.ok(fig.html.includes(`Source: <code>${SWEEP}</code>`));
  // The committed sweep carries fits[] (one per size): each drawn as a dotted curve.
  assert.equal(sw.fits.length, sw.config.entries.length);
  const curves = [...fig.html.matchAll(/<path class="model" d="([^"]+)"><title>([^<]+)<\/title>/g)];
  assert.equal(curves.length, sw.fits.length, 'a fitted curve per size');
  const { x, y } = scalesOf(fig.html);
  for (const f of sw.fits) {
    const label = `${f.entries / 1048576}Mi ${f.strategy}`;
    const curve = curves.find((c) => text(c[2]!).startsWith(`${label} model:`));
    assert.ok(curve, `${label}: its curve`);
    const vertices = [...curve[1]!.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    // At every chunk the series was read with, the curve passes through a + b ÷ chunk (the JSON's a and b, the tick marks' scale).
    const inUse = [
      ...new Set(sw.points.filter((p: Json) => p.entries === f.entries && p.strategy === f.strategy && p.chunk !== null && p.verified).map((p: Json) => p.effectiveChunk ?? p.chunk)),
    ] as number[];
    assert.ok(inUse.length >= 5, `${label}: chunks ${inUse}`);
    for (const c of inUse) {
      const want = f.perEntryNs + f.perCallNs / c;
      const v = vertices.find(([vx]) => Math.abs(vx - x(c)) < 0.6);
      assert.ok(v, `${label}: a point of the curve at chunk ${c} (x ${x(c).toFixed(1)})`);
      assert.ok(Math.abs(v[1] - y(want)) < 0.6, `${label} at chunk ${c}: y ${v[1]}, want ${y(want).toFixed(1)} (${want.toFixed(0)} ns/entry)`);
    }
    // No curve left of the smallest chunk it was fitted on: a grown chunk is not extrapolated to the chunk asked.
    assert.ok(Math.min(...vertices.map(([vx]) => vx)) > x(Math.min(...inUse)) - 0.6);
    assert.ok(t.includes(`${label}: a = ${fmtNsPerEntry(f.perEntryNs)} ns per entry, b = ${fmtNsPerEntry(f.perCallNs)} ns per call`), `${label}: its coefficients in the caption`);
  }
  assert.ok(t.includes('ENOSPC grew 1Mi chunk 1 to 16'), t);
});

test('peers: a panel per strategy, C as the floor, each ratio to C', () => {
  const html = htmlReport(committed());
  const p = read(PEERS);
  const fig = figures(section(html, 'peers'))[0]!;
  assert.equal(fig.n, 3);
  const t = text(fig.html);
  assert.equal(fig.html.match(/class="panel-title"/g)?.length, p.config.strategies.length);
  assert.equal(fig.html.match(/<line class="floor"/g)?.length, p.config.strategies.length, 'C ran every strategy: a floor in each panel');
  for (const x of p.results) {
    assert.ok(t.includes(`${fmtNsPerEntry(x.nsPerEntry)} ns`), `${x.impl} ${x.strategy}`);
    if (x.verified.ok && x.impl !== 'c') assert.ok(t.includes(`${fmtRatio(x.ratioToC)} C`), `${x.impl} ${x.strategy} × C`);
    if (!x.verified.ok) assert.ok(t.includes(`wrong read: ${x.verified.distinct.toLocaleString('en-US')} distinct keys`));
  }
  assert.equal((fig.html.match(/<rect class="bar failed"/g) ?? []).length, p.results.filter((x: Json) => !x.verified.ok).length);
  assert.ok(fig.html.includes(`Source: <code>${PEERS}</code>`));
});

test('per-call latency, where results carry it: a line per strategy through p50 … max, the figures in the caption', () => {
  const r = read(RUN1);
  r.results[0].callLatency = { GET_NEXT_KEY: { p50: 1100, p90: 1500, p99: 4200, p999: 21000, max: 480000 }, LOOKUP_ELEM: { p50: 1200, p90: 1700, p99: 5000, p999: 30000, max: 910000 } };
  r.results[1].callLatency = { p50: 52000, p90: 61000, p99: 90000, p999: 150000, max: 2100000 };
  const html = htmlReport([{ file: 'lat.json', json: r }]);
  const fig = figures(section(html, 'latency'))[0]!;
  assert.equal(fig.html.match(/<polyline class="series"/g)?.length, 3);
  assert.equal(fig.html.match(/<circle class="dot"/g)?.length, 15);
  const t = text(fig.html);
  assert.ok(t.includes('elem · GET_NEXT_KEY: p50 1.1 µs, p90 1.5 µs, p99 4.2 µs, p99.9 21 µs, max 480 µs'));
  assert.ok(t.includes('batch(4096): p50 52 µs, p90 61 µs, p99 90 µs, p99.9 150 µs, max 2.1 ms'));
  assert.ok(fig.html.includes('Source: <code>lat.json</code>'));
  assert.equal(htmlReport([{ file: 'x.json', json: read(RUN1) }]).includes('id="latency"'), false, 'without callLatency: no such section');
});

test('the merged table: the figures the terminal table shows, a column head per result', () => {
  const html = htmlReport(committed());
  const merged = section(html, 'merged');
  assert.equal(merged.match(/<table>/g)?.length, 3);
  for (const file of [RUN1, RUN4]) {
    const r = read(file);
    for (const s of r.results)
      assert.ok(merged.includes(`<tr><th scope="row">${s.label}</th><td class="first">${fmtNsPerEntry(s.nsPerEntry)}</td><td>${fmtRatio(r.summary.speedup[s.strategy])}</td>`), `${file} ${s.label}`);
  }
  assert.ok(merged.includes(`<code>${RUN1}</code><br>6.18.44-fc-v769<br>AMD EPYC ×2<br>loop js`));
  assert.ok(text(merged).includes(`${RUN1} and ${RUN4}: another configuration (entries 1Mi vs 4Mi)`));
  // Every file in the sources, with its machine.
  const sources = text(section(html, 'sources'));
  for (const f of [RUN1, RUN4, PEERS, SWEEP]) assert.ok(sources.includes(f));
  assert.ok(sources.includes('Linux 6.18.44-fc-v769 · AMD EPYC ×2 · 23.5 GiB · node v20.20.2 · koffi 3.3.4 · libbpf 1.1'));
});

test('every chart: an <svg class="chart"> with its own id, inside a figure whose caption names a source file', () => {
  const html = htmlReport(committed());
  const ids = [...html.matchAll(/<svg class="chart" id="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(ids, ['chart-1', 'chart-2', 'chart-3']);
  const figs = figures(html);
  assert.deepEqual(
    figs.map((f) => f.n),
    [1, 2, 3],
  );
  for (const f of figs) {
    assert.equal(f.html.match(/<svg class="chart"/g)?.length, 1);
    assert.match(f.html, /<figcaption><strong>Figure \d+\. [^<]+\.<\/strong>[\s\S]*Source: <code>(results|test\/fixtures\/results)\//);
  }
});

test('names are escaped: a file called <img …> stays text', () => {
  const html = htmlReport([{ file: '<img src=x onerror=alert(1)>.json', json: read(RUN1) }]);
  assert.ok(html.includes(esc('<img src=x onerror=alert(1)>.json')));
  assert.doesNotMatch(html, /<img/);
});

test('a bad result is an InvalidInputError naming the file and the field', () => {
  const r = read(PEERS);
  delete r.results[4].wallNs;
  assert.throws(
    () =>
      htmlReport([
        { file: 'a.json', json: read(RUN1) },
        { file: 'p.json', json: r },
      ]),
    (e: unknown) => e instanceof InvalidInputError && e.message === "p.json: results[4].wallNs is missing (it must be an object with 'mean', 'sd', 'median', 'min', 'max', … or null)",
  );
});

test('axes: linear ticks of 1, 2, 5 × 10^k reaching the maximum; log ticks within the range', () => {
  assert.deepEqual(linearTicks(5335), [0, 2000, 4000, 6000]);
  assert.deepEqual(linearTicks(304), [0, 100, 200, 300, 400]);
  assert.deepEqual(linearTicks(0.9), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(logTicks(100, 10000), [100, 200, 500, 1000, 2000, 5000, 10000]);
  assert.equal(fmtDuration(1500, 'tick'), '1.5 µs');
  assert.equal(fmtDuration(2.1e6, 'tick'), '2.1 ms');
});

test('charts: bars and whiskers where the values say, each panel its own scale unless shared', () => {
  const bar = (value: number, lo: number, hi: number) => ({ label: 'x', value, lo, hi, color: 0, valueText: '', note: '', failed: false, tooltip: 't' });
  const panels = [
    { title: 'a', bars: [bar(100, 80, 150)] },
    { title: 'b', bars: [bar(10, 10, 10)] },
  ];
  const own = barsSvg('c', 'l', panels, 'ns');
  const widths = (svg: string) => [...svg.matchAll(/<rect class="bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[2]));
  // Own scales: 100 on an axis to 150 (the whisker's end), 10 on an axis to 10: the second bar is the wider.
  const [w1, w2] = widths(own);
  assert.ok(Math.abs(w1! / w2! - 100 / 150) < 0.01, `${w1} ${w2}`);
  const shared = barsSvg('c', 'l', panels, 'ns', { shared: true });
  const [s1, s2] = widths(shared);
  assert.ok(Math.abs(s1! / s2! - 10) < 0.05, `${s1} ${s2}`);
  // The whisker spans lo..hi on the first bar's scale; none where lo = hi.
  const d = /<path class="whisker" d="M([\d.]+) [\d.]+H([\d.]+)/.exec(own)!;
  const x0 = Number(/<rect class="bar" x="([\d.]+)"/.exec(own)![1]);
  assert.ok(Math.abs((Number(d[1]) - x0) / w1! - 0.8) < 0.01 && Math.abs((Number(d[2]) - x0) / w1! - 1.5) < 0.01);
  assert.equal(own.match(/class="whisker"/g)?.length, 1);
  // Latency: higher percentiles drawn higher; the sweep: x by log₂(chunk).
  const lat = latencySvg('l', 'l', [{ label: 's', color: 0, values: [1e3, 2e3, 1e4, 1e5, 1e6] }]);
  const ys = /<polyline class="series" points="([^"]+)"/
    .exec(lat)![1]!
    .split(' ')
    .map((p) => Number(p.split(',')[1]));
  assert.deepEqual(
    [...ys].sort((a, b) => b - a),
    ys,
  );
  const sw = sweepDrawing(read(SWEEP) as SweepResultJson, { latency: false })!.body;
  const xs = /<polyline class="series" points="([^"]+)"/
    .exec(sw)![1]!
    .split(' ')
    .map((p) => Number(p.split(',')[0]))
    .slice(-3);
  assert.ok(Math.abs(xs[1]! - xs[0]! - (xs[2]! - xs[1]!)) < 0.2, 'log₂ spacing: 512 → 4,096 → 32,768 evenly');
});

// --- What run and peers write now, from the real kernel ------------------------

const dir = mkdtempSync(join(tmpdir(), 'bpfbench-html-'));
const figureIn = (html: string, id: string) => figures(section(html, id))[0]!;
/** The tooltip of the bar labelled `label` (the <title> of its group). */
const tooltips = (html: string) => [...html.matchAll(/<g class="k\d"><title>([^<]*)<\/title>/g)].map((m) => text(m[1]!));

test("a run's kernel time: each strategy's share of its audit read inside bpf(2), in the caption and in its bar's tooltip", () => {
  const r = runCli(['run', '--entries', '64Ki', '--runs', '1', '--strategies', 'elem,batch,elem-delete', '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const run = JSON.parse(r.stdout);
  for (const s of run.results) assert.ok(s.kernelTime && s.syscalls.audit, `${s.label}: timed by the kernel in its audit read`);
  const fig = figureIn(htmlReport([{ file: 'now.json', json: run }]), 'per-entry');
  const caption = text(/<figcaption>([\s\S]*)<\/figcaption>/.exec(fig.html)![1]!);
  const tips = tooltips(fig.html);
  for (const s of run.results) {
    const share = `${fmtPercent(s.kernelTime.fractionOfWall)} of the audit read inside bpf(2)`;
    const perCall = Object.entries(s.kernelTime.nsPerCall as Record<string, number>)
      .map(([cmd, ns]) => `${fmtDuration(ns, 'tick')} per ${cmd}`)
      .join(', ');
    assert.ok(caption.includes(`${s.label}: ${share} (${perCall})`), `${s.label}: ${share} (${perCall}) in: ${caption}`);
    assert.ok(
      tips.some((t) => t.startsWith(`${s.label}: median`) && t.endsWith(`; ${share}`)),
      `${s.label}'s tooltip: ${tips.join(' | ')}`,
    );
  }
  assert.deepEqual([...new Set(run.results.map((s: Json) => s.syscalls.audit.read))], ['warmup']);
  assert.ok(caption.includes('audit read (the first warmup read, untimed, the syscall counter attached'), caption);
  // Audits of different reads: each strategy says which; a strategy the kernel did not time is left out.
  run.results[1].syscalls.audit = { ...run.results[1].syscalls.audit, read: 'prefix', entries: 1000 };
  run.results[1].kernelTime.read = 'prefix';
  run.results[2].kernelTime = null;
  const mixed = text(figureIn(htmlReport([{ file: 'now.json', json: run }]), 'per-entry').html);
  assert.ok(mixed.includes(`${run.results[1].label}: ${fmtPercent(run.results[1].kernelTime.fractionOfWall)} of the audit read inside bpf(2) (a read of its own stopped after 1,000 entries; `), mixed);
  assert.ok(mixed.includes(`${run.results[0].label}: ${fmtPercent(run.results[0].kernelTime.fractionOfWall)} of the audit read inside bpf(2) (the first warmup read; `), mixed);
  const sentence = mixed.slice(mixed.indexOf('Inside the kernel'), mixed.indexOf('Source:'));
  assert.ok(sentence.includes(`${run.results[0].label}: `) && !sentence.includes(`${run.results[2].label}: `), `${run.results[2].label}, not timed, is not in: ${sentence}`);
  // Results from before the audit: no such sentence.
  assert.doesNotMatch(htmlReport([{ file: RUN1, json: read(RUN1) }]), /inside bpf\(2\)/);
});

test('bpfbench peers --html FILE: the one-result page, self-contained, its peers figure with a row per loop and the kernel-counted calls', () => {
  const json = join(dir, 'peers.json');
  const page = join(dir, 'peers.html');
  const r = runCli(['peers', '--entries', '16Ki', '--rounds', '1', '--strategies', 'elem,batch', '--json', json, '--html', page]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^bpfbench peers: hash u32→u32, 16,384 entries/, 'the table on stdout: no output went there');
  assert.deepEqual(readdirSync(dir).sort(), ['peers.html', 'peers.json'], 'written whole: no temporary file left');
  const p = JSON.parse(readFileSync(json, 'utf8'));
  const html = readFileSync(page, 'utf8');
  assert.equal(html, htmlReport([{ file: json, json: p }]), 'the page report --html makes of the JSON');
  assertSelfContained(html);
  const fig = figureIn(html, 'peers');
  assert.equal(fig.n, 1);
  assert.equal(fig.html.match(/<svg class="chart"/g)?.length, 1);
  assert.equal(fig.html.match(/class="panel-title"/g)?.length, 2);
  assert.ok(fig.html.includes(`Source: <code>${esc(json)}</code>`));
  const tips = tooltips(fig.html);
  const t = text(fig.html);
  for (const x of p.results) {
    const name = x.impl === 'ts' ? `bpfbench (TypeScript), ${x.loop} loop` : { c: 'C, raw syscalls', go: 'Go, cilium/ebpf', bpftool: 'bpftool map dump' }[x.impl as string]!;
    const label = x.strategy === 'elem' ? 'elem' : `${x.strategy}(4096)`;
    const calls = Object.entries(x.bpfCalls.calls as Record<string, number>)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([cmd, n]) => `${fmtInt(n)} ${cmd}`)
      .join(' + ');
    const tip = tips.filter((s) => s.startsWith(`${name}, ${label}: median ${fmtNsPerEntry(x.nsPerEntry)} ns/entry`));
    assert.equal(tip.length, 1, `one bar for ${name} ${label}: ${tips.join(' | ')}`);
    assert.ok(tip[0]!.endsWith(`bpf calls of one read, counted by the kernel: ${calls}${x.bpfCalls.covers === 'process' ? ' in its whole process' : ''}`), tip[0]);
    assert.ok(t.includes(calls), `${name} ${label}: ${calls} in the caption`);
    if (x.impl !== 'c') assert.ok(t.includes(`${fmtRatio(x.ratioToC)} C`), `${name} ${label} × C`);
  }
  assert.deepEqual(p.config.loops, ['native', 'js']);
  assert.ok(t.includes("bpfbench's read loop native and js"), 'the source line names the loops');
  // Every implementation's batch read: the same calls, said once.
  const batch = p.results.filter((x: Json) => x.strategy === 'batch');
  assert.equal(new Set(batch.map((x: Json) => JSON.stringify(x.bpfCalls.calls))).size, 1);
  assert.ok(t.includes(`batch(4096): ${fmtInt(batch[0].bpfCalls.calls.LOOKUP_BATCH)} LOOKUP_BATCH, every implementation.`), t);
  // The merged table: the rows per loop.
  const merged = section(html, 'merged');
  for (const loop of ['native', 'js']) assert.ok(merged.includes(`<th scope="row">batch(4096) · bpfbench (TypeScript), ${loop} loop</th>`), loop);
});

test('bpfbench peers --html -: the page on stdout, the table on stderr; with --json - as well: one line, exit 2, nothing run', () => {
  const r = runCli(['peers', '--entries', '16Ki', '--rounds', '1', '--impls', 'ts,c', '--strategies', 'batch', '--loops', 'js', '--html', '-']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^<!DOCTYPE html>\n/);
  assert.ok(r.stdout.endsWith('</html>\n'));
  assert.ok(r.stdout.includes('Source: <code>bpfbench peers</code>'), 'no file: the command is the source');
  assert.match(r.stderr, /^bpfbench peers: hash u32→u32, 16,384 entries/m);
  const both = runCli(['peers', '--entries', '16Ki', '--json', '-', '--html', '-']);
  assert.equal(both.status, 2, both.stderr);
  assert.equal(both.stdout, '');
  assert.equal(both.stderr, "bpfbench: --json and --html cannot both go to stdout ('-'): name a file for all but one\n");
});
