// Other implementations of the same reads, run on the same pinned map:
// a C program issuing the raw syscalls (the floor), Go with cilium/ebpf,
// and `bpftool map dump`. Each prints what it read (counts and checksums);
// bpfbench verifies it like its own reads and times it in alternation with
// its own, so drift is spread over every implementation.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PIN_DIR, preparePinPath, removePin, trackPin } from '../bpf/bpffs.js';
import { strategyByName } from '../strategies/index.js';
import { measureStrategy } from './measure.js';
import { silentProgress, type Progress } from './progress.js';
import { FILL_VALUE, openBenchMap, type BenchMap, type MapConfig, type MapRecord } from './run.js';
import { summarize, type Summary } from './stats.js';
import type { Verdict } from './verifier.js';
import { expectedSums, Verifier, type Expectation } from './verifier.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** One read by a peer, as it reported it (its JSON line). */
export interface PeerReport {
  impl: string;
  strategy: string;
  wallNs: number;
  entries: number;
  distinct: number;
  keySum: number;
  checksum: number;
  badValues: number;
  badKeys: number;
  bpfCalls?: Record<string, number>;
  allocatedBytes?: number;
  gcCount?: number;
}

export interface Peer {
  name: string;
  /** Strategies it implements. */
  strategies: readonly string[];
  /** Builds (or finds) it; returns why it cannot run, or undefined when it can. */
  prepare(log: (line: string) => void): string | undefined;
  /** One full read of the pinned map. */
  read(pin: string, strategy: string, chunk: number, expect: Expectation): PeerReport;
}

function sh(cmd: string, args: string[], cwd = ROOT): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off' } });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

const have = (cmd: string) => sh('sh', ['-c', `command -v ${cmd}`]).ok;

/** apt-get install, as root, when apt is there; returns whether it worked. */
function aptInstall(pkgs: string[], log: (line: string) => void): boolean {
  if (process.getuid?.() !== 0 || !have('apt-get')) return false;
  log(`installing ${pkgs.join(' ')} (apt-get)…`);
  if (!sh('sh', ['-c', 'apt-get update -qq >/dev/null 2>&1 || true']).ok) return false;
  return sh('sh', ['-c', `DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${pkgs.join(' ')} >/dev/null 2>&1`]).ok;
}

function parseReport(impl: string, stdout: string): PeerReport {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`${impl} printed no result line`);
  return JSON.parse(line) as PeerReport;
}

