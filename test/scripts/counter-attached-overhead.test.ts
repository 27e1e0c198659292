// scripts/counter-attached-overhead.mjs writes what
// results/counter-attached-overhead-1Mi.json holds (the README's figure for
// the counter's cost while attached): the same fields, medians of its own
// samples, and proof that the counter was attached for one side's timed
// reads (2N+1 bpf calls counted by the kernel per read) and not the other's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { summarize } from '../../src/harness/measuring/stats.js';
import { RESULTS_DIR, ROOT } from '../../src/paths.js';

const SCRIPT = join(ROOT, 'scripts/counter-attached-overhead.mjs');
const COMMITTED = join(RESULTS_DIR, 'counter-attached-overhead-1Mi.json');

interface Overhead {
  entries: string;
  pairs: number;
  runs: number;
  withCounterNsPerEntry: number;
  withoutCounterNsPerEntry: number;
  overheadPercent: number;
  samples: { on: number[]; off: number[] };
  kernelBpfCallsPerRead: { on: number; off: number };
}

/** The figures follow from the samples; the kernel's counts say the counter was attached for `on` only. */
function checkConsistent(j: Overhead, entries: number): void {
  assert.equal(j.samples.on.length, j.pairs * j.runs);
  assert.equal(j.samples.off.length, j.pairs * j.runs);
  assert.equal(j.withCounterNsPerEntry, summarize(j.samples.on).median);
  assert.equal(j.withoutCounterNsPerEntry, summarize(j.samples.off).median);
  assert.ok(Math.abs(j.overheadPercent - (j.withCounterNsPerEntry / j.withoutCounterNsPerEntry - 1) * 100) < 1e-9);
  assert.deepEqual(j.kernelBpfCallsPerRead, { on: 2 * entries + 1, off: 0 });
}

test("the script measures elem with the counter attached and detached, in the committed file's shape", () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-overhead-'));
  try {
    const out = join(dir, 'overhead.json');
    const r = spawnSync(process.execPath, [SCRIPT, '--entries', '16Ki', '--pairs', '1', '--runs', '2', '--loop', 'js', '--out', out], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^elem 16Ki \(loop js\): counter attached \d+ ns\/entry, detached \d+ ns\/entry: overhead -?\d+\.\d\d %\n$/);
    assert.equal(r.stderr.trimEnd().split('\n').length, 2, 'one line per side');
    const j = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(Object.keys(j), Object.keys(JSON.parse(readFileSync(COMMITTED, 'utf8'))), 'the same fields, in the same order');
    assert.deepEqual([j.entries, j.pairs, j.runs, j.loop], ['16Ki', 1, 2, 'js']);
    checkConsistent(j, 16 * 1024);
    assert.match(j.what, /while ATTACHED, on per-element reads \(elem, 16Ki, loop js\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the committed 1Mi figure is what the script wrote: consistent with its samples, the counter attached on one side only', () => {
  const j = JSON.parse(readFileSync(COMMITTED, 'utf8'));
  assert.equal(j.entries, '1Mi');
  checkConsistent(j, 1024 * 1024);
  assert.match(j.what, /scripts\/counter-attached-overhead\.mjs/);
});
