// What a read must prove: every key 0..N-1 seen exactly once, nothing else,
// and every value the loader wrote. Strategies feed each entry they read to
// a Verifier; it keeps a bitmap of keys and order-independent checksums, all
// in preallocated memory, so feeding it allocates nothing.
//
// With the native loop it offers a native check (bpf/native-check.ts,
// native/check.c): the same proofs made in C on each hand-over while it is
// in cache, into the same bitmap; verdict() adds the two. This file stays
// the reference: the js loop uses it, and a test holds the C check to it.
import { type CheckShape, NativeCheck } from '../../bpf/native/native-check.js';
import { bitSet, expectedCount, expectedSums, expectedWord, type Expectation } from '../filling/expectation.js';
import { EntrySinkBase } from './entry-sink.js';
import { Pattern } from '../filling/pattern.js';
import { pairTerm, readProblems, type ProgressFn, type Verdict, type VerifyingSink } from './verdict.js';

export class Verifier extends EntrySinkBase implements VerifyingSink {
  readonly expect: Expectation;
  private bitmap: Uint32Array;
  private check: NativeCheck | undefined;
  private checkTried = false;
  private readonly allowNative: boolean;
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

  /** `native: false`: never offer the native check (every entry comes here). */
  constructor(expect: Expectation, options: { native?: boolean } = {}) {
    super();
    this.expect = expect;
    this.allowNative = options.native ?? process.env.BPFBENCH_CHECK !== 'js';
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
    this.check?.setPresent(present);
  }

  /**
   * The native loop's fast path: a check C folds each hand-over into, for
   * entries of this shape (key bytes, value bytes in user space), or
   * undefined (the shape is not the expectation's, the library is missing,
   * or native checks are off).
   */
  nativeCheck(keySize: number, valueStride: number): NativeCheck | undefined {
    if (!this.checkTried) {
      this.checkTried = true;
      const shape = this.checkShape();
      if (this.allowNative && shape) {
        try {
          const c = new NativeCheck(shape);
          c.bitmap.set(this.bitmap);
          this.bitmap = c.bitmap;
          c.setPresent(this.present);
          this.check = c;
        } catch {
          this.check = undefined;
        }
      }
    }
    const c = this.check;
    if (!c || keySize !== c.shape.keySize || valueStride !== c.shape.valueSlot * c.shape.slots) return undefined;
    return c;
  }

  /** After a hand-over C checked: progress, as add() ticks it. */
  folded(): void {
    if (!this.progress) return;
    const seen = this.entries + (this.check?.entries ?? 0);
    if (seen >= this.nextProgress) {
      this.nextProgress = seen + this.progressStep;
      this.progress(seen);
    }
  }

  /** What C needs of the expectation, or undefined for a shape it cannot describe. */
  private checkShape(): CheckShape | undefined {
    const p = this.pattern;
    const base = { limit: this.limit, written: this.written, constant: this.constant ? this.value >>> 0 : undefined };
    if (p) return { ...base, keySize: p.shape.keySize, valueSize: p.shape.valueSize, valueSlot: p.shape.valueSlot, slots: p.shape.slots };
    return { ...base, keySize: 4, valueSize: 4, valueSlot: 4, slots: 1 };
  }

  /** Frees the native check's memory (also freed when the verifier is collected). */
  free(): void {
    this.check?.free();
    this.check = undefined;
  }

  reset(progress?: ProgressFn): void {
    this.bitmap.fill(0);
    this.entries = 0;
    this.distinct = 0;
    this.keySum = 0;
    this.checksum = 0;
    this.badValues = 0;
    this.badKeys = 0;
    this.check?.reset();
    this.progress = progress;
    this.nextProgress = progress ? this.progressStep : Infinity;
  }

  add(key: number, value: number): void {
    const ok = this.constant ? value === this.value : value === expectedWord(this.expect, key);
    this.seen(key, value, ok, true);
  }

  /** Counts one entry: index `key` (first u32 of the key), value word, whether value and key tail matched. */
  private seen(key: number, word: number, valueOk: boolean, keyOk: boolean): void {
    this.entries++;
    if (key >= 0 && key < this.limit && keyOk && (this.present === undefined || bitSet(this.present, key))) {
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

  /** Patterned maps: every key and value byte checked; the others as every sink does (entry-sink.ts). */
  override addRaw(keyBytes: Uint8Array, ko: number, valueBytes: Uint8Array, vo: number): void {
    const p = this.pattern;
    if (p) {
      const idx = p.keyIndex(keyBytes, ko);
      const zero = idx >= this.written;
      this.seen(idx, Pattern.word0(valueBytes, vo, this.valueSize), p.valueOk(idx, valueBytes, vo, zero), p.keyTailOk(idx, keyBytes, ko));
    } else {
      super.addRaw(keyBytes, ko, valueBytes, vo);
    }
  }

  /** The running sums (mod 2^32, as i32) of what was read so far. */
  sums(): { keySum: number; checksum: number } {
    const c = this.check?.totals();
    return { keySum: (this.keySum + (c?.keySum ?? 0)) | 0, checksum: (this.checksum + (c?.checksum ?? 0)) | 0 };
  }

  private tick(): void {
    this.nextProgress = this.entries + this.progressStep;
    this.progress?.(this.entries);
  }

  verdict(): Verdict {
    const N = this.count;
    // The native check's totals, when C checked hand-overs of this read: the bitmap is shared, the counts add.
    const c = this.check?.totals();
    const native = c !== undefined && c.entries > 0;
    const entries = this.entries + (c?.entries ?? 0);
    const distinct = this.distinct + (c?.distinct ?? 0);
    const badValues = this.badValues + (c?.badValues ?? 0);
    const badKeys = this.badKeys + (c?.badKeys ?? 0);
    const { keySum, checksum } = this.sums();
    const keySumOk = keySum === this.expected.keySum;
    const checksumOk = checksum === this.expected.checksum;
    const problems = readProblems({ entries, distinct, badValues, badKeys, keySumOk, checksumOk }, { entries: N, distinct: N }, { repeats: true });
    const checkedBy = native ? (this.entries > 0 ? 'native+js' : 'native') : 'js';
    return { ok: problems.length === 0, entries, distinct, expectedEntries: N, keySumOk, checksumOk, badValues, badKeys, problems, checkedBy };
  }
}
