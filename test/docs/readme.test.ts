// README.md and docs/*.md against what they cite: every results/ file they
// name exists, every relative link resolves, every block marked
// `<!-- rendered from results/X.json -->` is what bpfbench renders from that
// file (so a figure cannot drift from the file that backs it), and every
// bpfbench line in a ```sh block is accepted by bpfbench's parser.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../src/paths.js';
import type { RunResultJson } from '../../src/report/result/run-json.js';
import { fmtNsPerEntry } from '../../src/report/formats/format.js';
import { checkScript } from './cli-lines.js';
import { renderings } from './renderings.js';

/** README.md and every docs/*.md, relative to the repository. */
function markdownFiles(): string[] {
  const docs = existsSync(join(ROOT, 'docs'))
    ? readdirSync(join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`)
    : [];
  return ['README.md', ...docs.sort()];
}
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Fence {
  lang: string;
  body: string;
  /** The line before the fence. */
  before: string;
  line: number;
}

/** The fenced code blocks of a Markdown text. */
function fences(text: string): Fence[] {
  const lines = text.split('\n');
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const close = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    assert.ok(close > i, `an unclosed code fence at line ${i + 1}`);
    out.push({ lang: open[1]!, body: lines.slice(i + 1, close).join('\n'), before: lines[i - 1] ?? '', line: i + 1 });
    i = close;
  }
  return out;
}

/** `a.{json,svg}` → `a.json`, `a.svg` (one brace group). */
function expandBraces(p: string): string[] {
  const m = /^(.*)\{([^}]*)\}(.*)$/.exec(p);
  return m ? m[2]!.split(',').map((x) => `${m[1]}${x}${m[3]}`) : [p];
}

/** results/ paths a text cites: concrete ones (not `<type>`, `NAME`, `sweep-<time>` patterns). */
function citedResults(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/results\/[\w./{},<>*-]*/g)) {
    const p = m[0].replace(/[.,]+$/, '');
    if (/[<>*]|NAME/.test(p)) continue;
    for (const x of expandBraces(p)) found.add(x.replace(/\/$/, ''));
  }
  return [...found];
}

test('every results/ file README.md and docs/*.md cite exists', () => {
  let cited = 0;
  for (const file of markdownFiles()) {
    for (const p of citedResults(read(file))) {
      cited++;
      assert.ok(existsSync(join(ROOT, p)), `${file} cites ${p}, which does not exist`);
    }
  }
  assert.ok(cited >= 10, `only ${cited} results/ paths cited`);
  // The finder: braces expand, patterns are left alone, sentence ends are not part of a path.
  assert.deepEqual(citedResults('see `results/a-1Mi.{json,svg}`, results/types/<type>-1Mi.json, results/baselines/NAME.json and results/run-1Mi.json.'), [
    'results/a-1Mi.json',
    'results/a-1Mi.svg',
    'results/run-1Mi.json',
  ]);
});

/** GitHub's anchors for a Markdown text's headings: lower case, punctuation dropped, spaces → '-', repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/<[^>]+>/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

test('every relative link and image of README.md and docs/*.md resolves, anchors included', () => {
  let links = 0;
  for (const file of markdownFiles()) {
    const text = read(file).replace(/```[\s\S]*?```/g, '');
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g), ...text.matchAll(/<(?:img|a) [^>]*(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    for (const t of targets) {
      if (/^[a-z]+:/.test(t)) continue;
      links++;
      const [path, anchor] = t.split('#') as [string, string | undefined];
      const full = path ? join(ROOT, dirname(file), path) : join(ROOT, file);
      assert.ok(existsSync(full), `${file} links to ${t}: ${relative(ROOT, full)} does not exist`);
      if (anchor !== undefined) {
        assert.ok(full.endsWith('.md'), `${file} links to ${t}: an anchor into a file that is not Markdown`);
        assert.ok(anchors(readFileSync(full, 'utf8')).has(anchor), `${file} links to ${t}: ${relative(ROOT, full)} has no heading with that anchor`);
      }
    }
  }
  assert.ok(links >= 20, `only ${links} links`);
  assert.deepEqual([...anchors('# A `b` — c\n## Where: `--loop`\n## A `b` — c\n')], ['a-b--c', 'where---loop', 'a-b--c-1']);
});

test('the map-types table is the ns/entry of results/types/<type>-1Mi.json', () => {
  const text = read('docs/map-types.md');
  const at = text.indexOf('<!-- ns/entry from results/types/<type>-1Mi.json -->');
  assert.ok(at >= 0, 'the marked table');
  const rows = text
    .slice(at)
    .split('\n')
    .slice(1)
    .filter((l, i, all) => l.startsWith('|') && all.slice(0, i).every((x) => x.startsWith('|')));
  const cells = (l: string) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const head = cells(rows[0]!).slice(1);
  assert.deepEqual(head, ['elem', 'batch(4096)', 'iter', 'elem-delete', 'batch-delete(4096)']);
  const body = rows.slice(2);
  assert.equal(body.length, 6);
  for (const row of body) {
    const [type, ...figures] = cells(row);
    const r = JSON.parse(read(`results/types/${type!.replace(/`/g, '')}-1Mi.json`)) as RunResultJson;
    const expected = head.map((label) => {
      const s = r.results.find((x) => x.label === label);
      return s ? fmtNsPerEntry(s.nsPerEntry) : '—';
    });
    assert.deepEqual(figures, expected, `${type}: the table differs from its file`);
  }
});

