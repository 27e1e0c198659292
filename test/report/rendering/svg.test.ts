// The sweep's SVG file, drawn from the committed sweeps: well-formed SVG with
// a line per curve, points placed on a log₂ axis of the chunk in use and a
// log₁₀ ns/entry axis, and a dashed elem level per curve on the same scale.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../../src/paths.js';
import type { SweepResultJson } from '../../../src/report/analysis/sweep-result.js';
import { esc } from '../../../src/report/formats/format.js';
import { sweepChart } from '../../../src/report/rendering/svg.js';
import { curveLabel, sweepCurves } from '../../../src/report/rendering/sweep-chart.js';

const FILES = ['results/sweep-reference-1Mi-4Mi.json', 'results/sweep-lru-16Mi-sparse.json'];
const read = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as SweepResultJson;
const polylines = (svg: string) => [...svg.matchAll(/<polyline class="series"[^>]*points="([^"]+)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)));

for (const file of FILES) {
  test(`${file}: one polyline per curve, x by log2(chunk), elem levels dashed, well-formed`, () => {
    const r = read(file);
    const curves = sweepCurves(r);
    const svg = sweepChart(r);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="chart" width="880" height="(460|920)"/);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    const title = /<text class="panel-title"[^>]*>([^<]+)<\/text>/.exec(svg)![1]!;
    assert.ok(title.startsWith(`ns per entry vs chunk: ${r.config.mapType}, `), title);
    assert.ok(svg.includes(`aria-label="${esc(`ns per entry vs chunk: ${r.config.mapType}, `)}`), 'the title is its label, escaped');
    const lines = polylines(svg);
    assert.equal(lines.length, curves.length);
    for (const [i, pts] of lines.entries()) {
      assert.equal(pts.length, curves[i]!.points.length);
      const xs = pts.map((p) => p[0]!);
      assert.deepEqual(
        [...xs].sort((a, b) => a - b),
        xs,
        'points sorted by chunk',
      );
    }
    assert.equal([...svg.matchAll(/<line class="reference"/g)].length, curves.filter((c) => c.reference !== undefined).length);
    assert.match(svg, /\.chart \.reference\{[^}]*stroke-dasharray/, 'elem levels dashed by the style the file carries');
    for (const c of curves) {
      for (const t of [`>${curveLabel(c)}<`, ...(c.reference !== undefined ? [`>${c.size} elem<`] : [])]) assert.ok(svg.includes(t), t);
    }
    assert.ok(svg.includes('chunk: entries per LOOKUP_BATCH call (log scale)'));
  });

  test(`${file}: the chunk axis spans the chunks in use on a log2 scale; ns/entry, points and elem levels alike, on one log10 scale`, () => {
    const r = read(file);
    const curves = sweepCurves(r);
    const svg = sweepChart(r);
    // The x axis as drawn: the smallest chunk in use at its left end, the largest at its right, log2 in between.
    const axis = /<line class="axis" x1="([\d.]+)" x2="([\d.]+)" y1="([\d.]+)" y2="\3"\/>/.exec(svg);
    assert.ok(axis, 'the x axis');
    const [left, right] = [Number(axis[1]), Number(axis[2])];
    const inUse = curves.flatMap((c) => c.points.map((p) => p.inUse));
    const [lo, hi] = [Math.log2(Math.min(...inUse)), Math.log2(Math.max(...inUse))];
    const xOf = (chunk: number) => left + ((Math.log2(chunk) - lo) / (hi - lo)) * (right - left);
    const lines = polylines(svg);
    // Every (value, y) drawn: the points (sorted by chunk, as drawn) and the dashed references.
    const drawn: [number, number][] = [];
    curves.forEach((c, i) => {
      const pts = [...c.points].sort((a, b) => a.inUse - b.inUse || a.chunk - b.chunk);
      pts.forEach((p, j) => {
        const [x, y] = lines[i]![j]!;
        assert.ok(Math.abs(x! - xOf(p.inUse)) <= 0.1, `${curveLabel(c)} chunk ${p.inUse}: x ${x} vs ${xOf(p.inUse)}`);
        drawn.push([p.nsPerEntry, y!]);
      });
    });
    const refs = [...svg.matchAll(/<line class="reference" [^>]*y1="([\d.]+)"/g)].map((m) => Number(m[1]));
    const levels = curves.flatMap((c) => (c.reference !== undefined ? [c.reference] : []));
    assert.equal(refs.length, levels.length);
    for (const [i, v] of levels.entries()) drawn.push([v, refs[i]!]);
    // y = a − b·log10(v), b > 0 (more ns/entry is higher up), for every value drawn.
    const byValue = [...drawn].sort((a, b) => a[0] - b[0]);
    const [v0, y0] = byValue[0]!;
    const [v1, y1] = byValue[byValue.length - 1]!;
    assert.ok(v1 > v0, 'values to hold the scale to');
    const b = (y0 - y1) / Math.log10(v1 / v0);
    assert.ok(b > 0, 'higher ns/entry is drawn higher (smaller y)');
    for (const [v, y] of drawn) assert.ok(Math.abs(y - (y0 - b * Math.log10(v / v0))) <= 0.15, `${v} ns/entry at y ${y}`);
  });
}
