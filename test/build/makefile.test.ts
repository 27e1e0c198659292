// `make test` must run the test files and nothing else: `node --test dist/test/`
// also ran helpers.js and fixtures/*.js as passing "tests".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../src/paths.js';

test('make test hands node --test only *.test.js files', () => {
  // -n prints the recipe without running it: the test script; its node --test line is the runner's.
  const dry = spawnSync('make', ['-s', '--no-print-directory', '-n', 'test'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(dry.status, 0, dry.stderr);
  const script = /^bash (scripts\/test\.sh)$/m.exec(dry.stdout)?.[1];
  assert.ok(script, `no test script in:\n${dry.stdout}`);
  const line = readFileSync(join(ROOT, script), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('node --test'))
    .pop()
    ?.replace(/ \| tee .*$/, '');
  assert.ok(line, `no node --test line in ${script}`);
  // Expand it as the shell would (the $(find …) in it), printing one argument a line.
  const args = spawnSync('sh', ['-c', `printf '%s\\n' ${line.replace(/^.*?node --test/, '')}`], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(args.status, 0, args.stderr);
  const files = args.stdout.split('\n').filter((a) => a !== '' && !a.startsWith('--'));
  assert.ok(files.length >= 20, `only ${files.length} test files: ${files.join(' ')}`);
  for (const f of files) assert.match(f, /^dist\/test\/.+\.test\.js$/, `${f} is not a test file`);
  assert.ok(!files.some((f) => /helpers\.js$|fixtures\//.test(f)));
});

test('make test runs the linter first, and the linter fails on a warning', () => {
  const script = readFileSync(join(ROOT, 'scripts/test.sh'), 'utf8');
  assert.match(script, /^npx biome lint --error-on-warnings \|\| lint=1$/m);
  const clean = spawnSync('npx', ['biome', 'lint', '--error-on-warnings'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(clean.status, 0, clean.stdout + clean.stderr);
  // The same configuration on a file with one problem: an unused variable is a warning, and a warning fails.
  const dir = mkdtempSync(join(ROOT, 'test', '.lint-'));
  try {
    writeFileSync(join(dir, 'bad.test.ts'), 'export function f(): number {\n  const unused = 1;\n  return 2;\n}\n');
    const bad = spawnSync('npx', ['biome', 'lint', '--error-on-warnings', dir], { cwd: ROOT, encoding: 'utf8' });
    assert.notEqual(bad.status, 0, bad.stdout + bad.stderr);
    assert.match(bad.stdout + bad.stderr, /noUnusedVariables/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
