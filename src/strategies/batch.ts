// batch: BPF_MAP_LOOKUP_BATCH with --chunk entries per call, the cursor
// advanced each call (in_batch = previous out_batch; NULL on the first),
// short batches at bucket boundaries accepted, and the entries of the final
// ENOENT call consumed.
import type { BpfMap } from '../bpf/map.js';
import type { Strategy, StrategyOptions } from './types.js';

export const batch: Strategy = {
  name: 'batch',
  summary: 'LOOKUP_BATCH with --chunk, cursor advanced until ENOENT',
  usesChunk: true,
  prepare(map: BpfMap, { chunk }: StrategyOptions) {
    const cursor = map.batches(chunk);
    return {
      read(sink) {
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
  },
};
