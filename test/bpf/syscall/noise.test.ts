// src/bpf/syscall/noise.ts: the kernel's own accounting of what disturbed a read, read
// from /proc: numbers that only grow, and their differences.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noiseCounters, noiseSince } from '../../../src/bpf/syscall/noise.js';

test('the counters are there and only grow; a busy thread is preempted or not, but never negatively', () => {
  const a = noiseCounters();
  assert.ok(Number.isInteger(a.involuntarySwitches) && a.involuntarySwitches >= 0);
  assert.ok(a.stealNs >= 0);
  assert.ok(a.migrations === null || (Number.isInteger(a.migrations) && a.migrations >= 0));
  const until = Date.now() + 50;
  while (Date.now() < until) {
    // Busy for 50 ms: a tick may preempt it.
  }
  const d = noiseSince(a, noiseCounters());
  assert.ok(d.involuntarySwitches >= 0 && d.stealNs >= 0);
  assert.ok(d.migrations === null || d.migrations >= 0);
  assert.deepEqual(noiseSince(a, a), { stealNs: 0, involuntarySwitches: 0, migrations: a.migrations === null ? null : 0 });
});
