// The report layer is pure: results, tables and lines from measurements.
import { WallAccount } from '../../../src/harness/measuring/wall-time.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StrategyMeasurement } from '../../../src/harness/measuring/measure-strategy.js';
import type { RunOutcome } from '../../../src/harness/measuring/run-benchmark.js';
import { summarize } from '../../../src/harness/measuring/stats.js';
import type { Verdict } from '../../../src/harness/verification/verdict.js';
import { matchesAudit, type Audit } from '../../../src/harness/measuring/read-sample.js';
import { fmtBytes, fmtDuration, fmtInt, fmtNsPerEntry, fmtRate, fmtRatio } from '../../../src/report/formats/format.js';
import { buildRunResult } from '../../../src/report/result/result.js';
import { SCHEMA_VERSION } from '../../../src/report/result/strategy-json.js';
import { renderRunDetail } from '../../../src/report/rendering/detail-table.js';
import { renderRunFooter, renderRunHeader, renderRunTable } from '../../../src/report/rendering/table.js';
import { batch } from '../../../src/strategies/batch.js';
import { batchFixedCursor } from '../../../src/strategies/batch-fixed-cursor.js';
import { elem } from '../../../src/strategies/elem.js';
import { batchSharded } from '../../../src/strategies/sharded.js';
import type { Strategy } from '../../../src/strategies/types.js';

const N = 1_048_576;
const okVerdict: Verdict = { ok: true, entries: N, distinct: N, expectedEntries: N, keySumOk: true, checksumOk: true, badValues: 0, badKeys: 0, problems: [] };

/** ns per call the fixture's kernel spends in each command. */
const NS_PER_CALL = 400;

/**
 * A measurement whose audit (the first warmup unless `audit` says otherwise)
 * counted `kernelBpf` in the kernel and `bpf` itself, each call 400 ns in
 * the kernel, the audit read 10 % slower than the first timed read.
 */
function measurement(
  strategy: Strategy,
  wall: number[],
  bpf: Record<string, number>,
  verdict = okVerdict,
  chunk = 4096,
  kernelBpf: Record<string, number> | null = bpf,
  audit: Partial<Audit> = {},
  more: Partial<StrategyMeasurement> = {},
): StrategyMeasurement {
  const total = Object.values(kernelBpf ?? {}).reduce((a, b) => a + b, 0);
  const bpfNs = Object.fromEntries(Object.entries(kernelBpf ?? {}).map(([k, n]) => [k, n * NS_PER_CALL]));
  const kernel = kernelBpf ? { total: total + 5, bpfTotal: total, bpf: kernelBpf, bpfNs } : undefined;
  const selfBpf = audit.bpf ?? bpf;
  const agree = JSON.stringify(kernelBpf) === JSON.stringify(selfBpf);
  const a: Audit | undefined = kernel ? { read: 'warmup', phase: 'warmup 1/1', entries: verdict.entries, wallNs: wall[0]! * 1.1, kernel, bpf: selfBpf, agree, ...audit } : undefined;
  return {
    strategy,
    label: strategy.usesChunk ? `${strategy.name}(${chunk})` : strategy.name,
    chunk,
    runs: wall.length,
    warmupRuns: 0,
    verdict,
    wallNs: summarize(wall),
    samples: wall.map((w) => ({
      wallNs: w,
      userNs: w / 4,
      sysNs: w / 2,
      bpf,
      memory: { heapUsedDeltaBytes: 1000, externalDeltaBytes: 0, rssPeakBytes: 60e6, allocatedBytes: 2048, gcCount: 0, gcPauseNs: 0 },
      counted: verdict.entries,
      chunk: strategy.usesChunk ? chunk : undefined,
      chunkGrowths: 0,
      verdict,
      phase: 'run 1',
    })),
    failed: !verdict.ok && !strategy.expectedToFail,
    callsVaried: false,
    audit: a,
    matchesAudit: a ? matchesAudit(a, bpf, verdict.entries) : null,
    fixedLayout: false,
    ...more,
  };
}

