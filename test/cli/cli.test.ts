// bin/bpfbench as a user runs it: exit codes, one-line errors, the table,
// the JSON result, colour switches, a line per phase off a terminal, maps
// that exist (--pin, --map-id), and SIGINT/SIGTERM during a run.
import assert from 'node:assert/strict';
import { onlineCpus } from '../../src/bpf/maps/cpus.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { MapType } from '../../src/bpf/syscall/constants.js';
import { BpfError, Errno } from '../../src/bpf/syscall/bpf-errors.js';
import { BpfMap } from '../../src/bpf/maps/map.js';
import { PUBLISHED_FILE } from '../../src/paths.js';
import { fmtDuration, fmtInt, fmtNsPerEntry } from '../../src/report/formats/format.js';
import { BIN, filledHashMap, ITER, runCli } from '../helpers.js';
import { firstBatch, predictWalk, zeroSeedBuckets } from '../bpf/maps/zero-seed.js';

const SMALL = ['--entries', '65536', '--runs', '2', '--warmup', '0'];

/** A phase line on stderr (off a terminal) → its phase; anything else is kept whole, to show in a failed comparison. */
const PHASE_LINE = /^bpfbench: (.+) … done in \d+(\.\d+)? (ns|µs|ms|s|min)$/;
const phaseOf = (line: string): string => PHASE_LINE.exec(line)?.[1] ?? `(not a phase line) ${line}`;
const ANSI = /\x1b\[/;

const badInputs: [string, string[], RegExp][] = [
  ['--chunk 0', ['run', '--chunk', '0'], /--chunk must be between 1/],
  ['--chunk abc', ['run', '--chunk', 'abc'], /'abc' is not a whole number/],
  ['--entries -5', ['run', '--entries', '-5'], /entries/],
  ['--entries 2^33', ['run', '--entries', '2^33'], /'2\^33' is not a whole number/],
  ['--entries 8589934592', ['run', '--entries', '8589934592'], /--entries must be between 1 and 4,294,967,295/],
  ['--entries 0', ['run', '--entries', '0'], /--entries must be between 1/],
  ['unknown strategy', ['run', '--strategies', 'elem,bogus'], /unknown strategy 'bogus'/],
  ['repeated strategy', ['run', '--strategies', 'elem,elem'], /lists one twice/],
  ['--max-entries < --entries', ['run', '--entries', '1000', '--max-entries', '999'], /--max-entries \(999\) must be at least --entries \(1,000\)/],
  ['unknown fill', ['run', '--fill', 'magic'], /--fill must be one of: prog, batch, elem/],
  ['--runs 0', ['run', '--runs', '0'], /--runs must be between 1/],
  ['unknown flag', ['run', '--frobnicate'], /unknown option '--frobnicate'/],
  ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
  ['unknown map flag', ['run', '--map-flags', 'fast'], /unknown map flag 'fast'/],
  ['unknown map type', ['run', '--map-type', 'ringbuf'], /argument 'ringbuf' is invalid\. Allowed choices are hash, array/],
  ['--key-size 0', ['run', '--key-size', '0'], /--key-size must be between 1/],
  ['--fill prog on a per-CPU map', ['run', '--entries', '1000', '--map-type', 'percpu_hash', '--fill', 'prog'], /--fill prog writes the u32 → u32 hash map/],
  ['a drain on an array', ['run', '--entries', '1000', '--map-type', 'array', '--strategies', 'elem-delete'], /maps cannot delete entries/],
  ['unknown loop', ['run', '--loop', 'rust'], /--loop must be one of: native, js\./],
  ['unknown sweep loop', ['sweep', '--loop', 'c'], /--loop must be one of: native, js\./],
  ['unknown reproduce loop', ['reproduce', '--loop', ''], /--loop must be one of: native, js\./],
  ['unknown peers loop', ['peers', '--loops', 'native,rust'], /unknown loop 'rust' \(known: native, js\)/],
  ['repeated peers loop', ['peers', '--loops', 'js,js'], /--loops lists one twice/],
  ['--threads 0', ['run', '--strategies', 'batch-sharded', '--threads', '0'], /--threads must be between 1/],
  ['--threads above the online CPUs × 4', ['run', '--strategies', 'batch-sharded', '--threads', String(onlineCpus() * 4 + 1)], /--threads \d+: at most \d+ \(4 per online CPU, \d+ online\)/],
  ['--threads with no sharded strategy', ['run', '--strategies', 'elem,batch', '--threads', '2'], /--threads: none of elem, batch uses it/],
  ['a sharded read in the js loop', ['run', '--strategies', 'batch-sharded', '--loop', 'js'], /batch-sharded: runs in the native loop only/],
  ['a sharded drain on an array', ['run', '--entries', '1000', '--map-type', 'array', '--strategies', 'batch-delete-sharded'], /batch-delete-sharded: array maps cannot delete entries/],
];

for (const [what, args, message] of badInputs) {
  test(`bad input (${what}) exits 2 with one line`, () => {
    const r = runCli(args);
    assert.equal(r.status, 2, `stderr: ${r.stderr}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
    assert.match(lines[0]!, /^bpfbench: /);
    assert.match(lines[0]!, message);
  });
}

test('a map larger than available memory is refused before creation, exit 1, one line', () => {
  const r = runCli(['run', '--entries', '2000000000']);
  assert.equal(r.status, 1);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^bpfbench: a 2,000,000,000-entry map needs about \d+\.\d GiB of kernel memory .* only \d+\.\d GiB is available: use fewer --entries/);
});

// Without privilege: uid 0 with every capability dropped (inheritable, ambient
// and bounding sets empty, so the exec gains none), not another user: such a
// process still reads the files root owns, so the test runs from a checkout
// no other user can read (a clone under a 0700 home or `mktemp -d`).
const NO_CAPS = ['setpriv', '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--no-new-privs', '--'];

test('without privilege: one line naming root and CAP_BPF, exit 1', () => {
  const caps = spawnSync(NO_CAPS[0]!, [...NO_CAPS.slice(1), 'grep', '^CapEff:', '/proc/self/status'], { encoding: 'utf8' });
  assert.equal(caps.stdout, 'CapEff:\t0000000000000000\n', `no capability left: ${caps.stderr}`);
  const r = runCli(['run', ...SMALL], {}, NO_CAPS);
  assert.equal(r.status, 1, `stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /root.*CAP_BPF/);
});

test('a chunk smaller than a bucket grows on ENOSPC and says so; --strict-chunk fails with one line', () => {
  // Zero seed: the bucket layout, so the growths and calls, are known (test/bpf/maps/zero-seed.ts).
  const want = predictWalk(zeroSeedBuckets(65536), 1, true);
  const g = runCli(['run', ...SMALL, '--map-flags', 'zero_seed', '--strategies', 'batch', '--chunk', '1', '--json', '-']);
  assert.equal(g.status, 0, g.stderr);
  const j = JSON.parse(g.stdout);
  const b = j.results[0];
  assert.equal(b.verified.ok, true);
  assert.ok(want.growths >= 1);
  assert.equal(b.chunkGrowths, want.growths);
  assert.equal(b.effectiveChunk, want.chunk);
  // The first audit (an untimed read of its own, --warmup 0) grew the chunk; so the strategy was
  // audited again at the grown chunk, the one the timed reads start from: the two agree.
  const grown = predictWalk(zeroSeedBuckets(65536), want.chunk).calls;
  assert.deepEqual(b.syscalls.kernel.bpf, { LOOKUP_BATCH: grown }, 'the audit read, at the grown chunk');
  assert.deepEqual(b.syscalls.bpf, { LOOKUP_BATCH: grown }, 'the first timed read');
  assert.equal(b.syscalls.matchesAudit, true);
  assert.match(g.stderr, new RegExp(`batch\\(1\\): a hash bucket held more than 1 entries \\(ENOSPC\\): the chunk grew ${want.growths}× to ${want.chunk}`));

  const r = runCli(['run', ...SMALL, '--strategies', 'batch', '--chunk', '1', '--strict-chunk']);
  assert.equal(r.status, 1);
  // The phases that ended, then the error: one line.
  const lines = r.stderr.trimEnd().split('\n');
  assert.deepEqual(lines.slice(0, -1).map(phaseOf), ['create map (65,536 entries)', 'fill (prog)'], r.stderr);
  assert.match(lines[lines.length - 1]!, /^bpfbench: bpf LOOKUP_BATCH failed: ENOSPC \(the next hash bucket holds more than --chunk 1 entries\)$/);
});

test('run prints the table and summary, writes the JSON result atomically', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-'));
  const out = join(dir, 'out.json');
  const r = runCli(['run', ...SMALL, '--map-flags', 'zero_seed', '--chunk', '512', '--json', out]);
  assert.equal(r.status, 0, r.stderr);
  // Off a terminal: one plain line per phase as it ends, with its time.
  assert.deepEqual(
    r.stderr.trimEnd().split('\n').map(phaseOf),
    ['create map (65,536 entries)', 'fill (prog)', 'elem audit', 'elem run 1', 'elem run 2', 'batch(512) audit', 'batch(512) run 1', 'batch(512) run 2'],
    r.stderr,
  );
  assert.doesNotMatch(r.stdout, ANSI, 'no colour when stdout is not a terminal');
  assert.match(r.stdout, /strategy +verified +wall +ns +bpf calls +alloc +GCs +speedup/);
  assert.match(r.stdout, /^elem +ok .* 2\.00 ✓ /m);
  assert.match(r.stdout, /^batch\(512\) +ok .* ✓ /m);
  assert.match(r.stdout, /✓ = the kernel counted the same bpf calls as bpfbench/);
  assert.match(r.stdout, /batch\(512\) read 65,536 entries \d+\.\d+( ± \d+\.\d+)?× faster than elem/);
  assert.deepEqual(readdirSync(dir), ['out.json'], 'no temp file left behind');

  const j = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(j.schemaVersion, 1);
  assert.equal(j.tool.name, 'bpfbench');
  for (const k of ['kernel', 'cpuModel', 'cpus', 'memTotalBytes', 'node', 'koffi', 'libbpf']) assert.ok(k in j.context, k);
  assert.deepEqual(
    {
      mapType: j.config.mapType,
      keySize: j.config.keySize,
      valueSize: j.config.valueSize,
      entries: j.config.entries,
      maxEntries: j.config.maxEntries,
      chunk: j.config.chunk,
      fill: j.config.fill,
      runs: j.config.runs,
    },
    { mapType: 'hash', keySize: 4, valueSize: 4, entries: 65536, maxEntries: 65536, chunk: 512, fill: 'prog', runs: 2 },
  );
  assert.equal(j.fill.method, 'prog');
  assert.deepEqual(j.fill.bpfCalls, { PROG_TEST_RUN: 1 });
  assert.ok(j.fill.wallNs > 0);
  const [e, b] = j.results;
  assert.equal(e.strategy, 'elem');
  assert.equal(e.verified.ok, true);
  assert.equal(e.verified.entries, 65536);
  assert.equal(e.verified.distinct, 65536);
  assert.equal(e.verified.keySumOk, true);
  assert.equal(e.verified.badValues, 0);
  assert.deepEqual(e.syscalls.bpf, { GET_NEXT_KEY: 65537, LOOKUP_ELEM: 65536 });
  assert.deepEqual(e.syscalls.kernel.bpf, { GET_NEXT_KEY: 65537, LOOKUP_ELEM: 65536 });
  assert.equal(e.syscalls.kernel.bpfTotal, 2 * 65536 + 1);
  assert.ok(e.syscalls.kernel.total >= e.syscalls.kernel.bpfTotal);
  assert.equal(e.syscalls.agree, true);
  assert.equal(e.syscalls.kernelCountedRead, 'audit', 'with --warmup 0 an untimed read of its own is audited, never a timed one');
  assert.deepEqual([e.syscalls.countedBy, e.syscalls.read, e.syscalls.audit.read, e.syscalls.matchesAudit], ['self', 'run 1', 'full', true]);
  assert.equal(j.config.kernelCount, true);
  for (const k of ['heapUsedDeltaBytes', 'externalDeltaBytes', 'rssPeakBytes', 'allocatedBytes', 'allocatedBytesPerEntry', 'gcCount', 'gcPauseNs']) assert.equal(typeof e.memory[k], 'number', k);
  assert.ok(e.memory.rssPeakBytes > 10e6);
  assert.equal(e.syscalls.bpfTotal, 2 * 65536 + 1);
  assert.equal(e.wallNs.samples.length, 2);
  for (const k of ['mean', 'sd', 'median', 'min', 'max']) assert.equal(typeof e.wallNs[k], 'number', k);
  assert.ok(e.nsPerEntry > 0 && e.cpu.userNs + e.cpu.sysNs > 0);
  assert.equal(typeof e.memory.heapUsedDeltaBytes, 'number');
  assert.equal(typeof e.memory.gcCount, 'number');
  assert.equal(b.strategy, 'batch');
  assert.equal(b.chunk, 512);
  assert.equal(b.verified.ok, true);
  assert.deepEqual(Object.keys(b.syscalls.bpf), ['LOOKUP_BATCH']);
  assert.deepEqual(b.syscalls.kernel.bpf, b.syscalls.bpf);
  assert.equal(b.syscalls.bpf.LOOKUP_BATCH, predictWalk(zeroSeedBuckets(65536), 512).calls);
  assert.equal(j.summary.ok, true);
  // Each strategy's speedup is elem's median time over its own.
  for (const x of j.results) assert.ok(Math.abs(j.summary.speedup[x.strategy] - e.wallNs.median / x.wallNs.median) < 1e-9, x.strategy);
});

test('--json - puts only JSON on stdout and the table on stderr', () => {
  const r = runCli(['run', ...SMALL, '--strategies', 'batch', '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.results.length, 1);
  assert.equal(j.results[0].label, 'batch(4096)');
  assert.match(r.stderr, /batch\(4096\) read 65,536 entries in /);
  // The phases go to stderr too, before the table.
  const lines = r.stderr.split('\n');
  assert.deepEqual(lines.slice(0, 5).map(phaseOf), ['create map (65,536 entries)', 'fill (prog)', 'batch(4096) audit', 'batch(4096) run 1', 'batch(4096) run 2']);
  assert.equal(lines.filter((l) => PHASE_LINE.test(l)).length, 5);
});

test('a wrong read is reported FAILED and the run exits 1', () => {
  const r = runCli(['run', ...SMALL, '--map-flags', 'zero_seed', '--strategies', 'batch,batch-fixed-cursor', '--chunk', '1024', '--json', '-']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^batch-fixed-cursor\(1024\) +FAILED/m);
  assert.match(r.stderr, /FAILED batch-fixed-cursor\(1024\): .*distinct keys of 65,536/);
  const j = JSON.parse(r.stdout);
  assert.equal(j.summary.ok, false);
  assert.deepEqual(j.summary.failed, ['batch-fixed-cursor(1024)']);
  const fixed = j.results[1];
  assert.equal(fixed.verified.ok, false);
  // Every call re-reads the first batch of the zero-seed layout.
  const first = firstBatch(zeroSeedBuckets(65536), 1024);
  assert.equal(fixed.verified.distinct, first);
  assert.equal(fixed.syscalls.bpf.LOOKUP_BATCH, 64);
  assert.equal(fixed.counted, 64 * first);
});

test('colour: forced on a pipe with FORCE_COLOR, off with NO_COLOR or --no-color', () => {
  const args = ['run', '--entries', '4096', '--runs', '1', '--strategies', 'batch'];
  assert.match(runCli(args, { FORCE_COLOR: '1' }).stdout, ANSI);
  assert.doesNotMatch(runCli(args, { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout, ANSI);
  assert.doesNotMatch(runCli([...args, '--no-color'], { FORCE_COLOR: '1' }).stdout, ANSI);
});

test('--no-kernel-count leaves the kernel count out and says so; --verbose adds the detail table', () => {
  const r = runCli(['run', ...SMALL, '--strategies', 'batch', '--no-kernel-count', '--verbose', '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.config.kernelCount, false);
  assert.equal(j.results[0].syscalls.kernel, null);
  assert.equal(j.results[0].syscalls.agree, null);
  assert.match(r.stderr, /kernel syscall count off \(--no-kernel-count\)/);
  assert.match(r.stderr, /bpf calls \(kernel\) +│ not counted/);
  assert.match(r.stderr, /CPU user \/ sys/);
});

test('--help and --version exit 0', () => {
  const h = runCli(['run', '--help']);
  assert.equal(h.status, 0);
  for (const flag of ['--entries', '--max-entries', '--chunk', '--strategies', '--fill', '--runs', '--warmup', '--json', '--no-color', '--debug', '--no-kernel-count', '--verbose'])
    assert.ok(h.stdout.includes(flag), flag);
  const v = runCli(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
});

test('run --help: map, read, measurement, baseline and output options in groups, --entries before --max-entries', () => {
  const h = runCli(['run', '--help']);
  assert.equal(h.status, 0, h.stderr);
  const groups = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of h.stdout.split('\n')) {
    const heading = /^(\w[\w ]* options):$/.exec(line);
    if (heading) groups.set(heading[1]!, (current = []));
    else if (current && /^ {2}(-\w, )?--[\w-]+/.test(line)) current.push(/--[\w-]+/.exec(line)![0]);
  }
  assert.deepEqual([...groups.keys()], ['Map options', 'Read options', 'Measurement options', 'Writer options', 'Baseline options', 'Output options']);
  const map = groups.get('Map options')!;
  assert.deepEqual(map.slice(0, 5), ['--map-type', '--key-size', '--value-size', '--entries', '--max-entries']);
  for (const later of ['--map-flags', '--fill', '--pin', '--map-id']) assert.ok(map.indexOf(later) > map.indexOf('--max-entries'), later);
  assert.deepEqual(groups.get('Read options'), ['--strategies', '--chunk', '--strict-chunk', '--threads', '--loop']);
  assert.deepEqual(groups.get('Measurement options'), ['--runs', '--warmup', '--budget', '--precision', '--no-kernel-count']);
  assert.deepEqual(groups.get('Writer options'), ['--writers', '--write-rate', '--write-mix', '--volatile-every']);
  for (const f of ['--json', '--export-markdown', '--verbose', '--no-color', '--debug', '--help']) assert.ok(groups.get('Output options')!.includes(f), f);
  const all = [...groups.values()].flat();
  assert.equal(new Set(all).size, all.length, 'each option listed once');
});

/** `--help` of a command: option names by help group. */
function helpGroups(args: string[]): Map<string, string[]> {
  const h = runCli([...args, '--help']);
  assert.equal(h.status, 0, h.stderr);
  const groups = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of h.stdout.split('\n')) {
    const heading = /^(\w[\w ]* options):$/.exec(line);
    if (heading) groups.set(heading[1]!, (current = []));
    else if (current && /^ {2}(-\w, )?--[\w-]+/.test(line)) current.push(/--[\w-]+/.exec(line)![0]);
  }
  return groups;
}

test('--loop is a read option of run, sweep and reproduce (default native); peers has --loops (default native,js)', () => {
  for (const cmd of ['run', 'sweep', 'reproduce']) assert.ok(helpGroups([cmd]).get('Read options')!.includes('--loop'), cmd);
  assert.ok(helpGroups(['peers']).get('Read options')!.includes('--loops'));
  assert.match(runCli(['run', '--help']).stdout, /--loop <where> +where the read loop runs: native .* or js .*\(default: "native"\)/s);
  assert.match(runCli(['peers', '--help']).stdout, /--loops <list>[\s\S]*\(default: native,js\)/);
});

test('run --loop js and --loop native: the same reads, config.loop and the header name the loop', () => {
  const by: Record<string, { config: { loop: string }; results: { syscalls: { bpf: Record<string, number> }; verified: { ok: boolean }; counted: number }[] }> = {};
  for (const loop of ['js', 'native']) {
    const r = runCli(['run', ...SMALL, '--map-flags', 'zero_seed', '--strategies', ITER ? 'elem,batch,iter' : 'elem,batch', '--loop', loop, '--json', '-']);
    assert.equal(r.status, 0, r.stderr);
    by[loop] = JSON.parse(r.stdout);
    assert.equal(by[loop]!.config.loop, loop);
    assert.match(r.stderr, new RegExp(`^bpfbench run: hash u32→u32, 65,536 entries, loop ${loop}$`, 'm'));
  }
  const calls = (loop: string) => by[loop]!.results.map((x) => [x.verified.ok, x.counted, x.syscalls.bpf]);
  assert.deepEqual(calls('native'), calls('js'));
  assert.deepEqual(by.native!.results[0]!.syscalls.bpf, { GET_NEXT_KEY: 65537, LOOKUP_ELEM: 65536 });
  // Without --loop: native.
  const d = runCli(['run', '--entries', '4096', '--runs', '1', '--strategies', 'batch', '--json', '-']);
  assert.equal(d.status, 0, d.stderr);
  assert.equal(JSON.parse(d.stdout).config.loop, 'native');
});

test('sweep --loop js and reproduce --loop js name the js loop in their results', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-sweep-js-'));
  try {
    const s = runCli(['sweep', '--entries', '16Ki', '--chunks', '256', '--runs', '1', '--warmup', '0', '--loop', 'js', '--out-dir', dir, '--json', '-']);
    assert.equal(s.status, 0, s.stderr);
    const j = JSON.parse(s.stdout);
    assert.equal(j.config.loop, 'js');
    assert.ok(j.points.every((p: { verified: boolean }) => p.verified));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const r = runCli(['reproduce', '--entries', '65536', '--runs', '1', '--loop', 'js', '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.config.loop, 'js');
  assert.equal(j.reproduction.flawReproduced, true);
  assert.match(r.stderr, /^bpfbench run: .*, loop js$/m);
});

test('reproduce --entries 262144: the side-by-side table, the flaw exposed, exit 0', () => {
  const r = runCli(['reproduce', '--entries', '262144', '--map-flags', 'zero_seed', '--runs', '1', '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stderr;
  assert.match(out, /The published Go experiment, side by side/);
  // The published rows: its totals, and the per-entry figures derived from them.
  const pub = JSON.parse(readFileSync(PUBLISHED_FILE, 'utf8'));
  for (const [label, p] of [
    ['elem', pub.results.elem],
    ['batch-fixed-cursor\\(4096\\)', pub.results.batch],
  ] as const) {
    const perEntry = [fmtNsPerEntry((p.wallS * 1e9) / p.count), (p.allocatedBytes / p.count).toFixed(1), ((p.gcCount / p.count) * 1024 * 1024).toFixed(1)];
    const row = `^${label} +Go, published +unchecked +${fmtDuration(p.wallS * 1e9)} +${fmtInt(p.count)} +— +${perEntry[0]} +— +${perEntry[1]} +${perEntry[2]}$`;
    assert.match(out, new RegExp(row.replace(/\./g, '\\.'), 'm'));
  }
  // The flawed loop re-read the first batch of the zero-seed layout 64 times.
  const first = firstBatch(zeroSeedBuckets(262144), 4096);
  assert.match(out, new RegExp(`^ +bpfbench +FAILED .* ${fmtInt(64 * first)} +${fmtInt(first)} `, 'm'));
  assert.match(out, /^batch\(4096\) +bpfbench +ok /m);
  assert.match(out, /distinct keys of 262,144 \(verification FAILED, as expected\)/);
  const j = JSON.parse(r.stdout);
  assert.equal(j.reproduction.flawReproduced, true);
  assert.equal(j.reproduction.ok, true);
  // The published speedup shown is the published times' ratio (elem over batch), to its 2 decimals.
  const published = pub.results.elem.wallS / pub.results.batch.wallS;
  assert.ok(Math.abs(j.reproduction.speedup.published - published) < 0.005, `${j.reproduction.speedup.published} vs ${published}`);
  assert.match(out, new RegExp(`speedup over per element: published ${published.toFixed(2).replace('.', '\\.')}×`));
  assert.equal(j.config.loop, 'native');
  const fixed = j.results.find((x: { strategy: string }) => x.strategy === 'batch-fixed-cursor');
  assert.equal(fixed.verified.distinct, first);
  assert.equal(fixed.counted, 64 * first);
  assert.equal(fixed.syscalls.bpf.LOOKUP_BATCH, 262144 / 4096);
  assert.ok(j.reproduction.speedup.correct > 1);
});

type Json = { [k: string]: any };

test('peers: bpfbench, C, Go and bpftool read one pinned map; every result verified; every bpf call counted by the kernel; pin removed', () => {
  const entries = 65536;
  const r = runCli(['peers', '--entries', '64Ki', '--rounds', '1', '--strategies', 'elem,batch,batch-fixed-cursor', '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.kind, 'peers');
  const impls = new Set(j.results.map((x: Json) => x.impl));
  assert.ok(impls.has('ts') && impls.has('c'), `implementations: ${[...impls].join(',')}`);
  // A peer is skipped only when its tools are not installed; one that does not build fails the run (exit 1).
  for (const s of j.skipped) {
    assert.equal(s.broken, false, `${s.impl}: ${s.why}`);
    assert.match(s.why, /not installed/, 'a skip says why');
  }
  for (const impl of ['go', 'bpftool']) assert.ok(impls.has(impl) || j.skipped.some((s: Json) => s.impl === impl), `${impl} ran or was skipped with a reason`);
  // Under CI nothing passes by skipping: Go (with cilium/ebpf) and bpftool must have read.
  if (process.env.CI === 'true' || process.env.BPFBENCH_REQUIRE_ALL === '1')
    for (const impl of ['go', 'bpftool']) assert.ok(impls.has(impl), `${impl} is required under CI: ${j.skipped.find((s: Json) => s.impl === impl)?.why}`);
  // The published loop, in every implementation, re-reads the same first batch of this one map:
  // the same distinct keys, counted once per call (65,536 / 4,096 calls).
  const firstBatchOf = j.results.find((x: Json) => x.impl === 'ts' && x.strategy === 'batch-fixed-cursor').verified.distinct;
  assert.ok(firstBatchOf > 0 && firstBatchOf <= 4096, `${firstBatchOf} distinct`);
  for (const x of j.results) {
    if (x.strategy === 'batch-fixed-cursor') {
      assert.equal(x.verified.ok, false, `${x.impl}: the published loop fails`);
      assert.equal(x.verified.distinct, firstBatchOf, `${x.impl}: the same first batch`);
      assert.equal(x.verified.entries, (entries / 4096) * firstBatchOf, `${x.impl}: counted once per call`);
    } else {
      assert.equal(x.verified.ok, true, `${x.impl} ${x.strategy}: ${x.verified.problems.join('; ')}`);
      assert.equal(x.verified.entries, entries);
    }
    assert.equal(x.impl === 'ts', x.loop !== undefined, "bpfbench's rows name their loop, the others none");
    // Every count says who counted it; the table's is the kernel's.
    assert.equal(x.bpfCalls.countedBy, 'kernel', `${x.impl} ${x.strategy}`);
    assert.equal(x.bpfCalls.covers, x.impl === 'bpftool' ? 'process' : 'read');
    if (x.selfBpfCalls !== null) {
      assert.equal(x.selfBpfCalls.countedBy, 'self');
      assert.equal(x.selfBpfCalls.agrees, true);
    }
    assert.equal(x.selfBpfCalls !== null, x.impl === 'ts' || x.impl === 'c', 'bpfbench and C count their own calls; Go and bpftool do not');
    if (x.processBpfCalls !== null) assert.equal(x.processBpfCalls.countedBy, 'kernel');
  }
  const cell = (impl: string, strategy: string) => j.results.find((x: Json) => x.impl === impl && x.strategy === strategy);
  // bpfbench: a row per loop (default native,js), each audited.
  assert.deepEqual(
    j.results.filter((x: Json) => x.impl === 'ts' && x.strategy === 'elem').map((x: Json) => x.loop),
    ['native', 'js'],
  );
  for (const x of j.results.filter((y: Json) => y.strategy === 'elem' && ['ts', 'c', 'go'].includes(y.impl))) {
    assert.deepEqual(x.bpfCalls.calls, { GET_NEXT_KEY: entries + 1, LOOKUP_ELEM: entries }, `${x.impl} ${x.loop ?? ''} elem, kernel-counted`);
  }
  assert.deepEqual(cell('c', 'elem').selfBpfCalls.calls, { GET_NEXT_KEY: entries + 1, LOOKUP_ELEM: entries });
  // One map, one bucket layout: every reader makes the same LOOKUP_BATCH calls (the fixed cursor's: entries / chunk).
  for (const s of ['batch', 'batch-fixed-cursor']) {
    const counts = j.results.filter((x: Json) => x.strategy === s).map((x: Json) => JSON.stringify(x.bpfCalls.calls));
    assert.equal(new Set(counts).size, 1, `${s}: ${counts.join(' ')}`);
  }
  assert.deepEqual(cell('c', 'batch-fixed-cursor').bpfCalls.calls, { LOOKUP_BATCH: entries / 4096 });
  if (impls.has('bpftool')) {
    const b = cell('bpftool', 'elem').bpfCalls.calls;
    assert.ok(b.LOOKUP_ELEM >= entries && b.GET_NEXT_KEY >= entries + 1, JSON.stringify(b));
  }
  // Each row's ratio to C: its median time over C's for the same strategy, when both verified alike.
  for (const x of j.results) {
    const c = cell('c', x.strategy);
    const want = c && c.verified.ok === x.verified.ok ? x.wallNs.median / c.wallNs.median : null;
    if (want === null) assert.equal(x.ratioToC, null, `${x.impl} ${x.strategy}`);
    else assert.ok(Math.abs(x.ratioToC - want) < 1e-9, `${x.impl} ${x.strategy}: ${x.ratioToC} vs ${want}`);
  }
  assert.match(r.stderr, /implementation +strategy +verified/);
  assert.match(r.stderr, /bpf calls of one read,/);
  // Its pin is gone: no peers-<pid> pin of a process that has ended (other runs may hold theirs meanwhile).
  assert.deepEqual(
    readdirSync('/sys/fs/bpf/bpfbench').filter((f) => /^peers-\d+$/.test(f) && !existsSync(`/proc/${f.slice('peers-'.length)}`)),
    [],
    'pin removed',
  );
});

test('load → info → run --pin → unload: a pinned map outlives the loader and is verified across strategies', () => {
  const pin = `/sys/fs/bpf/bpfbench/test-${process.pid}`;
  try {
    const l = runCli(['load', '--entries', '50000', '--pin', pin]);
    assert.equal(l.status, 0, l.stderr);
    assert.match(l.stdout, new RegExp(`pinned ${pin}: hash, key 4 B, value 4 B, 50,000 entries`));
    const again = runCli(['load', '--entries', '10', '--pin', pin]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists/);

    const i = runCli(['info', '--pin', pin, '--json']);
    assert.equal(i.status, 0, i.stderr);
    const info = JSON.parse(i.stdout);
    assert.deepEqual([info.typeName, info.keySize, info.valueSize, info.maxEntries], ['hash', 4, 4, 50000]);
    assert.ok(info.memlockBytes > 0);
    assert.match(runCli(['info', '--pin', pin]).stdout, /type hash, key 4 B, value 4 B, max_entries 50,000/);

    const r = runCli(['run', '--pin', pin, '--runs', '1', '--warmup', '0', '--strategies', 'elem,batch', '--json', '-']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.config.verification, 'cross-strategy');
    assert.equal(j.config.source, `pin:${pin}`);
    assert.equal(j.config.entries, 50000);
    assert.equal(j.fill, null);
    for (const x of j.results) {
      assert.equal(x.verified.ok, true, x.verified.problems.join('; '));
      assert.equal(x.verified.distinct, 50000);
    }
    assert.equal(j.results[0].verified.checksum, j.results[1].verified.checksum);
    assert.match(r.stderr, /existing map pin:.* verified across strategies/);

    const u = runCli(['unload', '--pin', pin]);
    assert.equal(u.status, 0, u.stderr);
    assert.equal(existsSync(pin), false);
    const u2 = runCli(['unload', '--pin', pin]);
    assert.equal(u2.status, 1);
    assert.match(u2.stderr, /OBJ_GET failed: ENOENT/);
  } finally {
    rmSync(pin, { force: true });
  }
});

test('run --map-id reads a map another process created and filled', () => {
  const map = filledHashMap(30_000);
  try {
    const r = runCli(['run', '--map-id', String(map.info.id), '--runs', '1', '--strategies', 'elem,batch', '--json', '-']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.config.source, `id:${map.info.id}`);
    assert.deepEqual(
      j.results.map((x: { verified: { ok: boolean; entries: number } }) => [x.verified.ok, x.verified.entries]),
      [
        [true, 30000],
        [true, 30000],
      ],
    );
    assert.deepEqual(j.results[0].syscalls.bpf, { GET_NEXT_KEY: 30001, LOOKUP_ELEM: 30000 });
  } finally {
    map.close();
  }
});

test('info needs a map; a map type bpfbench cannot read is refused with one line', () => {
  assert.equal(runCli(['info']).status, 2);
  const m = BpfMap.create({ type: MapType.percpu_hash, keySize: 4, valueSize: 4, maxEntries: 16 });
  try {
    const r = runCli(['run', '--map-id', String(m.info.id), '--runs', '1']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    assert.match(r.stderr, /reads hash, lru_hash and array maps with 4-byte keys and values; this one is percpu_hash/);
  } finally {
    m.close();
  }
});

test('sweep: a table, the fastest chunk, and json/svg/md files in --out-dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-sweep-'));
  const r = runCli(['sweep', '--entries', '16Ki,32Ki', '--chunks', '1,256', '--runs', '1', '--warmup', '0', '--out-dir', dir, '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.kind, 'sweep');
  assert.equal(j.config.loop, 'native');
  assert.match(r.stderr, /^bpfbench sweep: hash, 16Ki, 32Ki entries, loop native$/m);
  assert.equal(j.points.length, 2 * (1 + 2), 'elem + two chunks per size');
  assert.ok(j.points.every((p: { verified: boolean }) => p.verified));
  assert.equal(j.best.length, 2);
  assert.ok(
    j.points.some((p: { chunk: number; chunkGrowths: number }) => p.chunk === 1 && p.chunkGrowths > 0),
    'chunk 1 grew on ENOSPC',
  );
  assert.match(r.stderr, /fastest chunk: batch 16Ki: chunk/);
  const files = readdirSync(dir).sort();
  assert.equal(files.length, 3);
  assert.deepEqual(
    files.map((f) => f.replace(/^sweep-.*\./, '')),
    ['json', 'md', 'svg'],
  );
  assert.match(readFileSync(join(dir, files[2]!), 'utf8'), /<polyline class="series"/);
  assert.equal(runCli(['sweep', '--strategies', 'elem']).status, 2);
});

/** A pinned, filled map for a test (made by `bpfbench load`); remove() unpins it. */
function loadPinned(entries: number): { pin: string; remove(): void } {
  const pin = `/sys/fs/bpf/bpfbench/test-${process.pid}-${entries}`;
  rmSync(pin, { force: true });
  const l = runCli(['load', '--entries', String(entries), '--pin', pin]);
  assert.equal(l.status, 0, l.stderr);
  return { pin, remove: () => rmSync(pin, { force: true }) };
}

test('run --pin: --warmup auto goes by the pinned map (100,000 entries: one warmup read), not by --entries, which --pin ignores', () => {
  const m = loadPinned(100_000);
  try {
    const r = runCli(['run', '--pin', m.pin, '--runs', '1', '--strategies', 'elem,batch', '--json', '-']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.config.warmup, 1);
    for (const x of j.results) {
      assert.equal(x.warmupRuns, 1, x.label);
      assert.equal(x.syscalls.kernelCountedRead, 'warmup 1/1', `${x.label}: the warmup read is the audited one`);
    }
    assert.deepEqual(
      r.stderr
        .split('\n')
        .filter((l) => PHASE_LINE.test(l))
        .map(phaseOf),
      ['elem warmup 1/1', 'elem run 1', 'batch(4096) warmup 1/1', 'batch(4096) run 1'],
    );
    // --map-id: the same map, the same decision.
    const info = JSON.parse(runCli(['info', '--pin', m.pin, '--json']).stdout);
    const byId = runCli(['run', '--map-id', String(info.id), '--runs', '1', '--strategies', 'batch', '--json', '-']);
    assert.equal(byId.status, 0, byId.stderr);
    assert.equal(JSON.parse(byId.stdout).results[0].warmupRuns, 1);
  } finally {
    m.remove();
  }
});

test('run --pin / --map-id: flags that describe a map to make are refused by name, exit 2, one line; the map untouched', () => {
  const m = loadPinned(1000);
  try {
    const id = String(JSON.parse(runCli(['info', '--pin', m.pin, '--json']).stdout).id);
    const cases: [string[], string][] = [
      [['--pin', m.pin, '--entries', '100Mi'], '--entries describes a map to make; --pin reads one that exists, as it is: drop it'],
      [['--map-id', id, '--max-entries', '5000'], '--max-entries describes a map to make; --map-id reads one that exists, as it is: drop it'],
      [
        ['--pin', m.pin, '--map-type', 'lru_hash', '--key-size', '4', '--value-size', '8', '--fill', 'batch', '--map-flags', 'zero_seed'],
        '--map-type, --key-size, --value-size, --map-flags and --fill describe a map to make; --pin reads one that exists, as it is: drop them',
      ],
    ];
    for (const [args, line] of cases) {
      const r = runCli(['run', ...args, '--runs', '1']);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `bpfbench: ${line}\n`);
    }
    // A value equal to the default is still a flag given: refused too.
    assert.equal(runCli(['run', '--pin', m.pin, '--fill', 'auto']).status, 2);
    const info = JSON.parse(runCli(['info', '--pin', m.pin, '--json']).stdout);
    assert.deepEqual([info.typeName, info.maxEntries, info.flags], ['hash', 1000, 0]);
  } finally {
    m.remove();
  }
});

/** bin/bpfbench started in the background, its stderr collected. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '0' } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, stderr: () => stderr };
}

/** Polls `done` every 50 ms until it holds; fails after `ms`. */
async function until(done: () => boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !done(); await delay(50)) {
    if (Date.now() > end) assert.fail(`waited ${ms} ms for ${what}`);
  }
}

/** The ids of the BPF maps a process holds open (from its fdinfo). */
function mapIdsOf(pid: number): number[] {
  const ids: number[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:bpf-map') continue;
      const m = /^map_id:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.push(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return ids;
}

/** Whether the kernel still has a map of this id. */
function mapExists(id: number): boolean {
  try {
    BpfMap.openById(id).close();
    return true;
  } catch (e) {
    if (e instanceof BpfError && e.errno === Errno.ENOENT) return false;
    throw e;
  }
}

for (const [signal, code, word] of [
  ['SIGINT', 130, 'interrupted'],
  ['SIGTERM', 143, 'terminated'],
] as const) {
  test(`${signal} during a read stops the run at once: one line naming the phase, exit ${code}, the map it made gone`, async () => {
    // 1Mi entries, elem: each read takes seconds; the signal comes during the first (the audit: --warmup 0).
    const cli = startCli(['run', '--entries', '1Mi', '--strategies', 'elem', '--runs', '3', '--warmup', '0']);
    await until(() => /^bpfbench: fill \(prog\) … done in /m.test(cli.stderr()), 60_000, 'the fill phase line');
    await delay(1000);
    const ids = mapIdsOf(cli.child.pid!);
    assert.ok(ids.length > 0, 'the run holds its map');
    const sent = Date.now();
    cli.child.kill(signal);
    const exit = await cli.exited;
    assert.ok(Date.now() - sent < 2000, `stopped within a hand-over, not after the run (${Date.now() - sent} ms)`);
    assert.deepEqual(exit, { code, signal: null });
    const lines = cli.stderr().trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, -1).map(phaseOf), ['create map (1,048,576 entries)', 'fill (prog)']);
    assert.equal(lines[lines.length - 1], `bpfbench: ${word} during elem audit: map removed`);
    // Its maps (no pin holds them) are freed as the process ends.
    await until(() => ids.every((id) => !mapExists(id)), 10_000, `maps ${ids.join(', ')} to be freed`);
  });
}

test('SIGTERM during the fill stops it within 0.5 s: one line naming the fill, exit 143', async () => {
  // 4Mi entries: the fill (calls of 128Ki keys on each CPU) takes over a second; the signal comes inside it.
  const cli = startCli(['run', '--entries', '4Mi', '--strategies', 'batch', '--runs', '1']);
  await until(() => /^bpfbench: create map \(4,194,304 entries\) … done in /m.test(cli.stderr()), 60_000, 'the map created');
  await delay(150);
  assert.doesNotMatch(cli.stderr(), /fill \(prog\) … done/, 'still filling');
  const sent = Date.now();
  cli.child.kill('SIGTERM');
  const exit = await cli.exited;
  const took = Date.now() - sent;
  assert.deepEqual(exit, { code: 143, signal: null });
  assert.ok(took < 500, `exited ${took} ms after SIGTERM`);
  assert.match(cli.stderr().trimEnd().split('\n').pop()!, /^bpfbench: terminated during fill \(prog\)/);
});

test('SIGINT during run --pin: the line names the phase; the pinned map is left as it was', async () => {
  const m = loadPinned(100_000);
  try {
    const cli = startCli(['run', '--pin', m.pin, '--strategies', 'elem', '--runs', '100', '--warmup', '0', '--loop', 'js']);
    await until(() => /^bpfbench: elem run 1 … done in /m.test(cli.stderr()), 60_000, 'the first read');
    cli.child.kill('SIGINT');
    const exit = await cli.exited;
    assert.deepEqual(exit, { code: 130, signal: null });
    const last = cli.stderr().trimEnd().split('\n').pop()!;
    assert.match(last, /^bpfbench: interrupted (during|after) elem run \d+$/, 'no "map removed": the map is not this run\'s');
    assert.equal(existsSync(m.pin), true);
    const r = runCli(['run', '--pin', m.pin, '--runs', '1', '--strategies', 'batch', '--json', '-']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).results[0].verified.entries, 100_000);
  } finally {
    m.remove();
  }
});

test('every timed read records what disturbed it; --runs auto says why it stopped; --precision 0 or above 50 % is bad input', () => {
  const r = runCli(['run', '--entries', '16384', '--strategies', 'batch', '--runs', 'auto', '--budget', '5', '--precision', '50%', '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout).results[0];
  assert.equal(s.noise.length, s.wallNs.samples.length);
  for (const n of s.noise) {
    assert.ok(n.stealNs >= 0 && n.involuntarySwitches >= 0 && typeof n.disturbed === 'boolean');
    assert.ok(n.migrations === null || n.migrations >= 0);
  }
  assert.ok(['precision', 'budget', 'max runs'].includes(s.stoppedBy), s.stoppedBy);
  assert.match(r.stderr, /batch\(4096\): (no read disturbed|reads? [\d, ]+ of \d+ disturbed) \(steal .*; stopped: /);
  const fixed = runCli(['run', '--entries', '4096', '--strategies', 'batch', '--runs', '2', '--json', '-']);
  assert.equal(JSON.parse(fixed.stdout).results[0].stoppedBy, undefined, 'fixed runs stop at their count');
  for (const bad of ['0', '0%', '60%', '0.51']) {
    const p = runCli(['run', '--precision', bad]);
    assert.equal(p.status, 2, bad);
    assert.equal(p.stderr.trim().split('\n').length, 1, p.stderr);
    assert.match(p.stderr, /--precision must be above 0 % and at most 50 %/);
  }
  const b = runCli(['run', '--runs', 'auto', '--budget', '0']);
  assert.equal(b.status, 2);
  assert.match(b.stderr, /--budget must be between 1/);
});

test('the JSON context records the machine (mitigations, BPF JIT, hypervisor, SMT, clocksource, THP); the table and report show it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-machine-'));
  const file = join(dir, 'r.json');
  const r = runCli(['run', '--entries', '4096', '--strategies', 'batch', '--runs', '1', '--no-color', '--json', file]);
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(readFileSync(file, 'utf8')).context.machine;
  const vdir = '/sys/devices/system/cpu/vulnerabilities';
  const names = existsSync(vdir) ? readdirSync(vdir).sort() : [];
  assert.deepEqual(Object.keys(m.mitigations), names);
  for (const n of names) assert.equal(m.mitigations[n], readFileSync(join(vdir, n), 'utf8').trim());
  const jit = '/proc/sys/net/core/bpf_jit_enable';
  assert.equal(m.bpfJit.enable, existsSync(jit) ? readFileSync(jit, 'utf8').trim() : null);
  for (const k of ['hypervisor']) assert.equal(typeof m[k], 'string');
  for (const k of ['smt', 'clocksource', 'thp']) assert.ok(m[k] === null || typeof m[k] === 'string', k);
  assert.match(r.stdout, /^mitigations .* · BPF JIT .* · hypervisor .* · SMT .* · clocksource .* · THP .*$/m);
  const rep = runCli(['report', file, '--no-color']);
  assert.equal(rep.status, 0, rep.stderr);
  assert.match(rep.stdout, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: mitigations .* · THP `, 'm'));
  rmSync(dir, { recursive: true, force: true });
});

test('BPFBENCH_INJECT_NS: the native loop busy-waits after every syscall; the JSON records what the library read, the table says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-inject-'));
  const file = join(dir, 'r.json');
  const r = runCli(['run', '--entries', '4096', '--strategies', 'batch', '--runs', '1', '--no-color', '--json', file], { BPFBENCH_INJECT_NS: '2500' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(j.context.injectNs, 2500);
  // A lower bound, not a speed: every call waited at least 2500 ns inside the timed read.
  const calls = j.results[0].syscalls.bpfTotal;
  assert.ok(j.results[0].wallNs.min >= calls * 2500, `${j.results[0].wallNs.min} ns for ${calls} calls`);
  assert.match(r.stdout, /^INJECTED SLOWDOWN \(calibration\): the native loop busy-waited 2500 ns after every syscall \(BPFBENCH_INJECT_NS\)$/m);
  const plain = runCli(['run', '--entries', '4096', '--strategies', 'batch', '--runs', '1', '--no-color', '--json', '-']);
  assert.equal(JSON.parse(plain.stdout).context.injectNs, undefined, 'absent when not set');
  rmSync(dir, { recursive: true, force: true });
});

test('peers --gate: rounds until decided or the cap, the decision in the JSON, the exit code its verdict; bad references are one line, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-gate-'));
  const file = join(dir, 'p.json');
  const r = runCli(['peers', '--entries', '16384', '--impls', 'ts,c', '--loops', 'native', '--rounds', '2', '--gate', '1.0', '--max-rounds', '4', '--no-color', '--json', file]);
  const j = JSON.parse(readFileSync(file, 'utf8'));
  const g = j.gate;
  assert.deepEqual([g.reference, g.threshold, g.maxRounds], [1, 0.1, 4]);
  assert.ok(g.rounds >= 2 && g.rounds <= 4, String(g.rounds));
  assert.deepEqual(g.rows.map((x: { strategy: string }) => x.strategy).sort(), ['batch', 'elem']);
  for (const row of g.rows) {
    assert.ok(row.decision, row.why);
    assert.equal(row.decision.ratio.n, j.results.find((x: { impl: string; strategy: string }) => x.impl === 'ts' && x.strategy === row.strategy).runs);
    assert.ok(row.decision.ratio.lo <= row.decision.ratio.x && row.decision.ratio.x <= row.decision.ratio.hi);
  }
  // The exit code is the verdict's; a stop before the cap means every row was decided.
  assert.equal(r.status, { passed: 0, regressed: 3, undecided: 4 }[g.verdict as string], r.stderr);
  assert.equal(
    g.stop === 'decided',
    g.rows.every((x: { decision: { verdict: string } }) => x.decision.verdict !== 'undecided'),
  );
  assert.match(r.stdout, /^gate: (passed|regressed|undecided) after \d+ rounds/m);
  for (const [args, said] of [
    [['--gate', join(dir, 'none.json')], /--gate .*none\.json: neither a ratio \(e\.g\. 1\.0\) nor a readable peers result/],
    [['--gate', '1.0', '--rounds', '5', '--max-rounds', '3'], /--max-rounds 3 is below --rounds 5/],
  ] as const) {
    const b = runCli(['peers', '--entries', '4096', '--impls', 'ts,c', ...args]);
    assert.equal(b.status, 2, b.stderr);
    assert.equal(b.stderr.trim().split('\n').length, 1, b.stderr);
    assert.match(b.stderr, said);
  }
  rmSync(dir, { recursive: true, force: true });
});

test('peers --cpu N: every read of bpfbench (both loops) and of C ran on CPU N, as each read said; the CPU in the result; bad CPUs and sharded reads are one line, exit 2', () => {
  const online = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  const last = Number(online.split(/[-,]/).pop());
  for (const cpu of new Set([0, last])) {
    const r = runCli(['peers', '--entries', '16384', '--impls', 'ts,c', '--loops', 'native,js', '--rounds', '2', '--cpu', String(cpu), '--no-color', '--json', '-']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.config.cpu, cpu);
    assert.deepEqual(
      j.results.map((x: { impl: string; loop?: string; strategy: string; cpus: number[] }) => [x.impl, x.loop ?? '', x.strategy, x.cpus]),
      [
        ['ts', 'native', 'elem', [cpu]],
        ['ts', 'native', 'batch', [cpu]],
        ['ts', 'js', 'elem', [cpu]],
        ['ts', 'js', 'batch', [cpu]],
        ['c', '', 'elem', [cpu]],
        ['c', '', 'batch', [cpu]],
      ],
    );
    assert.ok(j.results.every((x: { verified: { ok: boolean } }) => x.verified.ok));
  }
  for (const [args, said] of [
    [['--cpu', '4000'], /^bpfbench: --cpu 4000: not an online CPU \(online: [\d,]+\)$/],
    [['--cpu', 'x'], /--cpu/],
    [['--cpu', '0', '--loops', 'native', '--strategies', 'batch-sharded'], /^bpfbench: --cpu 0: batch-sharded reads on several threads, one per CPU; --cpu pins single-thread reads$/],
  ] as const) {
    const b = runCli(['peers', '--entries', '4096', '--impls', 'ts,c', ...args]);
    assert.equal(b.status, 2, b.stderr);
    assert.equal(b.stderr.trim().split('\n').length, 1, b.stderr);
    assert.match(b.stderr.trim(), said);
  }
});
