// batch: BPF_MAP_LOOKUP_BATCH with --chunk entries per call, the cursor
// advanced each call (in_batch = previous out_batch; NULL on the first),
// short batches at bucket boundaries accepted, and the entries of the final
// ENOENT call consumed.
import type { BatchCursor, BpfMap } from '../bpf/map.js';
import type { EntrySink } from '../harness/verifier.js';
import type { PreparedRead, Strategy, StrategyOptions } from './types.js';

/** A read that drains a batch cursor into the verifier; the cursor decides how it walks. */
export function batchRead(cursor: BatchCursor): PreparedRead {
  return {
    read(sink: EntrySink) {
      cursor.reset();
      let counted = 0;
      for (const b of cursor) {
        sink.addMany(b.keysU32, b.valuesI32, b.count);
        counted += b.count;
      }
      return { counted };
    },
    free() {
      cursor.free();
    },
  };
}

export const batch: Strategy = {
  name: 'batch',
  summary: 'LOOKUP_BATCH with --chunk, cursor advanced until ENOENT',
  usesChunk: true,
  prepare(map: BpfMap, { chunk }: StrategyOptions) {
    return batchRead(map.batches(chunk));
  },
};
