// src/bpf/syscall/affinity.ts: the calling thread's CPUs, set and read back
// through the kernel (sched_setaffinity, sched_getaffinity, sched_getcpu).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { onlineCpuList, onlineCpus } from '../../../src/bpf/maps/cpus.js';
import { currentCpu, pinThreadTo, threadCpus } from '../../../src/bpf/syscall/affinity.js';

test('the online CPUs, by number, as the kernel lists them (ranges expanded); their count', () => {
  const text = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  const expanded = text.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return Array.from({ length: (b ?? a!) - a! + 1 }, (_, i) => a! + i);
  });
  assert.deepEqual(onlineCpuList(), expanded);
  assert.equal(onlineCpus(), expanded.length);
});

test('pinned to each allowed CPU in turn, the thread runs there, and a process it starts inherits it; unpinned, it may run anywhere it could before', () => {
  const before = threadCpus();
  assert.ok(before.length >= 1 && before.includes(currentCpu()), `${currentCpu()} in ${before}`);
  for (const cpu of before) {
    const undo = pinThreadTo(cpu);
    try {
      assert.deepEqual(threadCpus(), [cpu]);
      assert.equal(currentCpu(), cpu);
      // A child forked by this thread inherits the mask (peers --cpu relies on it).
      const child = spawnSync('sh', ['-c', 'grep Cpus_allowed_list /proc/self/status'], { encoding: 'utf8' });
      assert.match(child.stdout, new RegExp(`^Cpus_allowed_list:\\s*${cpu}\\s*$`, 'm'));
    } finally {
      undo();
    }
    assert.deepEqual(threadCpus(), before);
  }
});

test('a CPU that is not there is refused in one line, and the thread keeps its CPUs', () => {
  const before = threadCpus();
  assert.throws(() => pinThreadTo(4095), /^UsageError: cannot run on CPU 4095: sched_setaffinity failed \(EINVAL\)$/);
  assert.throws(() => pinThreadTo(-1), /CPU -1 is not a CPU number/);
  assert.deepEqual(threadCpus(), before);
});
