// One strategy's row of the result, built from its measurement by a pure
// function: times, bpf calls (ours and the kernel's), the audit, latency,
// noise, and its reads under writers.
import type { StrategyMeasurement } from '../../harness/measuring/measure-strategy.js';
import { freshKeys, stableCount, volatileInside, type Consistency } from '../../harness/verification/consistency.js';
import type { WritersMeasurement, WritersSetting } from '../../harness/writers/under-writers.js';
import type { Audit } from '../../harness/measuring/read-sample.js';
import { type KernelCountJson, type StrategyResultJson, disturbedRead } from './strategy-json.js';

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const worst = (m: StrategyMeasurement, f: (s: StrategyMeasurement['samples'][number]) => number) => Math.max(...m.samples.map(f));

const kernelCount = (k: Audit['kernel']): KernelCountJson => ({ total: k.total, bpf: k.bpf, bpfTotal: k.bpfTotal });

/** The audit read's kernel time, per call and as a share of its wall time; null without one. */
function kernelTimeOf(audit: Audit | undefined): StrategyResultJson['kernelTime'] {
  const ns = audit?.kernel.bpfNs;
  if (!audit || !ns) return null;
  const nsPerCall: Record<string, number> = {};
  for (const [cmd, calls] of Object.entries(audit.kernel.bpf)) if (calls > 0) nsPerCall[cmd] = (ns[cmd] ?? 0) / calls;
  const bpfNs = sum(ns);
  return { nsPerCall, bpfNs, fractionOfWall: bpfNs / Math.max(1, audit.wallNs), read: audit.read };
}

/** A mismatch fails the strategy where the calls cannot vary: a fixed layout, and no ENOSPC growth since the audit. */
function auditMismatchFails(m: StrategyMeasurement): boolean {
  return m.matchesAudit === false && m.fixedLayout && !m.samples.some((s) => s.chunkGrowths > 0);
}

export function strategyResult(m: StrategyMeasurement, setting?: WritersSetting): StrategyResultJson {
  const first = m.samples[0]!;
  const median = m.wallNs.median;
  const bpfTotal = sum(first.bpf);
  const audit = m.audit;
  const agree = audit ? audit.agree : null;
  const v = { ...m.verdict, problems: [...m.verdict.problems] };
  if (audit && !audit.agree) {
    // A count we cannot trust is a failed measurement, like a wrong read.
    v.ok = false;
    v.problems.push(`the kernel counted ${sum(audit.kernel.bpf)} bpf calls (${JSON.stringify(audit.kernel.bpf)}), bpfbench ${sum(audit.bpf)} (${JSON.stringify(audit.bpf)})`);
  }
  if (audit && auditMismatchFails(m)) {
    // On a fixed layout the same read makes the same calls: the kernel's count does not vouch for these.
    v.ok = false;
    v.problems.push(
      `${first.phase} made ${bpfTotal} bpf calls (${JSON.stringify(first.bpf)}), not those of the audited read (${audit.read}, ${audit.entries} entries: ${JSON.stringify(audit.kernel.bpf)})`,
    );
  }
  const w = m.underWriters;
  if (w?.failed) {
    v.ok = false;
    v.problems.push(...w.problems);
  }
  const allocated = worst(m, (s) => s.memory.allocatedBytes);
  return {
    strategy: m.strategy.name,
    label: m.label,
    chunk: m.strategy.usesChunk ? m.chunk : null,
    runs: m.runs,
    warmupRuns: m.warmupRuns,
    verified: {
      ok: v.ok,
      expectedToFail: m.strategy.expectedToFail === true,
      entries: v.entries,
      distinct: v.distinct,
      expectedEntries: v.expectedEntries,
      keySumOk: v.keySumOk,
      checksumOk: v.checksumOk,
      badValues: v.badValues,
      badKeys: v.badKeys,
      problems: v.problems,
      checkedBy: v.checkedBy ?? 'js',
    },
    counted: first.counted,
    effectiveChunk: m.strategy.usesChunk ? (m.samples[m.samples.length - 1]!.chunk ?? m.chunk) : null,
    chunkGrowths: Math.max(...m.samples.map((s) => s.chunkGrowths)),
    wallNs: { mean: m.wallNs.mean, sd: m.wallNs.sd, median, min: m.wallNs.min, max: m.wallNs.max, rme: m.wallNs.rme, samples: m.wallNs.samples },
    ...(m.samples.every((s) => s.noise) ? { noise: m.samples.map((s) => ({ ...s.noise!, disturbed: disturbedRead(s.noise!, s.wallNs) })) } : {}),
    ...(m.stoppedBy ? { stoppedBy: m.stoppedBy } : {}),
    nsPerEntry: median / Math.max(1, v.entries),
    nsPerDistinctEntry: median / Math.max(1, v.distinct),
    entriesPerSec: v.entries / (median / 1e9),
    cpu: { userNs: mean(m.samples.map((s) => s.userNs)), sysNs: mean(m.samples.map((s) => s.sysNs)) },
    syscalls: {
      bpf: first.bpf,
      bpfTotal,
      perEntry: bpfTotal / Math.max(1, v.entries),
      variedBetweenRuns: m.callsVaried,
      kernel: audit ? kernelCount(audit.kernel) : null,
      agree,
      kernelCountedRead: audit ? audit.phase : null,
      countedBy: 'self',
      read: first.phase,
      audit: audit
        ? { read: audit.read, entries: audit.entries, wallNs: audit.wallNs, bpf: audit.bpf, kernel: kernelCount(audit.kernel), agree: audit.agree, callLatency: audit.callLatency?.summary() ?? null }
        : null,
      matchesAudit: m.matchesAudit,
    },
    kernelTime: kernelTimeOf(audit),
    callLatency: m.callLatency?.summary() ?? null,
    aborted: m.aborted ? { read: m.aborted.phase, steps: m.aborted.steps } : null,
    sharded: first.shards ?? null,
    consistency: w ? consistencyJson(w) : null,
    writers: w && setting ? writersJson(w, setting) : null,
    memory: {
      heapUsedDeltaBytes: worst(m, (s) => s.memory.heapUsedDeltaBytes),
      externalDeltaBytes: worst(m, (s) => s.memory.externalDeltaBytes),
      rssPeakBytes: worst(m, (s) => s.memory.rssPeakBytes),
      allocatedBytes: allocated,
      allocatedBytesPerEntry: allocated / Math.max(1, v.entries),
      gcCount: worst(m, (s) => s.memory.gcCount),
      gcPauseNs: worst(m, (s) => s.memory.gcPauseNs),
    },
  };
}

