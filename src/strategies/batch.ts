// batch: BPF_MAP_LOOKUP_BATCH with --chunk entries per call, the cursor
// advanced each call (in_batch = previous out_batch; NULL on the first),
// short batches accepted at bucket boundaries, and the entries of the final
// ENOENT call consumed.
//
// --loop native: the same calls from C (NativeRead.batch), several chunks
// per hand-over; --loop js: BatchCursor, one koffi call per chunk.
import type { BatchWalk } from '../bpf/batch-cursor.js';
import type { BpfMap } from '../bpf/map.js';
import { type NativeBatchOptions, NativeRead } from '../bpf/native-loop.js';
import { DEFAULT_LOOP, drainNative, entriesPut } from './loop.js';
import type { EntrySink } from './sink.js';
import type { PreparedRead, Strategy, StrategyOptions } from './types.js';

/** Entries are a u32 key and a single u32 value: the typed-array fast path applies. */
export function isU32Map(map: BpfMap): boolean {
  return map.keySize === 4 && map.valueStride === 4;
}

/** A read that drains a batch walk into the sink; the walk decides how it moves. */
export function batchRead(map: BpfMap, cursor: BatchWalk): PreparedRead {
  const u32 = isU32Map(map);
  const keySize = map.keySize;
  const stride = map.valueStride;
  return {
    read(sink: EntrySink) {
      cursor.reset();
      let counted = 0;
      for (const b of cursor) {
        if (u32) sink.addMany(b.keysU32, b.valuesI32, b.count);
        else sink.addManyRaw(b.keyBytes, b.valueBytes, b.count, keySize, stride);
        counted += b.count;
      }
      return { counted, chunk: cursor.chunk, chunkGrowths: cursor.growths };
    },
    free() {
      cursor.free();
    },
  };
}

/** The same read with the walk in C: the options are BatchCursor's (or the fixed cursor's). */
export function nativeBatchRead(map: BpfMap, chunk: number, options: NativeBatchOptions): PreparedRead {
  const walk = NativeRead.batch(map, chunk, options);
  const put = entriesPut(map);
  return {
    read(sink: EntrySink) {
      walk.reset();
      const counted = drainNative(walk, sink, put);
      return { counted, chunk: walk.chunk, chunkGrowths: walk.growths };
    },
    free() {
      walk.free();
    },
  };
}

/** A batch walk with the cursor advanced (batch, batch-delete), in the loop asked for. */
export function advancingBatchRead(map: BpfMap, { chunk, strictChunk, loop = DEFAULT_LOOP }: StrategyOptions, deleting: boolean): PreparedRead {
  const options = { onEnospc: strictChunk ? 'fail' : 'grow', deleting } as const;
  return loop === 'native' ? nativeBatchRead(map, chunk, options) : batchRead(map, map.batches(chunk, options));
}

export const batch: Strategy = {
  name: 'batch',
  summary: 'LOOKUP_BATCH with --chunk, cursor advanced until ENOENT',
  usesChunk: true,
  prepare(map: BpfMap, options: StrategyOptions) {
    return advancingBatchRead(map, options, false);
  },
};
