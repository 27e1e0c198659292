// Where a strategy's read loop runs, and the one piece every native variant
// shares: hand-overs → the sink.
//
// - 'js': the loop in TypeScript, one koffi call per bpf(2) / read(2).
// - 'native' (the default): the same syscalls, in the same order, issued by
//   the C library (native/libbpfbench.so via src/bpf/native/native-loop.ts), one
//   koffi call per hand-over of up to 64Ki entries. A sink that offers a
//   native check (the verifier of a map bpfbench filled) has each hand-over
//   checked in C while it is in cache (native/check.c); any other sink
//   (census, consistency, a foreign map's cross-check) gets the entries
//   from the hand-over's native buffers, a whole hand-over at a time.
//
// Each strategy file prepares the loop it is asked for (StrategyOptions.loop),
// so a new strategy is still one file and one line in index.ts.
//
// Both loops time their calls (bpf/latency.ts) the same way, into the
// read's ReadReport.callLatency: the C loop inside sys_bpf, the JS loops
// with a CallTimer around each call (one in sampledEvery).
import type { BpfMap } from '../bpf/maps/map.js';
import { type HandOver, loadNativeLoop, NativeStatus } from '../bpf/native/native-library.js';
import type { NativeRead } from '../bpf/native/native-loop.js';
import type { EntrySink } from './sink.js';

export type ReadLoop = 'native' | 'js';
export const READ_LOOPS: readonly ReadLoop[] = ['native', 'js'];
/** What runs when nobody says: the native loop. */
export const DEFAULT_LOOP: ReadLoop = 'native';

/**
 * Checks, before anything is created, that the loop can run: for 'native',
 * loads the library (a UsageError with the one line NATIVE_NOT_BUILT when it
 * is missing or will not load, or a layout mismatch line).
 */
export function requireLoop(loop: ReadLoop): void {
  if (loop === 'native') loadNativeLoop();
}

/** Puts a hand-over's `count` entries into the sink. */
export type HandOverPut = (sink: EntrySink, h: HandOver) => void;

/** Packed keys and values (elem, elem-delete, batch kinds): addMany for u32 → u32 maps, addManyRaw otherwise. */
export function entriesPut(map: BpfMap): HandOverPut {
  const keySize = map.keySize;
  const stride = map.valueStride;
  if (keySize === 4 && stride === 4) return (sink, h) => sink.addMany(h.keysU32, h.valuesI32, h.count);
  return (sink, h) => sink.addManyRaw(h.keyBytes, h.valueBytes, h.count, keySize, stride);
}

/** Whole records, key bytes then value bytes (iter), parsed as strategies/iter.ts parses its read buffer. */
export function recordsPut(map: BpfMap): HandOverPut {
  const keySize = map.keySize;
  const rec = keySize + map.valueStride;
  if (keySize === 4 && map.valueStride === 4) {
    return (sink, h) => {
      const words = h.words;
      const ints = h.ints;
      for (let i = 0, n = h.count; i < n; i++) sink.add(words[2 * i]!, ints[2 * i + 1]!);
    };
  }
  return (sink, h) => {
    const buf = h.bytes;
    for (let i = 0, n = h.count; i < n; i++) sink.addRaw(buf, i * rec, buf, i * rec + keySize);
  };
}

/**
 * Runs a reset NativeRead to its end, every hand-over into the sink; returns
 * the entries delivered. Where the walk failed, the entries before the
 * failure are delivered first and then the error the JS loop would have
 * thrown is (elem kinds: `mapChanged(steps)` for the max_entries bound).
 * Allocates nothing and makes one koffi call per hand-over.
 */
export function drainNative(read: NativeRead, sink: EntrySink, put: HandOverPut, mapChanged?: (steps: number) => Error): number {
  let delivered = 0;
  let h: HandOver;
  const { keySize, valueStride } = read.entryShape;
  const check = sink.nativeCheck?.(keySize, valueStride);
  if (check) {
    // The verifier's proofs made in C, on each hand-over while it is in cache.
    do {
      h = read.next(check);
      delivered += h.count;
      sink.folded?.();
    } while (h.status === NativeStatus.more);
  } else {
    do {
      h = read.next();
      if (h.count > 0) put(sink, h);
      delivered += h.count;
    } while (h.status === NativeStatus.more);
  }
  const e = read.failure(mapChanged);
  if (e) throw e;
  return delivered;
}
