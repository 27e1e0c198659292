// The CI gate: compare a result with a baseline. A doctored copy must be
// caught with the right rows; an identical one passes; another kernel is a
// change (every gate applies), another CPU model keeps gates 1-2 (the speed
// gates with --across-machines); another configuration is not comparable
// (exit 1); an undecided speed gate exits 4; a broken file is bad input
// (exit 2, one line). The base result's reads are made steady (every read
// its median's time) so that a speed change of 0 is decided whatever the
// machine's noise.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { runCli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfbench-compare-'));
const base = join(dir, 'base.json');
type Json = { [k: string]: any };

before(() => {
  const r = runCli(['run', '--entries', '65536', '--runs', '3', '--map-flags', 'zero_seed', '--json', base]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(readFileSync(base, 'utf8'));
  for (const x of j.results) x.wallNs.samples = x.wallNs.samples.map(() => x.wallNs.median);
  writeFileSync(base, JSON.stringify(j));
});

function doctored(name: string, change: (j: Json) => void): string {
  const j = JSON.parse(readFileSync(base, 'utf8'));
  change(j);
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify(j));
  return p;
}

const rowsOf = (stdout: string, mark: string) => stdout.split('\n').filter((l) => l.startsWith(mark));

test('an identical result: no regression, exit 0', () => {
  const r = runCli(['compare', base, base]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /no regression \(threshold 5 %\)/);
  assert.match(r.stdout, /all gates applied \(speed gates: percentile bootstrap/);
  assert.deepEqual(rowsOf(r.stdout, '+'), []);
});

test('a changed call count is a regression: exit 3, a + row for it', () => {
  const p = doctored('calls', (j) => {
    j.results[0].syscalls.bpf.GET_NEXT_KEY += 1;
  });
  const r = runCli(['compare', base, p]);
  assert.equal(r.status, 3, r.stdout + r.stderr);
  const plus = rowsOf(r.stdout, '+');
  assert.equal(plus.length, 1, r.stdout);
  assert.match(plus[0]!, /2 +elem bpf calls/);
  assert.match(r.stdout, /REGRESSION: elem bpf calls/);
});

test('a speedup that fell beyond the threshold is a regression; ns/entry is reported only', () => {
  const p = doctored('ratio', (j) => {
    const b = j.results[1].wallNs;
    for (const k of ['mean', 'median', 'min', 'max', 'sd']) b[k] *= 2;
    b.samples = b.samples.map((x: number) => x * 2);
  });
  const r = runCli(['compare', base, p, '--threshold', '20%', '--json', '-']);
  assert.equal(r.status, 3, r.stderr);
  const j = JSON.parse(r.stdout);
  const speed = j.rows.find((x: Json) => x.figure === 'batch(4096) speedup vs elem');
  assert.equal(speed.mark, '+');
  assert.equal(speed.gating, true);
  const ns = j.rows.find((x: Json) => x.figure === 'batch(4096) ns/entry');
  assert.equal(ns.gating, false, 'time against a baseline only gates with --strict-time');
  assert.equal(j.regression, true);
});

test('another kernel: listed as a change and every gate applies; another CPU model: gates 1-2, the speed gates said not applied in one line; --across-machines applies them', () => {
  const kernel = doctored('kernel', (j) => {
    j.context.kernel = '6.18.44-fc-v769';
  });
  const k = runCli(['compare', kernel, base]);
  assert.equal(k.status, 0, k.stdout + k.stderr);
  assert.match(k.stdout, /^~ +0 +kernel changed +6\.18\.44-fc-v769 +\S+$/m);
  assert.match(k.stdout, /^all gates applied/m);
  // Another CPU model and a speedup that halved: reported, not gated.
  const cpuSlow = doctored('cpu-slow', (j) => {
    j.context.cpuModel = 'Other CPU';
    const b = j.results[1].wallNs;
    for (const x of ['mean', 'median', 'min', 'max']) b[x] *= 2;
    b.samples = b.samples.map((x: number) => x * 2);
  });
  const c = runCli(['compare', base, cpuSlow]);
  assert.equal(c.status, 0, c.stdout + c.stderr);
  assert.match(c.stdout, /^\+ +3 +batch\(4096\) speedup vs elem \(reported\)/m);
  const lines = c.stdout.split('\n').filter((l) => /speed gates reported, not applied/.test(l));
  assert.deepEqual(lines, ['speed gates reported, not applied: measured on another machine (CPU model); gates 1 and 2 applied (--across-machines applies all)']);
  const across = runCli(['compare', base, cpuSlow, '--across-machines']);
  assert.equal(across.status, 3, across.stdout);
  assert.match(across.stdout, /REGRESSION: batch\(4096\) speedup vs elem/);
  // Another kernel and CPU model, one call count changed: exit 3.
  const calls = doctored('elsewhere-calls', (j) => {
    j.context.kernel = '6.18.44-fc-v769';
    j.context.cpuModel = 'Other CPU';
    j.results[0].syscalls.bpf.LOOKUP_ELEM += 1;
  });
  const e = runCli(['compare', base, calls]);
  assert.equal(e.status, 3, e.stdout);
  assert.match(e.stdout, /REGRESSION: elem bpf calls$/m);
  // Another configuration: not comparable, exit 1, unless --lenient.
  const fill = doctored('fill', (j) => {
    j.config.fill = 'elem';
  });
  const f = runCli(['compare', base, fill]);
  assert.equal(f.status, 1, f.stdout);
  assert.match(f.stdout, /^x +0 +fill/m);
  assert.equal(runCli(['compare', base, fill, '--lenient']).status, 0);
});

test('an undecided speed gate exits 4 and says roughly how many more reads would decide', () => {
  const noisy = (name: string, spreadBy: number) =>
    doctored(name, (j) => {
      const b = j.results[1].wallNs;
      b.samples = [0.8, 0.9, 1.0, 1.1, 1.3].map((f) => b.median * (1 + (f - 1) * spreadBy));
    });
  const r = runCli(['compare', base, noisy('noisy', 1), '--json', '-']);
  assert.equal(r.status, 4, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  const row = j.rows.find((x: Json) => x.gate === 3);
  assert.equal(row.mark, '?');
  assert.equal(row.change.verdict, 'undecided');
  assert.equal(j.verdict, 'undecided');
  const human = runCli(['compare', base, noisy('noisy2', 1)]);
  assert.match(human.stdout, /undecided, (~\d+ more reads each|on the threshold)/);
  assert.match(human.stdout, /^UNDECIDED: batch\(4096\) speedup vs elem/m);
  // A changed call count with an undecided speed: 3, the worst verdict.
  const both = doctored('noisy-calls', (j) => {
    j.results[1].wallNs.samples = [0.8, 0.9, 1.0, 1.1, 1.3].map((f) => j.results[1].wallNs.median * f);
    j.results[0].syscalls.bpf.LOOKUP_ELEM += 1;
  });
  assert.equal(runCli(['compare', base, both]).status, 3);
});

test('results of another read loop are not comparable (x loop, exit 1); a baseline without config.loop is a js result', () => {
  assert.equal(JSON.parse(readFileSync(base, 'utf8')).config.loop, 'native', 'native by default');
  const js = join(dir, 'js.json');
  const r = runCli(['run', '--entries', '65536', '--runs', '3', '--map-flags', 'zero_seed', '--loop', 'js', '--json', js]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(js, 'utf8')).config.loop, 'js');
  // Steady reads, so that the js result against itself decides "unchanged" (see the top).
  const sj = JSON.parse(readFileSync(js, 'utf8'));
  for (const x of sj.results) x.wallNs.samples = x.wallNs.samples.map(() => x.wallNs.median);
  writeFileSync(js, JSON.stringify(sj));
  for (const [a, b] of [
    [base, js],
    [js, base],
  ]) {
    const c = runCli(['compare', a, b]);
    assert.equal(c.status, 1, c.stdout + c.stderr);
    assert.match(c.stdout, /^x +0 +loop +(native +js|js +native)$/m);
    assert.match(c.stdout, /not comparable: another configuration \(.*read loop/);
  }
  // Results from before --loop have no config.loop: the js loop made them.
  const old = join(dir, 'old-js.json');
  const j = JSON.parse(readFileSync(js, 'utf8'));
  delete j.config.loop;
  writeFileSync(old, JSON.stringify(j));
  const same = runCli(['compare', old, js]);
  assert.equal(same.status, 0, same.stdout + same.stderr);
  assert.doesNotMatch(same.stdout, /loop/);
  const other = runCli(['compare', old, base]);
  assert.equal(other.status, 1, other.stdout);
  assert.match(other.stdout, /^x +0 +loop +js +native$/m);
});

test('--save-baseline writes atomically and refuses another configuration without --force', () => {
  const bdir = mkdtempSync(join(tmpdir(), 'bpfbench-baselines-'));
  const env = { BPFBENCH_BASELINE_DIR: bdir };
  const a = runCli(['run', '--entries', '4096', '--runs', '1', '--strategies', 'batch', '--save-baseline', 'ci'], env);
  assert.equal(a.status, 0, a.stderr);
  assert.ok(existsSync(join(bdir, 'ci.json')));
  const other = runCli(['run', '--entries', '8192', '--runs', '1', '--strategies', 'batch', '--save-baseline', 'ci'], env);
  assert.equal(other.status, 1);
  assert.match(other.stderr, /holds another configuration or machine \(map\): --force replaces it/);
  assert.equal(JSON.parse(readFileSync(join(bdir, 'ci.json'), 'utf8')).config.entries, 4096, 'the old baseline is kept');
  const forced = runCli(['run', '--entries', '8192', '--runs', '1', '--strategies', 'batch', '--save-baseline', 'ci', '--force'], env);
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(JSON.parse(readFileSync(join(bdir, 'ci.json'), 'utf8')).config.entries, 8192);
  assert.equal(runCli(['run', '--save-baseline', '../x']).status, 2);
});

test('compare refuses what is not a run result: bad input, exit 2', () => {
  const junk = join(dir, 'junk.json');
  writeFileSync(junk, '{"hello": 1}');
  const r = runCli(['compare', base, junk]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /is not a bpfbench run or peers result/);
  assert.equal(runCli(['compare', base]).status, 2);
});

/** compare of `a` and `b` exits 2 with exactly `line` on stderr (nothing on stdout, no internal-error hint). */
function refused(a: string, b: string, line: string | RegExp): void {
  const r = runCli(['compare', a, b]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  if (typeof line === 'string') assert.equal(lines[0], line);
  else assert.match(lines[0]!, line);
}

test('broken inputs exit 2 with one line naming the file and the field, never an internal error', () => {
  const nullWall = doctored('null-wall', (j) => {
    j.results[0].wallNs = null;
  });
  refused(base, nullWall, `bpfbench: ${nullWall}: results[0].wallNs must be an object with 'mean', 'sd', 'median', 'min', 'max', …, not null`);
  refused(nullWall, base, `bpfbench: ${nullWall}: results[0].wallNs must be an object with 'mean', 'sd', 'median', 'min', 'max', …, not null`);
  const nullSamples = doctored('null-samples', (j) => {
    j.results[1].wallNs.samples = null;
  });
  refused(base, nullSamples, `bpfbench: ${nullSamples}: results[1].wallNs.samples must be an array, not null`);
  const empty = doctored('empty', (j) => {
    j.results = [];
  });
  refused(empty, empty, `bpfbench: ${empty}: results is empty`);
  const missing = doctored('missing', (j) => {
    delete j.results[1].verified;
  });
  refused(base, missing, `bpfbench: ${missing}: results[1].verified is missing (it must be an object with 'ok', 'expectedToFail', 'entries', 'distinct', 'expectedEntries', …)`);
  const wrongType = doctored('wrong-type', (j) => {
    j.config.mapFlags = '0x40';
  });
  refused(base, wrongType, `bpfbench: ${wrongType}: config.mapFlags must be a non-negative integer, not "0x40"`);
  const v2 = doctored('v2', (j) => {
    j.schemaVersion = 2;
  });
  refused(base, v2, `bpfbench: ${v2}: schemaVersion 2 is from a newer bpfbench (this one reads schemaVersion 1): upgrade bpfbench`);
  const notJson = join(dir, 'not-json.json');
  writeFileSync(notJson, '{"schemaVersion": 1, "results": [');
  refused(base, notJson, new RegExp(`^bpfbench: ${notJson}: not JSON \\(`));
  const absent = join(dir, 'absent.json');
  refused(absent, base, new RegExp(`^bpfbench: cannot read ${absent}: ENOENT`));
  refused(base, dir, new RegExp(`^bpfbench: cannot read ${dir}: EISDIR`));
});

test('gate 1: a read that failed verification in the current result is a regression (exit 3)', () => {
  const p = doctored('unverified', (j) => {
    j.results[1].verified.ok = false;
    j.results[1].verified.problems = ['saw 4,096 distinct keys, expected 65,536'];
  });
  const r = runCli(['compare', base, p]);
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /^\+ +1 +batch\(4096\) verified +ok +FAILED: saw 4,096 distinct keys, expected 65,536$/m);
  assert.match(r.stdout, /REGRESSION: batch\(4096\) verified/);
});

test('--strict-time: ns/entry beyond the threshold fails only with it', () => {
  // Both results without spread (sd 0), so the interval of the ratio is the ratio: ×2 is beyond 15 % for certain.
  const steady = (name: string, factor: number) =>
    doctored(name, (j) => {
      for (const r of j.results) {
        for (const k of ['mean', 'median', 'min', 'max']) r.wallNs[k] *= factor;
        r.wallNs.sd = 0;
        r.wallNs.samples = r.wallNs.samples.map(() => r.wallNs.mean);
      }
    });
  const b = steady('steady', 1);
  const slow = steady('steady-x2', 2);
  const reported = runCli(['compare', b, slow]);
  assert.equal(reported.status, 0, reported.stdout + reported.stderr);
  assert.match(reported.stdout, /^\+ +4 +elem ns\/entry \(reported\)/m);
  const strict = runCli(['compare', b, slow, '--strict-time']);
  assert.equal(strict.status, 3, strict.stdout + strict.stderr);
  assert.match(strict.stdout, /REGRESSION: elem ns\/entry; batch\(4096\) ns\/entry$/m);
  assert.equal(runCli(['compare', b, steady('steady-x1.1', 1.1), '--strict-time', '--threshold', '15%']).status, 0, '10 % is within 15 %');
});

test('batch call counts: ±1 % for random-seed maps, exact for zero-seed maps', () => {
  const calls = (name: string, flags: number, n: number) =>
    doctored(name, (j) => {
      j.config.mapFlags = flags;
      j.results[1].syscalls.bpf = { LOOKUP_BATCH: n };
    });
  assert.equal(runCli(['compare', calls('seed-1000', 0, 1000), calls('seed-1010', 0, 1010)]).status, 0);
  const beyond = runCli(['compare', calls('seed-1000b', 0, 1000), calls('seed-1011', 0, 1011)]);
  assert.equal(beyond.status, 3, beyond.stdout);
  assert.match(beyond.stdout, /^\+ +2 +batch\(4096\) bpf calls \(±1 %\) +LOOKUP_BATCH 1,000 +LOOKUP_BATCH 1,011$/m);
  const zero = runCli(['compare', calls('zero-1000', 0x40, 1000), calls('zero-1001', 0x40, 1001)]);
  assert.equal(zero.status, 3, zero.stdout);
  assert.match(zero.stdout, /^\+ +2 +batch\(4096\) bpf calls +LOOKUP_BATCH 1,000 +LOOKUP_BATCH 1,001$/m);
});

test('run --baseline NAME compares as compare does: 0 against itself, 3 against a doctored baseline', () => {
  const bdir = mkdtempSync(join(tmpdir(), 'bpfbench-baselines-'));
  const env = { BPFBENCH_BASELINE_DIR: bdir };
  const args = ['run', '--entries', '4096', '--runs', '1', '--strategies', 'elem', '--map-flags', 'zero_seed'];
  assert.equal(runCli([...args, '--save-baseline', 'b'], env).status, 0);
  const same = runCli([...args, '--baseline', 'b'], env);
  assert.equal(same.status, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /compared with .*b\.json:/);
  const j = JSON.parse(readFileSync(join(bdir, 'b.json'), 'utf8'));
  j.results[0].syscalls.bpf.LOOKUP_ELEM -= 1;
  writeFileSync(join(bdir, 'b.json'), JSON.stringify(j));
  const worse = runCli([...args, '--baseline', 'b'], env);
  assert.equal(worse.status, 3, worse.stdout);
  assert.match(worse.stdout, /REGRESSION: elem bpf calls/);
  assert.equal(runCli([...args, '--baseline', 'missing'], env).status, 1);
});

test("peers results compare on the ratio to the C floor and on the kernel's counts, row by row (implementation, loop, strategy)", () => {
  const pdir = mkdtempSync(join(tmpdir(), 'bpfbench-peers-'));
  const p = join(pdir, 'peers.json');
  const r = runCli(['peers', '--entries', '16384', '--rounds', '1', '--impls', 'ts,c', '--loops', 'js', '--json', p]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(runCli(['compare', p, p]).status, 0);
  const j = JSON.parse(readFileSync(p, 'utf8'));
  // Gate 3 reads the rounds, not the stored ratio: bpfbench's reads twice as slow.
  const ts = j.results.find((x: Json) => x.impl === 'ts' && x.strategy === 'elem');
  ts.wallNs.samples = ts.wallNs.samples.map((x: number) => x * 2);
  const worse = join(pdir, 'worse.json');
  writeFileSync(worse, JSON.stringify(j));
  const c = runCli(['compare', p, worse]);
  assert.equal(c.status, 3, c.stdout);
  assert.match(c.stdout, /^\+ +3 +ts \((?:native|js)\) elem × C/m);

  // A kernel count one call off is a regression; a baseline count without its source (older results) is shown, not gating.
  const calls = (change: (x: Json) => void, name: string) => {
    const k = JSON.parse(readFileSync(p, 'utf8'));
    change(k.results.find((x: Json) => x.impl === 'c' && x.strategy === 'elem'));
    const f = join(pdir, `${name}.json`);
    writeFileSync(f, JSON.stringify(k));
    return f;
  };
  const offByOne = runCli(['compare', p, calls((x) => (x.bpfCalls.calls.LOOKUP_ELEM -= 1), 'calls')]);
  assert.equal(offByOne.status, 3, offByOne.stdout);
  assert.match(offByOne.stdout, /^\+ +2 +c elem bpf calls +LOOKUP_ELEM 16,384/m);
  const old = runCli(['compare', calls((x) => (x.bpfCalls = x.bpfCalls.calls), 'old'), p]);
  assert.equal(old.status, 0, old.stdout);
  assert.match(old.stdout, /^x +2 +c elem bpf calls \(reported\) .*\(source not recorded\) .*\(kernel, read\)/m);
  // A bpfbench row of another loop is another row: no baseline for it, nothing compared.
  const other = JSON.parse(readFileSync(p, 'utf8'));
  for (const x of other.results) if (x.impl === 'ts') x.loop = 'native';
  const otherLoop = join(pdir, 'other-loop.json');
  writeFileSync(otherLoop, JSON.stringify(other));
  // ... but the baseline's rows of the other loop are missing from it: that fails (gate 1), never passes unseen.
  const ol = runCli(['compare', p, otherLoop]);
  assert.equal(ol.status, 3, ol.stdout);
  assert.doesNotMatch(ol.stdout, /ts \(\w+\) elem × C/);
  assert.match(ol.stdout, /^\+ +1 +ts \(js\) elem missing +in the baseline +not in the current result$/m);
  assert.match(ol.stdout, /^\+ +1 +ts \(js\) batch missing /m);
  const mixed = runCli(['compare', p, base]);
  assert.equal(mixed.status, 2, 'a peers result and a run result do not compare: bad input');
  assert.match(mixed.stderr, /is a peers result and .* a run result: compare like with like/);
  // Without its C rows the current result has nothing to divide by: gate 3 fails, and says why.
  const noC = JSON.parse(readFileSync(p, 'utf8'));
  noC.results = noC.results.filter((x: Json) => x.impl !== 'c');
  for (const x of noC.results) x.ratioToC = null;
  const noCPath = join(pdir, 'no-c.json');
  writeFileSync(noCPath, JSON.stringify(noC));
  const n = runCli(['compare', p, noCPath]);
  assert.equal(n.status, 3, n.stdout);
  assert.match(n.stdout, /^\+ +3 +ts \(js\) elem × C +[\d.]+× +none: this result has no C elem row$/m);
  assert.match(n.stdout, /^\+ +1 +c batch missing +in the baseline +not in the current result$/m);
});
