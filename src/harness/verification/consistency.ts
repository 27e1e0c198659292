// What a reader saw of a map that writers were changing while it read
// (run --writers). The key space is declared up front (writers.ts): STABLE
// keys (present with the loader's value throughout: writers never touch
// them), VOLATILE keys (every volatileEvery-th loaded key, and the fresh
// keys N .. N+fresh-1 the writers insert and delete), and nothing else.
//
// Per read it counts stable keys seen once, twice or more, or missed;
// volatile entries seen; stray keys (outside both sets: never written, a
// failure) and wrong values (a failure); and the restarts of the walk it can
// detect. All in memory allocated once; add() allocates nothing.
//
// The expected set is the declared key space and the loader's value, not
// anything the writers report: what the read is held against does not come
// from the code under test.
import { EntrySinkBase } from './entry-sink.js';
import { fmtCount, fmtCountOf, pairTerm, type ProgressFn, type Verdict, type VerifyingSink } from './verdict.js';

/** The keys writers may touch, and those they may not. */
export interface KeySpace {
  /** Keys 0..entries-1 were written by the loader. */
  entries: number;
  /** Keys k < entries with k % volatileEvery === 0 are volatile. */
  volatileEvery: number;
  /** Fresh keys entries .. entries+fresh-1: volatile, absent after the load. */
  fresh: number;
  /** The value the loader (and every writer) writes. */
  value: number;
}

/** results[].consistency: one read's view of the map under writers. */
export interface Consistency {
  /** Stable keys read exactly once. */
  stableOnce: number;
  /** Stable keys read twice or more. */
  stableDuplicates: number;
  /** Stable keys not read at all. */
  stableMissed: number;
  /** Entries of volatile keys read (with repeats). */
  volatileSeen: number;
  /** Keys outside the stable and volatile sets: never written (a failure). */
  stray: number;
  /** Entries whose value is not the one written (a failure). */
  wrongValues: number;
  /**
   * Restarts of the walk detected: GET_NEXT_KEY on a deleted key restarts
   * from the first bucket, so a restart reads the walk's first stable key
   * again (stable keys never move, so it stays the first one a walk from
   * the first bucket meets). Counted: each time the read's first stable key
   * is read again more than RESTART_JUMP entries after its last reading
   * (closer, it is its bucket's revisit, or a restart too early to tell).
   */
  restarts: number;
}

/**
 * The walk's first stable key read again more than this many entries after
 * its last reading is a restart. Within one bucket, an update that moves a
 * key to the head of its chain makes a per-element walk revisit at most
 * that chain (a few entries); a restart goes back to the walk's beginning.
 * Not a jump back from where the walk stood: a walk restarted again while
 * it re-reads what it read before its last restart jumps back from inside
 * that re-reading, and every restart is a return to the beginning.
 */
export const RESTART_JUMP = 64;

/** Fresh keys the writers insert and delete beyond the loaded ones: as many as the volatile loaded keys. */
export const freshKeys = (entries: number, volatileEvery: number): number => Math.ceil(entries / volatileEvery);

/** The max_entries a map read under writers needs: every loaded key and every fresh key at once. */
export const writersCapacity = (entries: number, volatileEvery: number): number => entries + freshKeys(entries, volatileEvery);

/** Stable keys of a key space. */
export const stableCount = (s: KeySpace): number => s.entries - volatileInside(s);
/** Volatile keys among the loaded ones. */
export const volatileInside = (s: KeySpace): number => Math.ceil(s.entries / s.volatileEvery);

export class ConsistencySink extends EntrySinkBase implements VerifyingSink {
  readonly space: KeySpace;
  /** Times each key was read this read (saturating at 255). */
  private readonly seen: Uint8Array;
  private readonly limit: number;
  private readonly n: number;
  private readonly every: number;
  private readonly value: number;
  /** Whether this read must see exactly what the loader wrote (no writers ran). */
  private exact = false;
  private pos = 0;
  private volatileSeen = 0;
  private stray = 0;
  private wrongValues = 0;
  private restarts = 0;
  private keySum = 0;
  private checksum = 0;
  /** The sums (mod 2^32) of what the loader wrote: keys 0..entries-1, each with `value`. */
  private readonly written: { keySum: number; checksum: number };
  /** The first stable key this read read (-1: none yet), and the position (entries read before it) of its last reading. */
  private firstStable = -1;
  private firstStableAt = 0;
  private progress: ProgressFn | undefined;
  private nextProgress = Infinity;

  constructor(space: KeySpace) {
    super();
    if (!(space.volatileEvery >= 1)) throw new RangeError(`volatileEvery must be ≥ 1, not ${space.volatileEvery}`);
    this.space = space;
    this.n = space.entries;
    this.every = space.volatileEvery;
    this.limit = space.entries + space.fresh;
    this.value = space.value | 0;
    this.seen = new Uint8Array(this.limit);
    let keySum = 0;
    let checksum = 0;
    for (let k = 0; k < this.n; k++) {
      keySum = (keySum + k) | 0;
      checksum = (checksum + pairTerm(k, this.value)) | 0;
    }
    this.written = { keySum, checksum };
  }

