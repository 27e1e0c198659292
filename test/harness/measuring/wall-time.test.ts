// The wall-time account of a real run: each phase is the clock reading
// of what it names (the map's creation and fill as the map record and the
// fill timed them, each read's own window as its sample), nothing is
// counted twice, and what no phase covers is what is left of the total.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import { runBenchmark, type RunConfig } from '../../../src/harness/measuring/run-benchmark.js';
import { buildRunResult, wallTimeOf } from '../../../src/report/result/result.js';
import { WallAccount } from '../../../src/harness/measuring/wall-time.js';
import { batch } from '../../../src/strategies/batch.js';
import { batchDelete } from '../../../src/strategies/drain.js';
import { elem } from '../../../src/strategies/elem.js';
import type { Strategy } from '../../../src/strategies/types.js';

const config: RunConfig = {
  source: { kind: 'create' },
  mapType: 'hash',
  keySize: 4,
  valueSize: 4,
  entries: 20_000,
  maxEntries: 20_000,
  chunk: 1024,
  strategies: [elem, batch],
  fill: 'batch',
  mapFlags: 0,
  repeat: { minRuns: 3, maxRuns: 3, budgetMs: 0, warmup: 1 },
  runsSetting: 3,
  kernelCount: true,
};

test('a run accounts its wall time phase by phase: create, fill, each read as its sample timed it, the rest apart', () => {
  const o = runBenchmark(config, { progress: silentProgress });
  const ns = (phase: string) => o.wall.phases.find((p) => p.phase === phase)?.ns;
  assert.equal(ns('create the map'), o.map.createNs);
  assert.equal(ns('fill'), o.fill!.wallNs);
  for (const m of o.measurements) {
    // The timed reads' phase is the sum of the samples' own windows; the audited warmup is the audit's.
    assert.equal(
      ns(`${m.label}: timed reads`),
      m.samples.reduce((a, s) => a + s.wallNs, 0),
      m.label,
    );
    assert.equal(ns(`${m.label}: audit read`), m.audit!.wallNs, m.label);
    assert.equal(m.samples.length, 3);
  }
  const kernelBound = o.wall.phases.filter((p) => p.kernelBound).map((p) => p.phase);
  assert.deepEqual(kernelBound, ['create the map', 'fill', 'elem: audit read', 'elem: timed reads', 'batch(1024): audit read', 'batch(1024): timed reads']);
  for (const p of o.wall.phases) assert.ok(p.ns >= 0 && Number.isFinite(p.ns), p.phase);

  // Closed at a total: what no phase covers is the rest, and bpfbench's own share adds up.
  const covered = o.wall.phases.reduce((a, p) => a + p.ns, 0);
  const r = buildRunResult(o, { name: 'bpfbench', version: 'test' }, new Date(), covered + 5e6);
  const w = r.wallTime!;
  assert.equal(w.totalNs, covered + 5e6);
  assert.equal(w.otherNs, 5e6);
  const own = o.wall.phases.filter((p) => !p.kernelBound).reduce((a, p) => a + p.ns, 0) + 5e6;
  assert.equal(w.ownNs, own);
  assert.equal(w.ownShare, own / w.totalNs);
});

test('a total below what the phases cover is raised to them: no negative remainder', () => {
  const wall = new WallAccount();
  wall.add('fill', 100, true);
  wall.add('around each read: reset, counters, verdict', 10, false);
  wall.add('around each read: reset, counters, verdict', 5, false);
  assert.deepEqual(wallTimeOf(wall, 50), {
    totalNs: 115,
    phases: [
      { phase: 'fill', ns: 100, kernelBound: true },
      { phase: 'around each read: reset, counters, verdict', ns: 15, kernelBound: false },
    ],
    otherNs: 0,
    ownNs: 15,
    ownShare: 15 / 115,
  });
});

test("a drain's refill before each read is kernel work, not the harness's own time around the read", () => {
  // A strategy whose step before each read waits a known 100 ms (as a drain's refill sits in the kernel): the
  // bounds below hold by construction, whatever the machine's speed. Counted as the harness's own, "around each
  // read" would hold at least the 5 waits.
  const waitMs = 100;
  const slowBefore: Strategy = {
    ...batch,
    name: 'batch-after-a-wait',
    prepare(map, options) {
      const read = batch.prepare(map, options);
      read.beforeRead = () => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, waitMs);
      };
      return read;
    },
  };
  const reads = 5; // warmup + 4
  const o = runBenchmark({ ...config, strategies: [slowBefore], repeat: { minRuns: 4, maxRuns: 4, budgetMs: 0, warmup: 1 }, runsSetting: 4 }, { progress: silentProgress });
  const phase = (name: string) => o.wall.phases.find((p) => p.phase === name);
  const before = phase('refill before each drain');
  assert.ok(before, 'the step before each read has a phase of its own');
  assert.equal(before.kernelBound, true);
  assert.ok(before.ns >= reads * waitMs * 1e6, `${before.ns} ns for ${reads} waits of ${waitMs} ms`);
  const around = phase('around each read: reset, counters, verdict')!.ns;
  assert.ok(around < reads * waitMs * 1e6, `around each read ${around} ns holds none of the ${reads} waits`);

  // A real drain: its refills come out under that phase, kernel-bound.
  const d = runBenchmark({ ...config, strategies: [batchDelete], repeat: { minRuns: 2, maxRuns: 2, budgetMs: 0, warmup: 1 }, runsSetting: 2 }, { progress: silentProgress });
  const refills = d.wall.phases.find((p) => p.phase === 'refill before each drain');
  assert.ok(refills?.kernelBound && refills.ns > 0, 'a drain run accounts its refills as kernel work');
});
