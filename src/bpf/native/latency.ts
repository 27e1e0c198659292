// Per-call latency: how long each bpf(2) call (iter: each read(2)) of a read
// took, in a log-linear histogram (HDR-style) that both read loops fill
// without allocating: the native loop in C (native/read-loop.c, into its
// state's lat_* fields, read out by NativeRead), the JS loop through
// CallTimer below. Same clock (clock_gettime(CLOCK_MONOTONIC), the vDSO),
// same buckets.
//
// Buckets: a duration below 256 ns has a bucket of its own (exact); above,
// each power of two is cut into 128 sub-buckets, so a bucket is less than
// 1/128 (0.8 %) of its values wide, up to 2^36 ns (68.7 s); anything longer
// lands in the last bucket (the exact maximum is kept apart). A percentile
// is reported as the upper end of its bucket (never above the maximum).
//
// Timing a call costs two clock reads (kvm-clock here: 27–55 ns each; a
// timed call ~53 ns in C, ~110 ns in JS with koffi). Calls that move one
// entry or a few (elem, elem-delete, small chunks) take only 1–2 µs, so
// every call timed added 4–5 % to a native elem read of 1Mi entries and
// 14–16 % to a JS one (scripts/latency-overhead.mjs): those loops time every
// SAMPLE_EVERY-th call (the first of each read included), and the result
// says so (sampledEvery). SAMPLE_EVERY is a prime above 3, so that a walk
// alternating commands (GET_NEXT_KEY, LOOKUP_ELEM: 2 per entry; 3 with
// LOOKUP_ELEM + DELETE_ELEM) has each of them timed.
import { libc } from '../syscall/libc.js';
import { InvariantError } from '../../errors.js';
import { NativeBlock } from '../syscall/native-block.js';

/** log2 of the sub-buckets per power of two. */
export const LAT_SUB_BITS = 7;
/** Durations below 2^LAT_TOP_BIT ns have a bucket of their own. */
export const LAT_TOP_BIT = 36;
export const LAT_BUCKETS = (LAT_TOP_BIT - LAT_SUB_BITS + 1) << LAT_SUB_BITS;
const EXACT_BELOW = 2 << LAT_SUB_BITS;
const TOP = 2 ** LAT_TOP_BIT;
const TWO32 = 2 ** 32;

/** Timed calls: every this many (see above) when a call moves fewer than SAMPLE_ALL_FROM entries. */
export const SAMPLE_EVERY = 11;
/** Entries per call from which every call is timed (a call of 64 entries takes ≥ ~10 µs: two clock reads are < 1 %). */
export const SAMPLE_ALL_FROM = 64;

/** Timed calls, one in how many, for calls that move `entriesPerCall` entries each. */
export function samplingFor(entriesPerCall: number): number {
  return entriesPerCall >= SAMPLE_ALL_FROM ? 1 : SAMPLE_EVERY;
}

/** The bucket of a duration in ns (native/read-loop.c lat_bucket). */
export function bucketOf(ns: number): number {
  if (!(ns > 0)) return 0;
  if (ns < EXACT_BELOW) return Math.floor(ns);
  if (ns >= TOP) return LAT_BUCKETS - 1;
  const msb = ns >= TWO32 ? 63 - Math.clz32(Math.floor(ns / TWO32)) : 31 - Math.clz32(ns >>> 0);
  const shift = msb - LAT_SUB_BITS;
  return (shift << LAT_SUB_BITS) + Math.floor(ns / 2 ** shift);
}

const shiftOf = (i: number) => Math.max(0, (i >> LAT_SUB_BITS) - 1);

/** The smallest duration (ns) bucket i holds. */
export function bucketLow(i: number): number {
  const shift = shiftOf(i);
  return (i - (shift << LAT_SUB_BITS)) * 2 ** shift;
}

/** The largest duration (ns) bucket i holds (the last bucket: everything above too). */
export function bucketHigh(i: number): number {
  const shift = shiftOf(i);
  return (i - (shift << LAT_SUB_BITS) + 1) * 2 ** shift - 1;
}

/** results[].callLatency: ns, from the timed reads, merged over runs. */
export interface CallLatency {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** The mean of the timed calls (ns); absent in results from before it was recorded. */
  mean?: number;
  /** Calls timed (= calls made when sampledEvery is 1). */
  count: number;
  /** One call in how many was timed (the first of each read included). */
  sampledEvery: number;
}

/** Something that holds the call latencies of the last read and adds them to a histogram. */
export interface LatencySource {
  readonly sampledEvery: number;
  addTo(h: LatencyHistogram): void;
}

export class LatencyHistogram implements LatencySource {
  /** Calls by bucket (bucketOf). */
  readonly counts = new Float64Array(LAT_BUCKETS);
  count = 0;
  /** Sum of the durations (ns). */
  sum = 0;
  max = 0;
  sampledEvery: number;

  constructor(sampledEvery = 1) {
    this.sampledEvery = sampledEvery;
  }

  /** A copy of what `source` holds now. */
  static of(source: LatencySource): LatencyHistogram {
    const h = new LatencyHistogram(source.sampledEvery);
    source.addTo(h);
    return h;
  }

