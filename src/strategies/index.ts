// The registry of read strategies, by name.
import { batch } from './batch.js';
import { batchFixedCursor } from './batch-fixed-cursor.js';
import { batchDelete, elemDelete } from './drain.js';
import { elem } from './elem.js';
import { iter } from './iter.js';
import { batchDeleteSharded, batchSharded } from './sharded.js';
import type { Strategy } from './types.js';

export const STRATEGIES: readonly Strategy[] = [elem, batch, batchFixedCursor, elemDelete, batchDelete, iter, batchSharded, batchDeleteSharded];

export function strategyByName(name: string): Strategy | undefined {
  return STRATEGIES.find((s) => s.name === name);
}

/** `batch(4096)` for chunked strategies, the bare name otherwise. */
export function strategyLabel(s: Strategy, chunk: number): string {
  return s.usesChunk ? `${s.name}(${chunk})` : s.name;
}

/** `batch-sharded(4096)×2` for sharded strategies with their threads; strategyLabel otherwise. */
export function strategyLabelWithThreads(s: Strategy, chunk: number, threads?: number): string {
  return s.usesThreads && threads !== undefined ? `${strategyLabel(s, chunk)}×${threads}` : strategyLabel(s, chunk);
}

export type { Strategy, PreparedRead, ReadReport, ShardsReport, StrategyOptions } from './types.js';
export { DEFAULT_LOOP, READ_LOOPS, requireLoop, type ReadLoop } from './loop.js';
export { chooseStrategies, unavailableReason, type Choice, type Unavailable } from './availability.js';
