// `bpfbench peers`: one pinned map, read by bpfbench (once per read loop) and
// by other implementations of the same reads (peer-programs.ts) in
// alternation, so drift is spread over every implementation; each read
// verified. Every implementation's bpf calls are counted by the kernel, in
// an untimed audit read (the timed reads never pay for the tracepoints):
// bpfbench's own by measureStrategy's audit (its warmup read), each peer's
// by an audit pass of its own before the timed rounds, the counter targeted
// at the peer's process (peer-audit.ts). A count an implementation made of
// itself (bpfbench's, the C peer's) is checked against the kernel's.
// A peer that does not build, start, exit 0 in time or follow its protocol
// is a failed row with one line, never a missing one.
import { PIN_DIR, preparePinPath, removePin, trackPin } from '../../bpf/maps/bpffs.js';
import type { SyscallCounter } from '../../bpf/programs/counter.js';
import { BpfMap } from '../../bpf/maps/map.js';
import { currentCpu, pinThreadTo } from '../../bpf/syscall/affinity.js';
import { UsageError } from '../../errors.js';
import { strategyByName } from '../../strategies/index.js';
import { FILL_VALUE, openBenchMap } from '../filling/bench-map.js';
import type { Expectation } from '../filling/expectation.js';
import { measureStrategy } from '../measuring/measure-strategy.js';
import { PEERS } from './peer-programs.js';
import { verifyPeer, type Peer, type PeerRunOptions, type PeerTiming } from './program-peer.js';
import { execPeer, OWN_STRATEGY, parseExecSpec } from './exec.js';
import { silentProgress, type Progress } from '../measuring/progress.js';
import { countsAgree, type KernelSample } from '../measuring/read-sample.js';
import { judgeRatio, referenceOf } from './ratio-gate.js';
import { Verifier } from '../verification/verifier.js';
import { type PeerLoop, type PeersConfig, type AuditTime, type PeersOutcome, type Sample, type AuditRecord, kernelCount, cellOf } from './peer-cells.js';

/**
 * The split of a read's wall time around bpf(2), when the kernel timed its
 * calls and the read has a time of its own. A read on several threads at
 * once (sharded) has none: its threads' times in bpf(2) overlap in its wall.
 */
function auditTimeOf(wallNs: number, k: KernelSample, strategy: string): AuditTime | null {
  if (strategyByName(strategy)?.usesThreads) return null;
  if (!k.bpfNs || !(wallNs > 0)) return null;
  const bpfNs = Object.values(k.bpfNs).reduce((a, b) => a + b, 0);
  return { wallNs, bpfNs, outsideNs: wallNs - bpfNs };
}

/** A row of the comparison: an implementation, and for bpfbench its loop. */
export interface Row {
  impl: string;
  loop?: PeerLoop;
  timing: PeerTiming;
}

const rowKey = (r: Row, strategy: string) => `${r.impl}/${r.loop ?? ''}\0${strategy}`;

/** The peers asked for: built (failed rows for those that did not build), or skipped when their tools are missing. */
function preparePeers(config: PeersConfig, log: (line: string) => void): { peers: Map<string, Peer>; broken: Map<string, string>; skipped: PeersOutcome['skipped'] } {
  const peers = new Map<string, Peer>();
  const broken = new Map<string, string>();
  const skipped: PeersOutcome['skipped'] = [];
  for (const name of config.impls) {
    if (name === 'ts') continue;
    const peer = name.startsWith('exec:') ? execPeer(parseExecSpec(name)) : PEERS.find((p) => p.name === name)!;
    const no = peer.prepare(log);
    if (no && !no.broken && config.requireTools) throw new UsageError(`${name}: ${no.why}`);
    peers.set(peer.name, peer);
    if (!no) continue;
    if (no.broken) broken.set(peer.name, no.why);
    else skipped.push({ impl: peer.name, why: no.why, broken: false });
    log(`${no.broken ? 'FAILED' : 'skipping'} ${peer.name}: ${no.why}`);
  }
  return { peers, broken, skipped };
}

const totalCalls = (k: KernelSample) => Object.values(k.bpf).reduce((a, b) => a + b, 0);

