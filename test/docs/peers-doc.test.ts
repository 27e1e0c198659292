// docs/peers.md quotes the example readers whole: the C and Python blocks
// are the files in examples/readers/, so the page cannot drift from what the
// tests run (test/harness/peers/peers-readers.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../src/paths.js';

const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

/** The body of each ```LANG block of a Markdown text. */
const blocks = (text: string, lang: string) => [...text.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!);

test('docs/peers.md quotes examples/readers/reader.c and reader.py as they are', () => {
  const doc = read('docs/peers.md');
  assert.deepEqual(blocks(doc, 'c'), [read('examples/readers/reader.c')]);
  assert.deepEqual(blocks(doc, 'python'), [read('examples/readers/reader.py')]);
  // The C reader stays about 40 lines of code (comments and blank lines aside).
  const code = read('examples/readers/reader.c')
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^\s*(\/\/|\/\*|\*)/.test(l));
  assert.ok(code.length <= 50, `${code.length} lines of code`);
});

test('the protocol the page states is the one bpfbench parses', () => {
  const doc = read('docs/peers.md');
  assert.match(doc, /`result entries=N distinct=D checksum=C`/);
  assert.match(read('src/harness/peers/exec.ts'), /const RESULT = \/\^result entries=\(\\d\+\) distinct=\(\\d\+\) checksum=\(\\d\+\)/);
  for (const p of ['{pin}', '{id}', '{entries}', '{chunk}', '{strategy}']) assert.ok(doc.includes(`\`${p}\``), p);
});
