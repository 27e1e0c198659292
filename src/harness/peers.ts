// `bpfbench peers`: one pinned map, read by bpfbench (once per read loop) and
// by other implementations of the same reads (peer-programs.ts) in
// alternation, so drift is spread over every implementation; each read
// verified. Every implementation's bpf calls are counted by the kernel, in
// an untimed audit read (the timed reads never pay for the tracepoints):
// bpfbench's own by measureStrategy's audit (its warmup read), each peer's
// by an audit pass of its own before the timed rounds, the counter targeted
// at the peer's process (peer-audit.ts). A count an implementation made of
// itself (bpfbench's, the C peer's) is checked against the kernel's.
import { PIN_DIR, preparePinPath, removePin, trackPin } from '../bpf/bpffs.js';
import type { SyscallCounter } from '../bpf/counter.js';
import { strategyByName, type ReadLoop } from '../strategies/index.js';
import { FILL_VALUE, openBenchMap, type BenchMap, type MapConfig, type MapRecord } from './bench-map.js';
import type { Expectation } from './expectation.js';
import { measureStrategy } from './measure.js';
import { PEERS, verifyPeer, type Peer } from './peer-programs.js';
import { silentProgress, type Progress } from './progress.js';
import { countsAgree, type KernelSample } from './sample.js';
import { summarize, type Summary } from './stats.js';
import type { Verdict } from './verdict.js';
import { Verifier } from './verifier.js';

/** Where bpfbench's own read loop runs: in C (one koffi call per hand-over) or in TypeScript (one per syscall). */
export type PeerLoop = ReadLoop;

export interface PeersConfig extends MapConfig {
  chunk: number;
  /** Rounds: each implementation reads once per strategy per round. */
  rounds: number;
  strategies: readonly string[];
  /** 'ts' (bpfbench itself) and peer names. */
  impls: readonly string[];
  /** bpfbench's own rows: one per loop. */
  loops: readonly PeerLoop[];
  pin?: string;
}

/** A count of bpf calls by command, and who counted it, over what. */
export interface CallCount {
  countedBy: 'kernel' | 'self';
  /** One read (the window the timed reads time), or the whole process (bpftool, which cannot mark its read). */
  covers: 'read' | 'process';
  calls: Record<string, number>;
}

/** One implementation (bpfbench: one of its loops) × strategy, over the rounds. */
export interface PeerCell {
  impl: string;
  /** bpfbench's rows only. */
  loop?: PeerLoop;
  strategy: string;
  expectedToFail: boolean;
  wallNs: Summary;
  nsPerEntry: number;
  /** The first failing read's verdict (the audit read's included; a self count the kernel contradicts fails it), else the last's. */
  verdict: Verdict;
  allocatedBytesPerEntry: number | null;
  gcCount: number | null;
  /** The audit read's bpf calls as the kernel counted them (null: no audit read, e.g. it failed before one). */
  bpfCalls: CallCount | null;
  /** The implementation's own count of the same read, and whether it agrees with the kernel's (bpfbench, C). */
  selfBpfCalls: (CallCount & { agrees: boolean }) | null;
  /** An external peer's whole audited process, start-up included, as the kernel counted it. */
  processBpfCalls: CallCount | null;
}

export interface PeersOutcome {
  config: PeersConfig;
  context: BenchMap['context'];
  map: MapRecord;
  fill: BenchMap['fill'];
  pin: string;
  cells: PeerCell[];
  /** Peers that did not run: tools missing, or (broken) tools there but the peer did not build: a failure. */
  skipped: { impl: string; why: string; broken: boolean }[];
}

interface Sample {
  wallNs: number;
  verdict: Verdict;
  allocatedBytes: number | null;
  gcCount: number | null;
}

/** What an audit read found: its verdict and the counts. */
export interface AuditRecord {
  verdict: Verdict | undefined;
  bpfCalls: CallCount;
  selfBpfCalls: (CallCount & { agrees: boolean }) | null;
  processBpfCalls: CallCount | null;
}

