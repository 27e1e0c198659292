// src/report/analysis/compare-baseline.ts, the CI gate as a pure function, on hand-made results:
// rows that go missing, the C floor that goes missing, a failed read, time
// gating only with strictTime, and the ±1 % call-count tolerance of batch
// reads from random-seed maps (zero-seed maps and per-element reads exact).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { comparePeers } from '../../../src/report/analysis/compare-peers.js';
import { compareResults, type CompareRow } from '../../../src/report/analysis/compare-baseline.js';
import { N, peersResult, runResult } from './fixtures-compare.js';

const opts = { threshold: 0.15 };
const plus = (rows: CompareRow[]) => rows.filter((r) => r.gating && r.mark === '+');

test('peers: an identical result passes', () => {
  const c = comparePeers(peersResult(), peersResult(), opts);
  assert.equal(c.comparable, true);
  assert.equal(c.regression, false);
  assert.deepEqual(plus(c.rows), []);
});

test('peers: an implementation of the baseline missing from the current result fails, one row per missing read', () => {
  const cur = peersResult();
  cur.results = cur.results.filter((r) => r.impl !== 'ts');
  const c = comparePeers(peersResult(), cur, opts);
  assert.equal(c.regression, true);
  assert.deepEqual(plus(c.rows), [
    { gate: 1, figure: 'ts (native) elem missing', baseline: 'in the baseline', current: 'not in the current result', mark: '+', gating: true },
    { gate: 1, figure: 'ts (native) batch missing', baseline: 'in the baseline', current: 'not in the current result', mark: '+', gating: true },
  ]);
});

test('peers: a strategy of the baseline missing from the current result fails', () => {
  const cur = peersResult();
  cur.results = cur.results.filter((r) => r.strategy !== 'batch');
  const c = comparePeers(peersResult(), cur, opts);
  assert.equal(c.regression, true);
  assert.deepEqual(
    plus(c.rows).map((r) => r.figure),
    ['ts (native) batch missing', 'c batch missing'],
  );
  // A row only the current result has is no failure.
  const more = comparePeers(cur, peersResult(), opts);
  assert.equal(more.regression, false);
});

test('peers: no C result to divide by fails gate 3 instead of skipping it', () => {
  const cur = peersResult();
  cur.results = cur.results.filter((r) => !(r.impl === 'c' && r.strategy === 'elem'));
  cur.results.find((r) => r.impl === 'ts' && r.strategy === 'elem')!.ratioToC = null;
  const c = comparePeers(peersResult(), cur, opts);
  assert.equal(c.regression, true);
  assert.deepEqual(plus(c.rows), [
    { gate: 3, figure: 'ts (native) elem × C', baseline: '1.5×', current: 'none: this result has no C elem row', mark: '+', gating: true },
    { gate: 1, figure: 'c elem missing', baseline: 'in the baseline', current: 'not in the current result', mark: '+', gating: true },
  ]);
  // C present but its read failed: ratioToC null, said so.
  const failed = peersResult();
  const cBatch = failed.results.find((r) => r.impl === 'c' && r.strategy === 'batch')!;
  cBatch.verified = { ...cBatch.verified, ok: false, problems: ['read 1 entries, expected 65536'] };
  failed.results.find((r) => r.impl === 'ts' && r.strategy === 'batch')!.ratioToC = null;
  const f = comparePeers(peersResult(), failed, opts);
  assert.deepEqual(
    plus(f.rows).map((r) => [r.gate, r.figure, r.current]),
    [
      [3, 'ts (native) batch × C', 'none: this result has C batch failed verification or timed nothing'],
      [1, 'c batch verified', 'FAILED: read 1 entries, expected 65536'],
    ],
  );
});

test('run: a strategy of the baseline missing from the current result fails gate 1', () => {
  const cur = runResult();
  cur.results = cur.results.filter((r) => r.strategy !== 'batch');
  const c = compareResults(runResult(), cur, opts);
  assert.equal(c.comparable, true);
  assert.equal(c.regression, true);
  assert.deepEqual(plus(c.rows), [{ gate: 1, figure: 'batch(4096) missing', baseline: 'in the baseline', current: 'not in the current result', mark: '+', gating: true }]);
});

test('run gate 1: a read that failed verification in the current result is a regression', () => {
  const cur = runResult();
  cur.results[1]!.verified = { ...cur.results[1]!.verified, ok: false, problems: ['saw 4,096 distinct keys, expected 65,536'] };
  const c = compareResults(runResult(), cur, opts);
  assert.equal(c.regression, true);
  assert.deepEqual(
    plus(c.rows).map((r) => [r.gate, r.figure, r.current]),
    [[1, 'batch(4096) verified', 'FAILED: saw 4,096 distinct keys, expected 65,536']],
  );
  // The published loop's expected failure is no regression.
  cur.results[1]!.verified.expectedToFail = true;
  assert.equal(compareResults(runResult(), cur, opts).regression, false);
});

