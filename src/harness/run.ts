// `bpfbench run`, end to end: open the map (bench-map.ts: preflight, create,
// fill; or a map that exists), then measure each strategy on it, verified
// against what was written, or across strategies for a map we did not fill.
import { MAP_TYPES } from '../bpf/map-types.js';
import { InvalidInputError } from '../errors.js';
import { arrayDrainMessage } from '../strategies/drain.js';
import { DEFAULT_LOOP, requireLoop, type ReadLoop, type Strategy } from '../strategies/index.js';
import { openBenchMap, openExistingMap, type MapConfig, type MapRecord, type MapSource } from './bench-map.js';
import { Census, crossCheck } from './census.js';
import type { RunContext } from './context.js';
import type { FillResult } from './fill.js';
import { measureStrategy, type RepeatPolicy, type StrategyMeasurement } from './measure.js';
import type { MemoryPlan } from './preflight.js';
import type { Progress } from './progress.js';
import type { VerifyingSink } from './verdict.js';
import { Verifier } from './verifier.js';


export interface RunConfig extends MapConfig {
  source: MapSource;
  chunk: number;
  strategies: readonly Strategy[];
  repeat: RepeatPolicy;
  /** The runs setting as given ('auto' or a count), for the record. */
  runsSetting: number | 'auto';
  /** Fail on ENOSPC instead of growing the chunk. */
  strictChunk?: boolean;
  /** Where the read loop runs (default: native; loopOf() says which ran). */
  loop?: ReadLoop;
}

/** The loop a run's reads use. */
export const loopOf = (config: { loop?: ReadLoop }): ReadLoop => config.loop ?? DEFAULT_LOOP;

export interface RunOutcome {
  config: RunConfig;
  context: RunContext;
  memory: MemoryPlan;
  map: MapRecord;
  fill: FillResult | null;
  measurements: StrategyMeasurement[];
}

export interface RunHooks {
  progress: Progress;
}

/** Refuses what cannot work before creating a map that may take minutes to fill. */
function checkStrategies(config: RunConfig, existing: boolean): void {
  // The native loop's library: missing or unloadable is one line, before any map.
  requireLoop(loopOf(config));
  const mapType = config.mapType ?? 'hash';
  for (const s of config.strategies) {
    if (!s.drains) continue;
    if (!existing && !MAP_TYPES[mapType].canDelete) throw new InvalidInputError(arrayDrainMessage(s.name, mapType));
    if (existing) throw new InvalidInputError(`${s.name} empties the map, and bpfbench did not fill this one: it reads maps it did not fill without changing them`);
  }
}

export function runBenchmark(config: RunConfig, hooks: RunHooks): RunOutcome {
  const existing = config.source.kind !== 'create';
  checkStrategies(config, existing);
  const withIter = { ...config, iterProgram: config.strategies.some((s) => s.needsIterProgram) };
  const bench = config.source.kind === 'create' ? openBenchMap(withIter, hooks.progress) : openExistingMap(config.source, withIter);
  try {
    // A map we filled is checked against what we wrote; any other map, across strategies.
    const verifier = existing ? undefined : new Verifier(bench.expect!);
    const sink: VerifyingSink = verifier ?? new Census(bench.map.maxEntries);
    const refill = bench.refill && verifier ? () => bench.refill!(verifier) : undefined;
    const measurements: StrategyMeasurement[] = [];
    for (const strategy of config.strategies) {
      const m = measureStrategy({
        map: bench.map,
        strategy,
        chunk: config.chunk,
        sink,
        policy: config.repeat,
        progress: hooks.progress,
        counter: bench.counter,
        strictChunk: config.strictChunk,
        iterProgFd: bench.iterProgFd,
        refill,
        loop: loopOf(config),
      });
      measurements.push(m);
      // A drain leaves the map empty: fill it again for the strategies after it.
      if (strategy.drains && refill) refill();
    }
    if (existing) {
      const checked = crossCheck(measurements.map((m) => ({ label: m.label, verdict: m.verdict })));
      measurements.forEach((m, i) => {
        m.verdict = checked[i]!;
        m.failed = !m.verdict.ok && !m.strategy.expectedToFail;
      });
    }
    return { config, context: bench.context, memory: bench.memory, map: bench.record, fill: bench.fill, measurements };
  } finally {
    bench.close();
  }
}
