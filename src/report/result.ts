// The versioned JSON result of a run (schemaVersion 1). Later versions add
// fields; they never rename or remove one. Built from the harness's
// measurements by a pure function, so the table, the summary and the file
// all say the same thing.
import type { RunOutcome } from '../harness/run.js';
import type { StrategyMeasurement } from '../harness/measure.js';

export const SCHEMA_VERSION = 1;

export interface ToolInfo {
  name: string;
  version: string;
}

export interface VerifiedJson {
  ok: boolean;
  expectedToFail: boolean;
  entries: number;
  distinct: number;
  expectedEntries: number;
  keySumOk: boolean;
  checksumOk: boolean;
  badValues: number;
  badKeys: number;
  problems: string[];
}

export interface StrategyResultJson {
  strategy: string;
  label: string;
  chunk: number | null;
  runs: number;
  warmupRuns: number;
  verified: VerifiedJson;
  /** Entries the reader's own loop counted (what a naive tool would print). */
  counted: number;
  wallNs: { mean: number; sd: number; median: number; min: number; max: number; rme: number | null; samples: number[] };
  /** Median wall time per entry delivered. */
  nsPerEntry: number;
  /** Median wall time per distinct key seen. */
  nsPerDistinctEntry: number;
  entriesPerSec: number;
  /** CPU time of one read, mean over runs (all threads of the process). */
  cpu: { userNs: number; sysNs: number };
  /** bpf calls of one read, by command (first measured read). */
  syscalls: { bpf: Record<string, number>; bpfTotal: number; perEntry: number; variedBetweenRuns: boolean };
  /** The worst read's heap growth and GC count. */
  memory: { heapUsedDeltaBytes: number; gcCount: number };
}

export interface RunResultJson {
  schemaVersion: number;
  tool: ToolInfo;
  createdAt: string;
  context: RunOutcome['context'];
  config: {
    mapType: string;
    keySize: number;
    valueSize: number;
    entries: number;
    maxEntries: number;
    mapFlags: number;
    chunk: number;
    fill: string;
    runs: number | 'auto';
    warmup: number;
    strategies: string[];
  };
  map: RunOutcome['map'] & { estimatedBytes: number };
  fill: { method: string; wallNs: number; nsPerEntry: number; bpfCalls: Record<string, number> };
  results: StrategyResultJson[];
  summary: {
    ok: boolean;
    /** Median elem time / median time of each verified strategy. */
    speedup: Record<string, number>;
    failed: string[];
    line: string;
  };
  warnings: string[];
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function strategyResult(m: StrategyMeasurement): StrategyResultJson {
  const v = m.verdict;
  const first = m.samples[0]!;
  const median = m.wallNs.median;
  const bpfTotal = sum(first.bpf);
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
    },
    counted: first.counted,
    wallNs: { mean: m.wallNs.mean, sd: m.wallNs.sd, median, min: m.wallNs.min, max: m.wallNs.max, rme: m.wallNs.rme, samples: m.wallNs.samples },
    nsPerEntry: median / Math.max(1, v.entries),
    nsPerDistinctEntry: median / Math.max(1, v.distinct),
    entriesPerSec: v.entries / (median / 1e9),
    cpu: { userNs: mean(m.samples.map((s) => s.userNs)), sysNs: mean(m.samples.map((s) => s.sysNs)) },
    syscalls: { bpf: first.bpf, bpfTotal, perEntry: bpfTotal / Math.max(1, v.entries), variedBetweenRuns: m.callsVaried },
    memory: {
      heapUsedDeltaBytes: Math.max(...m.samples.map((s) => s.heapUsedDeltaBytes)),
      gcCount: Math.max(...m.samples.map((s) => s.gcCount)),
    },
  };
}

/** One sentence comparing the fastest verified chunked strategy with elem. */
export function summaryLine(results: StrategyResultJson[], speedup: Record<string, number>): string {
  const failed = results.filter((r) => !r.verified.ok);
  if (failed.length) return `FAILED: ${failed.map((r) => r.label).join(', ')} did not read what the loader wrote`;
  const base = results.find((r) => r.strategy === 'elem');
  const others = results.filter((r) => r.strategy !== 'elem' && r.verified.ok && speedup[r.strategy] !== undefined);
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (base && others.length) {
    return others
      .map((r) => {
        const x = speedup[r.strategy]!;
        const how = x >= 1 ? `${x.toFixed(x >= 10 ? 1 : 2)}× faster than` : `${(1 / x).toFixed(2)}× slower than`;
        return `${r.label} read ${fmt(r.verified.entries)} entries ${how} elem`;
      })
      .join('; ');
  }
  const ok = results.filter((r) => r.verified.ok);
  return ok.map((r) => `${r.label} read ${fmt(r.verified.entries)} entries in ${(r.wallNs.median / 1e9).toFixed(3)} s`).join('; ');
}

export function buildRunResult(o: RunOutcome, tool: ToolInfo, createdAt = new Date()): RunResultJson {
  const results = o.measurements.map(strategyResult);
  const base = results.find((r) => r.strategy === 'elem' && r.verified.ok);
  const speedup: Record<string, number> = {};
  if (base) {
    for (const r of results) if (r.verified.ok) speedup[r.strategy] = base.wallNs.median / r.wallNs.median;
  }
  // A strategy expected to fail (the published loop) still fails the run: its
  // read was wrong. Commands that reproduce it on purpose decide for themselves.
  const failed = results.filter((r) => !r.verified.ok).map((r) => r.label);
  const warnings: string[] = [];
  for (const r of results) {
    if (r.syscalls.variedBetweenRuns) warnings.push(`${r.label}: bpf call counts differed between runs (was the map modified during the run?)`);
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    tool,
    createdAt: createdAt.toISOString(),
    context: o.context,
    config: {
      mapType: o.map.type,
      keySize: o.map.keySize,
      valueSize: o.map.valueSize,
      entries: o.config.entries,
      maxEntries: o.config.maxEntries,
      mapFlags: o.config.mapFlags,
      chunk: o.config.chunk,
      fill: o.config.fill,
      runs: o.config.runsSetting,
      warmup: o.config.repeat.warmup,
      strategies: o.config.strategies.map((s) => s.name),
    },
    map: { ...o.map, estimatedBytes: o.memory.mapBytes },
    fill: { method: o.fill.method, wallNs: o.fill.wallNs, nsPerEntry: o.fill.wallNs / Math.max(1, o.fill.entries), bpfCalls: o.fill.bpfCalls },
    results,
    summary: { ok: failed.length === 0, speedup, failed, line: summaryLine(results, speedup) },
    warnings,
  };
}
