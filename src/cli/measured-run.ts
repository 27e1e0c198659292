// A measured run as `run` and `reproduce` do it: flags → the harness's
// configuration (cross-flag checks here), the run (its phases on stderr,
// stopped at once by SIGINT/SIGTERM), and its table printed.
import { removeOwnPins, signalExitCode } from '../bpf/maps/bpffs.js';
import { callPhase, processCalls } from '../bpf/syscall/call-account.js';
import { Feature, isAvailable, probeLookupBatch } from '../bpf/programs/features.js';
import { BpfMap } from '../bpf/maps/map.js';
import { MAP_TYPES } from '../bpf/maps/map-types.js';
import type { FillMethod } from '../harness/filling/fill.js';
import { isDefaultShape, type MapSource } from '../harness/filling/bench-map.js';
import { runBenchmark, type RunConfig, type RunHooks, type RunOutcome } from '../harness/measuring/run-benchmark.js';
import { buildRunResult } from '../report/result/result.js';
import type { RunResultJson } from '../report/result/run-json.js';
import { renderRunDetail } from '../report/rendering/detail-table.js';
import { renderRunFooter, renderRunHeader, renderRunTable, renderWritersTable } from '../report/rendering/table.js';
import { InvalidInputError } from '../errors.js';
import { TOOL } from '../paths.js';
import { checkPrivilege } from '../harness/filling/preflight.js';
import { chooseStrategies, strategyByName, type Choice, type ReadLoop, type Strategy } from '../strategies/index.js';
import { UsageError } from '../errors.js';
import { useColor, type Io } from './io.js';
import { AUTO_MAX_RUNS, AUTO_WARMUP_MAX_ENTRIES, checkThreads, type MapShapeFlags, type MeasureFlags } from './options.js';
import type { ExportFlags, OutputFlags } from './output-options.js';
import { writersCapacity } from '../harness/verification/consistency.js';
import { type WriteOp, type WritersSetting, WRITE_OPS } from '../harness/writers/under-writers.js';
import { interruptedLine, interruptible, Interrupted } from './interrupt.js';
import { cliProgress, type CliProgress } from './terminal-progress.js';

/** The flags of a measured run (`reproduce` has no shape, source or --max-entries flags: the defaults hold). */
export interface MeasuredRunFlags extends Partial<MapShapeFlags>, MeasureFlags, OutputFlags, ExportFlags {
  entries: number;
  maxEntries?: number;
  fill: FillMethod | 'auto';
  mapFlags: number;
  chunk: number;
  strictChunk: boolean;
  /** Where the read loop runs. */
  loop: ReadLoop;
  /** Threads of sharded strategies (default: the online CPUs). */
  threads?: number;
  verbose: boolean;
  object?: string;
  /** run: read this pinned map instead of creating one. */
  pin?: string;
  /** run: read the map with this id instead of creating one. */
  mapId?: number;
  /** run --writers: also read under N in-kernel writers. */
  writers?: number;
  writeRate?: number | 'max';
  writeMix?: WriteOp[];
  volatileEvery?: number;
}

/** --fill auto: in kernel for the published experiment's map, UPDATE_BATCH for any other shape. */
/**
 * --fill auto: in kernel for the published experiment's map where this
 * kernel loads the fill program, else UPDATE_BATCH (which any kernel with
 * LOOKUP_BATCH has); elem where the kernel lacks that too.
 */
export function resolveFill(flags: { fill: FillMethod | 'auto'; object?: string } & Partial<MapShapeFlags>): FillMethod {
  if (flags.fill !== 'auto') return flags.fill;
  if (isDefaultShape(flags) && isAvailable(Feature.fillProgram, flags.object)) return 'prog';
  return probeLookupBatch(MAP_TYPES[flags.mapType ?? 'hash'].type) ? 'batch' : 'elem';
}

