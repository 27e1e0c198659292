// The kernel's count inside a pid namespace, as in an ordinary container (or
// a Kubernetes pod without hostPID): the counter knows its process by the pid
// its own namespace gives it, so the kernel counts the same calls as
// bpfbench, command by command. Where it must fall back to the host's pid
// (forced here: the kernel lacks the namespace-aware helper) and cannot see
// it, it says so in one line instead of reporting zeros.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { onPath, requireTool, runCli } from '../helpers.js';

type Json = { [k: string]: any };

const canUnshare = (): string | undefined => {
  if (!onPath('unshare')) return 'not on PATH (util-linux)';
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `cannot make a pid namespace here: ${r.stderr.trim()}`;
};
const inPidNamespace = ['unshare', '--pid', '--fork', '--mount-proc'];

test("inside a pid namespace (unshare --pid --fork --mount-proc): the kernel counts what bpfbench counts, command by command, by the namespace's pid", (t) => {
  if (!requireTool(t, 'unshare --pid', canUnshare())) return;
  const r = runCli(['run', '--entries', '64Ki', '--runs', '1', '--json', '-'], {}, inPidNamespace);
  assert.equal(r.status, 0, r.stderr);
  const j: Json = JSON.parse(r.stdout);
  assert.equal(j.config.kernelCount, true);
  assert.equal(j.config.counterPid, 'pid-namespace');
  for (const s of j.results) {
    assert.equal(s.verified.ok, true, `${s.label}: ${s.verified.problems}`);
    assert.equal(s.syscalls.agree, true, `${s.label}: kernel ${JSON.stringify(s.syscalls.kernel?.bpf)} vs ${JSON.stringify(s.syscalls.audit?.bpf)}`);
    assert.deepEqual(s.syscalls.kernel.bpf, s.syscalls.audit.bpf, s.label);
    assert.ok(s.syscalls.kernel.bpfTotal > 0, s.label);
  }
  assert.deepEqual(j.results[0].syscalls.kernel.bpf, { GET_NEXT_KEY: 65537, LOOKUP_ELEM: 65536 });
});

test('the host-pid fallback (forced: a kernel without bpf_get_ns_current_pid_tgid): counts right on the host, and in a pid namespace says in one line why it cannot, exit 1', (t) => {
  const env = { BPFBENCH_TEST_REFUSE: 'ns_pid' };
  const host = runCli(['run', '--entries', '4096', '--runs', '1', '--strategies', 'elem', '--json', '-'], env);
  assert.equal(host.status, 0, host.stderr);
  const j: Json = JSON.parse(host.stdout);
  assert.equal(j.config.counterPid, 'host-pid');
  assert.deepEqual(j.results[0].syscalls.kernel.bpf, { GET_NEXT_KEY: 4097, LOOKUP_ELEM: 4096 });
  if (!requireTool(t, 'unshare --pid', canUnshare())) return;
  const r = runCli(['run', '--entries', '4096', '--runs', '1', '--strategies', 'elem'], env, inPidNamespace);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !/^bpfbench: (create map|fill|elem|\w+ run)/.test(l));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^bpfbench: the kernel count cannot tell this process apart: .*bpf_get_ns_current_pid_tgid.* \(use --no-kernel-count\)$/);
});