/** A row of the comparison: an implementation, and for bpfbench its loop. */
interface Row {
  impl: string;
  loop?: PeerLoop;
}

const rowKey = (r: Row, strategy: string) => `${r.impl}/${r.loop ?? ''}\0${strategy}`;

/** The peers that can run here, and why the others cannot. */
function preparePeers(impls: readonly string[], log: (line: string) => void): { peers: Map<string, Peer>; skipped: PeersOutcome['skipped'] } {
  const peers = new Map<string, Peer>();
  const skipped: PeersOutcome['skipped'] = [];
  for (const name of impls) {
    if (name === 'ts') continue;
    const peer = PEERS.find((p) => p.name === name)!;
    const no = peer.prepare(log);
    if (no) {
      skipped.push({ impl: name, why: no.why, broken: no.broken });
      log(`${no.broken ? 'FAILED' : 'skipping'} ${name}: ${no.why}`);
    } else peers.set(name, peer);
  }
  return { peers, skipped };
}

const kernelCount = (k: KernelSample, covers: CallCount['covers']): CallCount => ({ countedBy: 'kernel', covers, calls: k.bpf });
const callsText = (c: Record<string, number>) => Object.entries(c).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';

/** The verdict, failed by a self count the kernel contradicts, or by a failed audit read. */
export function judged(verdict: Verdict, audit: AuditRecord | undefined): Verdict {
  if (!audit) return verdict;
  if (audit.verdict && !audit.verdict.ok && verdict.ok) verdict = { ...audit.verdict, problems: audit.verdict.problems.map((p) => `audit read: ${p}`) };
  const self = audit.selfBpfCalls;
  if (self && !self.agrees) {
    const problem = `its own count of bpf calls (${callsText(self.calls)}) differs from the kernel's (${callsText(audit.bpfCalls.calls)})`;
    verdict = { ...verdict, ok: false, problems: [...verdict.problems, problem] };
  }
  return verdict;
}

/** One row × strategy over the rounds: its statistics, its audit, and the first failing read's verdict, else the last's. */
function cellOf(row: Row, strategy: string, xs: Sample[], audit: AuditRecord | undefined): PeerCell {
  const bad = xs.find((x) => !x.verdict.ok);
  const wall = summarize(xs.map((x) => x.wallNs));
  const alloc = xs.every((x) => x.allocatedBytes !== null) ? Math.max(...xs.map((x) => x.allocatedBytes!)) : null;
  const gcs = xs.every((x) => x.gcCount !== null) ? Math.max(...xs.map((x) => x.gcCount!)) : null;
  const verdict = judged((bad ?? xs[xs.length - 1]!).verdict, audit);
  return {
    ...row,
    strategy,
    expectedToFail: strategyByName(strategy)?.expectedToFail === true,
    wallNs: wall,
    nsPerEntry: wall.median / Math.max(1, verdict.entries),
    verdict,
    allocatedBytesPerEntry: alloc === null ? null : alloc / Math.max(1, verdict.entries),
    gcCount: gcs,
    bpfCalls: audit?.bpfCalls ?? null,
    selfBpfCalls: audit?.selfBpfCalls ?? null,
    processBpfCalls: audit?.processBpfCalls ?? null,
  };
}

/** An external peer's audit read: untimed, its process counted by the kernel. */
async function auditPeer(peer: Peer, pin: string, strategy: string, config: PeersConfig, expect: Expectation, counter: SyscallCounter): Promise<AuditRecord> {
  const a = await peer.audit(pin, strategy, config.chunk, expect, counter);
  const self = a.report.bpfCalls;
  return {
    verdict: verifyPeer(a.report, expect),
    bpfCalls: kernelCount(a.kernel, a.covers),
    selfBpfCalls: self ? { countedBy: 'self', covers: 'read', calls: self, agrees: countsAgree(self, a.kernel) } : null,
    processBpfCalls: kernelCount(a.process, 'process'),
  };
}

