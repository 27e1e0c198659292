// src/bpf/syscall/affinity.ts: the calling thread's CPUs, set and read back
// through the kernel (sched_setaffinity, sched_getaffinity, sched_getcpu).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { cpuListOf, onlineCpuList, parseCpuList } from '../../../src/bpf/maps/cpus.js';
import { currentCpu, pinThreadTo, setThreadCpus, threadCpus } from '../../../src/bpf/syscall/affinity.js';

test('a CPU list as the kernel writes it: ranges and single CPUs, in order; its count', () => {
  assert.deepEqual(cpuListOf('0-3,6,8-9\n'), [0, 1, 2, 3, 6, 8, 9]);
  assert.deepEqual(cpuListOf('5'), [5]);
  assert.equal(parseCpuList('0-3,6,8-9'), 7);
  assert.deepEqual(onlineCpuList(), cpuListOf(spawnSync('cat', ['/sys/devices/system/cpu/online'], { encoding: 'utf8' }).stdout));
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
  assert.throws(() => setThreadCpus([4095]), /^UsageError: cannot run on CPU 4095: sched_setaffinity failed \(EINVAL\)$/);
  assert.throws(() => setThreadCpus([-1]), /CPU -1 is not a CPU number/);
  assert.deepEqual(threadCpus(), before);
});
