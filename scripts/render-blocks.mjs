#!/usr/bin/env node
// After a re-measure: rewrites every block of README.md and docs/*.md marked
// `<!-- rendered from results/X.json -->` with what bpfbench now renders from
// results/X.json. A block is a slice of one rendering: its first and last
// lines are found again by their shape (digits and spacing aside), and the
// block becomes the rendering's lines between them. A block whose ends are
// not found is left as it is and named; test/docs/readme.test.ts then fails
// on it. Needs a build (dist/). Usage: node scripts/render-blocks.mjs
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { renderings } = await import(join(root, 'dist/test/docs/renderings.js'));
const shape = (l) =>
  l
    .replace(/loop \w+/, 'loop')
    .replace(/[\d.,]+/g, '0')
    .replace(/\s+/g, ' ')
    .replace(/[×%µnms]+\b/g, '')
    .trim();
const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
let changed = 0;
let missed = 0;
for (const file of files) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^<!-- rendered from (results\/\S+\.json) -->$/.exec(lines[i].trim());
    if (!m || !/^```/.test(lines[i + 1] ?? '')) continue;
    const open = i + 1;
    const close = lines.findIndex((l, j) => j > open && /^```\s*$/.test(l));
    const body = lines.slice(open + 1, close);
    let done = false;
    for (const form of renderings(m[1])) {
      const r = form.split('\n');
      const s = r.findIndex((l) => shape(l) === shape(body[0]));
      if (s < 0) continue;
      let e = -1;
      for (let k = r.length - 1; k >= s; k--)
        if (shape(r[k]) === shape(body[body.length - 1])) {
          e = k;
          break;
        }
      if (e < 0) continue;
      const next = r.slice(s, e + 1);
      if (next.join('\n') !== body.join('\n')) changed++;
      lines.splice(open + 1, body.length, ...next);
      done = true;
      break;
    }
    if (!done) {
      missed++;
      console.error(`${file}:${open + 1}: the block's ends are not in what bpfbench renders from ${m[1]}: left as it is`);
    }
    i = open;
  }
  writeFileSync(join(root, file), lines.join('\n'));
}
console.log(`render-blocks: ${changed} block(s) rewritten${missed ? `, ${missed} left as they were` : ''}`);
process.exitCode = missed ? 1 : 0;