  /** Files one duration (ns). Allocates nothing. */
  record(ns: number): void {
    this.counts[bucketOf(ns)]++;
    this.count++;
    this.sum += ns;
    if (ns > this.max) this.max = ns;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  /**
   * Adds totals of calls already filed into `counts` (the native loop's
   * read-out), from a source timing one call in `sampledEvery`.
   */
  addTotals(count: number, sum: number, max: number, sampledEvery: number): void {
    this.adopt(sampledEvery, count);
    this.count += count;
    this.sum += sum;
    if (max > this.max) this.max = max;
  }

  /** Adds another histogram (a merge over runs). */
  add(other: LatencyHistogram): void {
    for (let i = 0; i < LAT_BUCKETS; i++) this.counts[i] += other.counts[i]!;
    this.addTotals(other.count, other.sum, other.max, other.sampledEvery);
  }

  addTo(h: LatencyHistogram): void {
    h.add(this);
  }

  private adopt(sampledEvery: number, count: number): void {
    if (this.count === 0) this.sampledEvery = sampledEvery;
    else if (count > 0 && sampledEvery !== this.sampledEvery) {
      throw new InvariantError(`call latencies sampled one in ${sampledEvery} merged with one in ${this.sampledEvery}`);
    }
  }

  /** The duration (ns) `q` of the calls took at most (q in 0..1): its bucket's upper end, never above the maximum; 0 when empty. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < LAT_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return i === LAT_BUCKETS - 1 ? this.max : Math.min(this.max, bucketHigh(i));
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  summary(): CallLatency {
    return {
      p50: Math.round(this.percentile(0.5)),
      p90: Math.round(this.percentile(0.9)),
      p99: Math.round(this.percentile(0.99)),
      p999: Math.round(this.percentile(0.999)),
      max: Math.round(this.max),
      mean: Math.round(this.mean()),
      count: this.count,
      sampledEvery: this.sampledEvery,
    };
  }
}

/** Merges the histograms (undefined ones skipped); undefined when there is none. */
export function mergeLatency(hs: readonly (LatencyHistogram | undefined)[]): LatencyHistogram | undefined {
  let out: LatencyHistogram | undefined;
  for (const h of hs) {
    if (!h) continue;
    out ??= new LatencyHistogram(h.sampledEvery);
    out.add(h);
  }
  return out;
}

// clock_gettime(CLOCK_MONOTONIC) through koffi: the C loop's clock, and
// (unlike performance.now() and process.hrtime in Node 20, which allocate
// a number or an array per reading) nothing allocated. ~50 ns a reading.
// The readings stay struct timespecs in native memory: a call's duration is
// computed from two of them as a small integer (an absolute time in ns is a
// double that V8 would box, i.e. allocate, wherever it crosses a call).
const CLOCK_MONOTONIC = 1;
const clockGettime = libc.func('int clock_gettime(int clk, uintptr_t ts)') as (clk: number, ts: number) => number;
/** Two struct timespec: a call's start (bytes 0..15) and end (16..31). */
const stamps = new NativeBlock(32);
const START = stamps.addr;
const END = stamps.addr + 16;
const sw = stamps.u32;

/** CLOCK_MONOTONIC in ns (exact: below 2^53 for 104 days of uptime). Not for hot loops: it returns a double. */
export function clockNs(): number {
  clockGettime(CLOCK_MONOTONIC, START);
  return (sw[0]! + sw[1]! * TWO32) * 1e9 + sw[2]!;
}

/**
 * The JS loops' call timer: begin() before a call, end() after it; every
 * sampledEvery-th begin() (the first after reset() included) is timed.
 * Allocates nothing. Timers share one pair of clock readings: one call is
 * timed at a time (a read's calls are sequential).
 */
export class CallTimer implements LatencySource {
  readonly histogram: LatencyHistogram;
  readonly sampledEvery: number;
  private countdown: number;
  private timing = false;

  /** `sampledEvery` 0: no call is timed. */
  constructor(sampledEvery: number) {
    this.sampledEvery = sampledEvery;
    this.histogram = new LatencyHistogram(sampledEvery);
    this.countdown = this.first();
  }

  /** The countdown at the start of a read: the first call timed, or (none timed) never reaching 0. */
  private first(): number {
    return this.sampledEvery === 0 ? -1 : 1;
  }

  /** A new read: the histogram emptied, the next call timed. */
  reset(): void {
    this.countdown = this.first();
    this.timing = false;
    this.histogram.reset();
  }

  begin(): void {
    if (--this.countdown !== 0) return;
    this.countdown = this.sampledEvery;
    this.timing = true;
    clockGettime(CLOCK_MONOTONIC, START);
  }

  /**
   * After the call(s) begin() was before: `calls` of them (a step that made
   * several, e.g. an ENOSPC retry, is filed as that many calls of equal
   * share; none: nothing is filed).
   */
  end(calls = 1): void {
    if (!this.timing) return;
    clockGettime(CLOCK_MONOTONIC, END);
    this.timing = false;
    const dt = (sw[4]! - sw[0]! + (sw[5]! - sw[1]!) * TWO32) * 1e9 + (sw[6]! - sw[2]!);
    if (calls === 1) this.histogram.record(dt);
    else for (let i = 0; i < calls; i++) this.histogram.record(Math.floor(dt / calls));
  }

  addTo(h: LatencyHistogram): void {
    h.add(this.histogram);
  }
}