/** An external peer's audit read: untimed, its process counted by the kernel. */
async function auditPeer(peer: Peer, pin: string, strategy: string, config: PeersConfig, expect: Expectation, counter: SyscallCounter, opts: PeerRunOptions): Promise<AuditRecord> {
  const a = await peer.audit(pin, strategy, config.chunk, expect, counter, opts);
  const self = a.report.bpfCalls;
  let verdict = (peer.verify ?? verifyPeer)(a.report, expect);
  if (a.covers === 'read' && a.report.entries > 0 && totalCalls(a.kernel) === 0) {
    // What it says it read did not come through bpf(2) in its own process between its marks.
    verdict = { ...verdict, ok: false, problems: [...verdict.problems, 'the kernel counted no bpf call of its process between its marks'] };
  }
  return {
    verdict,
    bpfCalls: kernelCount(a.kernel, a.covers),
    selfBpfCalls: self ? { countedBy: 'self', covers: 'read', calls: self, agrees: countsAgree(self, a.kernel) } : null,
    processBpfCalls: kernelCount(a.process, 'process'),
    // Its read on its own clock (bpftool, timed as a process, and exec: readers, timed at marks, have none).
    auditTime: a.covers === 'read' ? auditTimeOf(a.report.wallNs, a.kernel, strategy) : null,
  };
}

const TS_TIMING: PeerTiming = { by: 'self', includesStartup: false };

