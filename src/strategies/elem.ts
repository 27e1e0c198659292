// elem: the per-element walk, GET_NEXT_KEY then LOOKUP_ELEM, until
// GET_NEXT_KEY says ENOENT. For N entries: N+1 GET_NEXT_KEY, N LOOKUP_ELEM.
//
// Bounded: GET_NEXT_KEY with a key that was deleted restarts from the first
// bucket, so a map mutated underneath could be walked forever. Like
// cilium/ebpf, give up after max_entries steps.
//
// --loop native: the same walk in C (NativeRead.elem), the entries handed
// over in blocks of up to 64Ki; --loop js: the walk below, in TypeScript.
import type { ElemReader } from '../bpf/maps/elem-reader.js';
import { CallTimer, samplingFor } from '../bpf/native/latency.js';
import type { BpfMap } from '../bpf/maps/map.js';
import { NativeRead } from '../bpf/native/native-loop.js';
import { UsageError } from '../errors.js';
import { isU32Map } from './batch.js';
import { DEFAULT_LOOP, drainNative, entriesPut } from './loop.js';
import type { EntrySink } from './sink.js';
import type { PreparedRead, Strategy, StrategyOptions } from './types.js';

/**
 * A per-element walk (elem, elem-delete) made more GET_NEXT_KEY steps than
 * the map can hold keys: someone is changing the map underneath, and the
 * read cannot be done as asked (a cannot-run UsageError, not a kernel error:
 * every call succeeded).
 */
export class MapChangedError extends UsageError {
  /** Steps made when the walk gave up (max_entries + 1). */
  readonly steps: number;
  constructor(steps: number) {
    super(`per-element walk aborted after ${steps.toLocaleString('en-US')} keys (more than max_entries): the map is changing underneath`);
    this.name = 'MapChangedError';
    this.steps = steps;
  }
}

/** The native loops' max_entries bound, as the JS loops throw it. */
export const mapChanged = (steps: number): Error => new MapChangedError(steps);

/**
 * Puts the reader's current entry (or, for drains, the previous key and the
 * value taken with it) into a sink: as a u32 key and an i32 value for
 * u32 → u32 maps, as raw bytes otherwise.
 */
export function entryPutter(map: BpfMap, reader: ElemReader, which: 'current' | 'previous'): (sink: EntrySink) => void {
  const key = which === 'current' ? reader.keyU32 : reader.prevKeyU32;
  const keyBytes = which === 'current' ? reader.keyBytes : reader.prevKeyBytes;
  const value = reader.valueI32;
  const valueBytes = reader.valueBytes;
  const keySize = map.keySize;
  const stride = map.valueStride;
  if (isU32Map(map)) return (sink) => sink.add(key[0]!, value[0]!);
  return (sink) => sink.addManyRaw(keyBytes, valueBytes, 1, keySize, stride);
}

/** The walk in TypeScript: ElemReader, one koffi call per syscall, each (or every k-th) timed. */
function jsElem(map: BpfMap, latencyEvery: number): PreparedRead {
  const reader = map.elemReader();
  const maxSteps = map.maxEntries;
  const put = entryPutter(map, reader, 'current');
  const timer = new CallTimer(latencyEvery);
  return {
    read(sink) {
      reader.reset();
      timer.reset();
      let steps = 0;
      for (;;) {
        timer.begin();
        const more = reader.nextKey();
        timer.end();
        if (!more) break;
        if (++steps > maxSteps) throw new MapChangedError(steps);
        timer.begin();
        const found = reader.lookup();
        timer.end();
        // A key deleted between the two calls is skipped, as every iterator does.
        if (!found) continue;
        put(sink);
      }
      return { counted: steps, callLatency: latencyEvery ? timer : undefined };
    },
    free() {
      reader.free();
    },
  };
}

/**
 * A key-by-key walk in C (elem's, elem-delete's) as a prepared read: the
 * entries handed over to the sink, a walk past max_entries a
 * MapChangedError, the keys stepped counted (the skipped ones included, as
 * the JS loops count them).
 */
export function nativeKeyWalk(map: BpfMap, walk: NativeRead, latencyEvery: number): PreparedRead {
  const put = entriesPut(map);
  return {
    read(sink) {
      walk.reset();
      drainNative(walk, sink, put, mapChanged);
      return { counted: walk.steps, callLatency: latencyEvery ? walk : undefined };
    },
    free() {
      walk.free();
    },
  };
}

/** The same walk in C: the same calls, the same bound, the same skipped keys. */
function nativeElem(map: BpfMap, latencyEvery: number): PreparedRead {
  return nativeKeyWalk(map, NativeRead.elem(map, { maxSteps: map.maxEntries, latencyEvery }), latencyEvery);
}

export const elem: Strategy = {
  name: 'elem',
  summary: 'per element: GET_NEXT_KEY + LOOKUP_ELEM (2N+1 calls)',
  usesChunk: false,
  reference: true,
  exactCalls: true,
  palette: 1,
  prepare(map: BpfMap, { loop = DEFAULT_LOOP, latencyEvery = samplingFor(1) }: StrategyOptions) {
    return loop === 'native' ? nativeElem(map, latencyEvery) : jsElem(map, latencyEvery);
  },
};
