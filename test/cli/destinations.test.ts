// Where results go is checked before any map is made: one destination on
// stdout at most, an unwritable or impossible path is one line and exit 2
// in well under a second (no fill, no read), and a missing directory is
// created on purpose and said.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers.js';

const ENTRIES = ['--entries', '16Mi', '--runs', '1'];

for (const [what, args, line] of [
  ['--json and --export-csv both to stdout', ['--json', '-', '--export-csv', '-'], /^bpfbench: --json and --export-csv cannot both go to stdout \('-'\): name a file for all but one$/],
  ['--json, --html and --export-gab to stdout', ['--json', '-', '--html', '-', '--export-gab', '-'], /^bpfbench: --json, --html and --export-gab cannot both go to stdout/],
  ['a path under a file', ['--json', '/etc/passwd/x.json'], /^bpfbench: --json \/etc\/passwd\/x\.json: \/etc\/passwd is not a directory$/],
  [
    'a directory under a file',
    ['--json', '/etc/passwd/sub/x.json'],
    /^bpfbench: --json \/etc\/passwd\/sub\/x\.json: cannot create its directory \/etc\/passwd\/sub: \/etc\/passwd is not a directory$/,
  ],
  ['a directory as the file', ['--export-csv', '/tmp'], /^bpfbench: --export-csv \/tmp: is a directory$/],
] as const) {
  test(`run: ${what} is one line and exit 2, before any map`, () => {
    const t0 = process.hrtime.bigint();
    const r = runCli(['run', ...ENTRIES, ...args]);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), line);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '');
    // A 16Mi map takes seconds to fill: nothing was made.
    assert.ok(ms < 5000, `${ms} ms`);
  });
}

test('run: a missing directory is said before the run and made when the result is written; none is made for a run refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-dest-'));
  try {
    const fresh = join(dir, 'new', 'deeper');
    // Refused after the destinations were checked (a drain of an array): nothing made.
    const refused = runCli(['run', '--entries', '4096', '--map-type', 'array', '--strategies', 'batch-delete', '--json', join(fresh, 'r.json')]);
    assert.equal(refused.status, 2, refused.stderr);
    assert.ok(!existsSync(join(dir, 'new')), 'no directory for a refused run');
    const ok = runCli(['run', '--entries', '4096', '--runs', '1', '--strategies', 'batch', '--json', join(fresh, 'r.json')]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(ok.stderr.split('\n').includes(`bpfbench: ${fresh} does not exist: it will be made for --json`), ok.stderr);
    assert.deepEqual(readdirSync(fresh), ['r.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(!existsSync(dir));
});

// --- Every command through the one output stage --------------------------------

const BAD = '/etc/passwd/x.json';
const unwritable = /^bpfbench: --json \/etc\/passwd\/x\.json: \/etc\/passwd is not a directory$/;

for (const [what, args, line] of [
  [
    'sweep: --json and --html both to stdout',
    ['sweep', '--entries', '16Mi', '--json', '-', '--html', '-'],
    /^bpfbench: --json and --html cannot both go to stdout \('-'\): name a file for all but one$/,
  ],
  ['sweep: an unwritable --json', ['sweep', '--entries', '16Mi', '--json', BAD], unwritable],
  [
    'sweep: an --out-dir under a file',
    ['sweep', '--entries', '16Mi', '--out-dir', '/etc/passwd/out'],
    /^bpfbench: --out-dir \/etc\/passwd\/out: cannot create its directory \/etc\/passwd\/out: \/etc\/passwd is not a directory$/,
  ],
  ['peers: --json and --html both to stdout', ['peers', '--entries', '16Mi', '--impls', 'ts', '--json', '-', '--html', '-'], /^bpfbench: --json and --html cannot both go to stdout/],
  ['peers: an unwritable --json', ['peers', '--entries', '16Mi', '--impls', 'ts', '--json', BAD], unwritable],
  ['reproduce: an unwritable --json', ['reproduce', '--entries', '16Mi', '--runs', '1', '--json', BAD], unwritable],
  ['report: --html and --markdown both to stdout', ['report', 'results/baselines/ci.json', '--html', '-', '--markdown', '-'], /^bpfbench: --html and --markdown cannot both go to stdout/],
  ['compare: an unwritable --json', ['compare', 'results/baselines/ci.json', 'results/baselines/ci.json', '--json', BAD], unwritable],
  ['info: an unwritable --json', ['info', '--kernel', '--json', BAD], unwritable],
] as const) {
  test(`${what} is one line and exit 2, before any map`, () => {
    const t0 = process.hrtime.bigint();
    const r = runCli([...args]);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), line);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '');
    assert.ok(ms < 5000, `${ms} ms`);
  });
}

test('run: every pair of outputs to stdout is refused, named in the order of the options', () => {
  const outputs = ['--json', '--html', '--export-markdown', '--export-csv', '--export-gab'];
  for (const [i, a] of outputs.entries()) {
    for (const b of outputs.slice(i + 1)) {
      const r = runCli(['run', ...ENTRIES, a, '-', b, '-']);
      assert.equal(r.status, 2, `${a} ${b}: ${r.stderr}`);
      assert.equal(r.stderr, `bpfbench: ${a} and ${b} cannot both go to stdout ('-'): name a file for all but one\n`);
      assert.equal(r.stdout, '');
    }
  }
});

test('info: a bare --json is stdout; --json FILE writes the file and nothing to stdout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-dest-'));
  try {
    const bare = runCli(['info', '--kernel', '--json']);
    assert.equal(bare.status, 0, bare.stderr);
    assert.equal(typeof JSON.parse(bare.stdout).release, 'string');
    const file = join(dir, 'k.json');
    const named = runCli(['info', '--kernel', '--json', file]);
    assert.equal(named.status, 0, named.stderr);
    assert.equal(named.stdout, '');
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, 'utf8'))), Object.keys(JSON.parse(bare.stdout)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
