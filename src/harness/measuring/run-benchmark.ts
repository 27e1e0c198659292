// `bpfbench run`, end to end: open the map (bench-map.ts: preflight, create,
// fill; or a map that exists), then measure each strategy on it, verified
// against what was written, or across strategies for a map we did not fill.
import { addCalls, callPhase, type ProcessCalls } from '../../bpf/syscall/call-account.js';
import { Cmd } from '../../bpf/syscall/constants.js';
import { MAP_TYPES } from '../../bpf/maps/map-types.js';
import { Feature, probeFeature, refusalText, requireFeature } from '../../bpf/programs/features.js';
import type { CounterIdentity } from '../../bpf/programs/counter-identity.js';
import type { BpfMap } from '../../bpf/maps/map.js';
import { InvalidInputError, InvariantError, UsageError } from '../../errors.js';
import { arrayDrainMessage } from '../../strategies/drain.js';
import { chooseStrategies, DEFAULT_LOOP, requireLoop, type ReadLoop, type Strategy, type Unavailable } from '../../strategies/index.js';
import { FILL_VALUE, isDefaultShape, openBenchMap, openExistingMap, type MapConfig, type MapRecord, type MapSource } from '../filling/bench-map.js';
import { Census, crossCheck, type CrossCheck } from '../verification/census.js';
import type { RunContext } from './context.js';
import type { FillResult } from '../filling/fill.js';
import { measureStrategy, type RepeatPolicy, type StrategyMeasurement } from './measure-strategy.js';
import type { MemoryPlan } from '../filling/preflight.js';
import type { Progress } from './progress.js';
import type { VerifyingSink } from '../verification/verdict.js';
import { Verifier } from '../verification/verifier.js';
import { measureUnderWriters, type WritersSetting } from '../writers/under-writers.js';
import { ConsistencySink, freshKeys } from '../verification/consistency.js';
import { Writers } from '../writers/writers.js';
import { WallAccount } from './wall-time.js';

export interface RunConfig extends MapConfig {
  source: MapSource;
  chunk: number;
  strategies: readonly Strategy[];
  repeat: RepeatPolicy;
  /** The runs setting as given ('auto' or a count), for the record. */
  runsSetting: number | 'auto';
  /** Fail on ENOSPC instead of growing the chunk. */
  strictChunk?: boolean;
  /** Threads of sharded strategies (strategies/sharded.ts); undefined when none runs. */
  threads?: number;
  /** Where the read loop runs (default: native; loopOf() says which ran). */
  loop?: ReadLoop;
  /** Also read each strategy under in-kernel writers (run --writers). */
  writers?: WritersSetting;
  /**
   * The user named the strategies (run --strategies): one the kernel
   * refuses is an error. Else (a default list) it is left out, and said.
   */
  strategiesNamed?: boolean;
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
  /** A map bpfbench did not fill: the reads held against each other (null for a map it filled). */
  crossCheck: CrossCheck | null;
  /** Strategies of a default list this kernel refuses, left out. */
  unavailable: Unavailable[];
  /** How the kernel count knew this process (null without it). */
  counterPid: CounterIdentity | null;
  /** What the run did without because this kernel refuses it (the kernel count), one line each. */
  notes: string[];
  /** Where the run's wall time went, phase by phase (the CLI adds the process's total). */
  wall: WallAccount;
  /** Every bpf(2) call of the process, by phase (bpf/call-account.ts): taken by the CLI just before the result, after the map is closed. */
  calls?: ProcessCalls;
}

export interface RunHooks {
  progress: Progress;
  /** After bpfbench's reads, before the map is closed: other readers of the same map (reproduce --impls go). */
  withMap?: (map: BpfMap, progress: Progress) => void;
}

/**
 * Refuses what cannot work before creating a map that may take minutes to
 * fill; leaves out of a default list what this kernel refuses, and the
 * kernel count when it cannot be had. Returns the config to run.
 */
function checkStrategies(config: RunConfig, existing: boolean): { config: RunConfig; unavailable: Unavailable[]; notes: string[] } {
  // The native loop's library: missing or unloadable is one line, before any map.
  requireLoop(loopOf(config));
  const mapType = config.mapType ?? 'hash';
  // What the map type or source rules out is said before what the kernel refuses: an array's drain is wrong on any kernel.
  for (const s of config.strategies) {
    if (!s.drains) continue;
    if (!existing && !MAP_TYPES[mapType].canDelete) throw new InvalidInputError(arrayDrainMessage(s.name, mapType));
    if (existing) throw new InvalidInputError(`${s.name} empties the map, and bpfbench did not fill this one: it reads maps it did not fill without changing them`);
  }
  // A map that exists is probed as a hash map: bpfbench reads only hash, lru_hash and array maps, whose batch commands came together (5.6).
  const choice = chooseStrategies(config.strategies, { named: config.strategiesNamed === true, mapType: MAP_TYPES[existing ? 'hash' : mapType].type, objectPath: config.objectPath });
  const notes: string[] = [];
  let kernelCount = config.kernelCount;
  if (kernelCount) {
    const why = counterUnavailable(config.objectPath);
    if (why) {
      kernelCount = false;
      notes.push(`kernel count: ${why}: bpf calls are counted by bpfbench alone`);
    }
  }
  if (config.fill === 'prog' && !existing) requireFeature('--fill prog', 'syscall programs that loop with bpf_loop (Linux 5.17+; try --fill batch)', Feature.fillProgram, config.objectPath);
  if (config.writers) checkWriters(config, existing);
  return { config: { ...config, strategies: choice.strategies, kernelCount }, unavailable: choice.unavailable, notes };
}

