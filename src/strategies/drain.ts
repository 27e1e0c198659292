// Drain strategies: read every entry and delete it, as agents do with
// per-CPU counters (read and reset). The map is refilled before each read
// (outside the timed window) and must be empty after it.
//
// elem-delete: GET_NEXT_KEY to the next key while the current one still
//   exists, then LOOKUP_AND_DELETE_ELEM of the current one (Linux 5.14 for
//   hash maps; LOOKUP_ELEM + DELETE_ELEM where the kernel lacks it): N+1
//   GET_NEXT_KEY and N LOOKUP_AND_DELETE_ELEM, a linear walk. (Deleting first
//   and asking for the key after a deleted key would restart from bucket 0.)
// batch-delete: LOOKUP_AND_DELETE_BATCH with --chunk, cursor advanced.
//
// Both in either loop (--loop native: the walk in C, NativeRead.elemDelete
// and NativeRead.batch; --loop js: ElemReader and BatchCursor).
import { mapTypeName } from '../bpf/syscall/constants.js';
import { CallTimer, samplingFor } from '../bpf/native/latency.js';
import type { BpfMap } from '../bpf/maps/map.js';
import { traitsOf } from '../bpf/maps/map-types.js';
import { NativeRead } from '../bpf/native/native-loop.js';
import { Feature, probeLookupAndDelete } from '../bpf/programs/features.js';
import { InvalidInputError, InvariantError } from '../errors.js';
import { advancingBatchRead } from './batch.js';
import { entryPutter, MapChangedError, nativeKeyWalk } from './elem.js';
import { DEFAULT_LOOP } from './loop.js';
import type { PreparedRead, Strategy, StrategyOptions } from './types.js';

export const arrayDrainMessage = (strategy: string, type: string) => `${strategy}: ${type} maps cannot delete entries (their elements always exist); use elem, batch or iter`;

function refuseArrays(map: BpfMap, name: string): void {
  if (traitsOf(map.info.type)?.canDelete === false) {
    throw new InvalidInputError(arrayDrainMessage(name, mapTypeName(map.info.type)));
  }
}

/** Adds the refill-before and empty-after steps of a drain to a read (made only once refill is known to be there). */
function asDrain(map: BpfMap, refill: (() => void) | undefined, prepare: () => PreparedRead): PreparedRead {
  if (!refill) throw new InvariantError('a drain strategy needs refill');
  const read = prepare();
  return {
    // Every read starts from a full map: the previous read (or another drain) emptied it.
    beforeRead: refill,
    read: (sink) => read.read(sink),
    afterRead() {
      return map.isEmpty() ? undefined : 'the map is not empty after the drain';
    },
    free() {
      read.free();
    },
    note: read.note,
  };
}

/**
 * The elem-delete walk in TypeScript; `separate`: LOOKUP_ELEM + DELETE_ELEM
 * instead of LOOKUP_AND_DELETE_ELEM (one take step, timed as its calls: two
 * when the key was there, each filed with half its time).
 */
function jsElemDelete(map: BpfMap, separate: boolean, latencyEvery: number): PreparedRead {
  const reader = map.elemReader();
  const maxSteps = map.maxEntries;
  const put = entryPutter(map, reader, 'previous');
  const timer = new CallTimer(latencyEvery);
  const callLatency = latencyEvery ? timer : undefined;
  return {
    read(sink) {
      reader.reset();
      timer.reset();
      timer.begin();
      const any = reader.nextKey();
      timer.end();
      if (!any) return { counted: 0, callLatency };
      let steps = 0;
      for (;;) {
        // prev := current; the key after it, while it still exists.
        timer.begin();
        const more = reader.nextKey();
        timer.end();
        if (++steps > maxSteps) throw new MapChangedError(steps);
        timer.begin();
        const took = reader.takePrev(separate);
        timer.end(separate && took ? 2 : 1);
        if (took) put(sink);
        if (!more) break;
      }
      return { counted: steps, callLatency };
    },
    free() {
      reader.free();
    },
  };
}

/** The same walk in C. */
function nativeElemDelete(map: BpfMap, separate: boolean, latencyEvery: number): PreparedRead {
  return nativeKeyWalk(map, NativeRead.elemDelete(map, { separate, maxSteps: map.maxEntries, latencyEvery }), latencyEvery);
}

/**
 * elem-delete on `map` with the take step chosen by the caller: `separate`
 * is what the kernel lacks LOOKUP_AND_DELETE_ELEM for (elemDelete probes it;
 * tests force it to run the fallback on a kernel that has both).
 */
export function prepareElemDelete(map: BpfMap, { refill, loop = DEFAULT_LOOP, latencyEvery = samplingFor(1) }: StrategyOptions, separate: boolean): PreparedRead {
  refuseArrays(map, 'elem-delete');
  const drain = asDrain(map, refill, () => (loop === 'native' ? nativeElemDelete(map, separate, latencyEvery) : jsElemDelete(map, separate, latencyEvery)));
  if (separate) drain.note = 'this kernel lacks LOOKUP_AND_DELETE_ELEM for this map type (Linux 5.14+): LOOKUP_ELEM + DELETE_ELEM instead (3N+1 calls)';
  return drain;
}

export const elemDelete: Strategy = {
  name: 'elem-delete',
  summary: 'drain per element: GET_NEXT_KEY + LOOKUP_AND_DELETE_ELEM (2N+1 calls); refilled before each read',
  usesChunk: false,
  drains: true,
  exactCalls: true,
  palette: 3,
  prepare(map: BpfMap, options: StrategyOptions) {
    refuseArrays(map, 'elem-delete');
    // Kernels before 5.14 lack LOOKUP_AND_DELETE_ELEM for hash maps: look up, then delete.
    return prepareElemDelete(map, options, !probeLookupAndDelete(map.info.type, map.keySize, map.valueSize));
  },
};

export const batchDelete: Strategy = {
  name: 'batch-delete',
  summary: 'drain in batches: LOOKUP_AND_DELETE_BATCH with --chunk; refilled before each read',
  usesChunk: true,
  drains: true,
  palette: 4,
  needs: [{ feature: Feature.lookupAndDeleteBatch, what: 'BPF_MAP_LOOKUP_AND_DELETE_BATCH', perMapType: true }],
  prepare(map: BpfMap, options: StrategyOptions) {
    refuseArrays(map, 'batch-delete');
    return asDrain(map, options.refill, () => advancingBatchRead(map, options, true));
  },
};
