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

/** The reference strategy (the one marked `reference`): every speedup is over it. */
export const REFERENCE: Strategy = (() => {
  const refs = STRATEGIES.filter((s) => s.reference);
  if (refs.length !== 1) throw new Error(`exactly one strategy must be the reference, not ${refs.length}`);
  return refs[0]!;
})();

/** Whether results name the reference strategy. */
export const isReference = (name: string): boolean => name === REFERENCE.name;

/** The reference's row among a result's rows (the first that also passes `where`), if it has one. */
export function referenceOf<T extends { strategy: string }>(rows: readonly T[], where: (row: T) => boolean = () => true): T | undefined {
  return rows.find((r) => isReference(r.strategy) && where(r));
}

/** Whether a strategy's bpf calls are fixed by the entries alone (not by the buckets' layout); false for a name no strategy has. */
export const hasExactCalls = (name: string): boolean => strategyByName(name)?.exactCalls === true;

/** A strategy's colour on the charts (its `palette` index), or `neutral` for one without. */
export const paletteOf = (name: string, neutral: number): number => strategyByName(name)?.palette ?? neutral;

/**
 * The published Go experiment's reads (bpfbench reproduce): per element (the
 * reference), its flawed batch loop (expected to fail), and the correct
 * batch read it stands in for.
 */
export const PUBLISHED_READS = { reference: REFERENCE, flawed: batchFixedCursor, correct: batch } as const;

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
