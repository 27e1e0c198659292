// The shape every read strategy has: prepare once per run (allocate its
// buffers), then read the whole map as many times as the harness asks,
// feeding each entry to the verifier.
import type { BpfMap } from '../bpf/map.js';
import type { EntrySink } from '../harness/verifier.js';

export interface StrategyOptions {
  /** Entries per LOOKUP_BATCH call. */
  chunk: number;
}

/** What a reader says about one full read (the verifier says whether it is true). */
export interface ReadReport {
  /** Entries the reader counted, as its own loop would print them. */
  counted: number;
}

export interface PreparedRead {
  /** Reads the whole map once into `sink`. Must not allocate per entry. */
  read(sink: EntrySink): ReadReport;
  /** Releases native buffers. */
  free(): void;
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
  prepare(map: BpfMap, options: StrategyOptions): PreparedRead;
}