/** --max-entries, defaulting to --entries, never below it. */
export function maxEntriesOf(flags: { entries: number; maxEntries?: number }, fmt: (n: number) => string = String): number {
  const maxEntries = flags.maxEntries ?? flags.entries;
  if (maxEntries < flags.entries) throw new InvalidInputError(`--max-entries (${fmt(maxEntries)}) must be at least --entries (${fmt(flags.entries)})`);
  return maxEntries;
}

/** The map a run reads: one it makes, or one that exists (--pin, --map-id). */
export function sourceOf(flags: Pick<MeasuredRunFlags, 'pin' | 'mapId'>): MapSource {
  if (flags.pin !== undefined && flags.mapId !== undefined) throw new InvalidInputError('--pin and --map-id name two maps: give one');
  return flags.pin !== undefined ? { kind: 'pin', path: flags.pin } : flags.mapId !== undefined ? { kind: 'id', id: flags.mapId } : { kind: 'create' };
}

/** --warmup auto: one untimed read for a map up to AUTO_WARMUP_MAX_ENTRIES, none above. */
export const autoWarmup = (mapEntries: number): number => (mapEntries <= AUTO_WARMUP_MAX_ENTRIES ? 1 : 0);

/**
 * The size --warmup auto goes by: --entries for a map this run makes; the
 * max_entries of a map that exists, read from the kernel now (--entries
 * means nothing for it).
 */
export function warmupSize(flags: MeasuredRunFlags, source: MapSource = sourceOf(flags)): number {
  if (source.kind === 'create') return flags.entries;
  checkPrivilege();
  const map = source.kind === 'pin' ? BpfMap.openPinned(source.path) : BpfMap.openById(source.id);
  try {
    return map.maxEntries;
  } finally {
    map.close();
  }
}

/** Flags → the harness's configuration (cross-flag checks here); `mapEntries`: the size --warmup auto goes by (warmupSize). */
export function runConfig(flags: MeasuredRunFlags, strategyNames: string[], mapEntries: number = flags.entries, strategiesNamed = false): RunConfig {
  const writers = writersOf(flags);
  const maxEntries = writers ? writersMaxEntries(flags, writers.volatileEvery) : maxEntriesOf(flags, (n) => n.toLocaleString('en-US'));
  const fixedRuns = flags.runs === 'auto' ? undefined : flags.runs;
  const warmup = flags.warmup === 'auto' ? autoWarmup(mapEntries) : flags.warmup;
  const source = sourceOf(flags);
  const strategies = strategyNames.map((n) => strategyByName(n)!);
  const threads = checkThreads(flags.threads, strategies, flags.loop);
  return {
    source,
    mapType: flags.mapType,
    keySize: flags.keySize,
    valueSize: flags.valueSize,
    entries: flags.entries,
    maxEntries,
    chunk: flags.chunk,
    strategies,
    strategiesNamed,
    threads: strategies.some((s) => s.usesThreads) ? threads : undefined,
    fill: resolveFill(flags),
    mapFlags: flags.mapFlags,
    repeat:
      fixedRuns !== undefined
        ? { minRuns: fixedRuns, maxRuns: fixedRuns, budgetMs: 0, warmup }
        : { minRuns: 1, maxRuns: AUTO_MAX_RUNS, budgetMs: flags.budget * 1000, warmup, precision: flags.precision },
    runsSetting: flags.runs,
    kernelCount: flags.kernelCount,
    strictChunk: flags.strictChunk,
    loop: flags.loop,
    objectPath: flags.object,
    writers,
  };
}

/** --writers and its companions → the writers a run reads under (undefined without --writers). */
function writersOf(flags: MeasuredRunFlags): WritersSetting | undefined {
  if (flags.writers === undefined) return undefined;
  return { n: flags.writers, rate: flags.writeRate ?? 'max', mix: flags.writeMix ?? [...WRITE_OPS], volatileEvery: flags.volatileEvery ?? 8 };
}

