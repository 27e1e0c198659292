// A closed stdout pipe (`bpfbench run --help | head -3`) ends the process
// quietly with its usual exit code: no stack trace, nothing on stderr.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { BIN } from '../helpers.js';

/** bpfbench with a stdout pipe closed before it writes: its exit code and stderr. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    // The reader goes away at once, as `head` does after its lines.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

for (const args of [['run', '--help'], ['--help'], ['sweep', '--help'], ['--version']]) {
  test(`bpfbench ${args.join(' ')} into a closed pipe: exit 0, no stack trace`, async () => {
    const r = await withClosedStdout(args);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
  });
}

test('a bad option into a closed pipe keeps its usual exit code 2 and its one line', async () => {
  const r = await withClosedStdout(['run', '--no-such-option']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "bpfbench: unknown option '--no-such-option'\n");
});