export async function runPeers(config: PeersConfig, progress: Progress, log: (line: string) => void): Promise<PeersOutcome> {
  // Before the map: a command not found or a tool missing is one line, and no map is made.
  const { peers, broken, skipped } = preparePeers(config, log);
  const bench = openBenchMap({ ...config, kernelCount: true }, progress);
  const counter = bench.counter!;
  const pin = config.pin ?? `${PIN_DIR}/peers-${process.pid}`;
  // --cpu: from here on (the map filled on every CPU), the main thread runs
  // only there: bpfbench's reads run on it, and each peer's process inherits it at fork.
  let unpin: (() => void) | undefined;
  try {
    if (config.cpu !== undefined) unpin = pinThreadTo(config.cpu);
    preparePinPath(pin);
    bench.map.pin(pin);
    trackPin(pin);
    const expect: Expectation = { entries: config.entries, value: FILL_VALUE };
    const opts: PeerRunOptions = { mapId: BpfMap.infoOf(bench.map.fd).id, timeoutMs: config.peerTimeoutMs, threads: config.threads };
    const implName = (impl: string) => (impl.startsWith('exec:') ? `exec:${parseExecSpec(impl).name}` : impl);
    const skippedNames = new Set(skipped.map((x) => x.impl));
    const rows: Row[] = config.impls.flatMap((impl): Row[] => {
      if (impl === 'ts') return config.loops.map((loop) => ({ impl, loop, timing: TS_TIMING }));
      const peer = peers.get(implName(impl))!;
      return skippedNames.has(peer.name) ? [] : [{ impl: peer.name, timing: peer.timing }];
    });
    const strategiesOf = (row: Row) => {
      if (row.impl === 'ts') return config.strategies;
      const own = peers.get(row.impl)!.strategies;
      return own.includes(OWN_STRATEGY) ? [OWN_STRATEGY] : config.strategies.filter((s) => own.includes(s));
    };
    const label = (row: Row) => (row.loop ? `${row.impl} (${row.loop})` : row.impl);
    const samples = new Map<string, Sample[]>();
    const audits = new Map<string, AuditRecord>();
    // A row × strategy that failed to run: its one line; it is not run again.
    const errors = new Map<string, string>();
    for (const row of rows) for (const s of strategiesOf(row)) if (broken.has(row.impl)) errors.set(rowKey(row, s), broken.get(row.impl)!);
    const attempt = async (row: Row, s: string, what: () => Promise<void>) => {
      try {
        await what();
      } catch (e) {
        const line = (e as Error).message.split('\n')[0]!;
        errors.set(rowKey(row, s), line);
        log(`FAILED ${row.impl} ${s}: ${line}`);
      }
    };

    // The peers' audit pass: one untimed read each, counted by the kernel.
    for (const row of rows) {
      if (row.impl === 'ts') continue;
      for (const s of strategiesOf(row)) {
        if (errors.has(rowKey(row, s))) continue;
        progress.start(`audit: ${label(row)} ${s}`, 0);
        await attempt(row, s, async () => void audits.set(rowKey(row, s), await auditPeer(peers.get(row.impl)!, pin, s, config, expect, counter, opts)));
        progress.end();
      }
    }

    const verifier = new Verifier(expect);
    // bpfbench's own read: one, measured like `run`; in the first round after
    // a warmup read, which measureStrategy's audit counts with the kernel.
    const tsRead = (row: Row, strategy: string, round: number): Sample => {
      const policy = { minRuns: 1, maxRuns: 1, budgetMs: 0, warmup: round === 0 ? 1 : 0 };
      const m = measureStrategy({
        map: bench.map,
        strategy: strategyByName(strategy)!,
        chunk: config.chunk,
        sink: verifier,
        policy,
        progress: silentProgress,
        loop: row.loop,
        counter: round === 0 ? counter : undefined,
        threads: config.threads,
      });
      if (m.audit) {
        const { kernel, bpf, agree } = m.audit;
        audits.set(rowKey(row, strategy), {
          verdict: undefined,
          bpfCalls: kernelCount(kernel, 'read'),
          selfBpfCalls: { countedBy: 'self', covers: 'read', calls: bpf, agrees: agree },
          processBpfCalls: null,
          auditTime: auditTimeOf(m.audit.wallNs, kernel, strategy),
        });
      }
      const r = m.samples[m.samples.length - 1]!;
      // Where the read ran: with --cpu, the one CPU this thread may run on (a single-thread read runs on the calling thread).
      const readOn = strategyByName(strategy)?.usesThreads ? null : currentCpu();
      return { wallNs: r.wallNs, verdict: r.verdict, allocatedBytes: r.memory.allocatedBytes, gcCount: r.memory.gcCount, chunk: null, cpu: readOn };
    };
    const peerRead = async (peer: Peer, strategy: string): Promise<Sample> => {
      const r = await peer.read(pin, strategy, config.chunk, expect, opts);
      const chunk = r.chunk !== undefined && r.chunk !== null && r.chunk !== config.chunk ? r.chunk : null;
      return { wallNs: r.wallNs, verdict: (peer.verify ?? verifyPeer)(r, expect), allocatedBytes: r.allocatedBytes ?? null, gcCount: r.gcCount ?? null, chunk, cpu: r.cpu ?? null };
    };
    // With a ratio gate: after --rounds, one more round at a time until every
    // bpfbench row's ratio to C is decided, or the cap.
    const gate = config.gate;
    const lastRound = gate ? Math.max(config.rounds, gate.maxRounds) : config.rounds;
    const decided = () => {
      if (!gate) return true;
      return rows.every(
        (row) =>
          row.impl !== 'ts' ||
          strategiesOf(row).every((s) => {
            const mine = samples.get(rowKey(row, s));
            const c = samples.get(rowKey({ impl: 'c' } as Row, s));
            const ref = referenceOf(gate, s);
            // Nothing to judge (a failed row, no C row): more rounds cannot help; the report fails it.
            if (!mine?.length || !c?.length || ref === undefined) return true;
            return (
              judgeRatio(
                mine.map((x) => x.wallNs),
                c.map((x) => x.wallNs),
                ref,
                gate.threshold,
              ).verdict !== 'undecided'
            );
          }),
      );
    };
    for (let round = 0; round < lastRound; round++) {
      if (round >= config.rounds && decided()) break;
      // Rotate the order each round so no implementation always goes first.
      const order = rows.map((_, i) => rows[(i + round) % rows.length]!);
      for (const row of order) {
        for (const s of strategiesOf(row)) {
          const k = rowKey(row, s);
          if (errors.has(k)) continue;
          progress.start(`round ${round + 1}/${round < config.rounds ? config.rounds : `≤${lastRound}`}: ${label(row)} ${s}`, 0);
          await attempt(row, s, async () => {
            const sample = row.impl === 'ts' ? tsRead(row, s, round) : await peerRead(peers.get(row.impl)!, s);
            if (!samples.has(k)) samples.set(k, []);
            samples.get(k)!.push(sample);
          });
          progress.end();
        }
      }
    }
    const cells = rows.flatMap((row) => strategiesOf(row).map((s) => cellOf(row, s, samples.get(rowKey(row, s)) ?? [], audits.get(rowKey(row, s)), errors.get(rowKey(row, s)), config.entries)));
    return { config, context: bench.context, map: bench.record, fill: bench.fill, pin, cells, skipped };
  } finally {
    unpin?.();
    removePin(pin);
    bench.close();
  }
}
