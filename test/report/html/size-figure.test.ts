// The report page's ratio-to-C-against-size figure, from committed peers
// results of two sizes: a point for each bpfbench row of each file, its
// tooltip the file's own ratioToC, placed left to right by size, and no
// figure from one size alone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../../src/paths.js';
import { fmtRatio } from '../../../src/report/formats/format.js';
import { htmlReport } from '../../../src/report/html/page.js';

const FILES = ['results/peers-1Mi.json', 'results/peers-4Mi.json'];
const load = (file: string) => ({ file, json: JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as any });

test('peers results of two sizes draw bpfbench over C against size: every verified bpfbench row of each file, at its own ratio', () => {
  const files = FILES.map(load);
  const html = htmlReport(files);
  const fig = [...html.matchAll(/<figure id="figure-\d+">([\s\S]*?)<\/figure>/g)].map((m) => m[1]!).find((f) => f.includes('bpfbench against C, by map size'));
  assert.ok(fig, 'the figure is on the page');
  const dots = [...fig.matchAll(/<circle class="dot" cx="([\d.]+)" cy="([\d.]+)" r="4"><title>([^<]*)<\/title>/g)].map((m) => ({ cx: Number(m[1]), cy: Number(m[2]), title: m[3]! }));
  const expected = files.flatMap((f) =>
    f.json.results
      .filter((x: { impl: string; verified: { ok: boolean }; ratioToC: number | null }) => x.impl === 'ts' && x.verified.ok && x.ratioToC !== null)
      .map((x: { ratioToC: number }) => ({ entries: f.json.config.entries as number, ratio: x.ratioToC })),
  );
  assert.equal(dots.length, expected.length);
  for (const e of expected) {
    const label = `${e.entries.toLocaleString('en-US')} entries: ${fmtRatio(e.ratio)} C`;
    assert.ok(
      dots.some((d) => d.title.endsWith(label)),
      `a point for ${label}`,
    );
  }
  // Larger maps to the right; a larger ratio higher (smaller y).
  const x1 = dots.filter((d) => d.title.includes('1,048,576 entries')).map((d) => d.cx);
  const x4 = dots.filter((d) => d.title.includes('4,194,304 entries')).map((d) => d.cx);
  assert.equal(new Set(x1).size, 1);
  assert.equal(new Set(x4).size, 1);
  assert.ok(x4[0]! > x1[0]!);
  const ratioOf = (d: { title: string }) => Number(/([\d.]+)× C$/.exec(d.title)![1]);
  for (const a of dots) for (const b of dots) if (ratioOf(a) > ratioOf(b)) assert.ok(a.cy < b.cy, `${a.title} above ${b.title}`);
});

test('one size alone draws no size figure', () => {
  assert.ok(!htmlReport([load(FILES[0]!)]).includes('bpfbench against C, by map size'));
});