  get total(): number {
    return this.n;
  }

  /** The next read is one without writers: it must see exactly what the loader wrote. */
  expectExact(exact: boolean): void {
    this.exact = exact;
  }

  reset(progress?: ProgressFn): void {
    this.seen.fill(0);
    this.pos = 0;
    this.volatileSeen = 0;
    this.stray = 0;
    this.wrongValues = 0;
    this.restarts = 0;
    this.keySum = 0;
    this.checksum = 0;
    this.firstStable = -1;
    this.firstStableAt = 0;
    this.progress = progress;
    this.nextProgress = progress ? 1 << 16 : Infinity;
  }

  add(key: number, value: number): void {
    const pos = this.pos++;
    this.keySum = (this.keySum + key) | 0;
    this.checksum = (this.checksum + pairTerm(key, value)) | 0;
    if (value !== this.value) this.wrongValues++;
    if (key >= this.limit) {
      this.stray++;
    } else if (key >= this.n || key % this.every === 0) {
      this.volatileSeen++;
      if (this.seen[key]! < 255) this.seen[key]!++;
    } else {
      const c = this.seen[key]!;
      if (c < 255) this.seen[key] = c + 1;
      if (this.firstStable < 0) {
        this.firstStable = key;
        this.firstStableAt = pos;
      } else if (key === this.firstStable) {
        if (pos - this.firstStableAt > RESTART_JUMP) this.restarts++;
        this.firstStableAt = pos;
      }
    }
    if (pos >= this.nextProgress) {
      this.nextProgress = pos + (1 << 16);
      this.progress?.(pos);
    }
  }

  /** What the last read saw (counted after it, outside its timed window). */
  consistency(): Consistency {
    let once = 0;
    let dup = 0;
    let missed = 0;
    const seen = this.seen;
    for (let k = 0; k < this.n; k++) {
      if (k % this.every === 0) continue;
      const c = seen[k]!;
      if (c === 0) missed++;
      else if (c === 1) once++;
      else dup++;
    }
    return { stableOnce: once, stableDuplicates: dup, stableMissed: missed, volatileSeen: this.volatileSeen, stray: this.stray, wrongValues: this.wrongValues, restarts: this.restarts };
  }

  /** Distinct volatile keys the last read saw. */
  private volatileDistinct(): number {
    let d = 0;
    for (let k = 0; k < this.limit; k++) if ((k >= this.n || k % this.every === 0) && this.seen[k]! > 0) d++;
    return d;
  }

  /**
   * Under writers: ok unless a stray key or a wrong value was read
   * (duplicates and misses are the strategy's behaviour, reported apart).
   * Without writers (expectExact): every loaded key exactly once, no fresh
   * key, and the read's key sum and checksum those of what the loader wrote.
   * Under writers the map's contents are not fixed, so there are no sums to
   * hold a read against: keySumOk and checksumOk are null.
   */
  verdict(): Verdict {
    const c = consistencyProblems(this.consistency(), this.space, this.exact ? this.volatileDistinct() : undefined);
    const entries = this.pos;
    const distinct = c.figures.stableOnce + c.figures.stableDuplicates + (this.exact ? this.volatileDistinct() : 0);
    const keySumOk = this.exact ? this.keySum === this.written.keySum : null;
    const checksumOk = this.exact ? this.checksum === this.written.checksum : null;
    const problems = [...c.problems];
    if (keySumOk === false) problems.push('key sum differs from what the loader wrote');
    if (checksumOk === false) problems.push('key/value checksum differs from what the loader wrote');
    return {
      ok: problems.length === 0,
      entries,
      distinct,
      expectedEntries: this.n,
      keySumOk,
      checksumOk,
      badValues: c.figures.wrongValues,
      badKeys: c.figures.stray,
      problems,
    };
  }
}

/**
 * The problems of one read's consistency figures. `exactVolatile`: the
 * distinct volatile keys of a read that ran without writers, which must be
 * exactly the loaded ones (undefined under writers).
 */
export function consistencyProblems(f: Consistency, space: KeySpace, exactVolatile?: number): { figures: Consistency; problems: string[] } {
  const problems: string[] = [];
  if (f.stray > 0) problems.push(`${fmtCountOf(f.stray, 'stray key')} (never written by the loader or a writer)`);
  if (f.wrongValues > 0) problems.push(fmtCountOf(f.wrongValues, 'wrong value'));
  if (exactVolatile !== undefined) {
    const inside = volatileInside(space);
    if (f.stableMissed > 0) problems.push(`${fmtCountOf(f.stableMissed, 'stable key')} missed without writers`);
    if (f.stableDuplicates > 0) problems.push(`${fmtCountOf(f.stableDuplicates, 'stable key')} read twice without writers`);
    if (exactVolatile !== inside || f.volatileSeen !== inside)
      problems.push(`${fmtCount(f.volatileSeen)} volatile entries (${fmtCount(exactVolatile)} distinct) without writers, the loader wrote ${fmtCount(inside)}`);
  }
  return { figures: f, problems };
}
