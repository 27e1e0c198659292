// `bpfbench run`, end to end: preflight, load the object (which creates the
// map), fill it, then measure each strategy on the same map.
import { MapType, mapTypeName } from '../bpf/constants.js';
import { COUNTER_PROG, SyscallCounter } from '../bpf/counter.js';
import { UserError } from '../bpf/errors.js';
import { BpfObject, DEFAULT_OBJECT } from '../bpf/loader.js';
import { BpfMap } from '../bpf/map.js';
import type { Strategy } from '../strategies/index.js';
import { runContext, type RunContext } from './context.js';
import { fillMap, type FillMethod, type FillResult } from './fill.js';
import { measureStrategy, type RepeatPolicy, type StrategyMeasurement } from './measure.js';
import { checkMemory, checkPrivilege, probeBatchSupport, type MemoryPlan } from './preflight.js';
import type { Progress } from './progress.js';
import { Census, crossCheck, Verifier, type EntrySink } from './verifier.js';

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

/** Where the map comes from: made and filled by this run, or one that exists (pinned, or by id). */
export type MapSource = { kind: 'create' } | { kind: 'pin'; path: string } | { kind: 'id'; id: number };

export interface RunConfig extends MapConfig {
  source: MapSource;
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
  /** null for a map this run did not fill. */
  fill: FillResult | null;
  counter: SyscallCounter | undefined;
  close(): void;
}

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
    return { map, context, memory, record: recordOf(map, createNs), fill, counter, close };
  } catch (e) {
    close();
    throw e;
  }
}

function recordOf(map: BpfMap, createNs: number): MapRecord {
  return {
    id: map.info.id,
    type: mapTypeName(map.info.type),
    keySize: map.keySize,
    valueSize: map.valueSize,
    maxEntries: map.maxEntries,
    flags: map.info.flags,
    memlockBytes: map.memlockBytes(),
    createNs,
  };
}

/** Map types and sizes the read strategies and their verification handle. */
export function checkReadable(map: BpfMap): void {
  const t = map.info.type;
  const okType = t === MapType.hash || t === MapType.lru_hash || t === MapType.array;
  if (!okType || map.keySize !== 4 || map.valueSize !== 4) {
    throw new UserError(`bpfbench reads hash, lru_hash and array maps with 4-byte keys and values; this one is ${map.info.typeName}, key ${map.keySize} B, value ${map.valueSize} B`);
  }
}

/** Opens a map that exists (pinned, or by id), with the kernel counter if asked. */
export function openExistingMap(source: Exclude<MapSource, { kind: 'create' }>, config: Pick<MapConfig, 'kernelCount' | 'objectPath'>): BenchMap {
  checkPrivilege();
  const context = runContext();
  const map = source.kind === 'pin' ? BpfMap.openPinned(source.path) : BpfMap.openById(source.id);
  let obj: BpfObject | undefined;
  let counter: SyscallCounter | undefined;
  const close = () => {
    counter?.close();
    obj?.close();
    map.close();
  };
  try {
    checkReadable(map);
    if (config.kernelCount) {
      // The counter lives in the project's object; its own test_map stays tiny.
      obj = BpfObject.open(config.objectPath ?? DEFAULT_OBJECT);
      obj.configureMap(MAP_NAME, { maxEntries: 1 });
      obj.autoloadOnly([COUNTER_PROG], ALL_PROGS);
      obj.load();
      counter = new SyscallCounter(obj);
    }
    const memory = { mapBytes: map.memlockBytes() ?? 0, userBytes: 0, availableBytes: 0 };
    return { map, context, memory, record: recordOf(map, 0), fill: null, counter, close };
  } catch (e) {
    close();
    throw e;
  }
}

export function runBenchmark(config: RunConfig, hooks: RunHooks): RunOutcome {
  const existing = config.source.kind !== 'create';
  const bench = config.source.kind === 'create' ? openBenchMap(config, hooks.progress) : openExistingMap(config.source, config);
  try {
    // A map we filled is checked against what we wrote; any other map, across strategies.
    const sink: EntrySink = existing ? new Census(bench.map.maxEntries) : new Verifier({ entries: config.entries, value: FILL_VALUE });
    const measurements: StrategyMeasurement[] = [];
    for (const s of config.strategies) {
      const m = measureStrategy(bench.map, s, config.chunk, sink, config.repeat, hooks.progress, { counter: bench.counter });
      measurements.push(m);
      hooks.onMeasured?.(m);
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
