// What a read must prove: every key 0..N-1 seen exactly once, nothing else,
// and every value the loader wrote. Strategies feed each entry they read to
// a Verifier; it keeps a bitmap of keys and order-independent checksums, all
// in preallocated memory, so feeding it allocates nothing.

import { Pattern } from './pattern.js';

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

const isPresent = (e: Expectation, i: number) => !e.present || ((e.present[i >>> 5]! >>> (i & 31)) & 1) === 1;

/** Keys a full read of `e` returns. */
export function expectedCount(e: Expectation): number {
  if (!e.present) return e.entries;
  let n = 0;
  for (let i = 0; i < e.entries; i++) if (isPresent(e, i)) n++;
  return n;
}

/** The value word (first 4 bytes of slot 0, as i32) index i must have. */
function expectedWord(e: Expectation, i: number): number {
  const zero = i >= (e.written ?? e.entries);
  if (e.pattern) return e.pattern.expectedWord0(i, zero);
  return zero ? 0 : (e.value ?? 0) | 0;
}

export interface Verdict {
  ok: boolean;
  /** Entries the reader delivered (with repeats). */
  entries: number;
  /** Distinct keys among them. */
  distinct: number;
  expectedEntries: number;
  keySumOk: boolean;
  checksumOk: boolean;
  /** Entries whose value differs from what the loader wrote. */
  badValues: number;
  /** Keys outside 0..N-1. */
  badKeys: number;
  /** Human-readable reasons when !ok. */
  problems: string[];
  /** The read's sums (mod 2^32, unsigned), for comparing reads of a map of unknown content. */
  keySum?: number;
  checksum?: number;
}

