// The bucket layout of a BPF_F_ZERO_SEED hash map, computed the way the
// kernel does (kernel/bpf/hashtab.c: htab_map_hash = jhash2 of the key's
// words with seed 0; bucket = hash & (n_buckets - 1), n_buckets =
// roundup_pow_of_two(max_entries)), and the LOOKUP_BATCH walk over it
// (__htab_map_lookup_and_delete_batch: whole buckets only; a bucket that does
// not fit ends the call, or fails it with ENOSPC when nothing was copied yet;
// the call that passes the last bucket answers ENOENT). From these, the exact
// calls and counts of a batch walk follow; walk() says what a real one made.
import type { BatchWalk } from '../../../src/bpf/maps/batch-cursor.js';
import { nextPow2 } from '../../../src/bpf/maps/map-types.js';
import { callsSince, snapshotCalls } from '../../../src/bpf/syscall/syscall.js';

const rol32 = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** include/linux/jhash.h jhash2() of one u32 word. */
export function jhash1Word(k: number, seed = 0): number {
  let a = (0xdeadbeef + (1 << 2) + seed) >>> 0;
  let b = a;
  let c = a;
  a = (a + k) >>> 0;
  // __jhash_final(a, b, c)
  c = ((c ^ b) - rol32(b, 14)) >>> 0;
  a = ((a ^ c) - rol32(c, 11)) >>> 0;
  b = ((b ^ a) - rol32(a, 25)) >>> 0;
  c = ((c ^ b) - rol32(b, 16)) >>> 0;
  a = ((a ^ c) - rol32(c, 4)) >>> 0;
  b = ((b ^ a) - rol32(a, 14)) >>> 0;
  c = ((c ^ b) - rol32(b, 24)) >>> 0;
  return c;
}

/** Entries per bucket of a zero-seed hash map with 4-byte keys 0..n-1. */
export function zeroSeedBuckets(n: number, maxEntries = n): number[] {
  const buckets = new Array<number>(nextPow2(maxEntries)).fill(0);
  for (let k = 0; k < n; k++) buckets[jhash1Word(k) & (buckets.length - 1)]!++;
  return buckets;
}

export interface PredictedWalk {
  /** Entries each delivering call returned, in order. */
  counts: number[];
  /** LOOKUP_BATCH calls, ENOSPC retries included. */
  calls: number;
  /** The chunk at the end, and the doublings ENOSPC caused. */
  chunk: number;
  growths: number;
}

/** The walk BatchCursor makes over these buckets; `grow`: double the chunk on ENOSPC (else ENOSPC throws). */
export function predictWalk(buckets: readonly number[], chunk: number, grow = false): PredictedWalk {
  const counts: number[] = [];
  let calls = 1;
  let growths = 0;
  let total = 0;
  for (const n of buckets) {
    while (n > chunk - total) {
      if (total > 0) {
        counts.push(total); // this call ends before the bucket; the next starts at it
        total = 0;
        calls++;
        continue;
      }
      if (!grow) throw new Error(`ENOSPC: a bucket of ${n} > chunk ${chunk}`);
      chunk *= 2; // ENOSPC, then the same call again
      growths++;
      calls++;
    }
    total += n;
  }
  if (total > 0) counts.push(total); // the ENOENT call's entries
  return { counts, calls, chunk, growths };
}

/** The batch sizes a walk delivers, and the calls it made by bpfbench's count. */
export function walk(cursor: BatchWalk): { counts: number[]; calls: Record<string, number> } {
  const before = snapshotCalls();
  const counts: number[] = [];
  for (const b of cursor) counts.push(b.count);
  return { counts, calls: callsSince(before) };
}

/** Entries the first call of a walk from bucket 0 returns (what every call of the fixed cursor returns). */
export function firstBatch(buckets: readonly number[], chunk: number): number {
  return predictWalk(buckets, chunk).counts[0] ?? 0;
}
