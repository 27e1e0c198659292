// For a map bpfbench did not fill: what each read saw, so that reads by
// different strategies can be held against each other (crossCheck).
import { EntrySinkBase } from './entry-sink.js';
import { fmtCount, fmtCountOf, pairTerm, repeatedKeys, type ProgressFn, type Verdict, type VerifyingSink } from './verdict.js';

/**
 * Records what a read saw (count, the keys for a distinct count, key sum and
 * key/value checksum, in preallocated memory). A read is wrong on its own if
 * it repeats a key; the run compares the rest across strategies.
 */
export class Census extends EntrySinkBase implements VerifyingSink {
  readonly total: number;
  private readonly keys: Uint32Array;
  private entries = 0;
  private keySum = 0;
  private checksum = 0;
  private progress: ProgressFn | undefined;
  private nextProgress = Infinity;

  /** `capacity`: the map's max_entries (a correct read never sees more keys). */
  constructor(capacity: number) {
    super();
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

  verdict(): Verdict {
    const n = Math.min(this.entries, this.keys.length);
    const seen = this.keys.subarray(0, n).sort();
    let distinct = n > 0 ? 1 : 0;
    for (let i = 1; i < n; i++) if (seen[i] !== seen[i - 1]) distinct++;
    const problems: string[] = [];
    if (this.entries > this.keys.length - 1) problems.push(`read ${fmtCountOf(this.entries, 'entry', 'entries')} from a map of max_entries ${fmtCount(this.keys.length - 1)}`);
    else if (distinct !== this.entries) problems.push(repeatedKeys(this.entries - distinct));
    return {
      ok: problems.length === 0,
      // Every problem the census can see is one a changing map makes: no written values to contradict.
      changedUnderneath: problems.length > 0,
      entries: this.entries,
      distinct,
      expectedEntries: this.entries,
      // Nothing was written to hold the sums against: crossCheck holds them against the other reads'.
      keySumOk: null,
      checksumOk: null,
      badValues: 0,
      badKeys: 0,
      problems,
      keySum: this.keySum >>> 0,
      checksum: this.checksum >>> 0,
    };
  }
}

/** Reads that saw the same thing: count, distinct keys and both sums. */
export interface ReadGroup {
  labels: string[];
  entries: number;
  distinct: number;
  keySum: number;
  checksum: number;
}

/**
 * Reads of a map bpfbench did not fill, held against each other. No read is
 * the truth: when they disagree, `groups` says who saw what, and nothing
 * here says which one is wrong (only an independent census could, and a
 * map that changes between reads has none).
 */
export interface CrossCheck {
  /** Every read that was right on its own saw the same thing. */
  agree: boolean;
  /** The self-consistent reads, grouped by what they saw (one group when they agree). */
  groups: ReadGroup[];
  /** Reads left out: wrong on their own (a repeated key, an aborted walk). */
  excluded: string[];
}

const signature = (v: Verdict) => `${v.entries}/${v.distinct}/${v.keySum}/${v.checksum}`;

/**
 * Cross-strategy check for a map bpfbench did not fill: groups the reads that
 * are right on their own by what they saw. Verdicts are not changed: a
 * disagreement is the run's finding (CrossCheck.agree false), not one
 * strategy's failure.
 */
export function crossCheck(reads: { label: string; verdict: Verdict }[]): CrossCheck {
  const groups = new Map<string, ReadGroup>();
  const excluded: string[] = [];
  for (const { label, verdict: v } of reads) {
    if (!v.ok) {
      excluded.push(label);
      continue;
    }
    const key = signature(v);
    const g = groups.get(key);
    if (g) g.labels.push(label);
    else groups.set(key, { labels: [label], entries: v.entries, distinct: v.distinct, keySum: v.keySum ?? 0, checksum: v.checksum ?? 0 });
  }
  return { agree: groups.size <= 1, groups: [...groups.values()], excluded };
}

/** The disagreement in words: `elem saw 1,048,574 entries (1,048,574 distinct); batch(4096) saw 1,048,576 (…)`. */
export function disagreementText(c: CrossCheck): string {
  const saw = c.groups.map((g) => `${g.labels.join(' and ')} saw ${fmtCountOf(g.entries, 'entry', 'entries')} (${fmtCount(g.distinct)} distinct, key sum ${g.keySum}, checksum ${g.checksum})`);
  return `the strategies disagree: ${saw.join('; ')}; no independent census says which is right (was the map changing between or during the reads?)`;
}
