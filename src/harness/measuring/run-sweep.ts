// `bpfbench sweep`: every chunk on every map size, one map per size reused
// across chunks, with elem measured once per size as the reference level;
// each point with its calls' latency (bpf/latency.ts).
import type { CallLatency } from '../../bpf/native/latency.js';
import { REFERENCE, requireLoop, type ReadLoop, type Strategy } from '../../strategies/index.js';
import { measureStrategy, type RepeatPolicy } from './measure-strategy.js';
import type { Progress } from './progress.js';
import { openBenchMap, type BenchMap, type MapConfig } from '../filling/bench-map.js';
import { loopOf } from './run-benchmark.js';
import { Verifier } from '../verification/verifier.js';

export interface SweepConfig extends Omit<MapConfig, 'entries' | 'maxEntries'> {
  entries: number[];
  /** max_entries per size (default: the size). */
  maxEntries?: number[];
  chunks: number[];
  /** Chunked strategies to sweep. */
  strategies: Strategy[];
  /** Measure elem once per size as the reference. */
  withElem: boolean;
  repeat: RepeatPolicy;
  /** Where the read loop runs (default: native). */
  loop?: ReadLoop;
}

export interface SweepPoint {
  entries: number;
  maxEntries: number;
  strategy: string;
  label: string;
  chunk: number | null;
  effectiveChunk: number | null;
  chunkGrowths: number;
  runs: number;
  medianNs: number;
  sdNs: number;
  nsPerEntry: number;
  verified: boolean;
  problems: string[];
  bpfCalls: Record<string, number>;
  /** How long one bpf call of the measured reads took (ns, merged over runs); null when none was timed (absent: a sweep from before it was). */
  callLatency?: CallLatency | null;
}

export interface SweepOutcome {
  config: SweepConfig;
  context: BenchMap['context'];
  points: SweepPoint[];
}

export function runSweep(config: SweepConfig, progress: Progress): SweepOutcome {
  // The native loop's library: missing or unloadable is one line, before any map.
  const loop = loopOf(config);
  requireLoop(loop);
  const points: SweepPoint[] = [];
  let context: BenchMap['context'] | undefined;
  config.entries.forEach((entries, i) => {
    const maxEntries = config.maxEntries?.[i] ?? entries;
    const bench = openBenchMap({ ...config, entries, maxEntries }, progress);
    context ??= bench.context;
    try {
      const verifier = new Verifier(bench.expect!);
      const plan: [Strategy, number][] = [];
      if (config.withElem) plan.push([REFERENCE, 0]);
      for (const chunk of config.chunks) for (const s of config.strategies) plan.push([s, chunk]);
      for (const [s, chunk] of plan) {
        const m = measureStrategy({ map: bench.map, strategy: s, chunk, sink: verifier, policy: config.repeat, progress, iterProgFd: bench.iterProgFd, loop });
        const last = m.samples[m.samples.length - 1]!;
        points.push({
          entries,
          maxEntries,
          strategy: s.name,
          label: m.label,
          chunk: s.usesChunk ? chunk : null,
          effectiveChunk: s.usesChunk ? (last.chunk ?? chunk) : null,
          chunkGrowths: last.chunkGrowths,
          runs: m.runs,
          medianNs: m.wallNs.median,
          sdNs: m.wallNs.sd,
          nsPerEntry: m.wallNs.median / Math.max(1, m.verdict.entries),
          verified: m.verdict.ok,
          problems: m.verdict.problems,
          bpfCalls: m.samples[0]!.bpf,
          callLatency: m.callLatency?.summary() ?? null,
        });
      }
    } finally {
      bench.close();
    }
  });
  return { config, context: context!, points };
}
