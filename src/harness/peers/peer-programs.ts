// Other implementations of the same reads, each run on a pinned map: a C
// program issuing the raw syscalls (the floor), Go with cilium/ebpf,
// `bpftool map dump` and bcc's Python tables (and, in peers/exec.ts, any
// reader of the user's own). Each prints what it read (counts and checksums), which
// is verified like bpfbench's own reads. Their toolchains are installed by
// `make deps`; a peer whose tools are missing says so and is skipped, one
// whose tools are there but that does not build is a failure. Their bpf calls
// are counted by the kernel (peer-audit.ts), in an audit read of their own.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SyscallCounter } from '../../bpf/programs/counter.js';
import { ROOT } from '../../paths.js';
import { expectedSums, type Expectation } from '../filling/expectation.js';
import { countProcess, lastLine } from './peer-audit.js';
import type { KernelSample } from '../measuring/sample.js';
import { fmtCount, readProblems, type Verdict } from '../verification/verdict.js';
import { Verifier } from '../verification/verifier.js';

/** One read by a peer, as it reported it (its JSON line). */
export interface PeerReport {
  impl: string;
  strategy: string;
  /** Entries it asked each LOOKUP_BATCH for, when not bpfbench's --chunk (bcc's own); null per element. */
  chunk?: number | null;
  wallNs: number;
  entries: number;
  distinct: number;
  keySum: number;
  checksum: number;
  badValues: number;
  badKeys: number;
  /** The peer's own count of its bpf calls, made call by call (the C peer). */
  bpfCalls?: Record<string, number>;
  allocatedBytes?: number;
  gcCount?: number;
}

/** One read by a peer with the kernel counting: what it reported, and what the kernel saw. */
export interface PeerAudit {
  report: PeerReport;
  /** Its bpf calls as the kernel counted them: the read alone, or (bpftool, which cannot mark its read) the whole process. */
  kernel: KernelSample;
  covers: 'read' | 'process';
  /** The whole process (start-up included), as the kernel counted it. */
  process: KernelSample;
}

/** Why a peer cannot run: its tools are missing (skipped), or it did not build (a failure). */
export interface PeerUnavailable {
  why: string;
  broken: boolean;
}

/** What a peer's time covers: whose clock (its own, or bpfbench's at its marks), and whether its process start-up is in it. */
export interface PeerTiming {
  by: 'self' | 'bpfbench';
  includesStartup: boolean;
}

/** What one peer process is given beyond the pin: the map's id (exec: readers' {id}) and how long it may run. */
export interface PeerRunOptions {
  mapId?: number;
  timeoutMs?: number;
  /** Threads of a sharded strategy (batch-sharded), passed as --threads. */
  threads?: number;
}

export interface Peer {
  name: string;
  /** Strategies it implements ('own': one read of its own choosing, whatever --strategies says). */
  strategies: readonly string[];
  timing: PeerTiming;
  /** Builds (or finds) it; returns why it cannot run, or undefined when it can. */
  prepare(log: (line: string) => void): PeerUnavailable | undefined;
  /** One full read of the pinned map, timed. */
  read(pin: string, strategy: string, chunk: number, expect: Expectation, opts?: PeerRunOptions): PeerReport | Promise<PeerReport>;
  /** One full read of the pinned map, untimed, its bpf calls counted by the kernel (`counter`, retargeted at the peer). */
  audit(pin: string, strategy: string, chunk: number, expect: Expectation, counter: SyscallCounter, opts?: PeerRunOptions): Promise<PeerAudit>;
  /** Its report against what was written (default: verifyPeer). */
  verify?(r: PeerReport, e: Expectation): Verdict;
}

function sh(cmd: string, args: string[], cwd = ROOT): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off' } });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

const have = (cmd: string) => sh('sh', ['-c', `command -v ${cmd}`]).ok;

/** What to say when a peer's tools are missing: what, and how to get them. */
const notInstalled = (what: string[]): PeerUnavailable => ({ why: `${what.join(' and ')} not installed: run 'make deps'`, broken: false });

function parseReport(impl: string, stdout: string): PeerReport {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error(`${impl} printed no result line`);
  return JSON.parse(line) as PeerReport;
}

/** A peer process that did not exit 0 in time: one line. */
function processError(name: string, strategy: string, r: ReturnType<typeof spawnSync>, timeoutMs: number | undefined): Error {
  const err = r.error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ETIMEDOUT') return new Error(`${name} ${strategy} did not finish within ${timeoutMs! / 1000} s (--peer-timeout): stopped (SIGKILL)`);
  return new Error(`${name} ${strategy} failed (${r.signal ?? `exit ${r.status}`}): ${lastLine(String(r.stderr ?? '')) || String(err ?? '')}`);
}