test('README.md opens short: what it is, the two set-up commands, a result, the report picture, the docs', () => {
  const readme = read('README.md');
  // The opening: everything before the first section of depth (## Why, ## Requirements, ## Layout).
  const depth = readme.search(/^## (Why|Requirements|Layout)\b/m);
  assert.ok(depth > 0, 'a section after the opening');
  const top = readme.slice(0, depth);
  assert.ok(top.split('\n').length <= 90, `the opening is ${top.split('\n').length} lines (≤ 90)`);
  for (const [what, re] of [
    ['make bench', /^make bench\b/m],
    ['make test', /^make test\b/m],
    ['npm pack', /npm pack/],
    ['npm install -g', /npm install -g \.\/bpfbench-/],
    ['a result rendered from results/run-1Mi.json', /<!-- rendered from results\/run-1Mi\.json -->/],
    ['the report picture', /docs\/report\.png/],
    ['docs/', /\(docs\/[\w-]+\.md\)/],
  ] as const) {
    assert.match(top, re, `the README's opening lacks ${what}`);
  }
  const setup = fences(readme).find((f) => f.lang === 'sh' && /^make bench/m.test(f.body));
  assert.ok(setup, 'a sh block with the set-up commands');
  const commands = setup.body
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => l.replace(/\s+#.*$/, '').trim());
  assert.deepEqual(commands, ['make bench', 'make test']);
});

test('every block marked as rendered from a results/ file is what bpfbench renders from it', () => {
  let blocks = 0;
  for (const file of markdownFiles()) {
    for (const f of fences(read(file))) {
      const m = /^<!-- rendered from (results\/\S+\.json) -->$/.exec(f.before.trim());
      // A marker with a typo would leave its block unchecked.
      if (!m) assert.ok(!/<!--\s*render/i.test(f.before), `${file}:${f.line}: a marker bpfbench does not read: ${f.before}`);
      if (!m) continue;
      blocks++;
      const forms = renderings(m[1]!);
      assert.ok(f.body.split('\n').length >= 3 && forms.some((r) => r.includes(f.body)), `${file}:${f.line}: this block is not what bpfbench renders from ${m[1]}; it renders:\n${forms[0]}`);
    }
  }
  assert.ok(blocks >= 1, 'no rendered block found');
});

test('a rendered block that drifted from its file fails', () => {
  const forms = renderings('results/run-1Mi.json');
  const block = forms[0]!.split('\n').slice(0, 8).join('\n');
  assert.ok(forms.some((r) => r.includes(block)));
  const drifted = block.replace(/(\d),(\d{3})/, (_, a: string, b: string) => `${a},${String((Number(b) + 1) % 1000).padStart(3, '0')}`);
  assert.notEqual(drifted, block);
  assert.ok(!forms.some((r) => r.includes(drifted)));
});

test('every bpfbench line in the ```sh blocks of README.md and docs/*.md is accepted by bpfbench', () => {
  let lines = 0;
  const problems: string[] = [];
  for (const file of markdownFiles()) {
    for (const f of fences(read(file))) {
      if (f.lang !== 'sh') continue;
      const r = checkScript(f.body, `${file}:${f.line}`);
      lines += r.commands.length;
      problems.push(...r.problems);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(lines >= 5, `only ${lines} bpfbench lines in sh blocks`);
});
