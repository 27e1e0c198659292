// One sweep chart: the SVG file a sweep writes and the HTML page's figure
// draw the same curves, from the one model (sweep-chart.ts), with the one
// drawing (svg.ts): the page's chart is the file's ns/entry panel, mark for mark.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../../src/paths.js';
import { htmlPage } from '../../../src/report/html/page.js';
import type { SweepResultJson } from '../../../src/report/analysis/sweep-result.js';
import { sweepChart } from '../../../src/report/rendering/svg.js';
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

for (const file of ['results/sweep-reference-1Mi-4Mi.json', 'results/sweep-lru-16Mi-sparse.json']) {
  test(`${file}: the page's sweep chart is the SVG file's ns/entry panel, the same marks at the same coordinates`, () => {
    const loaded = checkResult(file, JSON.parse(readFileSync(join(ROOT, file), 'utf8')), REPORT_KINDS);
    const r = loaded.json as SweepResultJson;
    const svg = sweepChart(r);
    const page = htmlPage([loaded]);
    const figure = page.slice(page.indexOf('<section id="sweep">'), page.indexOf('</section>', page.indexOf('<section id="sweep">')));
    // The page's chart: its <svg> as the page opens it, its marks up to </svg>.
    const chart = /<svg class="chart" id="[^"]+" viewBox="0 0 (\d+) (\d+)"[^>]*>\n<title>[^<]*<\/title>\n([\s\S]*?)\n<\/svg>/.exec(figure);
    assert.ok(chart, "the page's sweep chart");
    // The file's first panel: from its first <g class="panel"> to the second (p99 call latency), or to </svg>.
    const from = svg.indexOf('<g class="panel">');
    const second = svg.indexOf('<g class="panel">', from + 1);
    const panel = svg.slice(from, second > 0 ? second : svg.lastIndexOf('</svg>')).trimEnd();
    assert.ok(from > 0);
    assert.equal(chart[3], panel, "the page's marks are the file's, byte for byte");
    assert.equal(Number(chart[1]), Number(/<svg [^>]*width="(\d+)"/.exec(svg)![1]), 'one width');
    assert.equal(Number(chart[2]), 460, 'the page draws panel 1 only');
    // Not an empty match: the points, the elem levels and the fitted curves from fits[] are in it.
    const curves = sweepCurves(r);
    assert.equal(
      panel.match(/<circle class="dot"/g)?.length,
      curves.reduce((n, c) => n + c.points.length, 0),
    );
    assert.equal(panel.match(/<path class="model" d="M/g)?.length ?? 0, r.fits?.length ?? 0);
    assert.equal(panel.match(/<line class="reference"/g)?.length ?? 0, curves.filter((c) => c.reference !== undefined).length);
  });
}
