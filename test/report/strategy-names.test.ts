// Report code names no strategy: what it needs of one (the reference, exact
// calls, its chart colour) it asks the strategy's traits
// (src/strategies/index.ts: referenceOf, hasExactCalls, paletteOf). This
// parses every file in src/report/ and fails on a string literal that is a
// strategy's name, except the few allowed below, each with its reason.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { ROOT } from '../../src/paths.js';
import { hasExactCalls, isReference, paletteOf, PUBLISHED_READS, REFERENCE, referenceOf, STRATEGIES } from '../../src/strategies/index.js';

/** `file: literal` → why it may stay. */
const ALLOWED: Record<string, string> = {
  // results/published/go-bpf-batch-test.json names its two programs `elem`
  // and `batch` (its results' keys): the published program's names, not
  // bpfbench strategies (its `batch` is bpfbench's batch-fixed-cursor).
  'src/report/analysis/reproduction.ts: elem': "the published experiment's key for its per-element program",
  'src/report/analysis/reproduction.ts: batch': "the published experiment's key for its (flawed) batch program",
};

function walk(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every string literal's text in a file (comments are not literals), with its line. */
function literals(file: string): { text: string; line: number }[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: { text: string; line: number }[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isStringLiteralLike(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) out.push({ text: n.text, line: src.getLineAndCharacterOfPosition(n.getStart()).line + 1 });
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

test('src/report/ holds no strategy name as a string literal (the allowed ones justified)', () => {
  const names = new Set(STRATEGIES.map((s) => s.name));
  const found: string[] = [];
  const used = new Set<string>();
  for (const f of walk(join(ROOT, 'src/report'))) {
    const rel = relative(ROOT, f);
    for (const { text, line } of literals(f)) {
      if (!names.has(text)) continue;
      const key = `${rel}: ${text}`;
      if (ALLOWED[key]) used.add(key);
      else found.push(`${rel}:${line} '${text}'`);
    }
  }
  assert.deepEqual(found, [], 'report code asks a strategy its traits (strategies/index.ts), never its name');
  // An allowance no longer needed goes.
  assert.deepEqual(
    Object.keys(ALLOWED).filter((k) => !used.has(k)),
    [],
  );
});

test('exactly one strategy is the reference, and referenceOf finds its row', () => {
  assert.deepEqual(
    STRATEGIES.filter((s) => s.reference).map((s) => s.name),
    [REFERENCE.name],
  );
  assert.ok(isReference(REFERENCE.name));
  assert.ok(!REFERENCE.usesChunk && !REFERENCE.drains && !REFERENCE.expectedToFail, 'the reference is the plain per-element walk');
  const rows = [
    { strategy: 'other', ok: true },
    { strategy: REFERENCE.name, ok: false },
    { strategy: REFERENCE.name, ok: true },
  ];
  assert.equal(referenceOf(rows), rows[1]);
  assert.equal(
    referenceOf(rows, (r) => r.ok),
    rows[2],
  );
  assert.equal(referenceOf(rows.slice(0, 1)), undefined);
});

test('traits: exact calls for reads that are not chunked; palette slots distinct; the published reads', () => {
  for (const s of STRATEGIES) assert.equal(hasExactCalls(s.name), !s.usesChunk, s.name);
  assert.equal(hasExactCalls('no such strategy'), false);
  const slots = STRATEGIES.filter((s) => s.palette !== undefined).map((s) => s.palette);
  assert.equal(new Set(slots).size, slots.length);
  assert.equal(paletteOf('no such strategy', 7), 7);
  assert.equal(PUBLISHED_READS.reference, REFERENCE);
  assert.ok(PUBLISHED_READS.flawed.expectedToFail && !PUBLISHED_READS.correct.expectedToFail);
  assert.ok(PUBLISHED_READS.flawed.usesChunk && PUBLISHED_READS.correct.usesChunk && !PUBLISHED_READS.correct.drains);
});