/** A peer that is a program taking the common command line and printing JSON lines. */
function programPeer(name: string, binary: string, build: (log: (l: string) => void) => string | undefined): Peer {
  const path = join(ROOT, binary);
  return {
    name,
    strategies: ['elem', 'batch', 'batch-fixed-cursor'],
    prepare(log) {
      if (existsSync(path)) return undefined;
      return build(log) ?? (existsSync(path) ? undefined : `${binary} was not built`);
    },
    read(pin, strategy, chunk, expect) {
      const r = spawnSync(path, ['--pin', pin, '--strategy', strategy, '--chunk', String(chunk), '--runs', '1', '--value', String((expect.value ?? 0) >>> 0)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`${name} ${strategy} failed: ${(r.stderr || String(r.error)).trim()}`);
      return { ...parseReport(name, r.stdout), impl: name };
    },
  };
}

export const cPeer = programPeer('c', 'scripts/peers/c/bpfbench-peer-c', (log) => {
  if (!have('gcc') && !have('cc')) return 'no C compiler';
  log('building the C peer…');
  const r = sh('make', ['-s', '-C', 'scripts/peers/c']);
  return r.ok ? undefined : `the C peer did not build: ${r.out.split('\n').pop()}`;
});

export const goPeer = programPeer('go', 'scripts/peers/go/bpfbench-peer-go', (log) => {
  if (!have('go') || !existsSync('/usr/share/gocode/src/github.com/cilium/ebpf')) {
    if (!aptInstall(['golang-go', 'golang-github-cilium-ebpf-dev'], log) || !have('go')) return "Go or Debian's golang-github-cilium-ebpf-dev is not installed and could not be (apt-get, as root)";
  }
  log('building the Go peer (cilium/ebpf, offline)…');
  const r = sh('bash', ['scripts/peers/go/build.sh']);
  return r.ok ? undefined : `the Go peer did not build: ${r.out.split('\n').pop()}`;
});

/** `bpftool map dump pinned PATH`, timed as a process, its output parsed and verified. */
export const bpftoolPeer: Peer = {
  name: 'bpftool',
  strategies: ['elem'],
  prepare(log) {
    if (have('bpftool')) return undefined;
    if (aptInstall(['bpftool'], log) && have('bpftool')) return undefined;
    return 'bpftool is not installed and could not be (apt-get, as root)';
  },
  read(pin, _strategy, _chunk, expect) {
    const dir = mkdtempSync(join(tmpdir(), 'bpfbench-bpftool-'));
    const out = join(dir, 'dump.txt');
    try {
      // Output goes to a file so that parsing it is not part of bpftool's time.
      const t0 = process.hrtime.bigint();
      const r = spawnSync('sh', ['-c', 'exec bpftool map dump pinned "$1" > "$2"', 'sh', pin, out], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      const wallNs = Number(process.hrtime.bigint() - t0);
      if (r.status !== 0) throw new Error(`bpftool failed: ${r.stderr.trim()}`);
      const v = new Verifier(expect);
      v.reset();
      parseBpftoolDump(readFileSync(out, 'utf8'), v);
      return { impl: 'bpftool', strategy: 'elem', wallNs, ...reportOf(v.verdict(), v) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

function reportOf(verdict: Verdict, v: Verifier): Omit<PeerReport, 'impl' | 'strategy' | 'wallNs'> {
  const sums = v.sums();
  return { entries: verdict.entries, distinct: verdict.distinct, keySum: sums.keySum >>> 0, checksum: sums.checksum >>> 0, badValues: verdict.badValues, badKeys: verdict.badKeys };
}

/** Feeds `key: 03 00 00 00  value: ef be ad de` lines (little-endian u32s) to the verifier. */
export function parseBpftoolDump(text: string, v: Verifier): void {
  const re = /^key: ((?:[0-9a-f]{2} ?){4})\s+value: ((?:[0-9a-f]{2} ?){4})/gm;
  const le = (hex: string) => {
    const b = hex.trim().split(' ');
    return (parseInt(b[0]!, 16) | (parseInt(b[1]!, 16) << 8) | (parseInt(b[2]!, 16) << 16) | (parseInt(b[3]!, 16) << 24)) >>> 0;
  };
  for (let m = re.exec(text); m !== null; m = re.exec(text)) v.add(le(m[1]!), le(m[2]!) | 0);
}

/** Checks a peer's report against what the loader wrote. */
export function verifyPeer(r: PeerReport, e: Expectation): Verdict {
  const sums = expectedSums(e);
  const problems: string[] = [];
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (r.entries !== e.entries) problems.push(`read ${fmt(r.entries)} entries, expected ${fmt(e.entries)}`);
  if (r.distinct !== e.entries) problems.push(`${fmt(r.distinct)} distinct keys of ${fmt(e.entries)}`);
  if (r.badKeys > 0) problems.push(`${fmt(r.badKeys)} keys outside 0..${fmt(e.entries - 1)}`);
  if (r.badValues > 0) problems.push(`${fmt(r.badValues)} wrong values`);
  const keySumOk = r.keySum >>> 0 === sums.keySum >>> 0;
  const checksumOk = r.checksum >>> 0 === sums.checksum >>> 0;
  if (!keySumOk) problems.push('key sum differs');
  if (!checksumOk) problems.push('key/value checksum differs');
  return { ok: problems.length === 0, entries: r.entries, distinct: r.distinct, expectedEntries: e.entries, keySumOk, checksumOk, badValues: r.badValues, badKeys: r.badKeys, problems };
}

export const PEERS: readonly Peer[] = [cPeer, goPeer, bpftoolPeer];

// ---------------------------------------------------------------------------
// `bpfbench peers`: one pinned map, every implementation in alternation.

export interface PeersConfig extends MapConfig {
  chunk: number;
  /** Rounds: each implementation reads once per strategy per round. */
  rounds: number;
  strategies: readonly string[];
  /** 'ts' (bpfbench itself) and peer names. */
  impls: readonly string[];
  pin?: string;
}

/** One implementation × strategy, over the rounds. */
export interface PeerCell {
  impl: string;
  strategy: string;
  expectedToFail: boolean;
  wallNs: Summary;
  nsPerEntry: number;
  verdict: Verdict;
  allocatedBytesPerEntry: number | null;
  gcCount: number | null;
  bpfCalls: Record<string, number> | null;
}

export interface PeersOutcome {
  config: PeersConfig;
  context: BenchMap['context'];
  map: MapRecord;
  fill: BenchMap['fill'];
  pin: string;
  cells: PeerCell[];
  skipped: { impl: string; why: string }[];
}

interface Sample {
  wallNs: number;
  verdict: Verdict;
  allocatedBytes: number | null;
  gcCount: number | null;
  bpfCalls: Record<string, number> | null;
}

export function runPeers(config: PeersConfig, progress: Progress, log: (line: string) => void): PeersOutcome {
  const bench = openBenchMap({ ...config, kernelCount: false }, progress);
  const pin = config.pin ?? `${PIN_DIR}/peers-${process.pid}`;
  try {
    preparePinPath(pin);
    bench.map.pin(pin);
    trackPin(pin);
    const expect: Expectation = { entries: config.entries, value: FILL_VALUE };
    const peers = new Map<string, Peer>();
    const skipped: { impl: string; why: string }[] = [];
    for (const name of config.impls) {
      if (name === 'ts') continue;
      const peer = PEERS.find((p) => p.name === name)!;
      const why = peer.prepare(log);
      if (why) {
        skipped.push({ impl: name, why });
        log(`skipping ${name}: ${why}`);
      } else peers.set(name, peer);
    }
    const impls = config.impls.filter((i) => i === 'ts' || peers.has(i));
    const samples = new Map<string, Sample[]>();
    const key = (impl: string, s: string) => `${impl}\0${s}`;
    const verifier = new Verifier(expect);
    for (let round = 0; round < config.rounds; round++) {
      // Rotate the order each round so no implementation always goes first.
      const order = impls.map((_, i) => impls[(i + round) % impls.length]!);
      for (const impl of order) {
        for (const s of config.strategies) {
          if (impl !== 'ts' && !peers.get(impl)!.strategies.includes(s)) continue;
          progress.start(`round ${round + 1}/${config.rounds}: ${impl} ${s}`, 0);
          let sample: Sample;
          if (impl === 'ts') {
            const m = measureStrategy(bench.map, strategyByName(s)!, config.chunk, verifier, { minRuns: 1, maxRuns: 1, budgetMs: 0, warmup: round === 0 ? 1 : 0 }, silentProgress);
            const r = m.samples[m.samples.length - 1]!;
            sample = { wallNs: r.wallNs, verdict: r.verdict, allocatedBytes: r.memory.allocatedBytes, gcCount: r.memory.gcCount, bpfCalls: r.bpf };
          } else {
            const r = peers.get(impl)!.read(pin, s, config.chunk, expect);
            sample = { wallNs: r.wallNs, verdict: verifyPeer(r, expect), allocatedBytes: r.allocatedBytes ?? null, gcCount: r.gcCount ?? null, bpfCalls: r.bpfCalls ?? null };
          }
          progress.end();
          const k = key(impl, s);
          if (!samples.has(k)) samples.set(k, []);
          samples.get(k)!.push(sample);
        }
      }
    }
    const cells: PeerCell[] = [];
    for (const impl of impls) {
      for (const s of config.strategies) {
        const xs = samples.get(key(impl, s));
        if (!xs) continue;
        const bad = xs.find((x) => !x.verdict.ok);
        const wall = summarize(xs.map((x) => x.wallNs));
        const alloc = xs.every((x) => x.allocatedBytes !== null) ? Math.max(...xs.map((x) => x.allocatedBytes!)) : null;
        const gcs = xs.every((x) => x.gcCount !== null) ? Math.max(...xs.map((x) => x.gcCount!)) : null;
        const verdict = (bad ?? xs[xs.length - 1]!).verdict;
        cells.push({
          impl,
          strategy: s,
          expectedToFail: strategyByName(s)?.expectedToFail === true,
          wallNs: wall,
          nsPerEntry: wall.median / Math.max(1, verdict.entries),
          verdict,
          allocatedBytesPerEntry: alloc === null ? null : alloc / Math.max(1, verdict.entries),
          gcCount: gcs,
          bpfCalls: xs[0]!.bpfCalls,
        });
      }
    }
    return { config, context: bench.context, map: bench.record, fill: bench.fill, pin, cells, skipped };
  } finally {
    removePin(pin);
    bench.close();
  }
}
