// The npm package as a user gets it: `npm pack` (its prepack builds), then
// `npm install -g` of the tarball into a temporary prefix, then the installed
// `bpfbench` run with a PATH that holds node and nothing else: no clang, make
// or tsc, so no build tool can be what makes it work. Dependencies come from
// npm's cache or the registry. Every temporary file is under os.tmpdir().
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { BpfObject, libbpfVersion, ObjectLoadError } from '../../src/bpf/programs/loader.js';
import { Errno, errnoName } from '../../src/bpf/syscall/bpf-errors.js';
import { probeFeature } from '../../src/bpf/programs/features.js';
import { ALL_PROGS, MAP_NAME } from '../../src/harness/filling/bench-map.js';
import { ROOT } from '../../src/paths.js';
import { requireTool } from '../helpers.js';
import type { ProbeReport } from './installed-probe.js';
import { predictWalk, zeroSeedBuckets } from '../bpf/maps/zero-seed.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
/** Node's process.arch → the ELF e_machine its shared libraries carry. */
const ELF_MACHINE: Record<string, number> = { x64: 62, arm64: 183 };
const EM_BPF = 247;
const PUBLISHED = 'results/published/go-bpf-batch-test.json';
const LIBBPF_MISSING = 'bpfbench: libbpf.so.1 not found: install libbpf1 (Debian/Ubuntu: apt-get install libbpf1)';
const ENTRIES = 64 * 1024;

