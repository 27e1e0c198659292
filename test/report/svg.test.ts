// The sweep chart is well-formed SVG with a line per series, points placed on
// a log₂ chunk axis, and a dashed elem level per series.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sweepSvg } from '../../src/report/svg.js';

test('sweep chart: one polyline per series, x by log2(chunk), reference lines dashed, well-formed', () => {
  const svg = sweepSvg(
    [
      { label: '1Mi', points: [[4096, 230], [1, 900], [64, 300]], reference: 4500 },
      { label: '4Mi', points: [[1, 1000], [64, 340], [4096, 330]], reference: 4700 },
    ],
    'test <chart>',
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="760" height="460"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.match(svg, /test &lt;chart&gt;/, 'text is escaped');
  const polylines = [...svg.matchAll(/<polyline class="series"[^>]*points="([^"]+)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)));
  assert.equal(polylines.length, 2);
  for (const pts of polylines) {
    assert.equal(pts.length, 3);
    const xs = pts.map((p) => p[0]!);
    assert.deepEqual([...xs].sort((a, b) => a - b), xs, 'points sorted by chunk');
    // log2 spacing: 1 → 64 is 6 steps, 64 → 4096 is 6 steps: equal distances.
    assert.ok(Math.abs(xs[1]! - xs[0]! - (xs[2]! - xs[1]!)) < 0.2);
    for (const [x, y] of pts) assert.ok(x! >= 70 && x! <= 590 && y! >= 40 && y! <= 410, `inside the plot: ${x},${y}`);
  }
  // Higher ns/entry is drawn higher (smaller y).
  assert.ok(polylines[0]![0]![1]! < polylines[0]![2]![1]!);
  assert.equal([...svg.matchAll(/class="reference"[^>]*stroke-dasharray/g)].length, 2);
  for (const t of ['1Mi batch', '4Mi elem', 'chunk (entries per LOOKUP_BATCH call, log scale)']) assert.ok(svg.includes(t), t);
});
