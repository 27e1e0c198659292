// The map a run reads, opened: made by this run (checked, created by the BPF
// object or by BPF_MAP_CREATE, filled, with what a full read must return),
// or one that exists (pinned, or by id). Either way with the object's
// programs the run needs: the syscall counter and the iterator.
import { mapTypeName, type MapTypeName } from '../../bpf/syscall/constants.js';
import { callPhase } from '../../bpf/syscall/call-account.js';
import { possibleCpus } from '../../bpf/maps/cpus.js';
import { COUNTER_EXIT_PROG, COUNTER_PROGS, SyscallCounter } from '../../bpf/programs/counter.js';
import { counterEnterProgram, Feature, isAvailable, requireFeature } from '../../bpf/programs/features.js';
import { configureIter, ITER_PROG } from '../../bpf/programs/map-iter.js';
import { BpfObject, ObjectLoadError } from '../../bpf/programs/loader.js';
import { BpfMap } from '../../bpf/maps/map.js';
import { MAP_TYPES, traitsOf, valueSlot, valueStride } from '../../bpf/maps/map-types.js';
import { InvalidInputError, UsageError } from '../../errors.js';
import { DEFAULT_OBJECT } from '../../paths.js';
import { runContext, type RunContext } from '../measuring/context.js';
import { expectationFor, presentAfterFill, type Expectation } from './expectation.js';
import { fillMap, type FillMethod, type FillResult } from './fill.js';
import { Pattern } from './pattern.js';
import { checkMapCreate, checkMemory, checkPrivilege, type MemoryPlan } from './preflight.js';
import { silentProgress, type Progress } from '../measuring/progress.js';
import type { Verifier } from '../verification/verifier.js';

/** The value the published experiment wrote for every key. */
export const FILL_VALUE = 0xdeadbeef;
export const MAP_NAME = 'test_map';
export const FILL_PROG = 'fill';
export const WRITER_PROG = 'write_map';
export const ALL_PROGS = [FILL_PROG, ...COUNTER_PROGS, ITER_PROG, WRITER_PROG] as const;

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
  /** Count syscalls from the kernel's side too, and time bpf(2) (the object's sys_enter and sys_exit programs). */
  kernelCount: boolean;
  /** Load the object's bpf_iter program, sized for this map (the iter strategy). */
  iterProgram?: boolean;
  /** Load the object's writer program (run --writers). */
  writerProgram?: boolean;
  objectPath?: string;
}

/** Where the map comes from: made and filled by this run, or one that exists (pinned, or by id). */
export type MapSource = { kind: 'create' } | { kind: 'pin'; path: string } | { kind: 'id'; id: number };

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
  /** The loaded writer program, when asked for. */
  writerProgFd?: number;
  counter: SyscallCounter | undefined;
  close(): void;
}

/** The published experiment's shape: hash, u32 → u32, value 0xdeadbeef; made by the BPF object. */
export function isDefaultShape(c: Pick<MapConfig, 'mapType' | 'keySize' | 'valueSize'>): boolean {
  return (c.mapType ?? 'hash') === 'hash' && (c.keySize ?? 4) === 4 && (c.valueSize ?? 4) === 4;
}

/** What the loader writes into a map of this shape. */
export function patternFor(map: BpfMap, defaultShape: boolean): Pattern {
  const type = map.info.type;
  return new Pattern({
    keySize: map.keySize,
    valueSize: map.valueSize,
    valueSlot: valueSlot(type, map.valueSize),
    slots: traitsOf(type)?.perCpu ? possibleCpus() : 1,
    constant: defaultShape ? FILL_VALUE : undefined,
  });
}

/** What a run needs from the project's BPF object. */
interface ObjectNeeds {
  path?: string;
  /** The run's map is the object's test_map, made this size with these flags; else test_map stays tiny. */
  testMap?: { maxEntries: number; flags: number };
  fillProg?: boolean;
  writerProg?: boolean;
  counter?: boolean;
  /** Load the iterator, its records sized for a map of this shape. */
  iter?: { keySize: number; valueStride: number };
}

