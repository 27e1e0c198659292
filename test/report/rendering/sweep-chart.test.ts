// One sweep chart: the SVG file a sweep writes and the HTML page's figure
// draw the same curves, from the one model (sweep-chart.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../../src/paths.js';
import { htmlPage } from '../../../src/report/html/page.js';
import { sweepChart, type SweepResultJson } from '../../../src/report/analysis/sweep-result.js';
import { sweepCurves } from '../../../src/report/rendering/sweep-chart.js';
import { checkResult, REPORT_KINDS } from '../../../src/report/schema/index.js';

for (const file of ['results/sweep-reference-1Mi-4Mi.json', 'results/sweep-lru-16Mi-sparse.json']) {
  test(`${file}: the SVG file and the HTML page draw the model's curves, each with its points and its elem level`, () => {
    const loaded = checkResult(file, JSON.parse(readFileSync(join(ROOT, file), 'utf8')), REPORT_KINDS);
    const r = loaded.json as SweepResultJson;
    const curves = sweepCurves(r);
    assert.ok(curves.length > 0);
    const svg = sweepChart(r);
    const page = htmlPage([loaded]);
    const figure = page.slice(page.indexOf('<section id="sweep">'), page.indexOf('</section>', page.indexOf('<section id="sweep">')));
    const pointsOf = (text: string) => [...text.matchAll(/<polyline class="series"[^>]*points="([^"]+)"/g)].map((m) => m[1]!.split(' ').length);
    assert.deepEqual(
      pointsOf(svg),
      curves.map((c) => c.points.length),
    );
    assert.deepEqual(
      pointsOf(figure),
      curves.map((c) => c.points.length),
    );
    const withReference = curves.filter((c) => c.reference !== undefined).length;
    assert.equal([...svg.matchAll(/<line class="reference"/g)].length, withReference);
    assert.equal([...figure.matchAll(/<line class="reference"/g)].length, withReference);
    // Sizes as both name them: a sparse map's max_entries in the file's legend.
    for (const c of curves) assert.match(svg, new RegExp(`>${c.size}( ${c.strategy})? batch<`));
  });
}
