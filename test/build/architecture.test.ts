// docs/architecture.md kept true: the layers' import rule over every file
// in src/, koffi only at the kernel boundary, libc bound once, the folders
// the document names are the folders src/ has, and the rooms stay small
// enough to find one's way in: at most 12 files in a folder, no two files
// of one name (index.ts aside), no file over 300 lines.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../src/paths.js';

const SRC = join(ROOT, 'src');
/** Bottom to top: a file may import from its own layer or one below. */
const LAYERS = ['bpf', 'strategies', 'harness', 'report', 'cli'];

function walk(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const files = walk(SRC);
/** -1: src/errors.ts and src/paths.ts, below every layer. */
const layerOf = (p: string) => {
  const parts = relative(SRC, p).split('/');
  return parts.length > 1 ? LAYERS.indexOf(parts[0]!) : -1;
};
const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

test('imports only point down: bin → cli → report → harness → strategies → bpf', () => {
  const up: string[] = [];
  for (const f of files) {
    assert.ok(layerOf(f) >= -1 && (layerOf(f) >= 0 || relative(SRC, f).split('/').length === 1), `${relative(ROOT, f)} is in no layer`);
    for (const spec of importsOf(f)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
      if (layerOf(target) > layerOf(f)) up.push(`${relative(ROOT, f)} imports ${relative(ROOT, target)}`);
    }
  }
  assert.deepEqual(up, []);
  // The executable reaches the CLI only.
  const bin = readFileSync(join(ROOT, 'bin/bpfbench'), 'utf8');
  const ours = [...bin.matchAll(/['"](\.\.?\/[^'"]+)['"]/g)].map((m) => m[1]!);
  assert.ok(ours.length > 0, 'bin/bpfbench names its entry');
  for (const p of ours) assert.match(p, /^\.\.\/dist\/src\/cli\//, `bin/bpfbench reaches ${p}`);
});

test('koffi only at the kernel boundary (src/bpf/), libc bound once (src/bpf/syscall/libc.ts)', () => {
  const koffi = files.filter((f) => importsOf(f).includes('koffi') && layerOf(f) !== 0).map((f) => relative(ROOT, f));
  assert.deepEqual(koffi, []);
  const libc = files.filter((f) => /libc\.so/.test(readFileSync(f, 'utf8')) && relative(SRC, f) !== 'bpf/syscall/libc.ts').map((f) => relative(ROOT, f));
  assert.deepEqual(libc, []);
});

test('docs/architecture.md names every folder of src/, and each folder it names exists', () => {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const named = new Set([...doc.matchAll(/^(src\/[\w/-]+\/)\s/gm)].map((m) => m[1]!));
  const folders = new Set<string>();
  const dirs = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) {
        folders.add(`${relative(ROOT, p)}/`);
        dirs(p);
      }
    }
  };
  dirs(SRC);
  assert.deepEqual([...named].sort(), [...folders].sort());
  // Every file it points a reader at exists.
  for (const m of doc.matchAll(/`((?:src|native|bpf|test)\/[\w./-]+\.(?:ts|c|h))`/g)) assert.ok(statSync(join(ROOT, m[1]!)).isFile(), m[1]);
});

/** What a folder may hold directly, and a file's length, before a newcomer loses the way. */
const MAX_FILES_PER_FOLDER = 12;
const MAX_LINES = 300;

test(`no folder of src/ holds more than ${MAX_FILES_PER_FOLDER} files directly`, () => {
  const byFolder = new Map<string, number>();
  for (const f of files) byFolder.set(dirname(f), (byFolder.get(dirname(f)) ?? 0) + 1);
  const over = [...byFolder].filter(([, n]) => n > MAX_FILES_PER_FOLDER).map(([d, n]) => `${relative(ROOT, d)}/ holds ${n} files`);
  assert.deepEqual(over, []);
});

test('no two files in src/ share a name, index.ts aside', () => {
  const byName = new Map<string, string[]>();
  for (const f of files) byName.set(basename(f), [...(byName.get(basename(f)) ?? []), relative(ROOT, f)]);
  const shared = [...byName].filter(([name, paths]) => name !== 'index.ts' && paths.length > 1).map(([, paths]) => paths.join(' and '));
  assert.deepEqual(shared, []);
});

test(`no file in src/ is over ${MAX_LINES} lines`, () => {
  const lines = (f: string) => readFileSync(f, 'utf8').replace(/\n$/, '').split('\n').length;
  const over = files.filter((f) => lines(f) > MAX_LINES).map((f) => `${relative(ROOT, f)}: ${lines(f)} lines`);
  assert.deepEqual(over, []);
});