function outcome(ms: StrategyMeasurement[]): RunOutcome {
  return {
    config: {
      entries: N,
      maxEntries: N,
      chunk: 4096,
      strategies: ms.map((m) => m.strategy),
      fill: 'prog',
      mapFlags: 0,
      repeat: { minRuns: 1, maxRuns: 10, budgetMs: 60_000, warmup: 1 },
      runsSetting: 'auto',
      kernelCount: true,
      source: { kind: 'create' },
    },
    context: { kernel: '6.18.0', cpuModel: 'Test CPU', cpus: 2, memTotalBytes: 24e9, node: 'v20.0.0', koffi: '3.3.4', libbpf: '1.1' },
    memory: { mapBytes: 88e6, userBytes: 1e6, availableBytes: 20e9 },
    map: { id: 7, type: 'hash', keySize: 4, valueSize: 4, maxEntries: N, flags: 0, memlockBytes: 83_887_120, createNs: 1e8 },
    fill: { method: 'prog', entries: N, wallNs: 3e8, bpfCalls: { PROG_TEST_RUN: 2 }, threads: 2, callsByThread: [1, 1] },
    measurements: ms,
    crossCheck: null,
    unavailable: [],
    notes: [],
    counterPid: 'pid-namespace',
    wall: new WallAccount(),
  };
}

const tool = { name: 'bpfbench', version: '0.0.0' };

test('format helpers', () => {
  assert.equal(fmtInt(104857600), '104,857,600');
  assert.equal(fmtDuration(812), '812 ns');
  assert.equal(fmtDuration(4_210_000), '4.21 ms');
  assert.equal(fmtDuration(88_923_000_000), '88.92 s');
  assert.equal(fmtNsPerEntry(2311.4), '2,311');
  assert.equal(fmtNsPerEntry(33.44), '33.4');
  assert.equal(fmtRate(4_290_000), '4.29 M/s');
  assert.equal(fmtBytes(6349, true), '+6.2 KiB');
  assert.equal(fmtBytes(-340), '-340 B');
  assert.equal(fmtRatio(7.4123), '7.41×');
  assert.equal(fmtRatio(19.04), '19.0×');
  assert.equal(fmtRatio(undefined), '—');
});

test('the result follows the schemaVersion 1 contract, speedup relative to elem', () => {
  const r = buildRunResult(outcome([measurement(elem, [4e9, 4.2e9, 4.4e9], { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N }), measurement(batch, [5e8, 6e8], { LOOKUP_BATCH: 257 })]), tool, new Date(0));
  assert.equal(r.schemaVersion, SCHEMA_VERSION);
  assert.equal(r.createdAt, '1970-01-01T00:00:00.000Z');
  assert.deepEqual(Object.keys(r), ['$schema', 'schemaVersion', 'tool', 'createdAt', 'context', 'config', 'map', 'fill', 'results', 'crossCheck', 'unavailable', 'wallTime', 'summary', 'warnings']);
  const [e, b] = r.results;
  assert.equal(e!.wallNs.median, 4.2e9);
  assert.equal(e!.nsPerEntry, 4.2e9 / N);
  assert.equal(e!.syscalls.bpfTotal, 2 * N + 1);
  assert.equal(e!.chunk, null);
  assert.equal(b!.chunk, 4096);
  assert.equal(b!.wallNs.median, 5.5e8);
  assert.equal(r.summary.speedup.elem, 1);
  assert.equal(r.summary.speedup.batch, 4.2e9 / 5.5e8);
  assert.equal(r.summary.ok, true);
  // Mean ratio with σ propagated from both samples.
  const x = 4.2e9 / 5.5e8;
  const sdE = 0.2e9;
  const sdB = Math.sqrt(2 * 0.5e8 ** 2);
  const sd = x * Math.sqrt((sdE / 4.2e9) ** 2 + (sdB / 5.5e8) ** 2);
  assert.ok(Math.abs(r.summary.speedupMean.batch!.x - x) < 1e-9);
  assert.ok(Math.abs(r.summary.speedupMean.batch!.sd! - sd) < 1e-9);
  assert.equal(r.summary.line, `batch(4096) read 1,048,576 entries 7.64 ± ${sd.toFixed(2)}× faster than elem`);
  assert.equal(e!.syscalls.agree, true);
  assert.deepEqual(e!.syscalls.kernel, { total: 2 * N + 6, bpfTotal: 2 * N + 1, bpf: { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N } });
  assert.equal(e!.memory.allocatedBytes, 2048);
  assert.equal(e!.memory.allocatedBytesPerEntry, 2048 / N);
  assert.ok(r.warnings.some((w) => /batch\(4096\): only 2 runs/.test(w)));
  assert.equal(r.fill!.nsPerEntry, 3e8 / N);
  assert.deepEqual(r.fill, { method: 'prog', wallNs: 3e8, nsPerEntry: 3e8 / N, bpfCalls: { PROG_TEST_RUN: 2 }, threads: 2 });
});

