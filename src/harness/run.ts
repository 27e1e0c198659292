// `bpfbench run`, end to end: preflight, load the object (which creates the
// map), fill it, then measure each strategy on the same map.
import { MapType, mapTypeName } from '../bpf/constants.js';
import { COUNTER_PROG, SyscallCounter } from '../bpf/counter.js';
import { UserError } from '../bpf/errors.js';
import { BpfObject, DEFAULT_OBJECT } from '../bpf/loader.js';
import type { BpfMap } from '../bpf/map.js';
import type { Strategy } from '../strategies/index.js';
import { runContext, type RunContext } from './context.js';
import { fillMap, type FillMethod, type FillResult } from './fill.js';
import { measureStrategy, type RepeatPolicy, type StrategyMeasurement } from './measure.js';
import { checkMemory, checkPrivilege, probeBatchSupport, type MemoryPlan } from './preflight.js';
import type { Progress } from './progress.js';
import { Verifier } from './verifier.js';

/** The value the published experiment wrote for every key. */
export const FILL_VALUE = 0xdeadbeef;
export const MAP_NAME = 'test_map';
export const FILL_PROG = 'fill';
export const ALL_PROGS = [FILL_PROG, COUNTER_PROG] as const;

/** What map to make and how to fill it. */
export interface MapConfig {
  entries: number;
  maxEntries: number;
  fill: FillMethod;
  mapFlags: number;
  /** Count syscalls from the kernel's side too (the object's sys_enter program). */
  kernelCount: boolean;
  objectPath?: string;
}

export interface RunConfig extends MapConfig {
  chunk: number;
  strategies: readonly Strategy[];
  repeat: RepeatPolicy;
  /** The runs setting as given ('auto' or a count), for the record. */
  runsSetting: number | 'auto';
}

export interface MapRecord {
  id: number;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  memlockBytes: number | undefined;
  createNs: number;
}

/** A created, filled map with what it took; close() frees it (unless pinned). */
export interface BenchMap {
  map: BpfMap;
  context: RunContext;
  memory: MemoryPlan;
  record: MapRecord;
  fill: FillResult;
  counter: SyscallCounter | undefined;
  close(): void;
}

export interface RunOutcome {
  config: RunConfig;
  context: RunContext;
  memory: MemoryPlan;
  map: MapRecord;
  fill: FillResult;
  measurements: StrategyMeasurement[];
}

export interface RunHooks {
  progress: Progress;
  /** Called as each strategy finishes (for live output). */
  onMeasured?: (m: StrategyMeasurement) => void;
}

/** Preflight, load the object (creating the map), fill it, attach the counter. */
export function openBenchMap(config: MapConfig, progress: Progress): BenchMap {
  checkPrivilege();
  const memory = checkMemory(MapType.hash, 4, 4, config.maxEntries, config.entries);
  probeBatchSupport(MapType.hash);
  const context = runContext();

  const obj = BpfObject.open(config.objectPath ?? DEFAULT_OBJECT);
  let counter: SyscallCounter | undefined;
  const close = () => {
    counter?.close();
    counter = undefined;
    obj.close();
  };
  try {
    obj.configureMap(MAP_NAME, { maxEntries: config.maxEntries, flags: config.mapFlags });
    const progs: string[] = [];
    if (config.fill === 'prog') progs.push(FILL_PROG);
    if (config.kernelCount) progs.push(COUNTER_PROG);
    obj.autoloadOnly(progs, ALL_PROGS);
    progress.start(`create map (${config.maxEntries.toLocaleString('en-US')} entries)`, 0);
    const c0 = process.hrtime.bigint();
    try {
      obj.load();
    } catch (e) {
      if (config.fill === 'prog' && e instanceof UserError && /fill|syscall|bpf_loop|helper|unknown func/i.test(e.message)) {
        throw new UserError(`${e.message}; this kernel may lack BPF_PROG_TYPE_SYSCALL/bpf_loop (Linux 5.17+): try --fill batch`);
      }
      throw e;
    } finally {
      progress.end();
    }
    const createNs = Number(process.hrtime.bigint() - c0);
    const map = obj.map(MAP_NAME);
    const fill = fillMap(config.fill, { map, entries: config.entries, value: FILL_VALUE, fillProgFd: config.fill === 'prog' ? obj.programFd(FILL_PROG) : undefined }, progress);
    if (config.kernelCount) counter = new SyscallCounter(obj);
    return {
      map,
      context,
      memory,
      record: {
        id: map.info.id,
        type: mapTypeName(map.info.type),
        keySize: map.keySize,
        valueSize: map.valueSize,
        maxEntries: map.maxEntries,
        flags: map.info.flags,
        memlockBytes: map.memlockBytes(),
        createNs,
      },
      fill,
      counter,
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}

export function runBenchmark(config: RunConfig, hooks: RunHooks): RunOutcome {
  const bench = openBenchMap(config, hooks.progress);
  try {
    const verifier = new Verifier({ entries: config.entries, value: FILL_VALUE });
    const measurements: StrategyMeasurement[] = [];
    for (const s of config.strategies) {
      const m = measureStrategy(bench.map, s, config.chunk, verifier, config.repeat, hooks.progress, { counter: bench.counter });
      measurements.push(m);
      hooks.onMeasured?.(m);
    }
    return { config, context: bench.context, memory: bench.memory, map: bench.record, fill: bench.fill, measurements };
  } finally {
    bench.close();
  }
}
