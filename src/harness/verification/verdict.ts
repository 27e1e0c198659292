// What a read proved, and the words for what it did not. Shared by the
// verifier (a map bpfbench filled), the census (a map it did not), the
// cross-strategy check and the peers' reports, so that they say the same
// thing the same way.
import type { EntrySink } from '../../strategies/sink.js';

export interface Verdict {
  ok: boolean;
  /** Entries the reader delivered (with repeats). */
  entries: number;
  /** Distinct keys among them. */
  distinct: number;
  expectedEntries: number;
  /**
   * The key sum (mod 2^32, repeats included) equals that of the keys
   * written; null where no written key set was there to hold it against
   * (reads under writers, a map bpfbench did not fill, a reader that reports
   * no key sum).
   */
  keySumOk: boolean | null;
  /** The same for the key/value checksum; null where no written values were there to hold it against. */
  checksumOk: boolean | null;
  /** Entries whose value differs from what the loader wrote. */
  badValues: number;
  /** Keys outside 0..N-1. */
  badKeys: number;
  /** Human-readable reasons when !ok. */
  problems: string[];
  /** Which code judged the entries: the native check in C (native/check.c), the TypeScript verifier, or both (absent: a census or cross-check, in TypeScript). */
  checkedBy?: 'native' | 'js' | 'native+js';
  /**
   * A map bpfbench did not make (census): the read saw what only a map that
   * changed during it shows (a repeated key, more entries than max_entries).
   * Not the strategy's fault: the run is not verified, and no one is blamed.
   */
  changedUnderneath?: boolean;
  /** The read's sums (mod 2^32, unsigned), for comparing reads of a map of unknown content. */
  keySum?: number;
  checksum?: number;
}

export type ProgressFn = (entries: number) => void;

/**
 * The harness's side of the strategies' output port: a sink that also
 * knows how many entries to expect, starts each read afresh and judges it.
 */
export interface VerifyingSink extends EntrySink {
  /** Entries expected, for progress (0 when unknown). */
  readonly total: number;
  /** Clears what was seen, for the next read. `progress` is called every ~64Ki entries. */
  reset(progress?: ProgressFn): void;
  verdict(): Verdict;
}

/** Order-independent checksum term of one (key, value) pair, mod 2^32. */
export function pairTerm(key: number, value: number): number {
  return (Math.imul(key ^ 0x5bd1e995, 0x9e3779b1) ^ value) | 0;
}

/** `1,048,576`: counts in problem texts. */
export const fmtCount = (n: number): string => n.toLocaleString('en-US');

/**
 * A count and its noun, singular for exactly one: `1 entry`, `2 entries`,
 * `1,048,576 repeated keys`. `plural` defaults to the singular + "s".
 */
export const fmtCountOf = (n: number, singular: string, plural = `${singular}s`): string => `${fmtCount(n)} ${n === 1 ? singular : plural}`;

/** The figures a read counted. */
export type Counted = Pick<Verdict, 'entries' | 'distinct' | 'badKeys' | 'badValues' | 'keySumOk' | 'checksumOk'>;

export interface ProblemWording {
  /** What the read is held against: undefined = what the loader wrote; else another read's label. */
  against?: string;
  /** What keys outside the expected set are (default: not written by the loader). */
  badKeys?: string;
  /** Count repeated keys: entries beyond the distinct and the bad ones. */
  repeats?: boolean;
}

export const repeatedKeys = (n: number): string => fmtCountOf(n, 'repeated key');

/**
 * The problems of a read, in one wording: counted figures against the
 * entries and distinct keys it should have had. Empty when it is right.
 */
export function readProblems(c: Counted, expected: { entries: number; distinct: number }, w: ProblemWording = {}): string[] {
  const problems: string[] = [];
  const ref = w.against;
  if (c.entries !== expected.entries) problems.push(`read ${fmtCountOf(c.entries, 'entry', 'entries')}, ${ref ? `${ref} read` : 'expected'} ${fmtCount(expected.entries)}`);
  if (c.distinct !== expected.distinct) {
    const distinct = fmtCountOf(c.distinct, 'distinct key');
    problems.push(ref ? `${distinct}, ${ref} saw ${fmtCount(expected.distinct)}` : `${distinct} of ${fmtCount(expected.distinct)}`);
  }
  if (w.repeats && c.entries > c.distinct + c.badKeys) problems.push(repeatedKeys(c.entries - c.distinct - c.badKeys));
  if (c.badKeys > 0) problems.push(`${fmtCountOf(c.badKeys, 'key')} ${w.badKeys ?? 'not written by the loader'}`);
  if (c.badValues > 0) problems.push(fmtCountOf(c.badValues, 'wrong value'));
  const from = ref ? ` from ${ref}'s` : '';
  if (c.keySumOk === false) problems.push(`key sum differs${from}`);
  if (c.checksumOk === false) problems.push(`key/value checksum differs${from}`);
  return problems;
}