test('run gate 4: ns/entry beyond the threshold fails only with strictTime; within it passes with strictTime', () => {
  const slower = (factor: number) => {
    const r = runResult();
    for (const x of r.results) {
      for (const k of ['mean', 'median', 'min', 'max'] as const) x.wallNs[k] *= factor;
      x.wallNs.samples = x.wallNs.samples.map((v) => v * factor);
    }
    return r;
  };
  const twice = slower(2);
  const reported = compareResults(runResult(), twice, opts);
  assert.equal(reported.regression, false, 'time against a baseline is reported by default');
  const ns = reported.rows.filter((r) => r.figure.endsWith('ns/entry'));
  assert.deepEqual(
    ns.map((r) => [r.mark, r.gating]),
    [
      ['+', false],
      ['+', false],
    ],
  );
  assert.equal(reported.rows.find((r) => r.figure === 'batch(4096) speedup vs elem')!.mark, '~', 'the ratio inside the run did not move');
  const strict = compareResults(runResult(), twice, { ...opts, strictTime: true });
  assert.equal(strict.regression, true);
  assert.deepEqual(
    plus(strict.rows).map((r) => r.figure),
    ['elem ns/entry', 'batch(4096) ns/entry'],
  );
  assert.equal(compareResults(runResult(), slower(1.1), { ...opts, strictTime: true }).regression, false, '10 % is within 15 %');
});

/** A run result whose reads of `label` vary: samples spread ±spread around median × factor. */
function spread(r: ReturnType<typeof runResult>, label: string, factor: number, spreadBy: number, n = 9) {
  const x = r.results.find((y) => y.label === label)!;
  const m = x.wallNs.median * factor;
  x.wallNs.samples = Array.from({ length: n }, (_, i) => m * (1 + spreadBy * ((i / (n - 1)) * 2 - 1)));
  x.wallNs.median = m;
  x.runs = n;
  return r;
}

test('gate 3 decides by the interval of the change: regressed, improved, unchanged, undecided (with how many more reads)', () => {
  const verdict = (factor: number, s: number) => compareResults(runResult(), spread(runResult(), 'batch(4096)', factor, s), { threshold: 0.05 }).rows.find((r) => r.gate === 3)!;
  const slow = verdict(1.3, 0.02);
  assert.deepEqual([slow.mark, slow.change!.verdict], ['+', 'regressed']);
  assert.ok(slow.change!.lo > 0.05, JSON.stringify(slow.change));
  assert.deepEqual([verdict(0.7, 0.02).change!.verdict, verdict(0.7, 0.02).mark], ['improved', '-']);
  assert.deepEqual([verdict(1, 0.01).change!.verdict, verdict(1, 0.01).mark], ['unchanged', '~']);
  const u = verdict(1.05, 0.3);
  assert.deepEqual([u.mark, u.change!.verdict], ['?', 'undecided']);
  assert.ok(u.change!.moreReads === null || u.change!.moreReads > 0);
  assert.match(u.current, /undecided(, ~\d+ more reads each|, on the threshold)/);
  const cmp = compareResults(runResult(), spread(runResult(), 'batch(4096)', 1.05, 0.3), { threshold: 0.05 });
  assert.deepEqual([cmp.verdict, cmp.undecided, cmp.regression], ['undecided', true, false]);
  // The same reads give the same interval: the bootstrap is seeded.
  assert.deepEqual(verdict(1.05, 0.3).change, u.change);
});

test('another kernel: listed as a change, every gate applies; another CPU model: gates 1-2 only, said in one line, unless acrossMachines', () => {
  const other = (f: (r: ReturnType<typeof runResult>) => void) => {
    const r = runResult();
    f(r);
    return r;
  };
  const kernel = compareResults(
    other((r) => (r.context.kernel = '6.18.44-fc-v769')),
    runResult(),
    opts,
  );
  assert.equal(kernel.comparable, true);
  assert.deepEqual(
    kernel.rows.filter((r) => r.gate === 0).map((r) => [r.figure, r.baseline, r.current, r.mark, r.gating]),
    [['kernel changed', '6.18.44-fc-v769', '6.18.0-test', '~', false]],
  );
  assert.deepEqual(kernel.speedGates, { applied: true, why: null });
  assert.equal(kernel.rows.find((r) => r.gate === 3)!.gating, true);
  const cpu = compareResults(
    other((r) => (r.context.cpuModel = 'Other CPU')),
    spread(runResult(), 'batch(4096)', 1.5, 0.01),
    opts,
  );
  assert.equal(cpu.comparable, true);
  assert.equal(cpu.regression, false, 'a speed change on another CPU is reported, not gated');
  assert.equal(cpu.rows.find((r) => r.gate === 3)!.mark, '+');
  assert.equal(cpu.rows.find((r) => r.gate === 3)!.gating, false);
  assert.match(cpu.speedGates.why!, /^speed gates reported, not applied: measured on another machine \(CPU model\); gates 1 and 2 applied/);
  const across = compareResults(
    other((r) => (r.context.cpuModel = 'Other CPU')),
    spread(runResult(), 'batch(4096)', 1.5, 0.01),
    { ...opts, acrossMachines: true },
  );
  assert.equal(across.regression, true);
  assert.deepEqual(across.speedGates, { applied: true, why: null });
  // Another kernel and CPU model, one call count changed: gate 2 still fails.
  const calls = runResult();
  calls.results[0]!.syscalls.bpf = { ...calls.results[0]!.syscalls.bpf, LOOKUP_ELEM: N + 1 };
  const both = compareResults(
    other((r) => {
      r.context.kernel = '5.15.0';
      r.context.cpuModel = 'Other CPU';
    }),
    calls,
    opts,
  );
  assert.equal(both.regression, true);
  assert.deepEqual(
    plus(both.rows).map((r) => r.figure),
    ['elem bpf calls'],
  );
  // Mitigations that differ void the speed gates too, and say which.
  const mit = (v: string) =>
    other(
      (r) =>
        (r.context.machine = {
          mitigations: { meltdown: v, spectre_v2: 'Mitigation: Retpolines' },
          bpfJit: { enable: '1', harden: '0', kallsyms: '1' },
          hypervisor: 'none',
          smt: 'on',
          clocksource: 'tsc',
          thp: 'madvise',
        }),
    );
  const m = compareResults(mit('Mitigation: PTI'), mit('Not affected'), opts);
  assert.deepEqual(
    m.rows.filter((r) => r.gate === 0).map((r) => [r.figure, r.baseline, r.current]),
    [['mitigations changed', 'meltdown: Mitigation: PTI', 'meltdown: Not affected']],
  );
  assert.equal(m.speedGates.applied, false);
  // Another configuration is still not comparable.
  const cfg = compareResults(
    other((r) => (r.config.fill = 'batch')),
    runResult(),
    opts,
  );
  assert.deepEqual([cfg.comparable, cfg.verdict], [false, 'not comparable']);
});

