// What a refused kernel feature does to each command, on both paths: the
// refusal is forced (BPFBENCH_TEST_REFUSE, honoured only under the test
// runner) so that this holds on any kernel, whether or not it refuses the
// feature for real. A refused feature is one line naming it; the rest runs.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PIN_DIR } from '../../src/bpf/maps/bpffs.js';
import { runCli } from '../helpers.js';

const REFUSED_ITER = /^bpfbench: iter: this kernel refuses iter\/bpf_map_elem programs \(EPERM\)$/;
const REFUSED_BATCH = /^bpfbench: batch: this kernel refuses BPF_MAP_LOOKUP_BATCH \(EPERM\)$/;
const pins = () => readdirSync(PIN_DIR, { withFileTypes: true }).length;
const oneLine = (stderr: string) => stderr.trim().split('\n');

test('a refused iterator (forced): run --strategies iter is one line naming it, exit 1, nothing made; a default list leaves it out once and verifies the rest', () => {
  const env = { BPFBENCH_TEST_REFUSE: 'iter' };
  const r = runCli(['run', '--entries', '4096', '--runs', '1', '--strategies', 'elem,iter'], env);
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(oneLine(r.stderr).length, 1, r.stderr);
  assert.match(oneLine(r.stderr)[0]!, REFUSED_ITER);
  assert.doesNotMatch(r.stderr, /create map/, 'refused before any map was made');
  // The same refusal, forced, is what info --kernel shows.
  const info = JSON.parse(runCli(['info', '--kernel', '--json'], env).stdout);
  const row = info.features.find((f: { id: string }) => f.id === 'program:dump_map');
  assert.deepEqual({ state: row.state, errno: row.errno, forced: row.forced }, { state: 'refused', errno: 'EPERM', forced: true });
});

test('a refused LOOKUP_BATCH (forced): --strategies batch is one line; the default run leaves batch out, reads elem, verifies, and says why once (table and JSON)', () => {
  const env = { BPFBENCH_TEST_REFUSE: 'lookup_batch' };
  const before = pins();
  const named = runCli(['run', '--entries', '4096', '--runs', '1', '--strategies', 'batch'], env);
  assert.equal(named.status, 1, named.stderr);
  assert.deepEqual(oneLine(named.stderr).length, 1, named.stderr);
  assert.match(oneLine(named.stderr)[0]!, REFUSED_BATCH);
  const def = runCli(['run', '--entries', '4096', '--runs', '1', '--json', '-'], env);
  assert.equal(def.status, 0, def.stderr);
  const j = JSON.parse(def.stdout);
  assert.deepEqual(
    j.results.map((s: { strategy: string; verified: { ok: boolean; entries: number } }) => [s.strategy, s.verified.ok, s.verified.entries]),
    [['elem', true, 4096]],
  );
  assert.deepEqual(j.unavailable, [{ strategy: 'batch', reason: 'this kernel refuses BPF_MAP_LOOKUP_BATCH (EPERM)' }]);
  assert.equal(def.stderr.split('\n').filter((l) => l.includes('left out batch')).length, 1, def.stderr);
  // --fill auto could not use UPDATE_BATCH's probe here either way: the default shape fills in the kernel.
  assert.equal(j.fill.method, 'prog');
  // sweep sweeps only batch reads: nothing left to read is one line, exit 1.
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-refuse-'));
  try {
    const s = runCli(['sweep', '--entries', '4096', '--chunks', '256', '--runs', '1', '--out-dir', dir], env);
    assert.equal(s.status, 1, s.stderr);
    assert.equal(oneLine(s.stderr).length, 1, s.stderr);
    assert.match(s.stderr, /^bpfbench: (batch: this kernel refuses BPF_MAP_LOOKUP_BATCH \(EPERM\)|nothing to read: batch: this kernel refuses BPF_MAP_LOOKUP_BATCH \(EPERM\))$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // reproduce goes on with elem, and says what it left out.
  const rep = runCli(['reproduce', '--entries', '4096', '--runs', '1', '--json', '-'], env);
  assert.equal(rep.status, 0, rep.stderr);
  const rj = JSON.parse(rep.stdout);
  assert.deepEqual(
    rj.results.map((s: { strategy: string }) => s.strategy),
    ['elem'],
  );
  assert.deepEqual(
    rj.unavailable.map((u: { strategy: string }) => u.strategy),
    ['batch', 'batch-fixed-cursor'],
  );
  assert.equal(pins(), before, 'no pin left');
});

test('the override is for tests only: outside the test runner bpfbench ignores it', () => {
  const r = runCli(['info', '--kernel', '--json'], { BPFBENCH_TEST_REFUSE: 'lookup_batch', NODE_TEST_CONTEXT: '' });
  assert.equal(r.status, 0, r.stderr);
  const row = JSON.parse(r.stdout).features.find((f: { id: string }) => f.id === 'cmd:lookup_batch');
  assert.equal(row.forced, undefined);
});