test('syscalls: run 1 counted by bpfbench, the audit counted by the kernel, their match, and where the time went', () => {
  const elemCalls = { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N };
  const r = buildRunResult(outcome([measurement(elem, [4e9, 4.2e9], elemCalls)]), tool);
  const e = r.results[0]!;
  assert.deepEqual(Object.keys(e.syscalls), ['bpf', 'bpfTotal', 'perEntry', 'variedBetweenRuns', 'kernel', 'agree', 'kernelCountedRead', 'countedBy', 'read', 'audit', 'matchesAudit']);
  assert.equal(e.syscalls.countedBy, 'self');
  assert.equal(e.syscalls.read, 'run 1');
  assert.equal(e.syscalls.kernelCountedRead, 'warmup 1/1');
  const kernel = { total: 2 * N + 6, bpf: elemCalls, bpfTotal: 2 * N + 1 };
  assert.deepEqual(e.syscalls.audit, { read: 'warmup', entries: N, wallNs: 4.4e9, bpf: elemCalls, kernel, agree: true, callLatency: null });
  assert.deepEqual(e.syscalls.kernel, kernel, 'the old keys: the same audit');
  assert.equal(e.syscalls.matchesAudit, true);
  const ns = (2 * N + 1) * NS_PER_CALL;
  assert.deepEqual(e.kernelTime, { nsPerCall: { GET_NEXT_KEY: NS_PER_CALL, LOOKUP_ELEM: NS_PER_CALL }, bpfNs: ns, fractionOfWall: ns / 4.4e9, read: 'warmup' });
  assert.deepEqual(Object.keys(e).slice(Object.keys(e).indexOf('syscalls')), ['syscalls', 'kernelTime', 'callLatency', 'aborted', 'sharded', 'consistency', 'writers', 'memory']);

  // Not counted: every audit key null.
  const off = buildRunResult(outcome([measurement(elem, [4e9], elemCalls, okVerdict, 4096, null)]), tool).results[0]!;
  assert.deepEqual([off.syscalls.audit, off.syscalls.matchesAudit, off.syscalls.kernelCountedRead, off.kernelTime], [null, null, null, null]);
  assert.equal(off.syscalls.read, 'run 1');
  // Counted, not timed (no exit program): no kernel time.
  const m = measurement(elem, [4e9], elemCalls);
  delete m.audit!.kernel.bpfNs;
  assert.equal(buildRunResult(outcome([m]), tool).results[0]!.kernelTime, null);
});