/** How far a read under writers strayed from reading each stable key once. */
const disorder = (c: Consistency) => c.stableDuplicates + c.stableMissed + c.restarts;

function consistencyJson(w: WritersMeasurement): NonNullable<StrategyResultJson['consistency']> {
  let worstAt = 0;
  w.rounds.forEach((r, i) => {
    if (disorder(r.consistency) > disorder(w.rounds[worstAt]!.consistency)) worstAt = i;
  });
  const worstRound = w.rounds[worstAt]!;
  return { ...worstRound.consistency, reads: w.rounds.length, worstRead: worstRound.loaded.phase, perRead: w.rounds.map((r) => r.consistency) };
}

function writersJson(w: WritersMeasurement, s: WritersSetting): NonNullable<StrategyResultJson['writers']> {
  return {
    n: s.n,
    rate: s.rate,
    rounds: w.rounds.length,
    readerNsPerEntryAlone: w.readerNsPerEntryAlone,
    readerNsPerEntryDuring: w.readerNsPerEntryDuring,
    readerSlowdown: w.readerNsPerEntryDuring / w.readerNsPerEntryAlone,
    opsPerSecAlone: w.opsPerSecAlone,
    opsPerSecDuringRead: w.opsPerSecDuringRead,
    writerSlowdown: w.opsPerSecAlone / Math.max(1e-9, w.opsPerSecDuringRead),
    aborted: w.aborted,
    bpfCalls: w.bpfCalls ?? null,
  };
}

export function keySpaceOf(entries: number, volatileEvery: number): { fresh: number; stableKeys: number; volatileKeys: number } {
  const space = { entries, volatileEvery, fresh: freshKeys(entries, volatileEvery), value: 0 };
  return { fresh: space.fresh, stableKeys: stableCount(space), volatileKeys: volatileInside(space) + space.fresh };
}

/** One sentence per verified strategy, compared with the reference: `batch(4096) read 1,048,576 entries 7.41 ± 0.12× faster than elem`. */