/**
 * A peer that is a program taking the common command line and printing JSON
 * lines. `build` returns why it cannot (missing tools, or a failed build);
 * it runs every time the tools are there (a no-op when up to date), so a
 * stale binary is never measured. Without the tools, a binary built
 * earlier is used. `binary`: its path under ROOT, or its command line
 * (`interpreter`, then the script's path under ROOT).
 */
export function programPeer(
  name: string,
  binary: string,
  build: (log: (l: string) => void) => PeerUnavailable | undefined,
  { interpreter, strategies = ['elem', 'batch', 'batch-fixed-cursor'] }: { interpreter?: string; strategies?: readonly string[] } = {},
): Peer {
  const path = join(ROOT, binary);
  const command = interpreter ? [interpreter, path] : [path];
  const args = (pin: string, strategy: string, chunk: number, expect: Expectation, threads?: number) => [
    '--pin',
    pin,
    '--strategy',
    strategy,
    '--chunk',
    String(chunk),
    '--runs',
    '1',
    '--value',
    String((expect.value ?? 0) >>> 0),
    ...(strategy.endsWith('-sharded') && threads !== undefined ? ['--threads', String(threads)] : []),
  ];
  return {
    name,
    strategies,
    timing: { by: 'self', includesStartup: false },
    prepare(log) {
      const why = build(log);
      // A script runs only where its interpreter and modules are; a binary built earlier runs without its toolchain.
      if (why && !why.broken && !interpreter && existsSync(path)) return undefined;
      return why ?? (existsSync(path) ? undefined : { why: `${binary} was not built`, broken: true });
    },
    read(pin, strategy, chunk, expect, opts = {}) {
      const r = spawnSync(command[0]!, [...command.slice(1), ...args(pin, strategy, chunk, expect, opts.threads)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 1 << 20,
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
      });
      if (r.status !== 0) throw processError(name, strategy, r, opts.timeoutMs);
      return { ...parseReport(name, r.stdout), impl: name };
    },
    async audit(pin, strategy, chunk, expect, counter, opts = {}) {
      const r = await countProcess([...command, ...args(pin, strategy, chunk, expect, opts.threads), '--sync'], counter, { sync: true, timeoutMs: opts.timeoutMs });
      return { report: { ...parseReport(name, r.stdout), impl: name }, kernel: r.read!, covers: 'read', process: r.process };
    },
  };
}

/** A build step's failure, its last line of output. */
const didNotBuild = (what: string, out: string): PeerUnavailable => ({ why: `${what} did not build: ${out.split('\n').pop()}`, broken: true });

export const cPeer = programPeer(
  'c',
  'scripts/peers/c/bpfbench-peer-c',
  (log) => {
    if (!have('gcc')) return notInstalled(['a C compiler (gcc)']);
    log('building the C peer…');
    const r = sh('make', ['-s', '-C', 'scripts/peers/c']);
    return r.ok ? undefined : didNotBuild('the C peer', r.out);
  },
  { strategies: ['elem', 'batch', 'batch-fixed-cursor', 'batch-sharded'] },
);

/** Where Debian's golang-github-cilium-ebpf-dev puts cilium/ebpf (scripts/peers/go/go.mod replaces to it). */
const CILIUM_EBPF = '/usr/share/gocode/src/github.com/cilium/ebpf';

export const goPeer = programPeer('go', 'scripts/peers/go/bpfbench-peer-go', (log) => {
  const missing: string[] = [];
  if (!have('go')) missing.push('Go (golang-go)');
  if (!existsSync(CILIUM_EBPF)) missing.push('cilium/ebpf (golang-github-cilium-ebpf-dev)');
  if (missing.length) return notInstalled(missing);
  log('building the Go peer (cilium/ebpf, offline)…');
  const r = sh('bash', ['scripts/peers/go/build.sh']);
  return r.ok ? undefined : didNotBuild('the Go peer', r.out);
});

/** What bpftool read: its dump (a file), verified and summed like a peer's own report. */
function bpftoolReport(dump: string, wallNs: number, expect: Expectation): PeerReport {
  const v = new Verifier(expect);
  v.reset();
  parseBpftoolDump(readFileSync(dump, 'utf8'), v);
  const verdict = v.verdict();
  const sums = v.sums();
  return {
    impl: 'bpftool',
    strategy: 'elem',
    wallNs,
    entries: verdict.entries,
    distinct: verdict.distinct,
    keySum: sums.keySum >>> 0,
    checksum: sums.checksum >>> 0,
    badValues: verdict.badValues,
    badKeys: verdict.badKeys,
  };
}

