// What a full read of a map bpfbench filled must return: keys 0..N-1 with
// the loader's values. Arrays hold every index (the ones not written read as
// zero); LRU maps hold what they kept after the fill, found by looking up
// every key the loader wrote, one at a time, untimed.
//
// Nothing here reads the map the way a read strategy does: the census of an
// LRU map goes through KeyProbe (LOOKUP_ELEM only), never through the batch
// cursor, the per-element reader or the native loop, so that a read is never
// checked against itself.
import { KeyProbe, type ProbedMap } from '../../bpf/maps/key-probe.js';
import type { BpfMap } from '../../bpf/maps/map.js';
import { traitsOf } from '../../bpf/maps/map-types.js';
import type { Pattern } from './pattern.js';
import { pairTerm } from '../verification/verdict.js';

/** What a full read must return: keys 0..entries-1 with the loader's values. */
export interface Expectation {
  entries: number;
  /** The constant u32 every value holds (the published experiment's 0xdeadbeef), or… */
  value?: number;
  /** …the byte pattern of keys and values the loader wrote (any map shape). */
  pattern?: Pattern;
  /** Indices at and above this hold zero values (an array larger than what was written). Default: entries. */
  written?: number;
  /**
   * Only these indices are in the map (a bitmap over 0..entries-1): an LRU
   * map that evicted some during the fill. Default: all of them.
   */
  present?: Uint32Array;
}

/** Bit i of a bitmap over indices. */
export const bitSet = (bits: Uint32Array, i: number): boolean => ((bits[i >>> 5]! >>> (i & 31)) & 1) === 1;

const isPresent = (e: Expectation, i: number) => !e.present || bitSet(e.present, i);

/** Keys a full read of `e` returns. */
export function expectedCount(e: Expectation): number {
  if (!e.present) return e.entries;
  let n = 0;
  for (let i = 0; i < e.entries; i++) if (isPresent(e, i)) n++;
  return n;
}

/** The value word (first 4 bytes of slot 0, as i32) index i must have. */
export function expectedWord(e: Expectation, i: number): number {
  const zero = i >= (e.written ?? e.entries);
  if (e.pattern) return e.pattern.expectedWord0(i, zero);
  return zero ? 0 : (e.value ?? 0) | 0;
}

/** The checksums a correct read of `e` yields: key sum and pair checksum, mod 2^32. */
export function expectedSums(e: Expectation): { keySum: number; checksum: number } {
  const n = BigInt(e.entries);
  let keySum = Number(BigInt.asIntN(32, (n * (n - 1n)) / 2n));
  let checksum = 0;
  if (e.present) keySum = 0;
  for (let k = 0; k < e.entries; k++) {
    if (!isPresent(e, k)) continue;
    if (e.present) keySum = (keySum + k) | 0;
    checksum = (checksum + pairTerm(k, expectedWord(e, k))) | 0;
  }
  return { keySum, checksum };
}

/**
 * Which indices an LRU map holds after the fill: LRU maps may evict while
 * being filled (per-CPU free lists, stealing), so their reads are verified
 * against what the map holds. Every key the loader wrote (indices
 * 0..entries-1, built by `pattern` as the fill built them) is looked up once
 * with LOOKUP_ELEM; the ones found are present, whatever their value (the
 * verifier judges values). A lookup from user space does not evict.
 */
export function presentAfterFill(map: ProbedMap, entries: number, pattern: Pattern): Uint32Array {
  const present = new Uint32Array(Math.ceil(entries / 32));
  const probe = new KeyProbe(map);
  try {
    for (let i = 0; i < entries; i++) {
      pattern.writeKey(i, probe.key, 0);
      if (probe.lookup()) present[i >>> 5] = present[i >>> 5]! | (1 << (i & 31));
    }
  } finally {
    probe.free();
  }
  return present;
}

/** What a full read of a freshly filled map must return. */
export function expectationFor(map: BpfMap, entries: number, pattern: Pattern): Expectation {
  const traits = traitsOf(map.info.type);
  if (traits?.kind === 'array') {
    // Every index of an array exists; the ones not written read as zero.
    return { entries: map.maxEntries, written: entries, pattern, value: pattern.shape.constant };
  }
  const e: Expectation = { entries, pattern, value: pattern.shape.constant };
  if (traits?.lru) e.present = presentAfterFill(map, entries, pattern);
  return e;
}
