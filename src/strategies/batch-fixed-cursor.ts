// batch-fixed-cursor: the loop of the published Go experiment, kept to
// reproduce it. Every LOOKUP_BATCH call passes the same in_batch (a pointer
// to 0, never updated from out_batch), max_entries / chunk times, and the
// returned counts are summed. Each call re-reads bucket 0 onward, so the
// "count" reaches max_entries while only about `chunk` distinct keys are
// ever seen. Its verification fails by design.
//
// --loop native: the same calls from C (NativeRead.batch with fixedCursor);
// --loop js: FixedCursor.
import { FixedCursor } from '../bpf/maps/fixed-cursor.js';
import type { BpfMap } from '../bpf/maps/map.js';
import { batchLatencyEvery, batchRead, LOOKUP_BATCH_NEED, nativeBatchRead } from './batch.js';
import { DEFAULT_LOOP } from './loop.js';
import type { Strategy, StrategyOptions } from './types.js';

export const batchFixedCursor: Strategy = {
  name: 'batch-fixed-cursor',
  summary: 'the published Go loop: LOOKUP_BATCH from the same cursor max_entries/chunk times (fails verification by design)',
  usesChunk: true,
  expectedToFail: true,
  palette: 5,
  needs: [LOOKUP_BATCH_NEED],
  prepare(map: BpfMap, { chunk, loop = DEFAULT_LOOP, latencyEvery }: StrategyOptions) {
    const calls = Math.max(1, Math.floor(map.maxEntries / chunk));
    const every = batchLatencyEvery(chunk, latencyEvery);
    // Never grows its chunk: ENOSPC fails, as the experiment's loop did.
    if (loop === 'native') return nativeBatchRead(map, chunk, { fixedCursor: true, maxCalls: calls, latencyEvery: every });
    return batchRead(map, new FixedCursor(map, chunk, calls), every);
  },
};
