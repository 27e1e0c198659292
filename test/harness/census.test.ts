// A map bpfbench did not make, changed by another process while it is read:
// reads that saw repeated keys or gave up are "inconsistent under change",
// said and explained, not FAILED; no strategy is blamed, and the run is
// NOT VERIFIED. A real writer process (test/fixtures/churn.ts) deletes and
// re-inserts keys of the pinned map for the whole run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../src/paths.js';
import { runCli } from '../helpers.js';

const N = 65_536;

test('run --pin under another process\'s deletes and inserts: inconsistent under change, NOT VERIFIED, no strategy FAILED', async () => {
  const pin = `/sys/fs/bpf/bpfbench/test-churn-${process.pid}`;
  const l = runCli(['load', '--entries', String(N), '--pin', pin]);
  assert.equal(l.status, 0, l.stderr);
  const churn = spawn(process.execPath, [join(ROOT, 'dist/test/fixtures/churn.js'), pin, String(N), '7'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      churn.stdout.on('data', (d: Buffer) => d.toString().includes('churning') && resolve());
      churn.on('exit', (code) => reject(new Error(`the writer exited (${code}) before it wrote`)));
    });
    // Run while the writer writes: spawnSync would block this process, not the writer (its own process).
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(join(ROOT, 'bin/bpfbench'), ['run', '--pin', pin, '--strategies', 'elem,batch', '--runs', '3', '--warmup', '0', '--no-color', '--json', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d: Buffer) => (stdout += d));
      c.stderr.on('data', (d: Buffer) => (stderr += d));
      c.on('exit', (status) => resolve({ status, stdout, stderr }));
    });
    const j = JSON.parse(r.stdout);
    assert.equal(j.config.verification, 'cross-strategy');
    const changed = j.results.filter((x: { verified: { inconsistentUnderChange: boolean } }) => x.verified.inconsistentUnderChange);
    // A per-element walk over a map whose keys are deleted and re-inserted all along restarts: it sees keys again.
    assert.ok(changed.some((x: { strategy: string }) => x.strategy === 'elem'), `elem saw the change: ${JSON.stringify(j.results.map((x: { label: string; verified: unknown }) => [x.label, x.verified]))}`);
    for (const x of changed) assert.match(x.verified.problems.join('; '), /repeated key|gave up|entries from a map of max_entries/);
    assert.deepEqual(j.summary.failed, [], 'no strategy is blamed');
    assert.deepEqual(j.summary.inconsistentUnderChange, changed.map((x: { label: string }) => x.label));
    assert.equal(j.summary.ok, false);
    assert.match(j.summary.line, /^NOT VERIFIED: the map changed while bpfbench read it \(.*elem.*\); no strategy is called wrong$/);
    assert.equal(r.status, 1, 'not verified: exit 1');
    assert.doesNotMatch(r.stderr, /FAILED/);
    assert.match(r.stderr, /inconsistent under change elem: .*not the strategy's fault/);
    assert.match(r.stderr, /a per-element walk restarts from the first bucket when the key it stands on is deleted/);
  } finally {
    churn.kill('SIGKILL');
    runCli(['unload', '--pin', pin]);
    rmSync(pin, { force: true });
  }
});