export async function runPeers(config: PeersConfig, progress: Progress, log: (line: string) => void): Promise<PeersOutcome> {
  const bench = openBenchMap({ ...config, kernelCount: true }, progress);
  const counter = bench.counter!;
  const pin = config.pin ?? `${PIN_DIR}/peers-${process.pid}`;
  try {
    preparePinPath(pin);
    bench.map.pin(pin);
    trackPin(pin);
    const expect: Expectation = { entries: config.entries, value: FILL_VALUE };
    const { peers, skipped } = preparePeers(config.impls, log);
    const rows: Row[] = config.impls.flatMap((impl): Row[] => (impl === 'ts' ? config.loops.map((loop) => ({ impl, loop })) : peers.has(impl) ? [{ impl }] : []));
    const runs = (row: Row, s: string) => row.impl === 'ts' || peers.get(row.impl)!.strategies.includes(s);
    const label = (row: Row) => (row.loop ? `${row.impl} (${row.loop})` : row.impl);
    const samples = new Map<string, Sample[]>();
    const audits = new Map<string, AuditRecord>();

    // The peers' audit pass: one untimed read each, counted by the kernel.
    for (const row of rows) {
      if (row.impl === 'ts') continue;
      for (const s of config.strategies.filter((x) => runs(row, x))) {
        progress.start(`audit: ${label(row)} ${s}`, 0);
        audits.set(rowKey(row, s), await auditPeer(peers.get(row.impl)!, pin, s, config, expect, counter));
        progress.end();
      }
    }

    const verifier = new Verifier(expect);
    // bpfbench's own read: one, measured like `run`; in the first round after
    // a warmup read, which measureStrategy's audit counts with the kernel.
    const tsRead = (row: Row, strategy: string, round: number): Sample => {
      const policy = { minRuns: 1, maxRuns: 1, budgetMs: 0, warmup: round === 0 ? 1 : 0 };
      const m = measureStrategy({ map: bench.map, strategy: strategyByName(strategy)!, chunk: config.chunk, sink: verifier, policy, progress: silentProgress, loop: row.loop, counter: round === 0 ? counter : undefined });
      if (m.audit) {
        const { kernel, bpf, agree } = m.audit;
        audits.set(rowKey(row, strategy), { verdict: undefined, bpfCalls: kernelCount(kernel, 'read'), selfBpfCalls: { countedBy: 'self', covers: 'read', calls: bpf, agrees: agree }, processBpfCalls: null });
      }
      const r = m.samples[m.samples.length - 1]!;
      return { wallNs: r.wallNs, verdict: r.verdict, allocatedBytes: r.memory.allocatedBytes, gcCount: r.memory.gcCount };
    };
    const peerRead = (peer: Peer, strategy: string): Sample => {
      const r = peer.read(pin, strategy, config.chunk, expect);
      return { wallNs: r.wallNs, verdict: verifyPeer(r, expect), allocatedBytes: r.allocatedBytes ?? null, gcCount: r.gcCount ?? null };
    };
    for (let round = 0; round < config.rounds; round++) {
      // Rotate the order each round so no implementation always goes first.
      const order = rows.map((_, i) => rows[(i + round) % rows.length]!);
      for (const row of order) {
        for (const s of config.strategies.filter((x) => runs(row, x))) {
          progress.start(`round ${round + 1}/${config.rounds}: ${label(row)} ${s}`, 0);
          const sample = row.impl === 'ts' ? tsRead(row, s, round) : peerRead(peers.get(row.impl)!, s);
          progress.end();
          const k = rowKey(row, s);
          if (!samples.has(k)) samples.set(k, []);
          samples.get(k)!.push(sample);
        }
      }
    }
    const cells: PeerCell[] = [];
    for (const row of rows) {
      for (const s of config.strategies) {
        const xs = samples.get(rowKey(row, s));
        if (xs) cells.push(cellOf(row, s, xs, audits.get(rowKey(row, s))));
      }
    }
    return { config, context: bench.context, map: bench.record, fill: bench.fill, pin, cells, skipped };
  } finally {
    removePin(pin);
    bench.close();
  }
}
