// The sweep chart is well-formed SVG with a line per series, points placed on
// a log₂ chunk axis and a log₁₀ ns/entry axis, and a dashed elem level per
// series on the same scale.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sweepSvg } from '../../../src/report/rendering/svg.js';

const series = [
  {
    label: '1Mi',
    points: [
      [4096, 230],
      [1, 900],
      [64, 300],
    ] as [number, number][],
    reference: 4500,
  },
  {
    label: '4Mi',
    points: [
      [1, 1000],
      [64, 340],
      [4096, 330],
    ] as [number, number][],
    reference: 4700,
  },
];

test('sweep chart: one polyline per series, x by log2(chunk), reference lines dashed, well-formed', () => {
  const svg = sweepSvg(series, 'test <chart>');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="760" height="460"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.match(svg, /test &lt;chart&gt;/, 'text is escaped');
  const polylines = [...svg.matchAll(/<polyline class="series"[^>]*points="([^"]+)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)));
  assert.equal(polylines.length, 2);
  for (const pts of polylines) {
    assert.equal(pts.length, 3);
    const xs = pts.map((p) => p[0]!);
    assert.deepEqual(
      [...xs].sort((a, b) => a - b),
      xs,
      'points sorted by chunk',
    );
  }
  assert.equal([...svg.matchAll(/class="reference"[^>]*stroke-dasharray/g)].length, 2);
  for (const t of ['1Mi batch', '4Mi elem', 'chunk (entries per LOOKUP_BATCH call, log scale)']) assert.ok(svg.includes(t), t);
});

test('sweep chart: the chunk axis spans the chunks on a log2 scale; ns/entry, points and elem levels alike, on one log10 scale', () => {
  const svg = sweepSvg(series, 'scales');
  // The x axis as drawn: the smallest chunk at its left end, the largest at its right, log2 in between.
  const axis = /<line x1="([\d.]+)" x2="([\d.]+)" y1="([\d.]+)" y2="\3" stroke="black"\/>/.exec(svg);
  assert.ok(axis, 'the x axis');
  const [left, right] = [Number(axis[1]), Number(axis[2])];
  const polylines = [...svg.matchAll(/<polyline class="series"[^>]*points="([^"]+)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)));
  const xOf = (chunk: number) => left + (Math.log2(chunk) / Math.log2(4096)) * (right - left);
  // Every (value, y) drawn: the points (sorted by chunk, as drawn) and the dashed references.
  const drawn: [number, number][] = [];
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    pts.forEach(([chunk, v], j) => {
      const [x, y] = polylines[i]![j]!;
      assert.ok(Math.abs(x! - xOf(chunk)) <= 0.1, `${s.label} chunk ${chunk}: x ${x} vs ${xOf(chunk)}`);
      drawn.push([v, y!]);
    });
  });
  const refs = [...svg.matchAll(/<line class="reference" [^>]*y1="([\d.]+)"/g)].map((m) => Number(m[1]));
  for (const [i, s] of series.entries()) drawn.push([s.reference!, refs[i]!]);
  // y = a − b·log10(v), b > 0 (more ns/entry is higher up), for every value drawn.
  const [v0, y0] = drawn[0]!;
  const [v1, y1] = drawn.find(([v]) => v === 4500)!;
  const b = (y0 - y1) / Math.log10(v1 / v0);
  assert.ok(b > 0, 'higher ns/entry is drawn higher (smaller y)');
  for (const [v, y] of drawn) assert.ok(Math.abs(y - (y0 - b * Math.log10(v / v0))) <= 0.15, `${v} ns/entry at y ${y}`);
});