/** First `name` on `path` (a PATH string), or undefined. */
function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/** npm's own script (npm-cli.js), run with this node: the `npm` on PATH is a link to it. */
function npmCli(): string {
  const onPath = which('npm');
  const candidates = [onPath && realpathSync(onPath), join(dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js')];
  const found = candidates.find((c) => c?.endsWith('.js') && existsSync(c));
  assert.ok(found, `npm-cli.js not found (npm on PATH: ${onPath})`);
  return found;
}

/** This environment without npm's lifecycle variables (the suite may run under `npm test`). */
const cleanEnv = (extra: Record<string, string>): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
};

const show = (r: SpawnSyncReturns<string>) => `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}${r.error ? ` ${r.error}` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** The first 20 bytes of an ELF file: class, byte order, type and machine. */
function elfHeader(path: string): { magic: boolean; class64: boolean; little: boolean; type: number; machine: number } {
  const b = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, b, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  return { magic: b.readUInt32BE(0) === 0x7f454c46, class64: b[4] === 2, little: b[5] === 1, type: b.readUInt16LE(16), machine: b.readUInt16LE(18) };
}

/** Every path under `dir`, relative to it. */
const pathsUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' });

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
}

let tmp = '';
let packed: Packed;
let tarball = '';
let listing: string[] = [];
let prefix = '';
let installed = '';
/** PATH for the installed bpfbench: a folder holding only a link to node, then the prefix's bin. */
let runPath = '';

const runEnv = () => ({ PATH: runPath, HOME: tmp, FORCE_COLOR: '0' });
const bpfbench = (args: string[]) => spawnSync(join(prefix, 'bin', 'bpfbench'), args, { cwd: tmp, env: runEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'bpfbench-package-'));
  const npm = npmCli();

  // Pack from the checkout, as a release would: prepack runs `make package`.
  const pack = spawnSync(process.execPath, [npm, 'pack', '--json', '--pack-destination', tmp], {
    cwd: ROOT,
    env: cleanEnv({}),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
    maxBuffer: 16 << 20,
  });
  assert.equal(pack.status, 0, `npm pack failed: ${show(pack)}`);
  [packed] = JSON.parse(pack.stdout) as [Packed];
  tarball = join(tmp, packed.filename);
  const tar = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8' });
  assert.equal(tar.status, 0, show(tar));
  listing = tar.stdout.split('\n').filter(Boolean);

  // Install with build tools out of reach: node, and sh for npm's install scripts.
  const installTools = join(tmp, 'install-tools');
  const runTools = join(tmp, 'run-tools');
  mkdirSync(installTools);
  mkdirSync(runTools);
  symlinkSync(process.execPath, join(installTools, 'node'));
  symlinkSync(process.execPath, join(runTools, 'node'));
  const sh = ['/bin/sh', '/usr/bin/sh'].find((p) => existsSync(p));
  if (sh) symlinkSync(sh, join(installTools, 'sh'));
  prefix = join(tmp, 'prefix');
  const install = spawnSync(process.execPath, [npm, 'install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--no-update-notifier', tarball], {
    cwd: tmp,
    env: cleanEnv({ PATH: installTools }),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
  });
  assert.equal(install.status, 0, `npm install -g of the tarball failed: ${show(install)}`);
  installed = join(prefix, 'lib', 'node_modules', pkg.name);
  runPath = [runTools, join(prefix, 'bin')].join(delimiter);
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the tarball holds the compiled JavaScript, the prebuilt object and library, and no tests, results, sources or source maps', (t) => {
  t.diagnostic(`${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.entryCount} files`);
  assert.equal(listing.length, packed.entryCount, 'tar lists the files npm says it packed');
  // The size the docs quote is this one, measured (within 10 %: it moves a little with every change).
  const quoted = /`bpfbench-[\d.]+\.tgz` \(~(\d+) kB/.exec(readFileSync(join(ROOT, 'docs/ci-and-fleets.md'), 'utf8'));
  assert.ok(quoted, 'docs/ci-and-fleets.md quotes the tarball size');
  assert.ok(Math.abs(Number(quoted[1]) * 1000 - packed.size) <= 0.1 * packed.size, `docs say ~${quoted[1]} kB, npm pack made ${packed.size} bytes`);
  const files = listing.map((f) => f.replace(/^package\//, ''));
  assert.ok(files.includes(`dist/prebuilt/${process.arch}/bench.bpf.o`), `no prebuilt BPF object for ${process.arch}`);
  assert.ok(files.includes(`dist/prebuilt/${process.arch}/libbpfbench.so`), `no prebuilt native read loop for ${process.arch}`);
  for (const f of ['package.json', 'bin/bpfbench', 'dist/src/cli/main.js', PUBLISHED]) assert.ok(files.includes(f), `${f} missing`);
  // The results contract ships for the tools that read bpfbench's JSON (each result's `$schema` names one).
  for (const k of ['run', 'sweep', 'peers', 'compare']) assert.ok(files.includes(`schema/${k}.schema.json`), `schema/${k}.schema.json missing`);

  const banned: [string, RegExp][] = [
    ['tests', /(^|\/)test\//],
    ['TypeScript sources', /\.ts$/],
    ['C sources', /\.[ch]$/],
    ['source maps', /\.map$/],
    ['node_modules', /(^|\/)node_modules\//],
  ];
  for (const [what, re] of banned)
    assert.deepEqual(
      files.filter((f) => re.test(f)),
      [],
      `the tarball holds ${what}`,
    );
  // results/: only the published figures `reproduce` compares with (an input, not a result).
  assert.deepEqual(
    files.filter((f) => f.startsWith('results/') && f !== PUBLISHED),
    [],
    'the tarball holds results',
  );
  // Nothing but these: a new kind of file must be added here on purpose.
  const allowed = [
    /^package\.json$/,
    /^README\.md$/,
    /^LICEN[CS]E/,
    /^bin\/bpfbench$/,
    /^dist\/src\/.+\.js$/,
    /^dist\/prebuilt\/[a-z0-9]+\/(bench\.bpf\.o|libbpfbench\.so)$/,
    /^schema\/(run|sweep|peers|compare)\.schema\.json$/,
  ];
  assert.deepEqual(
    files.filter((f) => f !== PUBLISHED && !allowed.some((re) => re.test(f))),
    [],
    'files outside the whitelist',
  );

  // Every source compiled, nothing compiled whose source is gone.
  const sources = pathsUnder(join(ROOT, 'src'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `dist/src/${f.replace(/\.ts$/, '.js')}`);
  assert.deepEqual(files.filter((f) => f.startsWith('dist/src/')).sort(), sources.sort());
  assert.ok(packed.size < 512 * 1024, `the tarball is ${packed.size} bytes: keep it lean`);
});

test("each prebuilt file is for its architecture, and each BPF object passes this kernel's verifier", (t) => {
  const arches = readdirSync(join(installed, 'dist', 'prebuilt')).sort();
  t.diagnostic(`prebuilt for: ${arches.join(', ')}`);
  assert.ok(arches.includes(process.arch));
  for (const arch of arches) {
    assert.ok(arch in ELF_MACHINE, `${arch}: not an architecture the package supports`);
    const so = elfHeader(join(installed, 'dist', 'prebuilt', arch, 'libbpfbench.so'));
    assert.deepEqual(so, { magic: true, class64: true, little: true, type: 3, machine: ELF_MACHINE[arch] }, `${arch}/libbpfbench.so: a 64-bit little-endian shared object for ${arch}`);
    const objPath = join(installed, 'dist', 'prebuilt', arch, 'bench.bpf.o');
    assert.deepEqual(elfHeader(objPath), { magic: true, class64: true, little: true, type: 1, machine: EM_BPF }, `${arch}/bench.bpf.o: a BPF relocatable object`);
    // The object is arch-neutral BPF apart from PT_REGS (its own register
    // layout), so this kernel's verifier can check every architecture's.
    // Each program is loaded on its own, so one the kernel refuses never
    // hides the others: every one loads, or this kernel refuses it (EPERM,
    // EACCES) and the probe says the same; the refused ones are named.
    const lister = BpfObject.open(objPath);
    const programs = lister.programs().map((p) => p.name);
    lister.close();
    for (const name of ALL_PROGS) assert.ok(programs.includes(name), `${arch}/bench.bpf.o has no program ${name}`);
    const refused: string[] = [];
    for (const name of programs) {
      const obj = BpfObject.open(objPath);
      try {
        obj.configureMap(MAP_NAME, { maxEntries: 1 });
        obj.autoloadOnly([name]);
        obj.load();
        assert.equal(obj.programFd(name) > 0, true, name);
      } catch (e) {
        if (!(e instanceof ObjectLoadError)) throw e;
        assert.ok(e.errno === Errno.EPERM || e.errno === Errno.EACCES, `${arch}/bench.bpf.o ${name}: ${e.message}`);
        assert.equal(probeFeature(`program:${name}`).state, 'refused', `${name}: refused here, and the probe must say so`);
        refused.push(`${name} (${errnoName(e.errno)})`);
      } finally {
        obj.close();
      }
    }
    t.diagnostic(`${arch}/bench.bpf.o: ${programs.length - refused.length} of ${programs.length} programs load here${refused.length ? `; this kernel refuses ${refused.join(', ')}` : ''}`);
  }
});

test('the installed bpfbench answers --version with only node on PATH', () => {
  const r = bpfbench(['--version']);
  assert.equal(r.status, 0, show(r));
  assert.equal(r.stdout.trim(), pkg.version);
});

test('the installed bpfbench runs and verifies both strategies with only node on PATH', () => {
  const out = join(tmp, 'run.json');
  const r = bpfbench(['run', '--entries', '64Ki', '--runs', '1', '--json', out]);
  assert.equal(r.status, 0, show(r));
  const result = JSON.parse(readFileSync(out, 'utf8')) as { results: { strategy: string; verified: { ok: boolean; entries: number; distinct: number; badValues: number; badKeys: number } }[] };
  const verified = Object.fromEntries(result.results.map((x) => [x.strategy, x.verified]));
  for (const s of ['elem', 'batch']) {
    assert.ok(verified[s], `no ${s} result`);
    assert.deepEqual(
      { ok: verified[s]!.ok, entries: verified[s]!.entries, distinct: verified[s]!.distinct, badValues: verified[s]!.badValues, badKeys: verified[s]!.badKeys },
      { ok: true, entries: ENTRIES, distinct: ENTRIES, badValues: 0, badKeys: 0 },
      s,
    );
  }
  assert.match(r.stdout, /^elem\s+ok\s/m);
  assert.match(r.stdout, /^batch\(\d+\)\s+ok\s/m);
});

test('the installed package finds its own prebuilt library and object, and its native loop reads a real map', () => {
  // The probe's compiled form, placed so that its imports are the installed package's.
  const probe = join(installed, 'dist', 'test', 'package', 'installed-probe.js');
  mkdirSync(dirname(probe), { recursive: true });
  copyFileSync(fileURLToPath(new URL('./installed-probe.js', import.meta.url)), probe);
  const n = 4096;
  const chunk = 256;
  const r = spawnSync(join(tmp, 'run-tools', 'node'), [probe, '--probe', String(n), String(chunk)], { cwd: tmp, env: runEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  assert.equal(r.status, 0, show(r));
  const got = JSON.parse(r.stdout) as ProbeReport;
  assert.equal(realpathSync(got.nativeLib), realpathSync(join(installed, 'dist', 'prebuilt', process.arch, 'libbpfbench.so')));
  assert.equal(realpathSync(got.object), realpathSync(join(installed, 'dist', 'prebuilt', process.arch, 'bench.bpf.o')));
  assert.deepEqual({ entries: got.entries, distinct: got.distinct, badValues: got.badValues }, { entries: n, distinct: n, badValues: 0 });
  // A zero-seed map: the buckets follow from the kernel's hash (computed in the test), and so the walk's calls, exactly.
  assert.equal(got.batchCalls, predictWalk(zeroSeedBuckets(n), chunk).calls, `LOOKUP_BATCH calls for ${n} entries in chunks of ${chunk}`);
});

test('without libbpf.so.1 the installed bpfbench says, on one line, which package to install', (t) => {
  // The file the dynamic loader resolves libbpf.so.1 to, as this process loads it.
  assert.ok(libbpfVersion(), 'libbpf.so.1 does not load in this process');
  const maps = readFileSync('/proc/self/maps', 'utf8');
  const lib = maps
    .split('\n')
    .map((l) => l.slice(l.indexOf('/')))
    .find((p) => /\/libbpf\.so[.\d]*$/.test(p));
  assert.ok(lib, 'libbpf is not loaded in this process');
  // Hide it in a private mount namespace: /dev/null bound over it, so dlopen
  // finds the file but not a library, as on a machine without libbpf1.
  const unshare = which('unshare');
  const mount = which('mount');
  const sh = ['/bin/sh', '/usr/bin/sh'].find((p) => existsSync(p));
  if (!requireTool(t, 'unshare, mount and sh', !unshare || !mount || !sh ? 'not all on PATH' : undefined) || !unshare || !mount || !sh) return;
  const probe = spawnSync(unshare, ['--mount', '--', sh, '-c', `${mount} --bind /dev/null "$0"`, lib], { encoding: 'utf8' });
  if (!requireTool(t, 'a private mount namespace (unshare --mount)', probe.status !== 0 ? probe.stderr.trim() : undefined)) return;
  const r = spawnSync(unshare, ['--mount', '--', sh, '-c', `${mount} --bind /dev/null "$0" && exec "$@"`, lib, join(prefix, 'bin', 'bpfbench'), 'run', '--entries', '64Ki', '--runs', '1'], {
    cwd: tmp,
    env: runEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  assert.equal(r.status, 1, show(r));
  assert.equal(r.stderr, `${LIBBPF_MISSING}\n`);
});
