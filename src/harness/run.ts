// `bpfbench run`, end to end: preflight, load the object (which creates the
// map), fill it, then measure each strategy on the same map.
import { MapType, mapTypeName, type MapTypeName } from '../bpf/constants.js';
import { possibleCpus } from '../bpf/cpus.js';
import { COUNTER_PROG, SyscallCounter } from '../bpf/counter.js';
import { configureIter, ITER_PROG } from '../bpf/iter.js';
import { UserError } from '../bpf/errors.js';
import { BpfObject, DEFAULT_OBJECT } from '../bpf/loader.js';
import { BpfMap, isArrayType } from '../bpf/map.js';
import { arrayDrainMessage } from '../strategies/drain.js';
import type { Strategy } from '../strategies/index.js';
import { runContext, type RunContext } from './context.js';
import { fillMap, type FillMethod, type FillResult } from './fill.js';
import { measureStrategy, type RepeatPolicy, type StrategyMeasurement } from './measure.js';
import { checkMemory, checkPrivilege, probeBatchSupport, type MemoryPlan } from './preflight.js';
import { silentProgress, type Progress } from './progress.js';
import { Pattern } from './pattern.js';
import { Census, crossCheck, Verifier, type EntrySink, type Expectation } from './verifier.js';

/** The value the published experiment wrote for every key. */
export const FILL_VALUE = 0xdeadbeef;
export const MAP_NAME = 'test_map';
export const FILL_PROG = 'fill';
export const ALL_PROGS = [FILL_PROG, COUNTER_PROG, ITER_PROG] as const;

/** What map to make and how to fill it. */
export interface MapConfig {
  /** Map type (default hash) and key/value sizes (default 4/4: the published experiment's shape). */
  mapType?: MapTypeName;
  keySize?: number;
  valueSize?: number;
  entries: number;
  maxEntries: number;
  fill: FillMethod;
  mapFlags: number;
  /** Count syscalls from the kernel's side too (the object's sys_enter program). */
  kernelCount: boolean;
  /** Load the object's bpf_iter program, sized for this map (the iter strategy). */
  iterProgram?: boolean;
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
  /** Fail on ENOSPC instead of growing the chunk. */
  strictChunk?: boolean;
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
  /** What a full read must return (undefined for a map this run did not fill). */
  expect?: Expectation;
  /** Fills the map again, untimed, as it was filled (for drains); re-expects what an LRU map kept. */
  refill?: (verifier: Verifier) => void;
  /** The loaded bpf_iter program, when asked for. */
  iterProgFd?: number;
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
}

/** Bytes one entry's value takes in user space (per-CPU maps: round_up(value_size, 8) per possible CPU). */
export function valueStrideFor(type: number, valueSize: number): number {
  const perCpu = type === MapType.percpu_hash || type === MapType.lru_percpu_hash || type === MapType.percpu_array;
  return perCpu ? Math.ceil(valueSize / 8) * 8 * possibleCpus() : valueSize;
}

/** The published experiment's shape: hash, u32 → u32, value 0xdeadbeef; made by the BPF object. */
export function isDefaultShape(c: Pick<MapConfig, 'mapType' | 'keySize' | 'valueSize'>): boolean {
  return (c.mapType ?? 'hash') === 'hash' && (c.keySize ?? 4) === 4 && (c.valueSize ?? 4) === 4;
}

/** What the loader writes into a map of this shape. */
export function patternFor(map: BpfMap, defaultShape: boolean): Pattern {
  return new Pattern({
    keySize: map.keySize,
    valueSize: map.valueSize,
    valueSlot: map.perCpu ? map.valueSlot : map.valueSize,
    slots: map.perCpu ? possibleCpus() : 1,
    constant: defaultShape ? FILL_VALUE : undefined,
  });
}

/**
 * Which indices an LRU map holds after the fill: LRU maps may evict while
 * being filled (per-CPU free lists, stealing), so their reads are verified
 * against what the map holds, read once here, untimed.
 */
