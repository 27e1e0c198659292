// bpfbench sweep as a user runs it, its latency side: --max-call-latency
// takes any duration and names a chunk (or none) in the table and the JSON;
// --map-type and --max-entries make a sparse LRU sweep; every point carries
// its p99/max call latency; the chart has its second panel.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { SAMPLE_EVERY } from '../../src/bpf/native/latency.js';
import { parseDuration } from '../../src/cli/options.js';
import { runCli } from '../helpers.js';

test('durations: ns, us, µs, ms and s, decimals, a unit required, at least 1 ns', () => {
  const cases: [string, number][] = [
    ['1ms', 1e6],
    ['500us', 500e3],
    ['500µs', 500e3],
    ['500μs', 500e3],
    ['1.5ms', 1.5e6],
    ['2s', 2e9],
    ['0.25s', 250e6],
    ['800ns', 800],
    [' 10 ms ', 10e6],
  ];
  for (const [raw, ns] of cases) assert.equal(parseDuration(raw), ns, raw);
  for (const raw of ['1', 'ms', '1 min', '-1ms', '0ns', '0.1ns', '1e3ns', '1,5ms']) assert.throws(() => parseDuration(raw), InvalidArgumentError, raw);
});

test('sweep --max-call-latency: a bad duration is invalid input (exit 2, one line); the flag and --map-type are in --help', () => {
  const r = runCli(['sweep', '--max-call-latency', '1 minute']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1);
  assert.match(r.stderr, /^bpfbench: .*'1 minute' is not a duration \(examples: 800ns, 500us, 500µs, 1ms, 1\.5ms, 2s\)\./);
  const help = runCli(['sweep', '--help']).stdout;
  assert.match(help, /--max-call-latency <duration>/);
  assert.match(help, /--map-type <type>/);
});

test('sweep of a sparse LRU map with a latency budget: p99/max call per point, the fit, the chunk picked (or none) in the table and the JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-sweep-lat-'));
  try {
    const args = ['sweep', '--map-type', 'lru_hash', '--entries', '16Ki', '--max-entries', '1Mi', '--chunks', '64,512,4096', '--runs', '1', '--warmup', '0', '--out-dir', dir, '--json', '-'];
    const r = runCli([...args, '--max-call-latency', '10s']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.config.mapType, 'lru_hash');
    assert.deepEqual(j.config.entries, [16384]);
    assert.deepEqual(j.config.maxEntries, [1 << 20]);
    assert.equal(j.config.maxCallLatencyNs, 10e9);
    assert.match(r.stderr, /^bpfbench sweep: lru_hash, 16Ki of 1Mi entries, loop native$/m);
    assert.equal(j.points.length, 4, 'elem + three chunks');
    for (const p of j.points) {
      assert.ok(p.verified, JSON.stringify(p.problems));
      const l = p.callLatency;
      assert.ok(l.p50 > 0 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, JSON.stringify(l));
      const calls = Object.values(p.bpfCalls as Record<string, number>).reduce((a, b) => a + b, 0);
      assert.equal(l.count, Math.ceil(calls / l.sampledEvery), `${p.label}: timed calls`);
      assert.equal(l.sampledEvery, p.chunk === null ? SAMPLE_EVERY : 1);
    }
    // A sparse map: every batch call walks buckets, so the chunk matters per call.
    assert.equal(j.fits.length, 1);
    const f = j.fits[0];
    for (const k of ['perCallNs', 'perCallSe', 'perEntryNs', 'perEntrySe', 'rse', 'r2']) assert.equal(typeof f[k], 'number', k);
    assert.equal(f.n, 3);
    // 10 s: every chunk is within it, so the fastest chunk is the budget's pick.
    const pick = j.latencyBudget.picks[0];
    assert.equal(pick.chunk, j.best[0].chunk);
    assert.match(r.stderr, /^fastest chunk with p99 call ≤ 10\.0s:$/m);
    assert.match(r.stderr, /^cost model, least squares on the medians/m);
    assert.match(r.stderr, /^ {2}batch 16Ki of 1Mi: .* ns per call, .* ns per entry \(R² .*, residual σ .* ns\/entry, 3 points\); /m);
    const head = r.stderr.split('\n').find((l) => l.includes('ns/entry') && l.includes('call'));
    assert.ok(head, 'p99/max call columns next to ns/entry');
    // 1 ns: no chunk is; the JSON says none and which came closest.
    const none = runCli([...args, '--max-call-latency', '1ns']);
    assert.equal(none.status, 0, none.stderr);
    const n = JSON.parse(none.stdout).latencyBudget.picks[0];
    assert.equal(n.chunk, null);
    assert.ok([64, 512, 4096].includes(n.closest.chunk));
    assert.match(none.stderr, /^ {2}batch 16Ki of 1Mi: no chunk \(the smallest p99 call is .*, at chunk [\d,]+\)$/m);
    const svg = readdirSync(dir).filter((x) => x.endsWith('.svg'));
    assert.equal(svg.length, 2);
    const chart = readFileSync(join(dir, svg[0]!), 'utf8');
    assert.equal([...chart.matchAll(/<g class="panel"/g)].length, 2);
    assert.match(chart, /<polyline class="latency"/);
    assert.match(chart, /<path class="model"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sweep --strategies batch,batch-sharded --threads 1,2: a series per thread count, each point verified; --threads without a sharded strategy is one line, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-sweep-threads-'));
  try {
    const r = runCli([
      'sweep',
      '--entries',
      '16Ki',
      '--chunks',
      '64,1024',
      '--strategies',
      'batch,batch-sharded',
      '--threads',
      '1,2',
      '--runs',
      '1',
      '--warmup',
      '0',
      '--no-elem',
      '--out-dir',
      dir,
      '--json',
      '-',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.config.strategies, ['batch', 'batch-sharded×1', 'batch-sharded×2']);
    assert.equal(j.points.length, 6);
    assert.ok(j.points.every((p: { verified: boolean }) => p.verified));
    assert.match(r.stderr, /batch-sharded×2 16Ki/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bad = runCli(['sweep', '--strategies', 'batch', '--threads', '2']);
  assert.equal(bad.status, 2, bad.stderr);
  assert.equal(bad.stderr.trimEnd().split('\n').length, 1);
  assert.match(bad.stderr, /^bpfbench: --threads: none of batch uses it/);
});