/** A fresh file for bpftool's output; remove() deletes it and its directory. */
function dumpFile(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-bpftool-'));
  return { path: join(dir, 'dump.txt'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `bpftool map dump pinned PATH`, timed as a process (its output goes to a
 * file, so that parsing it is not part of bpftool's time), its output parsed
 * and verified. bpftool cannot mark its read: its kernel count is its whole
 * process, which is also what its time covers.
 */
export const bpftoolPeer: Peer = {
  name: 'bpftool',
  strategies: ['elem'],
  timing: { by: 'bpfbench', includesStartup: true },
  prepare() {
    return have('bpftool') ? undefined : notInstalled(['bpftool']);
  },
  read(pin, strategy, _chunk, expect, opts = {}) {
    const out = dumpFile();
    try {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('sh', ['-c', 'exec bpftool map dump pinned "$1" > "$2"', 'sh', pin, out.path], {
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
      });
      const wallNs = Number(process.hrtime.bigint() - t0);
      if (r.status !== 0) throw processError('bpftool', strategy, r, opts.timeoutMs);
      return bpftoolReport(out.path, wallNs, expect);
    } finally {
      out.remove();
    }
  },
  async audit(pin, _strategy, _chunk, expect, counter, opts = {}) {
    const out = dumpFile();
    const fd = openSync(out.path, 'w');
    try {
      const r = await countProcess(['bpftool', 'map', 'dump', 'pinned', pin], counter, { sync: false, stdoutFd: fd, timeoutMs: opts.timeoutMs });
      return { report: bpftoolReport(out.path, 0, expect), kernel: r.process, covers: 'process', process: r.process };
    } finally {
      closeSync(fd);
      out.remove();
    }
  },
};

/** Feeds `key: 03 00 00 00  value: ef be ad de` lines (4-byte keys and values) to the verifier. */
export function parseBpftoolDump(text: string, v: Verifier): void {
  const re = /^key: ((?:[0-9a-f]{2} ?){4})\s+value: ((?:[0-9a-f]{2} ?){4})/gm;
  const entry = new Uint8Array(8);
  const bytes = (hex: string, off: number) => {
    for (const [j, h] of hex.trim().split(' ').entries()) entry[off + j] = parseInt(h, 16);
  };
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    bytes(m[1]!, 0);
    bytes(m[2]!, 4);
    v.addRaw(entry, 0, entry, 4);
  }
}

/** Checks a peer's report against what the loader wrote. */
export function verifyPeer(r: PeerReport, e: Expectation): Verdict {
  const sums = expectedSums(e);
  const keySumOk = r.keySum >>> 0 === sums.keySum >>> 0;
  const checksumOk = r.checksum >>> 0 === sums.checksum >>> 0;
  const { entries, distinct, badValues, badKeys } = r;
  const problems = readProblems({ entries, distinct, badValues, badKeys, keySumOk, checksumOk }, { entries: e.entries, distinct: e.entries }, { badKeys: `outside 0..${fmtCount(e.entries - 1)}` });
  return { ok: problems.length === 0, entries, distinct, expectedEntries: e.entries, keySumOk, checksumOk, badValues, badKeys, problems };
}

/**
 * Debian's python3-bpfcc installs bcc for the distribution's python3, which
 * another python3 on PATH (pyenv's) does not see. BPFBENCH_BCC_PYTHON names
 * another interpreter (one where bcc lives; the tests point it at one
 * without bcc).
 */
export const BCC_PYTHON = process.env.BPFBENCH_BCC_PYTHON || '/usr/bin/python3';

/**
 * bcc's Python tables (scripts/peers/bcc/peer.py): items() per element,
 * items_lookup_batch() in batches of bcc's own size. Nothing to build; bcc
 * compiles its C with the kernel headers at /lib/modules/$(uname -r)/build,
 * which `make deps` installs (and links, for a kernel that ships none).
 */
export const bccPeer = programPeer(
  'bcc',
  'scripts/peers/bcc/peer.py',
  () => {
    if (!sh(BCC_PYTHON, ['-c', 'import bcc']).ok) return notInstalled([`bcc for ${BCC_PYTHON} (python3-bpfcc)`]);
    const release = sh('uname', ['-r']).out;
    if (!existsSync(`/lib/modules/${release}/build/Makefile`) && !existsSync('/sys/kernel/kheaders.tar.xz')) {
      return notInstalled([`kernel headers for bcc (/lib/modules/${release}/build: linux-headers-amd64 and the links 'make deps' makes)`]);
    }
    return undefined;
  },
  { interpreter: BCC_PYTHON, strategies: ['elem', 'batch'] },
);

export const PEERS: readonly Peer[] = [cPeer, goPeer, bpftoolPeer, bccPeer];