/** Why the kernel cannot count bpf calls here (the counter's program or its tracepoint refused), or undefined. */
function counterUnavailable(objectPath?: string): string | undefined {
  const program = probeFeature(Feature.counterProgram, objectPath);
  const host = program.state === 'available' ? program : probeFeature(Feature.counterHostProgram, objectPath);
  if (host.state !== 'available') return refusalText('raw_tp/sys_enter programs', program);
  const attach = probeFeature(Feature.sysEnter, objectPath);
  if (attach.state !== 'available') return refusalText('attaching to the raw tracepoint sys_enter', attach);
  return undefined;
}

/** What --writers can run on: a map this run made, of the published shape, read without draining it. */
function checkWriters(config: RunConfig, existing: boolean): void {
  if (existing) throw new InvalidInputError('--writers changes the map: bpfbench writes only a map it makes and fills (drop --pin/--map-id)');
  requireFeature('--writers', 'its writer program write_map (a syscall program looping with bpf_loop)', Feature.writerProgram, config.objectPath);
  if (!isDefaultShape(config) || config.fill !== 'prog')
    throw new InvalidInputError("--writers runs the object's writer program on the u32 → u32 hash map it fills in the kernel: drop --map-type/--key-size/--value-size and --fill");
  for (const s of config.strategies) {
    if (s.drains) throw new InvalidInputError(`${s.name} empties the map as it reads: not with --writers (it reads while the writers keep the map's contents)`);
    if (s.expectedToFail) throw new InvalidInputError(`${s.name} never reads the whole map: not with --writers`);
  }
}

export function runBenchmark(asked: RunConfig, hooks: RunHooks): RunOutcome {
  const existing = asked.source.kind !== 'create';
  const wall = new WallAccount();
  callPhase('probes and checks before the map');
  const { config, unavailable, notes } = wall.time('probes and checks before the map', false, () => checkStrategies(asked, existing));
  if (config.strategies.length === 0) throw new UsageError(`nothing to read: ${unavailable.map((u) => `${u.strategy}: ${u.reason}`).join('; ')}`);
  const withIter = { ...config, iterProgram: config.strategies.some((s) => s.needsIterProgram), writerProgram: config.writers !== undefined };
  const t0 = process.hrtime.bigint();
  const bench = config.source.kind === 'create' ? openBenchMap(withIter, hooks.progress) : openExistingMap(config.source, withIter);
  const opened = Number(process.hrtime.bigint() - t0);
  // The map's creation and fill, each as it was timed; the rest of opening it (the BPF object's load, an LRU map's census) apart.
  const created = bench.record.createNs ?? 0;
  const filled = bench.fill?.wallNs ?? 0;
  if (created) wall.add('create the map', created, true);
  if (filled) wall.add('fill', filled, true);
  wall.add('load the BPF object; census of what the map holds', Math.max(0, opened - created - filled), false);
  let under: { writers: Writers; sink: ConsistencySink } | undefined;
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
        account: wall,
        threads: config.threads,
      });
      measurements.push(m);
      // A drain leaves the map empty: fill it again for the strategies after it.
      if (strategy.drains && refill) {
        callPhase('refill after a drain');
        wall.time('refill after a drain', true, refill);
      }
      if (config.writers && !m.failed) {
        // Started after the first strategy's own reads (and its audit): idle until a round runs them.
        callPhase('writers: start');
        const w = (under ??= startWriters(config, config.writers, bench.writerProgFd));
        callPhase(`${m.label}: reads under writers`);
        m.underWriters = wall.time(`${m.label}: reads under writers`, true, () =>
          measureUnderWriters({
            map: bench.map,
            strategy,
            chunk: config.chunk,
            writers: w.writers,
            writerCount: config.writers!.n,
            sink: w.sink,
            rounds: Math.max(1, config.repeat.minRuns),
            progress: hooks.progress,
            loop: loopOf(config),
            iterProgFd: bench.iterProgFd,
            strictChunk: config.strictChunk,
            threads: config.threads,
            counter: bench.counter,
          }),
        );
      }
    }
    if (hooks.withMap) {
      callPhase('other readers of the same map');
      wall.time('other readers of the same map', true, () => hooks.withMap!(bench.map, hooks.progress));
    }
    const checked = existing ? crossCheck(measurements.map((m) => ({ label: m.label, verdict: m.verdict }))) : null;
    return {
      config,
      context: bench.context,
      memory: bench.memory,
      map: bench.record,
      fill: bench.fill,
      measurements,
      crossCheck: checked,
      unavailable,
      notes,
      counterPid: bench.counter?.identity ?? null,
      wall,
    };
  } finally {
    callPhase('close the map and writers');
    wall.time('close the map and writers', false, () => {
      // The writer threads count their own calls (each a PROG_TEST_RUN of write_map), apart from the reader's; paused, they make none before they exit.
      if (under) addCalls('writer threads', Cmd.PROG_TEST_RUN, writerCalls(under.writers));
      under?.writers.close();
      bench.close();
    });
  }
}

/** The writers' calls, or none from a writer that crashed (the run reports the crash). */
function writerCalls(writers: Writers): number {
  try {
    return writers.totals().calls;
  } catch {
    return 0;
  }
}

/** The writer threads (idle until a round runs them) and the sink that judges reads under them. */
function startWriters(config: RunConfig, setting: WritersSetting, progFd: number | undefined): { writers: Writers; sink: ConsistencySink } {
  if (progFd === undefined) throw new InvariantError('writer program not loaded');
  const space = { entries: config.entries, volatileEvery: setting.volatileEvery, fresh: freshKeys(config.entries, setting.volatileEvery), value: FILL_VALUE };
  const writers = Writers.start(progFd, space, setting);
  return { writers, sink: new ConsistencySink(space) };
}
