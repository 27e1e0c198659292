// batch: BPF_MAP_LOOKUP_BATCH with --chunk entries per call, the cursor
// advanced each call (in_batch = previous out_batch; NULL on the first),
// short batches accepted at bucket boundaries, and the entries of the final
// ENOENT call consumed.
//
// --loop native: the same calls from C (NativeRead.batch), several chunks
// per hand-over; --loop js: BatchCursor, one koffi call per chunk.
import type { BatchWalk } from '../bpf/maps/batch-cursor.js';
import { Feature } from '../bpf/programs/features.js';
import { CallTimer, samplingFor } from '../bpf/native/latency.js';
import type { BpfMap } from '../bpf/maps/map.js';
import type { NativeBatchOptions } from '../bpf/native/native-library.js';
import { NativeRead } from '../bpf/native/native-loop.js';
import { DEFAULT_LOOP, drainNative, entriesPut } from './loop.js';
import type { EntrySink } from './sink.js';
import type { PreparedRead, Strategy, StrategyOptions } from './types.js';

/** Entries are a u32 key and a single u32 value: the typed-array fast path applies. */
export function isU32Map(map: BpfMap): boolean {
  return map.keySize === 4 && map.valueStride === 4;
}

/** The default latency sampling of a batch read: by the entries a call moves. */
export const batchLatencyEvery = (chunk: number, latencyEvery?: number) => latencyEvery ?? samplingFor(chunk);

/**
 * A read that drains a batch walk into the sink; the walk decides how it
 * moves. Each step of the walk is timed (or every `latencyEvery`-th): one
 * call, or, when ENOSPC grew the chunk, the calls it made (filed as that
 * many calls sharing its time).
 */
export function batchRead(map: BpfMap, cursor: BatchWalk, latencyEvery: number): PreparedRead {
  const u32 = isU32Map(map);
  const keySize = map.keySize;
  const stride = map.valueStride;
  const timer = new CallTimer(latencyEvery);
  return {
    read(sink: EntrySink) {
      cursor.reset();
      timer.reset();
      let counted = 0;
      for (;;) {
        const before = cursor.calls;
        timer.begin();
        const step = cursor.next();
        timer.end(cursor.calls - before);
        if (step.done) break;
        const b = step.value;
        if (u32) sink.addMany(b.keysU32, b.valuesI32, b.count);
        else sink.addManyRaw(b.keyBytes, b.valueBytes, b.count, keySize, stride);
        counted += b.count;
      }
      return { counted, chunk: cursor.chunk, chunkGrowths: cursor.growths, callLatency: latencyEvery ? timer : undefined };
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
      return { counted, chunk: walk.chunk, chunkGrowths: walk.growths, callLatency: walk.sampledEvery ? walk : undefined };
    },
    free() {
      walk.free();
    },
  };
}

/** A batch walk with the cursor advanced (batch, batch-delete), in the loop asked for. */
export function advancingBatchRead(map: BpfMap, { chunk, strictChunk, loop = DEFAULT_LOOP, latencyEvery }: StrategyOptions, deleting: boolean): PreparedRead {
  const every = batchLatencyEvery(chunk, latencyEvery);
  const options = { onEnospc: strictChunk ? 'fail' : 'grow', deleting } as const;
  return loop === 'native' ? nativeBatchRead(map, chunk, { ...options, latencyEvery: every }) : batchRead(map, map.batches(chunk, options), every);
}

/** What every LOOKUP_BATCH read needs of the kernel. */
export const LOOKUP_BATCH_NEED = { feature: Feature.lookupBatch, what: 'BPF_MAP_LOOKUP_BATCH', perMapType: true } as const;

export const batch: Strategy = {
  name: 'batch',
  summary: 'LOOKUP_BATCH with --chunk, cursor advanced until ENOENT',
  usesChunk: true,
  palette: 0,
  needs: [LOOKUP_BATCH_NEED],
  prepare(map: BpfMap, options: StrategyOptions) {
    return advancingBatchRead(map, options, false);
  },
};
