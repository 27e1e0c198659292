// `bpfbench peers`: one pinned map, read by bpfbench and by other
// implementations of the same reads (peer-programs.ts) in alternation, so
// drift is spread over every implementation; each read verified.
import { PIN_DIR, preparePinPath, removePin, trackPin } from '../bpf/bpffs.js';
import { strategyByName } from '../strategies/index.js';
import { FILL_VALUE, openBenchMap, type BenchMap, type MapConfig, type MapRecord } from './bench-map.js';
import type { Expectation } from './expectation.js';
import { measureStrategy } from './measure.js';
import { PEERS, verifyPeer, type Peer } from './peer-programs.js';
import { silentProgress, type Progress } from './progress.js';
import { summarize, type Summary } from './stats.js';
import type { Verdict } from './verdict.js';
import { Verifier } from './verifier.js';

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

/** The peers that can run here, and why the others cannot. */
function preparePeers(impls: readonly string[], log: (line: string) => void): { peers: Map<string, Peer>; skipped: { impl: string; why: string }[] } {
  const peers = new Map<string, Peer>();
  const skipped: { impl: string; why: string }[] = [];
  for (const name of impls) {
    if (name === 'ts') continue;
    const peer = PEERS.find((p) => p.name === name)!;
    const why = peer.prepare(log);
    if (why) {
      skipped.push({ impl: name, why });
      log(`skipping ${name}: ${why}`);
    } else peers.set(name, peer);
  }
  return { peers, skipped };
}

/** One implementation × strategy over the rounds: its statistics, and the first failing read's verdict, else the last's. */
function cellOf(impl: string, strategy: string, xs: Sample[]): PeerCell {
  const bad = xs.find((x) => !x.verdict.ok);
  const wall = summarize(xs.map((x) => x.wallNs));
  const alloc = xs.every((x) => x.allocatedBytes !== null) ? Math.max(...xs.map((x) => x.allocatedBytes!)) : null;
  const gcs = xs.every((x) => x.gcCount !== null) ? Math.max(...xs.map((x) => x.gcCount!)) : null;
  const verdict = (bad ?? xs[xs.length - 1]!).verdict;
  return {
    impl,
    strategy,
    expectedToFail: strategyByName(strategy)?.expectedToFail === true,
    wallNs: wall,
    nsPerEntry: wall.median / Math.max(1, verdict.entries),
    verdict,
    allocatedBytesPerEntry: alloc === null ? null : alloc / Math.max(1, verdict.entries),
    gcCount: gcs,
    bpfCalls: xs[0]!.bpfCalls,
  };
}

export function runPeers(config: PeersConfig, progress: Progress, log: (line: string) => void): PeersOutcome {
  const bench = openBenchMap({ ...config, kernelCount: false }, progress);
  const pin = config.pin ?? `${PIN_DIR}/peers-${process.pid}`;
  try {
    preparePinPath(pin);
    bench.map.pin(pin);
    trackPin(pin);
    const expect: Expectation = { entries: config.entries, value: FILL_VALUE };
    const { peers, skipped } = preparePeers(config.impls, log);
    const impls = config.impls.filter((i) => i === 'ts' || peers.has(i));
    const samples = new Map<string, Sample[]>();
    const key = (impl: string, s: string) => `${impl}\0${s}`;
    const verifier = new Verifier(expect);
    // bpfbench's own read: one, measured like `run` (a warmup read in the first round).
    const tsRead = (strategy: string, round: number): Sample => {
      const policy = { minRuns: 1, maxRuns: 1, budgetMs: 0, warmup: round === 0 ? 1 : 0 };
      const m = measureStrategy({ map: bench.map, strategy: strategyByName(strategy)!, chunk: config.chunk, sink: verifier, policy, progress: silentProgress });
      const r = m.samples[m.samples.length - 1]!;
      return { wallNs: r.wallNs, verdict: r.verdict, allocatedBytes: r.memory.allocatedBytes, gcCount: r.memory.gcCount, bpfCalls: r.bpf };
    };
    const peerRead = (peer: Peer, strategy: string): Sample => {
      const r = peer.read(pin, strategy, config.chunk, expect);
      return { wallNs: r.wallNs, verdict: verifyPeer(r, expect), allocatedBytes: r.allocatedBytes ?? null, gcCount: r.gcCount ?? null, bpfCalls: r.bpfCalls ?? null };
    };
    for (let round = 0; round < config.rounds; round++) {
      // Rotate the order each round so no implementation always goes first.
      const order = impls.map((_, i) => impls[(i + round) % impls.length]!);
      for (const impl of order) {
        for (const s of config.strategies) {
          if (impl !== 'ts' && !peers.get(impl)!.strategies.includes(s)) continue;
          progress.start(`round ${round + 1}/${config.rounds}: ${impl} ${s}`, 0);
          const sample = impl === 'ts' ? tsRead(s, round) : peerRead(peers.get(impl)!, s);
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
        if (xs) cells.push(cellOf(impl, s, xs));
      }
    }
    return { config, context: bench.context, map: bench.record, fill: bench.fill, pin, cells, skipped };
  } finally {
    removePin(pin);
    bench.close();
  }
}