/** The loaded object and the programs of it a run uses; close() detaches and frees them all. */
interface LoadedObject {
  obj: BpfObject;
  counter: SyscallCounter | undefined;
  fillProgFd: number | undefined;
  iterProgFd: number | undefined;
  writerProgFd: number | undefined;
  close(): void;
}

/**
 * Loads the project's BPF object with only the programs a run needs. `load`
 * is the step that loads it: the create path times it, since loading
 * creates the default-shape map.
 */
function loadObject(needs: ObjectNeeds, load: (obj: BpfObject) => void = (obj) => obj.load()): LoadedObject {
  const obj = BpfObject.open(needs.path ?? DEFAULT_OBJECT);
  const o: LoadedObject = {
    obj,
    counter: undefined,
    fillProgFd: undefined,
    iterProgFd: undefined,
    writerProgFd: undefined,
    close() {
      o.counter?.close();
      o.counter = undefined;
      obj.close();
    },
  };
  try {
    obj.configureMap(MAP_NAME, needs.testMap ?? { maxEntries: 1 });
    const progs: string[] = [];
    if (needs.fillProg) progs.push(FILL_PROG);
    if (needs.writerProg) progs.push(WRITER_PROG);
    // The exit program (time inside bpf(2)) is optional: loaded where this kernel allows it and its tracepoint.
    // The enter program that knows this process inside a pid namespace, else the host-pid one (kernels before 5.7).
    if (needs.counter) progs.push(counterEnterProgram(obj.path), ...(isAvailable(Feature.timerProgram, obj.path) && isAvailable(Feature.sysExit, obj.path) ? [COUNTER_EXIT_PROG] : []));
    if (needs.iter) {
      // One line naming the iterator, not libbpf's word on the whole object.
      requireFeature('iter', 'iter/bpf_map_elem programs', Feature.iterProgram, obj.path);
      progs.push(ITER_PROG);
      configureIter(obj, needs.iter);
    }
    obj.autoloadOnly(progs);
    load(obj);
    if (needs.fillProg) o.fillProgFd = obj.programFd(FILL_PROG);
    if (needs.writerProg) o.writerProgFd = obj.programFd(WRITER_PROG);
    if (needs.iter) o.iterProgFd = obj.programFd(ITER_PROG);
    if (needs.counter) o.counter = new SyscallCounter(obj);
    return o;
  } catch (e) {
    o.close();
    throw e;
  }
}

/** The map a config asks for; refuses, with one line, what the kernel or the loader's pattern cannot take. */
function checkShape(config: MapConfig): { type: number; keySize: number; valueSize: number; defaultShape: boolean } {
  const traits = MAP_TYPES[config.mapType ?? 'hash'];
  const keySize = config.keySize ?? 4;
  const valueSize = config.valueSize ?? 4;
  const defaultShape = isDefaultShape(config);
  if (traits.kind === 'array' && keySize !== 4) throw new InvalidInputError(`${config.mapType} maps have 4-byte keys (the index): drop --key-size`);
  if (config.entries - 1 > 2 ** (8 * Math.min(4, keySize)) - 1)
    throw new InvalidInputError(`${keySize}-byte keys hold indices up to ${2 ** (8 * keySize) - 1}: use fewer --entries or a larger --key-size`);
  if (config.fill === 'prog' && !defaultShape) throw new InvalidInputError('--fill prog writes the u32 → u32 hash map of the published experiment only; use --fill batch');
  return { type: traits.type, keySize, valueSize, defaultShape };
}

/** The object's load, with a hint when it is the fill program this kernel refused. */
function loadWithFillHint(obj: BpfObject, fill: FillMethod): void {
  try {
    obj.load();
  } catch (e) {
    if (fill === 'prog' && e instanceof ObjectLoadError && /fill|syscall|bpf_loop|helper|unknown func/i.test(e.message)) {
      throw new UsageError(`${e.message}; this kernel may lack BPF_PROG_TYPE_SYSCALL/bpf_loop (Linux 5.17+): try --fill batch`);
    }
    throw e;
  }
}

