// bpfbench report's merge: the committed results (real runs, a sweep, peers)
// checked against the contract, merged into one table per configuration with
// a column per result; copies doctored into another machine, loop or
// configuration land in the right table or are named as not comparable; a
// bad file is one line naming it and the field, exit 2.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidInputError } from '../../../src/errors.js';
import { entriesLabel } from '../../../src/report/formats/format.js';
import { configTitle } from '../../../src/report/analysis/configuration.js';
import { mergeResults } from '../../../src/report/analysis/fleet.js';
import { cellFigures, fleetMarkdown, renderFleet } from '../../../src/report/rendering/fleet-render.js';
import { checkResult, parseResult, REPORT_KINDS, type LoadedResult } from '../../../src/report/schema/index.js';
import { fmtNsPerEntry, fmtRatio } from '../../../src/report/formats/format.js';
import { ROOT } from '../../../src/paths.js';
import { runCli } from '../../helpers.js';

const validateResult = (file: string, json: unknown) => checkResult(file, json, REPORT_KINDS);

type Json = { [k: string]: any };
const ANSI = /\x1b\[/;

// Real results of one machine (6.18.44-fc-v769; the runs with the js loop), kept as fixtures: the tests hold the rendering to them, whatever results/ holds today.
const RUN1 = 'test/fixtures/results/run-1Mi-js-v769.json';
const RUN4 = 'test/fixtures/results/run-4Mi-js-v769.json';
const PEERS = 'test/fixtures/results/peers-1Mi-v769.json';
const SWEEP = 'test/fixtures/results/sweep-reference-1Mi-4Mi-v769.json';

const read = (file: string): Json => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
const load = (file: string, change: (j: Json) => void = () => {}, name = file): LoadedResult => {
  const j = read(file);
  change(j);
  return validateResult(name, j);
};

test('the committed results validate, each as its kind', () => {
  assert.equal(load(RUN1).kind, 'run');
  assert.equal(load(RUN4).kind, 'run');
  assert.equal(load(PEERS).kind, 'peers');
  assert.equal(load(SWEEP).kind, 'sweep');
  for (const t of ['array', 'hash', 'lru_hash', 'lru_percpu_hash', 'percpu_array', 'percpu_hash']) assert.equal(load(`results/types/${t}-1Mi.json`).kind, 'run');
  assert.equal(load('results/reproduce-100Mi.json').kind, 'run');
});

const bad: [string, string, (j: Json) => unknown, RegExp][] = [
  ['an array', RUN1, () => [], /^x\.json is not a bpfbench run, sweep or peers result \(schemaVersion 1\): it holds an array$/],
  ['no schemaVersion', RUN1, (j) => void delete j.schemaVersion, /^x\.json is not a bpfbench run, sweep or peers result \(schemaVersion 1\): it has no schemaVersion$/],
  ['schemaVersion 2', RUN1, (j) => void (j.schemaVersion = 2), /^x\.json: schemaVersion 2 is from a newer bpfbench \(this one reads schemaVersion 1\): upgrade bpfbench$/],
  ['kind compare', RUN1, (j) => void (j.kind = 'compare'), /^x\.json: kind must be absent \(a run result\) or 'sweep' or 'peers', not "compare"$/],
  ['a missing median', RUN1, (j) => void delete j.results[1].wallNs.median, /^x\.json: results\[1\]\.wallNs\.median is missing \(it must be a positive number\)$/],
  ['entries as text', RUN1, (j) => void (j.config.entries = '1Mi'), /^x\.json: config\.entries must be a non-negative integer, not "1Mi"$/],
  ['no results', RUN1, (j) => void (j.results = []), /^x\.json: results is empty$/],
  ['a speedup σ as text', RUN1, (j) => void (j.summary.speedupMean.batch.sd = 'x'), /^x\.json: summary\.speedupMean\.batch\.sd must be a number ≥ 0 or null, not "x"$/],
  ['an empty callLatency', RUN1, (j) => void (j.results[0].callLatency = {}), /^x\.json: results\[0\]\.callLatency\.p50 is missing \(it must be a number ≥ 0\)$/],
  ['a loop that is no string', RUN1, (j) => void (j.config.loop = 1), /^x\.json: config\.loop must be 'native' or 'js', not 1$/],
  ['no CPU count', RUN1, (j) => void delete j.context.cpus, /^x\.json: context\.cpus is missing \(it must be an integer ≥ 1\)$/],
  ['a sweep point verified "yes"', SWEEP, (j) => void (j.points[3].verified = 'yes'), /^x\.json: points\[3\]\.verified must be true or false, not "yes"$/],
  ['a sweep without chunks', SWEEP, (j) => void (j.config.chunks = []), /^x\.json: config\.chunks is empty$/],
  ['a sweep fit without perCallNs', SWEEP, (j) => void delete j.fits[1].perCallNs, /^x\.json: fits\[1\]\.perCallNs is missing \(it must be a number\)$/],
  ['a run verdict whose key sum is text', RUN1, (j) => void (j.results[0].verified.keySumOk = 'yes'), /^x\.json: results\[0\]\.verified\.keySumOk must be true or false or null, not "yes"$/],
  ['a peers ratio as text', PEERS, (j) => void (j.results[0].ratioToC = '1.3'), /^x\.json: results\[0\]\.ratioToC must be a positive number or null, not "1\.3"$/],
  ['a peers row that is no object', PEERS, (j) => void (j.results[2] = 7), /^x\.json: results\[2\] must be an object with 'impl', 'strategy', 'runs', 'verified', 'wallNs', …, not 7$/],
  [
    'a kernel time share as text',
    RUN1,
    (j) => void (j.results[0].kernelTime = { nsPerCall: { LOOKUP_ELEM: 700 }, bpfNs: 1, fractionOfWall: '37%', read: 'warmup' }),
    /^x\.json: results\[0\]\.kernelTime\.fractionOfWall must be a number ≥ 0, not "37%"$/,
  ],
  [
    'a kernel time per call below 0',
    RUN1,
    (j) => void (j.results[1].kernelTime = { nsPerCall: { LOOKUP_BATCH: -1 }, bpfNs: 1, fractionOfWall: 0.9, read: 'warmup' }),
    /^x\.json: results\[1\]\.kernelTime\.nsPerCall\.LOOKUP_BATCH must be a number ≥ 0, not -1$/,
  ],
  [
    'the audit read call mean as text',
    RUN1,
    (j) => void (j.results[1].syscalls.audit = { read: 'warmup', entries: 5, callLatency: { p50: 5, max: 9, count: 2, mean: 'fast' } }),
    /^x\.json: results\[1\]\.syscalls\.audit\.(wallNs|callLatency\.mean) (is missing|must be)/,
  ],
  [
    'an audit without its read',
    RUN1,
    (j) => void (j.results[0].syscalls.audit = { entries: 5 }),
    /^x\.json: results\[0\]\.syscalls\.audit\.read is missing \(it must be 'warmup' or 'full' or 'prefix'\)$/,
  ],
  [
    'peers calls counted as text',
    PEERS,
    (j) => void (j.results[1].bpfCalls = { countedBy: 'kernel', covers: 'read', calls: { LOOKUP_BATCH: 'many' } }),
    /^x\.json: results\[1\]\.bpfCalls\.calls\.LOOKUP_BATCH must be a non-negative integer, not "many"$/,
  ],
  [
    'peers calls without who counted them',
    PEERS,
    (j) => void (j.results[1].bpfCalls = { covers: 'read', calls: {} }),
    /^x\.json: results\[1\]\.bpfCalls\.countedBy is missing \(it must be 'kernel' or 'self'\)$/,
  ],
  ['peers loops that are no strings', PEERS, (j) => void (j.config.loops = ['native', 2]), /^x\.json: config\.loops\[1\] must be 'native' or 'js', not 2$/],
];

for (const [what, file, change, message] of bad) {
  test(`invalid input (${what}): an InvalidInputError naming the file and the field`, () => {
    const j = read(file);
    const replaced = change(j);
    assert.throws(
      () => validateResult('x.json', replaced ?? j),
      (e: unknown) => e instanceof InvalidInputError && message.test(e.message) && !e.message.includes('\n'),
    );
  });
}

test('a file that is not JSON: one line naming it', () => {
  assert.throws(
    () => parseResult('y.json', '{"schemaVersion": 1,', REPORT_KINDS),
    (e: unknown) => e instanceof InvalidInputError && /^y\.json: not JSON \(/.test(e.message),
  );
});

test('the committed results: a table per configuration, a column per result, the figures of the JSON', () => {
  const run1 = read(RUN1);
  const run4 = read(RUN4);
  const sweep = read(SWEEP);
  const peers = read(PEERS);
  const f = mergeResults([load(RUN1), load(RUN4), load(PEERS), load(SWEEP)]);
  assert.equal(f.results, 4);
  assert.equal(f.machines, 1);
  assert.deepEqual(
    f.tables.map((t) => [t.title, t.columns.map((c) => c.file)]),
    [
      ['hash u32→u32, 1,048,576 entries (1Mi)', [RUN1, SWEEP]],
      ['hash u32→u32, 4,194,304 entries (4Mi)', [RUN4, SWEEP]],
      ['peers: hash u32→u32, 1,048,576 entries (1Mi)', [PEERS]],
    ],
  );
  // Rows: elem first, then the chunks in order; a run fills only its own chunk.
  const [t1, t4, tp] = f.tables;
  assert.deepEqual(
    t1!.rows.map((r) => r.label),
    ['elem', ...sweep.config.chunks.map((c: number) => `batch(${c})`)],
  );
  for (const [t, run] of [
    [t1!, run1],
    [t4!, run4],
  ] as const) {
    for (const s of run.results) {
      const row = t.rows.find((r) => r.label === s.label)!;
      assert.equal(row.cells[0]!.nsPerEntry, s.nsPerEntry);
      assert.equal(row.cells[0]!.speedup, run.summary.speedup[s.strategy]);
      assert.deepEqual(cellFigures(t, row.cells[0]!), [fmtNsPerEntry(s.nsPerEntry), fmtRatio(run.summary.speedup[s.strategy])]);
      assert.equal(row.cells[0]!.lo, s.wallNs.min / s.verified.entries);
      assert.equal(row.cells[0]!.hi, s.wallNs.max / s.verified.entries);
    }
    assert.equal(t.rows.filter((r) => r.cells[0] === null).length, t.rows.length - run.results.length);
    const entries = t.config.entries;
    const elem = sweep.points.find((p: Json) => p.entries === entries && p.strategy === 'elem');
    for (const p of sweep.points.filter((q: Json) => q.entries === entries)) {
      const cell = t.rows.find((r) => r.label === p.label)!.cells[1]!;
      assert.equal(cell.nsPerEntry, p.nsPerEntry);
      assert.equal(cell.speedup, elem.medianNs / p.medianNs);
    }
  }
  // Peers: C first in each strategy, the ratio to C as recorded, × elem within an implementation.
  assert.equal(tp!.rows.length, peers.results.length);
  assert.equal(tp!.rows[0]!.label, 'elem · C, raw syscalls');
  assert.ok(tp!.rows.some((r) => r.label === 'batch(4096) · bpfbench (TypeScript), js loop'));
  for (const x of peers.results) {
    const label = `${x.strategy === 'elem' ? 'elem' : `${x.strategy}(4096)`} · `;
    const row = tp!.rows.find(
      (r) =>
        r.label.startsWith(label) &&
        r.label.includes({ c: 'C, raw', ts: 'TypeScript', go: 'Go, cilium', bpftool: 'bpftool' }[x.impl as string]!) &&
        (x.impl !== 'ts' || r.label.endsWith(`${x.loop ?? 'js'} loop`)),
    )!;
    const cell = row.cells[0]!;
    assert.equal(cell.ratioToC, x.ratioToC);
    assert.equal(cell.ok, x.verified.ok);
    const elem = peers.results.find((y: Json) => y.impl === x.impl && y.loop === x.loop && y.strategy === 'elem');
    assert.equal(cell.speedup, x.verified.ok ? elem.wallNs.median / x.wallNs.median : null);
  }
  assert.deepEqual(f.incomparable, [
    `${RUN1} and ${RUN4}: another configuration (entries 1Mi vs 4Mi)`,
    `${RUN1} + ${SWEEP} and ${PEERS}: another configuration (measured by run/sweep vs peers (every implementation on one pinned map))`,
    `${RUN4} + ${SWEEP} and ${PEERS}: another configuration (measured by run/sweep vs peers (every implementation on one pinned map), entries 4Mi vs 1Mi)`,
  ]);
});

test('a fleet: the same configuration from another machine and another loop is another column of the same table', () => {
  const other = load(
    RUN1,
    (j) => {
      j.context.kernel = '6.1.0-28-amd64';
      j.context.cpuModel = 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz';
      j.context.cpus = 64;
      j.config.loop = 'native';
    },
    'b.json',
  );
  const f = mergeResults([load(RUN1, () => {}, 'a.json'), other]);
  assert.equal(f.machines, 2);
  assert.equal(f.tables.length, 1);
  assert.deepEqual(f.incomparable, []);
  const text = renderFleet(f, { color: false });
  assert.doesNotMatch(text, ANSI);
  for (const s of [
    'a.json',
    'b.json',
    '6.18.44-fc-v769',
    '6.1.0-28-amd64',
    'AMD EPYC ×2',
    'Intel Xeon Gold 6338 @ 2.00GHz ×64',
    'loop js',
    'loop native',
    '2 machines: the columns differ in kernel or CPU',
    'read loops js and native',
  ]) {
    assert.ok(text.includes(s), `${s} in:\n${text}`);
  }
  // Each row: both columns' figures, in the table's format.
  const run = read(RUN1);
  for (const s of run.results) {
    const line = text.split('\n').find((l) => l.startsWith(`${s.label} `))!;
    const figures = new RegExp(`\\b${fmtNsPerEntry(s.nsPerEntry)} +${fmtRatio(run.summary.speedup[s.strategy]).replace('.', '\\.')}`, 'g');
    assert.equal(line.match(figures)?.length, 2, `twice ${figures} in ${line}`);
  }
});

test('another configuration: its own table, and the reason named', () => {
  const base = load(RUN1, () => {}, 'a.json');
  const cases: [(j: Json) => void, string][] = [
    [(j) => void (j.config.keySize = 8), 'key size 4 B vs 8 B'],
    [(j) => void (j.config.mapFlags = 0x40), 'map_flags 0x0 vs 0x40'],
    [(j) => void (j.config.maxEntries = 2 * 1048576), 'max_entries 1Mi vs 2Mi'],
    [(j) => void (j.config.mapType = 'lru_hash'), 'map type hash vs lru_hash'],
  ];
  for (const [change, why] of cases) {
    const f = mergeResults([base, load(RUN1, change, 'b.json')]);
    assert.equal(f.tables.length, 2);
    assert.deepEqual(f.incomparable, [`a.json and b.json: another configuration (${why})`]);
    assert.ok(renderFleet(f, { color: false }).includes(`a.json and b.json: another configuration (${why})`));
  }
  assert.equal(
    configTitle({ family: 'bpfbench', mapType: 'percpu_hash', keySize: 8, valueSize: 16, entries: 1000, maxEntries: 4096, mapFlags: 0x40 }),
    'percpu_hash u64→16 B per CPU, 1,000 entries (1000) of max_entries 4,096, map_flags 0x40',
  );
});

test('peers rows with a loop: each loop its own row, × elem within the loop', () => {
  const f = mergeResults([
    load(PEERS, (j) => {
      // Keep one loop's rows (js), and add them again as the native loop, twice as fast.
      j.results = j.results.filter((x: Json) => !(x.impl === 'ts' && x.loop === 'native'));
      const ts = j.results.filter((x: Json) => x.impl === 'ts').map((x: Json) => ({ ...x, loop: 'native', wallNs: { ...x.wallNs, median: x.wallNs.median / 2 } }));
      j.results.push(...ts);
    }),
  ]);
  const rows = f.tables[0]!.rows;
  const js = rows.find((r) => r.label === 'batch(4096) · bpfbench (TypeScript), js loop')!.cells[0]!;
  const native = rows.find((r) => r.label === 'batch(4096) · bpfbench (TypeScript), native loop')!.cells[0]!;
  assert.ok(Math.abs(js.speedup! - native.speedup!) < 1e-9, 'both loops halved: the same speedup within each');
});

test('Markdown: one table per configuration, every figure, the reasons', () => {
  const md = fleetMarkdown(mergeResults([load(RUN1), load(RUN4)]));
  const run = read(RUN4);
  assert.ok(md.includes(`#### hash u32→u32, 4,194,304 entries (${entriesLabel(run.config.entries)})`));
  assert.ok(md.includes(`| strategy | ${RUN4}<br>6.18.44-fc-v769<br>AMD EPYC ×2<br>loop js |`));
  for (const s of run.results) assert.ok(md.includes(`| ${s.label} | ${fmtNsPerEntry(s.nsPerEntry)} ns · ${fmtRatio(run.summary.speedup[s.strategy])} |`), s.label);
  assert.ok(md.includes(`- ${RUN1} and ${RUN4}: another configuration (entries 1Mi vs 4Mi)`));
});

// --- The command ------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'bpfbench-report-'));
const abs = (f: string) => join(ROOT, f);

test('bpfbench report: the merged tables on stdout, exit 0', () => {
  const r = runCli(['report', abs(RUN1), abs(RUN4), abs(SWEEP)]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^bpfbench report: 3 results from 1 machine, 2 configurations$/m);
  assert.ok(r.stdout.includes(`${abs(RUN1)} and ${abs(RUN4)}: another configuration (entries 1Mi vs 4Mi)`), r.stdout);
});

test('bpfbench report --html FILE --markdown -: the page written, Markdown on stdout, the tables on stderr', () => {
  const out = join(dir, 'page.html');
  const r = runCli(['report', abs(RUN1), abs(PEERS), '--html', out, '--markdown', '-']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^### bpfbench report: 2 results from 1 machine/);
  assert.match(r.stderr, /^bpfbench report: 2 results/);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(html.includes(`<code>${abs(PEERS)}</code>`));
});

test('bpfbench report reads what peers and run write now: rows per loop, kernel-counted calls, the audit and its kernel time', () => {
  const peers = join(dir, 'peers-now.json');
  const run = join(dir, 'run-now.json');
  const p = runCli(['peers', '--entries', '16Ki', '--rounds', '1', '--impls', 'ts,c', '--strategies', 'elem,batch', '--json', peers]);
  assert.equal(p.status, 0, p.stderr);
  const r = runCli(['run', '--entries', '64Ki', '--runs', '1', '--strategies', 'elem,batch', '--json', run]);
  assert.equal(r.status, 0, r.stderr);
  const pj = JSON.parse(readFileSync(peers, 'utf8'));
  const rj = JSON.parse(readFileSync(run, 'utf8'));
  // The shapes this test is about: without them it would prove nothing.
  assert.deepEqual(pj.config.loops, ['native', 'js']);
  for (const x of pj.results) assert.equal(x.bpfCalls.countedBy, 'kernel', `${x.impl} ${x.loop ?? ''} ${x.strategy}`);
  for (const s of rj.results) assert.ok(s.syscalls.audit && s.kernelTime, `${s.label}: audited and timed in the kernel`);
  const loaded = [validateResult(run, rj), validateResult(peers, pj)];
  assert.deepEqual(
    loaded.map((l) => l.kind),
    ['run', 'peers'],
  );
  const f = mergeResults(loaded);
  assert.deepEqual(
    f.tables[0]!.columns.map((c) => c.loop),
    [rj.config.loop],
  );
  assert.deepEqual(
    f.tables[1]!.rows.map((row) => row.label),
    [
      'elem · C, raw syscalls',
      'elem · bpfbench (TypeScript), js loop',
      'elem · bpfbench (TypeScript), native loop',
      'batch(4096) · C, raw syscalls',
      'batch(4096) · bpfbench (TypeScript), js loop',
      'batch(4096) · bpfbench (TypeScript), native loop',
    ],
  );
  const cli = runCli(['report', run, peers]);
  assert.equal(cli.status, 0, cli.stderr);
  assert.ok(cli.stdout.includes('batch(4096) · bpfbench (TypeScript), native loop'), cli.stdout);
});

const badCli: [string, () => string[], RegExp][] = [
  ['a missing file', () => ['report', join(dir, 'nope.json')], /^bpfbench: cannot read .*nope\.json: ENOENT$/],
  [
    'a result with a bad field',
    () => {
      const p = join(dir, 'bad.json');
      const j = read(RUN1);
      j.results[0].nsPerEntry = null;
      writeFileSync(p, JSON.stringify(j));
      return ['report', abs(RUN4), p];
    },
    /^bpfbench: .*bad\.json: results\[0\]\.nsPerEntry must be a number ≥ 0, not null$/,
  ],
  [
    'not JSON',
    () => {
      const p = join(dir, 'text.json');
      writeFileSync(p, 'hello');
      return ['report', p];
    },
    /^bpfbench: .*text\.json: not JSON \(/,
  ],
  [
    'a file of another kind',
    () => ['report', abs('results/counter-overhead-1Mi.json')],
    /^bpfbench: .*counter-overhead-1Mi\.json is not a bpfbench run, sweep or peers result \(schemaVersion 1\): it has no schemaVersion$/,
  ],
  ['both outputs to stdout', () => ['report', abs(RUN1), '--html', '-', '--markdown', '-'], /^bpfbench: --html and --markdown cannot both go to stdout \('-'\): name a file for all but one$/],
  ['no file', () => ['report'], /^bpfbench: missing required argument 'files'$/],
];

for (const [what, args, message] of badCli) {
  test(`bpfbench report with ${what}: one line, exit 2, nothing written`, () => {
    const out = join(dir, `${what.replace(/\W+/g, '-')}.html`);
    const argv = args();
    const r = runCli(argv[1] === undefined ? argv : [...argv, ...(argv.includes('--html') ? [] : ['--html', out])]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, message);
    assert.throws(() => readFileSync(out), /ENOENT/);
  });
}