/** Order-independent checksum term of one (key, value) pair, mod 2^32. */
export function pairTerm(key: number, value: number): number {
  return (Math.imul(key ^ 0x5bd1e995, 0x9e3779b1) ^ value) | 0;
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

export type ProgressFn = (entries: number) => void;

/** Where a strategy puts every entry it reads. */
export interface EntrySink {
  /** Entries expected, for progress (0 when unknown). */
  readonly total: number;
  reset(progress?: ProgressFn): void;
  add(key: number, value: number): void;
  addMany(keys: Uint32Array, values: Int32Array, n: number): void;
  /** Any shape: `n` keys of key_size bytes and values of `valueStride` bytes, packed. */
  addManyRaw(keyBytes: Uint8Array, valueBytes: Uint8Array, n: number, keySize: number, valueStride: number): void;
  /** Any shape: one entry, its key and value at these offsets. */
  addRaw(keyBytes: Uint8Array, keyOff: number, valueBytes: Uint8Array, valueOff: number): void;
  verdict(): Verdict;
}

export class Verifier implements EntrySink {
  readonly expect: Expectation;
  private readonly bitmap: Uint32Array;
  private readonly value: number;
  private readonly constant: boolean;
  private readonly pattern: Pattern | undefined;
  private readonly written: number;
  private readonly valueSize: number;
  private readonly limit: number;
  private present: Uint32Array | undefined;
  private count: number;
  private expected: { keySum: number; checksum: number };
  private entries = 0;
  private distinct = 0;
  private keySum = 0;
  private checksum = 0;
  private badValues = 0;
  private badKeys = 0;
  private progress: ProgressFn | undefined;
  private nextProgress = Infinity;
  private progressStep = 1 << 16;

  constructor(expect: Expectation) {
    this.expect = expect;
    this.limit = expect.entries;
    this.present = expect.present;
    this.count = expectedCount(expect);
    this.constant = expect.value !== undefined;
    this.value = (expect.value ?? 0) | 0;
    this.pattern = expect.pattern;
    this.written = expect.written ?? expect.entries;
    this.valueSize = expect.pattern?.shape.valueSize ?? 4;
    if (!this.constant && !this.pattern) throw new RangeError('an expectation needs a value or a pattern');
    this.bitmap = new Uint32Array(Math.ceil(Math.max(expect.entries, 1) / 32));
    this.expected = expectedSums(expect);
  }

  get total(): number {
    return this.count;
  }

  /** The map now holds these indices (an LRU map refilled): expect them from here on. */
  expectPresent(present: Uint32Array): void {
    this.expect.present = present;
    this.present = present;
    this.count = expectedCount(this.expect);
    this.expected = expectedSums(this.expect);
  }

  /** Clears what was seen, for the next read. `progress` is called every ~64Ki entries. */
  reset(progress?: ProgressFn): void {
    this.bitmap.fill(0);
    this.entries = 0;
    this.distinct = 0;
    this.keySum = 0;
    this.checksum = 0;
    this.badValues = 0;
    this.badKeys = 0;
    this.progress = progress;
    this.nextProgress = progress ? this.progressStep : Infinity;
  }

  /** One entry of a 4-byte key and a 4-byte single-slot value: key as u32, value as i32. */
  add(key: number, value: number): void {
    const ok = this.constant ? value === this.value : value === expectedWord(this.expect, key);
    this.seen(key, value, ok, true);
  }

  /** Counts one entry: index `key` (first u32 of the key), value word, whether value and key tail matched. */
  private seen(key: number, word: number, valueOk: boolean, keyOk: boolean): void {
    this.entries++;
    if (key >= 0 && key < this.limit && keyOk && (this.present === undefined || ((this.present[key >>> 5]! >>> (key & 31)) & 1) === 1)) {
      const w = key >>> 5;
      const bit = 1 << (key & 31);
      const bits = this.bitmap[w]!;
      if ((bits & bit) === 0) {
        this.bitmap[w] = bits | bit;
        this.distinct++;
      }
    } else {
      this.badKeys++;
    }
    this.keySum = (this.keySum + key) | 0;
    this.checksum = (this.checksum + pairTerm(key, word)) | 0;
    if (!valueOk) this.badValues++;
    if (this.entries >= this.nextProgress) this.tick();
  }

  addManyRaw(keyBytes: Uint8Array, valueBytes: Uint8Array, n: number, keySize: number, valueStride: number): void {
    for (let i = 0; i < n; i++) this.addRaw(keyBytes, i * keySize, valueBytes, i * valueStride);
  }

  addRaw(keyBytes: Uint8Array, ko: number, valueBytes: Uint8Array, vo: number): void {
    const p = this.pattern;
    if (p) {
      const idx = p.keyIndex(keyBytes, ko);
      const zero = idx >= this.written;
      this.seen(idx, Pattern.word0(valueBytes, vo, this.valueSize), p.valueOk(idx, valueBytes, vo, zero), p.keyTailOk(idx, keyBytes, ko));
    } else {
      const k = (keyBytes[ko]! | (keyBytes[ko + 1]! << 8) | (keyBytes[ko + 2]! << 16) | (keyBytes[ko + 3]! << 24)) >>> 0;
      this.add(k, Pattern.word0(valueBytes, vo, 4));
    }
  }

  /** `n` entries from parallel u32 key / i32 value arrays (4-byte keys and values). */
  addMany(keys: Uint32Array, values: Int32Array, n: number): void {
    for (let i = 0; i < n; i++) this.add(keys[i]!, values[i]!);
  }

  /** The running sums (mod 2^32, as i32) of what was read so far. */
  sums(): { keySum: number; checksum: number } {
    return { keySum: this.keySum, checksum: this.checksum };
  }

  private tick(): void {
    this.nextProgress = this.entries + this.progressStep;
    this.progress?.(this.entries);
  }

  verdict(): Verdict {
    const problems: string[] = [];
    const N = this.count;
    const fmt = (n: number) => n.toLocaleString('en-US');
    if (this.entries !== N) problems.push(`read ${fmt(this.entries)} entries, expected ${fmt(N)}`);
    if (this.distinct !== N) problems.push(`${fmt(this.distinct)} distinct keys of ${fmt(N)}`);
    if (this.entries > this.distinct + this.badKeys) problems.push(`${fmt(this.entries - this.distinct - this.badKeys)} repeated keys`);
    if (this.badKeys > 0) problems.push(`${fmt(this.badKeys)} keys not written by the loader`);
    if (this.badValues > 0) problems.push(`${fmt(this.badValues)} wrong values`);
    const keySumOk = this.keySum === this.expected.keySum;
    const checksumOk = this.checksum === this.expected.checksum;
    if (!keySumOk) problems.push('key sum differs');
    if (!checksumOk) problems.push('key/value checksum differs');
    return {
      ok: problems.length === 0,
      entries: this.entries,
      distinct: this.distinct,
      expectedEntries: N,
      keySumOk,
      checksumOk,
      badValues: this.badValues,
      badKeys: this.badKeys,
      problems,
    };
  }
}

/**
 * For a map bpfbench did not fill: records what a read saw (count, the keys
 * for a distinct count, key sum and key/value checksum, in preallocated
 * memory), so that reads by different strategies can be compared with each
 * other. A read is wrong on its own if it repeats a key; the run compares
 * the rest across strategies (crossCheck).
 */
export class Census implements EntrySink {
  readonly total: number;
  private readonly keys: Uint32Array;
  private entries = 0;
  private keySum = 0;
  private checksum = 0;
  private progress: ProgressFn | undefined;
  private nextProgress = Infinity;

  /** `capacity`: the map's max_entries (a correct read never sees more keys). */
  constructor(capacity: number) {
    this.total = 0;
    this.keys = new Uint32Array(capacity + 1);
  }

  reset(progress?: ProgressFn): void {
    this.entries = 0;
    this.keySum = 0;
    this.checksum = 0;
    this.progress = progress;
    this.nextProgress = progress ? 1 << 16 : Infinity;
  }

  add(key: number, value: number): void {
    if (this.entries < this.keys.length) this.keys[this.entries] = key;
    this.entries++;
    this.keySum = (this.keySum + key) | 0;
    this.checksum = (this.checksum + pairTerm(key, value)) | 0;
    if (this.entries >= this.nextProgress) {
      this.nextProgress = this.entries + (1 << 16);
      this.progress?.(this.entries);
    }
  }

  addMany(keys: Uint32Array, values: Int32Array, n: number): void {
    for (let i = 0; i < n; i++) this.add(keys[i]!, values[i]!);
  }

  addManyRaw(keyBytes: Uint8Array, valueBytes: Uint8Array, n: number, keySize: number, valueStride: number): void {
    for (let i = 0; i < n; i++) this.addRaw(keyBytes, i * keySize, valueBytes, i * valueStride);
  }

  addRaw(keyBytes: Uint8Array, ko: number, valueBytes: Uint8Array, vo: number): void {
    const k = (keyBytes[ko]! | (keyBytes[ko + 1]! << 8) | (keyBytes[ko + 2]! << 16) | (keyBytes[ko + 3]! << 24)) >>> 0;
    this.add(k, Pattern.word0(valueBytes, vo, 4));
  }

  verdict(): Verdict {
    const n = Math.min(this.entries, this.keys.length);
    const seen = this.keys.subarray(0, n).sort();
    let distinct = n > 0 ? 1 : 0;
    for (let i = 1; i < n; i++) if (seen[i] !== seen[i - 1]) distinct++;
    const problems: string[] = [];
    const fmt = (x: number) => x.toLocaleString('en-US');
    if (this.entries > this.keys.length - 1) problems.push(`read ${fmt(this.entries)} entries from a map of max_entries ${fmt(this.keys.length - 1)}`);
    else if (distinct !== this.entries) problems.push(`${fmt(this.entries - distinct)} repeated keys`);
    return {
      ok: problems.length === 0,
      entries: this.entries,
      distinct,
      expectedEntries: this.entries,
      keySumOk: true,
      checksumOk: true,
      badValues: 0,
      badKeys: 0,
      problems,
      keySum: this.keySum >>> 0,
      checksum: this.checksum >>> 0,
    };
  }
}

/**
 * Cross-strategy verification for a map bpfbench did not fill: every read
 * must agree with the first correct one on count, distinct keys and both
 * checksums. Returns verdicts with disagreements marked.
 */
export function crossCheck(verdicts: { label: string; verdict: Verdict }[]): Verdict[] {
  const ref = verdicts.find((v) => v.verdict.ok);
  return verdicts.map(({ verdict: v }) => {
    if (!ref || !v.ok || v === ref.verdict) return v;
    const r = ref.verdict;
    const problems: string[] = [];
    if (v.entries !== r.entries) problems.push(`read ${v.entries.toLocaleString('en-US')} entries, ${ref.label} read ${r.entries.toLocaleString('en-US')}`);
    if (v.distinct !== r.distinct) problems.push(`${v.distinct.toLocaleString('en-US')} distinct keys, ${ref.label} saw ${r.distinct.toLocaleString('en-US')}`);
    const keySumOk = v.keySum === r.keySum;
    const checksumOk = v.checksum === r.checksum;
    if (!keySumOk) problems.push(`key sum differs from ${ref.label}'s`);
    if (!checksumOk) problems.push(`key/value checksum differs from ${ref.label}'s`);
    return { ...v, ok: problems.length === 0, keySumOk, checksumOk, problems: [...v.problems, ...problems] };
  });
}