/**
 * Under writers the map holds the loaded keys and the fresh ones at once:
 * max_entries defaults to that (writersCapacity), and is refused below it.
 */
function writersMaxEntries(flags: MeasuredRunFlags, volatileEvery: number): number {
  const need = writersCapacity(flags.entries, volatileEvery);
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (flags.maxEntries !== undefined && flags.maxEntries < need) {
    throw new InvalidInputError(`--max-entries (${fmt(flags.maxEntries)}) must hold --entries and the writers' ${fmt(need - flags.entries)} fresh keys: at least ${fmt(need)}`);
  }
  return flags.maxEntries ?? need;
}

/**
 * A SIGINT or SIGTERM stopped the run: remove what it made, say where it
 * stopped and what was removed, and exit as a shell reports a signal (130, 143).
 * A map this run made is freed by the kernel as the process exits (its fds
 * close; nothing else holds it); a map that exists is left as it was.
 */
function exitInterrupted(e: Interrupted, progress: CliProgress, madeMap: boolean, io: Io): never {
  const pins = removeOwnPins();
  const cleaned = [...(madeMap && (progress.current ?? progress.last) !== undefined ? ['map removed'] : []), ...pins.map((p) => `pin ${p} removed`)];
  // A phase that ended before the signal finished: its line first.
  progress.flush();
  progress.clear();
  io.stderr.write(`${interruptedLine(e.signal, progress, cleaned)}\n`);
  process.exit(signalExitCode(e.signal));
}

/**
 * Runs the benchmark, prints the run's header, table and footer to `human`
 * (the output stage's: stderr when a result goes to stdout); returns the
 * result and whether it printed in colour.
 */
export function measureAndPrint(
  flags: MeasuredRunFlags,
  io: Io,
  strategyNames: string[],
  o: { strategiesNamed?: boolean; withMap?: RunHooks['withMap']; human: NodeJS.WriteStream },
): { result: RunResultJson; color: boolean } {
  const { strategiesNamed = false, withMap, human } = o;
  const source = sourceOf(flags);
  const config = runConfig(flags, strategyNames, flags.warmup === 'auto' ? warmupSize(flags, source) : flags.entries, strategiesNamed);
  const color = useColor(flags, io, human);
  const progress = cliProgress(io.stderr);
  let outcome: RunOutcome;
  try {
    outcome = interruptible(() => runBenchmark(config, { progress, withMap }));
    progress.flush();
  } catch (e) {
    if (e instanceof Interrupted) exitInterrupted(e, progress, source.kind === 'create', io);
    throw e;
  }
  // The process's bpf calls up to here: the map is closed, and what follows (the output) makes none.
  callPhase('after the run');
  const result = buildRunResult({ ...outcome, calls: processCalls() }, TOOL);
  const opts = { color };
  const detail = flags.verbose ? `\n${renderRunDetail(result, opts)}\n` : '';
  const writers = renderWritersTable(result, opts);
  human.write(`${renderRunHeader(result, opts)}\n${renderRunTable(result, opts)}\n${writers ? `${writers}\n` : ''}${detail}${renderRunFooter(result, opts)}\n`);
  return { result, color };
}

/**
 * The strategies this kernel allows, for commands that take a list (sweep,
 * peers): one asked for by name and refused is one line and exit 1; one of
 * a default list is left out, said once on stderr, and the rest go on.
 */
export function chooseAvailable(list: Strategy[], o: { named: boolean; mapType?: number; objectPath?: string }, io: Io): Choice {
  const choice = chooseStrategies(list, o);
  if (choice.strategies.length === 0) throw new UsageError(`nothing to read: ${choice.unavailable.map((u) => `${u.strategy}: ${u.reason}`).join('; ')}`);
  for (const u of choice.unavailable) io.stderr.write(`bpfbench: left out ${u.strategy}: ${u.reason}\n`);
  return choice;
}