function presentAfterFill(map: BpfMap, entries: number, pattern: Pattern): Uint32Array {
  const present = new Uint32Array(Math.ceil(entries / 32));
  const cursor = map.batches(4096, { onEnospc: 'grow' });
  try {
    for (const b of cursor) {
      for (let i = 0; i < b.count; i++) {
        const k = pattern.keyIndex(b.keyBytes, i * map.keySize);
        if (k < entries) present[k >>> 5] = present[k >>> 5]! | (1 << (k & 31));
      }
    }
  } finally {
    cursor.free();
  }
  return present;
}

/** What a full read of a freshly filled map must return. */
export function expectationFor(map: BpfMap, entries: number, pattern: Pattern): Expectation {
  const t = map.info.type;
  if (t === MapType.array || t === MapType.percpu_array) {
    // Every index of an array exists; the ones not written read as zero.
    return { entries: map.maxEntries, written: entries, pattern, value: pattern.shape.constant };
  }
  const e: Expectation = { entries, pattern, value: pattern.shape.constant };
  if (t === MapType.lru_hash || t === MapType.lru_percpu_hash) e.present = presentAfterFill(map, entries, pattern);
  return e;
}

/** Preflight, create the map (the object's, or by BPF_MAP_CREATE for other shapes), fill it, prepare the counter. */
export function openBenchMap(config: MapConfig, progress: Progress): BenchMap {
  const defaultShape = isDefaultShape(config);
  const type = MapType[config.mapType ?? 'hash'];
  const keySize = config.keySize ?? 4;
  const valueSize = config.valueSize ?? 4;
  checkPrivilege();
  if ((type === MapType.array || type === MapType.percpu_array) && keySize !== 4) throw new UserError(`${config.mapType} maps have 4-byte keys (the index): drop --key-size`, 2);
  if (config.entries - 1 > 2 ** (8 * Math.min(4, keySize)) - 1) throw new UserError(`${keySize}-byte keys hold indices up to ${2 ** (8 * keySize) - 1}: use fewer --entries or a larger --key-size`, 2);
  if (config.fill === 'prog' && !defaultShape) throw new UserError('--fill prog writes the u32 → u32 hash map of the published experiment only; use --fill batch', 2);
  const memory = checkMemory(type, keySize, valueSize, config.maxEntries, config.entries);
  probeBatchSupport(type);
  const context = runContext();

  // The object is loaded for the default map, the syscall counter and the iterator.
  const obj = defaultShape || config.kernelCount || config.iterProgram ? BpfObject.open(config.objectPath ?? DEFAULT_OBJECT) : undefined;
  let counter: SyscallCounter | undefined;
  let own: BpfMap | undefined;
  const close = () => {
    counter?.close();
    counter = undefined;
    own?.close();
    obj?.close();
  };
  try {
    if (obj) {
      obj.configureMap(MAP_NAME, { maxEntries: defaultShape ? config.maxEntries : 1, flags: defaultShape ? config.mapFlags : 0 });
      const progs: string[] = [];
      if (config.fill === 'prog') progs.push(FILL_PROG);
      if (config.kernelCount) progs.push(COUNTER_PROG);
      if (config.iterProgram) {
        progs.push(ITER_PROG);
        configureIter(obj, { keySize, valueStride: valueStrideFor(type, valueSize) });
      }
      obj.autoloadOnly(progs, ALL_PROGS);
    }
    progress.start(`create map (${config.maxEntries.toLocaleString('en-US')} entries)`, 0);
    const c0 = process.hrtime.bigint();
    let map: BpfMap;
    try {
      obj?.load();
      if (defaultShape) map = obj!.map(MAP_NAME);
      else map = own = BpfMap.create({ type, keySize, valueSize, maxEntries: config.maxEntries, flags: config.mapFlags, name: 'bpfbench' });
    } catch (e) {
      if (config.fill === 'prog' && e instanceof UserError && /fill|syscall|bpf_loop|helper|unknown func/i.test(e.message)) {
        throw new UserError(`${e.message}; this kernel may lack BPF_PROG_TYPE_SYSCALL/bpf_loop (Linux 5.17+): try --fill batch`);
      }
      throw e;
    } finally {
      progress.end();
    }
    const createNs = Number(process.hrtime.bigint() - c0);
    const pattern = patternFor(map, defaultShape);
    const target = { map, entries: config.entries, pattern, fillProgFd: config.fill === 'prog' ? obj!.programFd(FILL_PROG) : undefined };
    const fill = fillMap(config.fill, target, progress);
    const expect = expectationFor(map, config.entries, pattern);
    const refill = (v: Verifier) => {
      fillMap(config.fill, target, silentProgress);
      if (expect.present) v.expectPresent(presentAfterFill(map, config.entries, pattern));
    };
    if (config.kernelCount) counter = new SyscallCounter(obj!);
    const iterProgFd = config.iterProgram ? obj!.programFd(ITER_PROG) : undefined;
    return { map, context, memory, record: recordOf(map, createNs), fill, expect, refill, counter, iterProgFd, close };
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
export function openExistingMap(source: Exclude<MapSource, { kind: 'create' }>, config: Pick<MapConfig, 'kernelCount' | 'objectPath' | 'iterProgram'>): BenchMap {
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
    if (config.kernelCount || config.iterProgram) {
      // The counter and the iterator live in the project's object; its own test_map stays tiny.
      obj = BpfObject.open(config.objectPath ?? DEFAULT_OBJECT);
      obj.configureMap(MAP_NAME, { maxEntries: 1 });
      const progs: string[] = [];
      if (config.kernelCount) progs.push(COUNTER_PROG);
      if (config.iterProgram) {
        progs.push(ITER_PROG);
        configureIter(obj, map);
      }
      obj.autoloadOnly(progs, ALL_PROGS);
      obj.load();
      if (config.kernelCount) counter = new SyscallCounter(obj);
    }
    const memory = { mapBytes: map.memlockBytes() ?? 0, userBytes: 0, availableBytes: 0 };
    const iterProgFd = config.iterProgram ? obj!.programFd(ITER_PROG) : undefined;
    return { map, context, memory, record: recordOf(map, 0), fill: null, counter, iterProgFd, close };
  } catch (e) {
    close();
    throw e;
  }
}

export function runBenchmark(config: RunConfig, hooks: RunHooks): RunOutcome {
  const existing = config.source.kind !== 'create';
  // Refuse what cannot work before creating a map that may take minutes to fill.
  for (const s of config.strategies) {
    if (!existing && s.drains && isArrayType(MapType[config.mapType ?? 'hash'])) throw new UserError(arrayDrainMessage(s.name, config.mapType ?? 'hash'), 2);
    if (existing && s.drains) throw new UserError(`${s.name} empties the map, and bpfbench did not fill this one: it reads maps it did not fill without changing them`, 2);
  }
  const withIter = { ...config, iterProgram: config.strategies.some((s) => s.needsIterProgram) };
  const bench = config.source.kind === 'create' ? openBenchMap(withIter, hooks.progress) : openExistingMap(config.source, withIter);
  try {
    // A map we filled is checked against what we wrote; any other map, across strategies.
    const verifier = existing ? undefined : new Verifier(bench.expect!);
    const sink: EntrySink = verifier ?? new Census(bench.map.maxEntries);
    const measurements: StrategyMeasurement[] = [];
    for (const s of config.strategies) {
      const m = measureStrategy(bench.map, s, config.chunk, sink, config.repeat, hooks.progress, { counter: bench.counter, strictChunk: config.strictChunk, iterProgFd: bench.iterProgFd, refill: bench.refill && verifier ? () => bench.refill!(verifier) : undefined });
      measurements.push(m);
      // A drain leaves the map empty: fill it again for the strategies after it.
      if (s.drains && bench.refill && verifier) bench.refill(verifier);
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