/** Preflight, create the map (the object's, or by BPF_MAP_CREATE for other shapes), fill it, prepare the counter. */
export function openBenchMap(config: MapConfig, progress: Progress): BenchMap {
  checkPrivilege();
  const { type, keySize, valueSize, defaultShape } = checkShape(config);
  const memory = checkMemory(type, keySize, valueSize, config.maxEntries, config.entries);
  checkMapCreate(type);
  const context = runContext(config.objectPath);
  callPhase('create the map; load the BPF object');

  // Creating the map: the object's load (the default shape's map, and the
  // programs) and BPF_MAP_CREATE for other shapes.
  let createNs = 0;
  const creating = <T>(step: () => T): T => {
    const c0 = process.hrtime.bigint();
    try {
      return step();
    } finally {
      createNs += Number(process.hrtime.bigint() - c0);
    }
  };
  let o: LoadedObject | undefined;
  let own: BpfMap | undefined;
  const close = () => {
    own?.close();
    o?.close();
  };
  progress.start(`create map (${config.maxEntries.toLocaleString('en-US')} entries)`, 0);
  try {
    let map: BpfMap;
    try {
      if (defaultShape || config.kernelCount || config.iterProgram) {
        o = loadObject(
          {
            path: config.objectPath,
            testMap: defaultShape ? { maxEntries: config.maxEntries, flags: config.mapFlags } : undefined,
            fillProg: config.fill === 'prog',
            writerProg: config.writerProgram,
            counter: config.kernelCount,
            iter: config.iterProgram ? { keySize, valueStride: valueStride(type, valueSize) } : undefined,
          },
          (obj) => creating(() => loadWithFillHint(obj, config.fill)),
        );
      }
      map = creating(() => (defaultShape ? o!.obj.map(MAP_NAME) : (own = BpfMap.create({ type, keySize, valueSize, maxEntries: config.maxEntries, flags: config.mapFlags, name: 'bpfbench' }))));
    } finally {
      progress.end();
    }
    const pattern = patternFor(map, defaultShape);
    const target = { map, entries: config.entries, pattern, fillProgFd: o?.fillProgFd };
    callPhase('fill');
    const fill = fillMap(config.fill, target, progress);
    callPhase('census of what the map holds');
    const expect = expectationFor(map, config.entries, pattern);
    const refill = (v: Verifier) => {
      fillMap(config.fill, target, silentProgress);
      if (expect.present) v.expectPresent(presentAfterFill(map, config.entries, pattern));
    };
    return { map, context, memory, record: recordOf(map, createNs), fill, expect, refill, counter: o?.counter, iterProgFd: o?.iterProgFd, writerProgFd: o?.writerProgFd, close };
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

/** Map types and sizes the read strategies and their verification handle: hash, lru_hash and array, u32 → u32. */
export function checkReadable(map: BpfMap): void {
  const traits = traitsOf(map.info.type);
  if (!traits || traits.perCpu || map.keySize !== 4 || map.valueSize !== 4) {
    throw new UsageError(`bpfbench reads hash, lru_hash and array maps with 4-byte keys and values; this one is ${map.info.typeName}, key ${map.keySize} B, value ${map.valueSize} B`);
  }
}

/** Opens a map that exists (pinned, or by id), with the kernel counter if asked. */
export function openExistingMap(source: Exclude<MapSource, { kind: 'create' }>, config: Pick<MapConfig, 'kernelCount' | 'objectPath' | 'iterProgram'>): BenchMap {
  checkPrivilege();
  const context = runContext(config.objectPath);
  callPhase('open the map; load the BPF object');
  const map = source.kind === 'pin' ? BpfMap.openPinned(source.path) : BpfMap.openById(source.id);
  let o: LoadedObject | undefined;
  const close = () => {
    o?.close();
    map.close();
  };
  try {
    checkReadable(map);
    // The counter and the iterator live in the project's object; its own test_map stays tiny.
    if (config.kernelCount || config.iterProgram) o = loadObject({ path: config.objectPath, counter: config.kernelCount, iter: config.iterProgram ? map : undefined });
    const memory = { mapBytes: map.memlockBytes() ?? 0, userBytes: 0, availableBytes: 0 };
    return { map, context, memory, record: recordOf(map, 0), fill: null, counter: o?.counter, iterProgFd: o?.iterProgFd, close };
  } catch (e) {
    close();
    throw e;
  }
}
