// The kernel count of a read under writers (harness/under-writers.ts,
// auditUnderWriters) when the reader itself runs on several threads: a
// sharded read's C threads are not the process's main thread, yet their
// calls are the reader's. The counter tells the writers apart by their
// thread ids (bench.bpf.c counter_config.writer_tids), so every shard's
// LOOKUP_BATCH is the reader's and the writers' count is their own
// PROG_TEST_RUN calls and nothing else, under 1 writer and under 2.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../helpers.js';

const N = 65_536;
const CHUNK = 1024;

for (const writers of [1, 2]) {
  test(`run --writers ${writers}, batch-sharded ×2 with the kernel count: the shards' calls are the reader's, the writers' their own`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfbench-under-writers-'));
    const out = join(dir, 'w.json');
    try {
      const r = runCli([
        'run',
        '--entries',
        '64Ki',
        '--runs',
        '1',
        '--warmup',
        '0',
        '--writers',
        String(writers),
        '--strategies',
        'batch-sharded',
        '--threads',
        '2',
        '--chunk',
        String(CHUNK),
        '--json',
        out,
      ]);
      assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
      const [s] = JSON.parse(readFileSync(out, 'utf8')).results;
      assert.equal(s.verified.ok, true, s.verified.problems.join('; '));
      assert.equal(s.sharded.threads, 2);
      assert.equal(s.writers.n, writers);
      const k = s.writers.bpfCalls;
      assert.ok(k, 'the read under writers audited by the kernel');
      // Both shards' calls, one thread of them not the main one: the whole read's, at least a call per CHUNK entries.
      assert.deepEqual(Object.keys(k.reader.self), ['LOOKUP_BATCH'], JSON.stringify(k.reader.self));
      assert.ok(k.reader.self.LOOKUP_BATCH >= (N * 7) / 8 / CHUNK, `the reader's own count ${JSON.stringify(k.reader.self)}`);
      assert.deepEqual(k.reader.kernel, k.reader.self, "the kernel's count of the reader is the reader's, every shard included");
      assert.equal(k.reader.agree, true);
      assert.ok(k.writers.self.PROG_TEST_RUN >= writers, `each writer made a call: ${JSON.stringify(k.writers.self)}`);
      assert.deepEqual(k.writers.kernel, { PROG_TEST_RUN: k.writers.self.PROG_TEST_RUN }, "the writer threads' calls: their own, no shard's");
      assert.equal(k.writers.agree, true);
      assert.deepEqual(s.consistency.stray, 0);
      assert.deepEqual(s.consistency.wrongValues, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
