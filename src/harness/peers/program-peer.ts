// What a peer is (its report, its audit, its timing, why it is unavailable)
// and the common case: a program built once and run once per read on the
// pinned map, printing what it read; and the verdict on a peer's report.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SyscallCounter } from '../../bpf/programs/counter.js';
import { ROOT } from '../../paths.js';
import { expectedSums, type Expectation } from '../filling/expectation.js';
import { countProcess, lastLine } from './peer-audit.js';
import type { KernelSample } from '../measuring/read-sample.js';
import { fmtCount, readProblems, type Verdict } from '../verification/verdict.js';

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
  /** The CPU its read ended on (the C peer). */
  cpu?: number;
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

export function sh(cmd: string, args: string[], cwd = ROOT): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off' } });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

export const have = (cmd: string) => sh('sh', ['-c', `command -v ${cmd}`]).ok;

/** What to say when a peer's tools are missing: what, and how to get them. */
export const notInstalled = (what: string[]): PeerUnavailable => ({ why: `${what.join(' and ')} not installed: run 'make deps'`, broken: false });

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
export function processError(name: string, strategy: string, r: ReturnType<typeof spawnSync>, timeoutMs: number | undefined): Error {
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
