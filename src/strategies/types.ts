// The shape every read strategy has: prepare once per run (allocate its
// buffers), then read the whole map as many times as the harness asks,
// feeding each entry to the sink it is given.
import type { FeatureId } from '../bpf/programs/features.js';
import type { LatencySource } from '../bpf/native/latency.js';
import type { BpfMap } from '../bpf/maps/map.js';
import type { ReadLoop } from './loop.js';
import type { EntrySink } from './sink.js';

export interface StrategyOptions {
  /** Entries per LOOKUP_BATCH call. */
  chunk: number;
  /** Fail on ENOSPC (a bucket larger than the chunk) instead of doubling the chunk. */
  strictChunk?: boolean;
  /** Fills the map again as the loader did (drain strategies call it before each read). */
  refill?: () => void;
  /** The object's loaded dump_map program (iter), sized for this map. */
  iterProgFd?: number;
  /**
   * Where the read loop runs (strategies/loop.ts): 'native', the C library,
   * one call per hand-over (the default when absent), or 'js', one koffi call
   * per syscall. Both issue exactly the same syscalls.
   */
  loop?: ReadLoop;
  /**
   * Time one bpf call (iter: one read(2)) in this many into the read's
   * latency histogram; 0: none. Default: bpf/latency.ts samplingFor the
   * entries a call moves (1 for per-element calls and small chunks, else every call).
   */
  latencyEvery?: number;
  /** Sharded strategies (usesThreads): how many ranges are read at once, each on its own thread. */
  threads?: number;
}

/** A sharded read (strategies/sharded.ts): its threads, the overlap it removed, each shard's share. Reused between reads. */
export interface ShardsReport {
  threads: number;
  /** Entries a shard's last call read past its range (the next shards read them too), removed; the calls that held them; of those entries, how many did not match the next shard's in order (a map changing underneath). */
  overlap: { entries: number; calls: number; mismatched: number };
  /** Per shard, in range order: entries kept, bpf calls, its thread's time (ns). */
  perShard: { entries: number[]; calls: number[]; ns: number[] };
}

/** What a reader says about one full read (the sink's owner checks whether it is true). */
export interface ReadReport {
  /** Entries the reader counted, as its own loop would print them. */
  counted: number;
  /** Chunked reads: the chunk in use at the end, and how often ENOSPC doubled it so far. */
  chunk?: number;
  chunkGrowths?: number;
  /**
   * The duration of each bpf call of this read (iter: each read(2)), or of
   * every sampledEvery-th one: read it after the read (it is overwritten by
   * the next). Absent when the read timed none.
   */
  callLatency?: LatencySource;
  /** Sharded reads: the shards of this read (overwritten by the next). */
  shards?: ShardsReport;
}

export interface PreparedRead {
  /** Before each read, outside the timed window (a drain refills the map). */
  beforeRead?(): void;
  /** Reads the whole map once into `sink`. Must not allocate per entry. */
  read(sink: EntrySink): ReadReport;
  /** After each read, outside the timed window: a problem to add to the verdict, if any. */
  afterRead?(): string | undefined;
  /** Releases native buffers. */
  free(): void;
  /** What the strategy does differently on this kernel or map (a fallback), said in the report. */
  note?: string;
}

/**
 * A kernel feature a strategy cannot read without (bpf/features.ts probes
 * it), and what a refusal calls it: `iter/bpf_map_elem programs`.
 */
export interface StrategyNeed {
  feature: FeatureId;
  what: string;
  /** A map command, probed on a map of the read's type (batch commands came to each type in its own release). */
  perMapType?: boolean;
}

export interface Strategy {
  /** Name on the command line and in results (`elem`, `batch`). */
  readonly name: string;
  /** One line for --help. */
  readonly summary: string;
  /** Whether the chunk size matters to it (shown as `batch(4096)`). */
  readonly usesChunk: boolean;
  /** A strategy whose verification failure is the point (the published flawed loop). */
  readonly expectedToFail?: boolean;
  /** It reads on --threads threads (sharded); --threads with any other strategy is refused. */
  readonly usesThreads?: boolean;
  /** It empties the map as it reads (lookup-and-delete). */
  readonly drains?: boolean;
  /**
   * The reference every speedup is over (the per-element walk): exactly one
   * strategy is. Report code finds it through `referenceOf`
   * (strategies/index.ts), never by its name.
   */
  readonly reference?: boolean;
  /** Its bpf calls are fixed by the entries alone, not by the hash buckets' layout: any change in their count is a change in the code. */
  readonly exactCalls?: boolean;
  /** Its colour on every chart: an index into the HTML page's palette (report/html/style.ts); absent: the neutral one. */
  readonly palette?: number;
  /** It needs the object's bpf_iter program loaded. */
  readonly needsIterProgram?: boolean;
  /** What the kernel must allow for it; a strategy the kernel refuses is left out of default lists, and refused in one line when asked for. */
  readonly needs?: readonly StrategyNeed[];
  prepare(map: BpfMap, options: StrategyOptions): PreparedRead;
}