test("a prefix audit matches a full read by calls per entry, within the walk's terminal call", () => {
  const M = 1 << 20;
  const n = 100 * M;
  const full: Verdict = { ...okVerdict, entries: n, distinct: n, expectedEntries: n };
  const prefix = { read: 'prefix' as const, phase: 'audit', entries: M, wallNs: 2e9 };
  const good = measurement(elem, [200e9], { GET_NEXT_KEY: n + 1, LOOKUP_ELEM: n }, full, 0, { GET_NEXT_KEY: M, LOOKUP_ELEM: M }, { ...prefix, bpf: { GET_NEXT_KEY: M, LOOKUP_ELEM: M } });
  const e = buildRunResult(outcome([good]), tool).results[0]!;
  assert.equal(e.syscalls.matchesAudit, true);
  assert.equal(e.syscalls.audit!.read, 'prefix');
  assert.equal(e.syscalls.kernelCountedRead, 'audit');
  assert.equal(e.kernelTime!.read, 'prefix');
  assert.equal(e.kernelTime!.fractionOfWall, (2 * M * NS_PER_CALL) / 2e9);
  const d = renderRunDetail(buildRunResult(outcome([good]), tool), { color: false });
  assert.match(d, /GET_NEXT_KEY 1,048,576, LOOKUP_ELEM 1,048,576 ✓ \(audit read, first 1,048,576 entries\)/);
  assert.match(d, /runs \(\+warmup\) +│ 1 \(\+0 \+1 audit read\)/);
  assert.match(d, /same calls per entry/);
  assert.ok(d.includes('elem: 2.00 calls/entry, ~400 ns each in the kernel, ~1,107 ns/entry outside (audit read, first 1,048,576 entries, tracepoints attached)'), d);
  // One LOOKUP_ELEM short over the prefix is a different walk, not a terminal call.
  assert.equal(matchesAudit({ ...prefix, kernel: { total: 0, bpfTotal: 2 * M - 2, bpf: { GET_NEXT_KEY: M, LOOKUP_ELEM: M - 2 } } }, { GET_NEXT_KEY: n + 1, LOOKUP_ELEM: n }, n), false);
  // Batches: 257 calls for 1Mi entries (256 full, the terminal one empty) against 25,601 for 100Mi.
  assert.equal(matchesAudit({ ...prefix, kernel: { total: 0, bpfTotal: 256, bpf: { LOOKUP_BATCH: 256 } } }, { LOOKUP_BATCH: 25_601 }, n), true);
  assert.equal(matchesAudit({ ...prefix, kernel: { total: 0, bpfTotal: 258, bpf: { LOOKUP_BATCH: 258 } } }, { LOOKUP_BATCH: 25_601 }, n), false);
  // A full audit must be equal, command by command.
  assert.equal(matchesAudit({ read: 'full', entries: N, kernel: { total: 0, bpfTotal: 257, bpf: { LOOKUP_BATCH: 257 } } }, { LOOKUP_BATCH: 257 }, N), true);
  assert.equal(matchesAudit({ read: 'full', entries: N, kernel: { total: 0, bpfTotal: 257, bpf: { LOOKUP_BATCH: 257 } } }, { LOOKUP_BATCH: 256 }, N), false);
});

