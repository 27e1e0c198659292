// The registry of formats: one exporter per format, each rendering the kinds
// of document it declares, exactly as the renderer of that format does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../../src/paths.js';
import { toCsv, toGab, toMarkdown } from '../../../src/report/formats/export.js';
import { canRender, EXPORTERS, FORMATS, renderDocument } from '../../../src/report/formats/exporters.js';
import { fleetMarkdown } from '../../../src/report/rendering/fleet-render.js';
import { mergeResults } from '../../../src/report/analysis/fleet.js';
import { htmlPage } from '../../../src/report/html/page.js';
import { sweepMarkdown } from '../../../src/report/analysis/sweep-result.js';
import { sweepChart } from '../../../src/report/rendering/svg.js';
import { checkResult, REPORT_KINDS, type LoadedResult } from '../../../src/report/schema/index.js';

const load = (file: string): LoadedResult => checkResult(file, JSON.parse(readFileSync(join(ROOT, file), 'utf8')), REPORT_KINDS);
const run = load('results/run-1Mi.json');
const sweep = load('results/sweep-reference-1Mi-4Mi.json');
const peers = load('results/peers-1Mi.json');

test('one exporter per format, each under its own name', () => {
  assert.deepEqual(Object.keys(EXPORTERS), [...FORMATS]);
  for (const f of FORMATS) assert.equal(EXPORTERS[f].format, f);
});

test('what each format renders', () => {
  const kinds = ['run', 'sweep', 'peers', 'report', 'data'] as const;
  const table = Object.fromEntries(FORMATS.map((f) => [f, kinds.filter((k) => canRender(f, k))]));
  assert.deepEqual(table, {
    json: ['run', 'sweep', 'peers', 'data'],
    html: ['run', 'sweep', 'peers', 'report'],
    markdown: ['run', 'sweep', 'report'],
    csv: ['run'],
    gab: ['run'],
    svg: ['sweep'],
  });
  assert.throws(() => renderDocument('csv', peers), /CSV cannot render a peers document/);
});

test('each exporter writes what its renderer makes', () => {
  assert.equal(renderDocument('json', run), `${JSON.stringify(run.json, null, 2)}\n`);
  assert.equal(renderDocument('markdown', run), toMarkdown(run.json as never));
  assert.equal(renderDocument('csv', run), toCsv(run.json as never));
  assert.equal(renderDocument('gab', run), `${JSON.stringify(toGab(run.json as never), null, 2)}\n`);
  assert.equal(renderDocument('html', run), htmlPage([run]));
  assert.equal(renderDocument('markdown', sweep), sweepMarkdown(sweep.json as never));
  assert.equal(renderDocument('svg', sweep), sweepChart(sweep.json as never));
  assert.equal(renderDocument('html', peers), htmlPage([peers]));
  assert.equal(renderDocument('html', { kind: 'report', results: [run, sweep, peers] }), htmlPage([run, sweep, peers]));
  assert.equal(renderDocument('markdown', { kind: 'report', results: [run, peers] }), fleetMarkdown(mergeResults([run, peers])));
  assert.equal(renderDocument('json', { kind: 'data', json: { a: [1] } }), '{\n  "a": [\n    1\n  ]\n}\n');
});
