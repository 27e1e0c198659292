// elem: the per-element walk, GET_NEXT_KEY then LOOKUP_ELEM, until
// GET_NEXT_KEY says ENOENT. For N entries: N+1 GET_NEXT_KEY, N LOOKUP_ELEM.
//
// Bounded: GET_NEXT_KEY with a key that was deleted restarts from the first
// bucket, so a map mutated underneath could be walked forever. Like
// cilium/ebpf, give up after max_entries steps.
import { BpfError } from '../bpf/errors.js';
import type { BpfMap } from '../bpf/map.js';
import { isU32Map } from './batch.js';
import type { Strategy } from './types.js';

export class MapChangedError extends BpfError {
  constructor(steps: number) {
    super('GET_NEXT_KEY', 0, `no end after ${steps} keys, more than max_entries: the map is changing underneath`);
    this.message = `per-element walk aborted after ${steps.toLocaleString('en-US')} keys (more than max_entries): the map is changing underneath`;
  }
}

export const elem: Strategy = {
  name: 'elem',
  summary: 'per element: GET_NEXT_KEY + LOOKUP_ELEM (2N+1 calls)',
  usesChunk: false,
  prepare(map: BpfMap) {
    const reader = map.elemReader();
    const maxSteps = map.maxEntries;
    const key = reader.keyU32;
    const value = reader.valueI32;
    const u32 = isU32Map(map);
    const keyBytes = reader.keyBytes;
    const valueBytes = reader.valueBytes;
    const keySize = map.keySize;
    const stride = map.valueStride;
    return {
      read(sink) {
        reader.reset();
        let steps = 0;
        while (reader.nextKey()) {
          if (++steps > maxSteps) throw new MapChangedError(steps);
          // A key deleted between the two calls is skipped, as every iterator does.
          if (!reader.lookup()) continue;
          if (u32) sink.add(key[0]!, value[0]!);
          else sink.addManyRaw(keyBytes, valueBytes, 1, keySize, stride);
        }
        return { counted: steps };
      },
      free() {
        reader.free();
      },
    };
  },
};