test("timed calls unlike the audit's: a failure on a fixed layout, a warning on a random one, never agree alone", () => {
  // The audit read grew nothing and made 300 calls; run 1 made 257.
  const differ = (more: Partial<StrategyMeasurement>, growths = 0) => {
    const m = measurement(batch, [5e8, 5e8, 5e8], { LOOKUP_BATCH: 257 }, okVerdict, 4096, { LOOKUP_BATCH: 300 }, { bpf: { LOOKUP_BATCH: 300 } }, more);
    for (const s of m.samples) s.chunkGrowths = growths;
    return buildRunResult(outcome([m]), tool);
  };
  const fixed = differ({ fixedLayout: true });
  const b = fixed.results[0]!;
  assert.equal(b.syscalls.agree, true, 'the kernel agreed with bpfbench on the audit read');
  assert.equal(b.syscalls.matchesAudit, false, 'but run 1 made other calls');
  assert.equal(b.verified.ok, false);
  assert.match(b.verified.problems.join(';'), /run 1 made 257 bpf calls \(\{"LOOKUP_BATCH":257\}\), not those of the audited read \(warmup, 1048576 entries: \{"LOOKUP_BATCH":300\}\)/);
  assert.equal(fixed.summary.ok, false);
  assert.match(renderRunDetail(fixed, { color: false }), /✗ other calls/);

  for (const r of [differ({ fixedLayout: false }), differ({ fixedLayout: true }, 1)]) {
    const x = r.results[0]!;
    assert.equal(x.syscalls.matchesAudit, false);
    assert.equal(x.verified.ok, true, 'a random layout, or a chunk that grew: a warning only');
    assert.ok(
      r.warnings.some((w) => /batch\(4096\): run 1 made other bpf calls than the audited read \(warmup\): the kernel's count does not vouch/.test(w)),
      r.warnings.join('\n'),
    );
  }
});

test('a failed read: no speedup, FAILED row and reason, failing summary', () => {
  const bad: Verdict = { ...okVerdict, ok: false, distinct: 4096, keySumOk: false, checksumOk: false, problems: ['4,096 distinct keys of 1,048,576'] };
  const r = buildRunResult(outcome([measurement(elem, [4e9], { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N }), measurement(batchFixedCursor, [3e8], { LOOKUP_BATCH: 256 }, bad)]), tool);
  assert.equal(r.summary.ok, false);
  assert.deepEqual(r.summary.failed, ['batch-fixed-cursor(4096)']);
  assert.equal(r.summary.speedup['batch-fixed-cursor'], undefined);
  assert.match(r.summary.line, /^FAILED: batch-fixed-cursor\(4096\)/);
  const table = renderRunTable(r, { color: false });
  assert.match(table, /^batch-fixed-cursor\(4096\) +FAILED/m);
  const colored = renderRunFooter(r, { color: true });
  assert.match(colored, /\x1b\[31m/, 'red');
  assert.match(renderRunFooter(r, { color: false }), /FAILED batch-fixed-cursor\(4096\): 4,096 distinct keys of 1,048,576/);
});

test('the table has every column, and the header says what ran where', () => {
  const r = buildRunResult(outcome([measurement(elem, [4e9, 4e9], { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N }), measurement(batch, [5e8, 5e8], { LOOKUP_BATCH: 257 })]), tool);
  const t = renderRunTable(r, { color: false });
  for (const h of ['strategy', 'verified', 'wall', 'median ±σ', 'ns', '/entry', 'bpf calls', 'alloc', 'B/entry', 'GCs', 'speedup']) assert.ok(t.includes(h), h);
  assert.match(t, /^elem +ok +4\.00 s ±0\.0% +3,815 +2\.00 ✓ +<0\.01 +0 +1\.00×$/m);
  assert.match(t, /^batch\(4096\) +ok +500\.00 ms ±0\.0% +477 +0\.0002 ✓ .* 8\.00×$/m);
  assert.doesNotMatch(t, /\x1b\[/);
  for (const line of t.split('\n')) assert.ok(line.length <= 80, `${line.length} columns: ${line}`);
  const d = renderRunDetail(r, { color: false });
  for (const h of ['CPU user / sys', 'bpf calls (self)', 'bpf calls (kernel)', 'all syscalls (kernel)', 'allocated', 'GCs (pause)', 'RSS peak', 'margin of error']) assert.ok(d.includes(h), h);
  assert.match(d, /GET_NEXT_KEY 1,048,577, LOOKUP_ELEM 1,048,576 ✓ \(warmup 1\/1\)/);
  assert.match(d, /GET_NEXT_KEY 1,048,577, LOOKUP_ELEM 1,048,576 \(run 1\)/);
  assert.match(d, /same calls/);
  assert.match(d, /in bpf\(2\) \(audit read\) +│ GET_NEXT_KEY 400 ns, LOOKUP_ELEM 400 ns; 19% of wall/);
  assert.match(d, /runs \(\+warmup\) +│ 2 \(\+0\) /);
  // Where the time goes, per strategy: calls per entry, kernel ns per call, the rest per entry.
  const outside = (4.4e9 - (2 * N + 1) * 400) / N;
  assert.match(d, /Where a read's time goes \(the audit read, with the counter's tracepoints attached/);
  assert.ok(d.includes(`  elem: 2.00 calls/entry, ~400 ns each in the kernel, ~${fmtNsPerEntry(outside)} ns/entry outside (warmup 1/1, tracepoints attached)`), d);
  assert.match(d, / {2}batch\(4096\): 0\.0002 calls\/entry, ~400 ns each in the kernel, ~\d+ ns\/entry outside/);
  const h = renderRunHeader(r, { color: false });
  assert.match(h, /hash u32→u32, 1,048,576 entries/);
  assert.match(h, /map created in 100\.00 ms, kernel memory 80\.0 MiB; filled by prog in 300\.00 ms/);
  assert.match(h, /6\.18\.0 · Test CPU · 2 CPUs/);
});

test('without elem, the summary gives times instead of a speedup', () => {
  const r = buildRunResult(outcome([measurement(batch, [5e8], { LOOKUP_BATCH: 257 })]), tool);
  assert.deepEqual(r.summary.speedup, {});
  assert.equal(r.summary.line, 'batch(4096) read 1,048,576 entries in 0.500 s');
});

test('a kernel count that differs from ours fails the strategy, loudly', () => {
  const r = buildRunResult(outcome([measurement(batch, [5e8, 5e8, 5e8], { LOOKUP_BATCH: 257 }, okVerdict, 4096, { LOOKUP_BATCH: 258 })]), tool);
  const b = r.results[0]!;
  assert.equal(b.syscalls.agree, false);
  assert.equal(b.verified.ok, false);
  assert.match(b.verified.problems.join(';'), /the kernel counted 258 bpf calls .* bpfbench 257/);
  assert.equal(r.summary.ok, false);
  assert.ok(r.warnings.some((w) => /DISAGREES/.test(w)));
  assert.match(renderRunTable(r, { color: false }), /0\.0002 ✗/);
});

test('warnings: noisy runs, a slow first run, a read under 1 ms', () => {
  const r = buildRunResult(outcome([measurement(elem, [9e5, 3e5, 3.1e5, 2.9e5], { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N })]), tool);
  const w = r.warnings.join('\n');
  assert.match(w, /σ\/mean = \d+ %/);
  assert.match(w, /first run was 3\.0× slower/);
  assert.match(w, /< 1 ms/);
  const quiet = buildRunResult(outcome([measurement(elem, [4e9, 4.01e9, 3.99e9], { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N })]), tool);
  assert.deepEqual(quiet.warnings, []);
});

test('without the kernel counter the table says so and shows no mark', () => {
  const o = outcome([measurement(batch, [5e8], { LOOKUP_BATCH: 257 }, okVerdict, 4096, null)]);
  o.config.kernelCount = false;
  const r = buildRunResult(o, tool);
  assert.equal(r.results[0]!.syscalls.agree, null);
  assert.equal(r.results[0]!.syscalls.kernel, null);
  assert.doesNotMatch(renderRunTable(r, { color: false }), /[✓✗]/);
  assert.match(renderRunFooter(r, { color: false }), /kernel syscall count off \(--no-kernel-count\)/);
});

import { toCsv, toGab, toMarkdown } from '../../../src/report/formats/export.js';
import { entriesLabel } from '../../../src/report/formats/format.js';

test('exports: Markdown and CSV rows per strategy, github-action-benchmark entries for verified ones', () => {
  const bad: Verdict = { ...okVerdict, ok: false, problems: ['x'] };
  const r = buildRunResult(
    outcome([
      measurement(elem, [4e9, 4e9], { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N }),
      measurement(batch, [5e8, 5e8], { LOOKUP_BATCH: 257 }),
      measurement(batchFixedCursor, [3e8], { LOOKUP_BATCH: 256 }, bad),
    ]),
    tool,
  );
  const md = toMarkdown(r);
  assert.match(md, /^\| elem \| ok \| 2 \| 4000000000 \| 0 \| 3814\.7 \|/m);
  assert.match(md, /^\| batch-fixed-cursor\(4096\) \| FAILED \|/m);
  const csv = toCsv(r).trimEnd().split('\n');
  assert.equal(csv.length, 4);
  assert.match(csv[0]!, /^strategy,label,chunk,verified,entries/);
  assert.match(csv[2]!, /^batch,batch\(4096\),4096,ok,1048576,1048576,2,500000000,/);
  const gab = toGab(r);
  assert.deepEqual(
    gab.map((g) => g.name),
    ['elem ns/entry (1Mi)', 'elem allocated B/entry (1Mi)', 'batch(4096) ns/entry (1Mi)', 'batch(4096) allocated B/entry (1Mi)'],
  );
  assert.equal(gab[0]!.unit, 'ns/entry');
  assert.equal(gab[0]!.value, Number((4e9 / N).toFixed(3)));
  assert.equal(entriesLabel(104857600), '100Mi');
  assert.equal(entriesLabel(65536), '64Ki');
  assert.equal(entriesLabel(1000), '1000');
});

import { compareResults } from '../../../src/report/analysis/compare-baseline.js';
import { loopOf } from '../../../src/report/result/run-json.js';
import { buildSweepResult, renderSweepTable, sweepMarkdown } from '../../../src/report/analysis/sweep-result.js';
import { sweepChart } from '../../../src/report/rendering/svg.js';
import type { ReadLoop } from '../../../src/strategies/index.js';

/** A run result of the elem + batch rows, made by `loop` (undefined: the config says none, the default). */
function resultOf(loop?: ReadLoop) {
  const o = outcome([measurement(elem, [4e9, 4e9], { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N }), measurement(batch, [5e8, 5e8], { LOOKUP_BATCH: 257 })]);
  if (loop) o.config.loop = loop;
  return buildRunResult(o, tool, new Date(0));
}

test('the loop is named: config.loop, the header, Markdown, CSV, and gab names for js only', () => {
  const native = resultOf();
  const js = resultOf('js');
  assert.equal(native.config.loop, 'native', 'native is the default');
  assert.equal(resultOf('native').config.loop, 'native');
  assert.equal(js.config.loop, 'js');
  assert.match(renderRunHeader(native, { color: false }).split('\n')[0]!, /^bpfbench run: hash u32→u32, 1,048,576 entries, loop native$/);
  assert.match(renderRunHeader(js, { color: false }).split('\n')[0]!, /, loop js$/);
  assert.match(toMarkdown(native), /^### bpfbench: hash 4\/4 B, 1,048,576 entries, loop native$/m);
  assert.match(toMarkdown(js), /^### bpfbench: .*, loop js$/m);
  for (const [r, loop] of [
    [native, 'native'],
    [js, 'js'],
  ] as const) {
    const rows = toCsv(r)
      .trimEnd()
      .split('\n')
      .map((l) => l.split(','));
    assert.equal(rows[0]!.at(-1), 'loop');
    assert.equal(rows[0]![0], 'strategy', 'the columns before it keep their places');
    for (const row of rows.slice(1)) assert.equal(row.at(-1), loop);
  }
  assert.deepEqual(
    toGab(native).map((g) => g.name),
    ['elem ns/entry (1Mi)', 'elem allocated B/entry (1Mi)', 'batch(4096) ns/entry (1Mi)', 'batch(4096) allocated B/entry (1Mi)'],
  );
  assert.deepEqual(
    toGab(js).map((g) => g.name),
    ['elem ns/entry (1Mi) [js]', 'elem allocated B/entry (1Mi) [js]', 'batch(4096) ns/entry (1Mi) [js]', 'batch(4096) allocated B/entry (1Mi) [js]'],
  );
});

test('compare: another loop is not comparable (x); a result without config.loop is a js result', () => {
  const native = resultOf('native');
  const js = resultOf('js');
  const cross = compareResults(js, native, { threshold: 0.15 });
  assert.equal(cross.comparable, false);
  assert.deepEqual(cross.rows, [{ gate: 0, figure: 'loop', baseline: 'js', current: 'native', mark: 'x', gating: true }]);
  const lenient = compareResults(js, native, { threshold: 0.15, lenient: true });
  assert.equal(lenient.comparable, true);
  assert.equal(lenient.rows.find((r) => r.figure === 'loop')!.mark, '~');
  // Results written before --loop existed: no config.loop, made by the js loop.
  const old = JSON.parse(JSON.stringify(js));
  delete old.config.loop;
  assert.equal(loopOf(old), 'js');
  assert.equal(compareResults(old, js, { threshold: 0.15 }).comparable, true);
  assert.equal(compareResults(old, js, { threshold: 0.15 }).regression, false);
  assert.equal(compareResults(old, native, { threshold: 0.15 }).comparable, false);
  assert.equal(compareResults(native, native, { threshold: 0.15 }).comparable, true);
});

test('the sweep names its loop: config.loop, the table title, Markdown and the chart', () => {
  for (const loop of ['native', 'js'] as const) {
    const point = {
      entries: N,
      maxEntries: N,
      strategy: 'batch',
      label: 'batch(64)',
      chunk: 64,
      effectiveChunk: 64,
      chunkGrowths: 0,
      runs: 1,
      medianNs: 1e8,
      sdNs: 0,
      nsPerEntry: 1e8 / N,
      verified: true,
      problems: [],
      bpfCalls: { LOOKUP_BATCH: 16385 },
    };
    const r = buildSweepResult(
      {
        config: {
          entries: [N],
          chunks: [64],
          strategies: [batch],
          withElem: false,
          repeat: { minRuns: 1, maxRuns: 1, budgetMs: 0, warmup: 0 },
          fill: 'prog',
          mapFlags: 0,
          kernelCount: false,
          ...(loop === 'js' ? { loop } : {}),
        },
        context: outcome([]).context,
        points: [point],
      },
      tool,
    );
    assert.equal(r.config.loop, loop);
    assert.match(renderSweepTable(r, { color: false }).split('\n')[0]!, new RegExp(`^bpfbench sweep: hash, 1Mi entries, loop ${loop}$`));
    assert.match(sweepMarkdown(r), new RegExp(`^### bpfbench sweep: hash, 1Mi entries, loop ${loop}$`, 'm'));
    assert.match(sweepChart(r), new RegExp(`loop ${loop}`));
  }
});

test('a sharded row beside batch: summary.shardedSpeedup over batch, and a line under the table with the threads and the overlap removed', () => {
  const shards = { threads: 2, overlap: { entries: 3363, calls: 1, mismatched: 0 }, perShard: { entries: [524_951, 523_625], calls: [129, 129], ns: [1e8, 1e8] } };
  const sharded = measurement(batchSharded, [2.5e8, 2.6e8], { LOOKUP_BATCH: 258 });
  sharded.label = 'batch-sharded(4096)×2';
  for (const s of sharded.samples) s.shards = shards;
  const r = buildRunResult(outcome([measurement(batch, [5e8, 5e8], { LOOKUP_BATCH: 257 }), sharded]), tool);
  assert.deepEqual(r.results[1]!.sharded, shards);
  assert.equal(r.results[0]!.sharded, null);
  const sp = r.summary.shardedSpeedup!['batch-sharded']!;
  assert.equal(sp.over, 'batch');
  assert.equal(sp.threads, 2);
  assert.equal(sp.x, 5e8 / 2.55e8);
  assert.match(
    renderRunFooter(r, { color: false }),
    /^batch-sharded\(4096\)×2: 2 threads, 1\.96× \(mean 1\.96 ± [\d.]+\) faster than batch\(4096\); shards 524,951 \+ 523,625 entries, overlap removed: 3,363 entries in 1 call$/m,
  );
  // Without batch in the run there is nothing to hold it against.
  const alone = buildRunResult(outcome([sharded]), tool);
  assert.equal(alone.summary.shardedSpeedup, undefined);
  assert.match(renderRunFooter(alone, { color: false }), /no single-thread read in this run to compare with/);
});