test("peers: a gate 3 from the rounds, never from a stored ratioToC: the baseline's C rows gone fails it", () => {
  const base = peersResult();
  base.results = base.results.filter((r) => r.impl !== 'c');
  const c = comparePeers(base, peersResult(), opts);
  const g3 = c.rows.filter((r) => r.gate === 3);
  assert.ok(g3.length > 0);
  for (const r of g3) {
    assert.equal(r.mark, '+');
    assert.match(r.current, /the baseline has no C (elem|batch) row/);
  }
});

test('run gate 2: batch calls of random-seed maps within ±1 % pass, beyond fail; zero-seed maps and elem exact', () => {
  const withBatchCalls = (mapFlags: number, n: number) => {
    const r = runResult(mapFlags);
    r.results[1]!.syscalls.bpf = { LOOKUP_BATCH: n };
    return r;
  };
  const batchRow = (rows: CompareRow[]) => rows.find((r) => r.gate === 2 && r.figure.startsWith('batch(4096)'))!;
  // Random seed (flags 0): 1000 → 1010 is 0.99 % of 1010, 1011 is 1.09 %.
  const within = compareResults(withBatchCalls(0, 1000), withBatchCalls(0, 1010), opts);
  assert.equal(within.regression, false);
  assert.deepEqual([batchRow(within.rows).figure, batchRow(within.rows).mark], ['batch(4096) bpf calls (±1 %)', '~']);
  const beyond = compareResults(withBatchCalls(0, 1000), withBatchCalls(0, 1011), opts);
  assert.equal(beyond.regression, true);
  assert.equal(batchRow(beyond.rows).mark, '+');
  assert.equal(compareResults(withBatchCalls(0, 1000), withBatchCalls(0, 989), opts).regression, true, 'fewer calls beyond 1 % fail too');
  // Zero seed (0x40) on both: the bucket layout is fixed, the count exact.
  const exact = compareResults(withBatchCalls(0x40, 1000), withBatchCalls(0x40, 1001), opts);
  assert.equal(exact.regression, true);
  assert.deepEqual([batchRow(exact.rows).figure, batchRow(exact.rows).mark], ['batch(4096) bpf calls', '+']);
  // Per-element walks are exact whatever the seed.
  const elem = runResult(0);
  elem.results[0]!.syscalls.bpf = { ...elem.results[0]!.syscalls.bpf, LOOKUP_ELEM: 65537 };
  const e = compareResults(runResult(0), elem, opts);
  assert.deepEqual(
    plus(e.rows).map((r) => r.figure),
    ['elem bpf calls'],
  );
});

test('peers: bpf calls from before the kernel counted every peer (the counts alone) are shown on either side, never a crash', () => {
  const legacy = peersResult();
  for (const r of legacy.results) (r as { bpfCalls: unknown }).bpfCalls = r.bpfCalls!.calls;
  for (const [b, c] of [
    [legacy, legacy],
    [legacy, peersResult()],
    [peersResult(), legacy],
  ]) {
    const cmp = comparePeers(b!, c!, opts);
    assert.equal(cmp.regression, false);
    const row = cmp.rows.find((r) => r.figure === 'c elem bpf calls')!;
    assert.deepEqual([row.mark, row.gating], ['x', false]);
    assert.match(row.baseline + row.current, /GET_NEXT_KEY 65,537, LOOKUP_ELEM 65,536 \((source not recorded|kernel, read)\)/);
  }
});
