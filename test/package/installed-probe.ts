// Run by test/package/package.test.ts from INSIDE an installed package: the
// test copies this file's compiled form to <package>/dist/test/package/, so
// the imports below resolve to the installed package's own code, which finds
// its files as an installed package does (src/paths.ts). It loads the
// package's prebuilt native read loop (its layout checked against the
// TypeScript at load), reads a real map with it, and prints what it found as
// one JSON line. Does nothing unless given --probe (the suite runs every file
// under dist/test/).
import { Cmd, MapFlag, MapType } from '../../src/bpf/syscall/constants.js';
import { BpfMap } from '../../src/bpf/maps/map.js';
import { NativeBlock } from '../../src/bpf/syscall/native-block.js';
import { NativeRead } from '../../src/bpf/native/native-loop.js';
import { NativeStatus } from '../../src/bpf/native/native-library.js';
import { DEFAULT_OBJECT, NATIVE_LIB } from '../../src/paths.js';

export interface ProbeReport {
  nativeLib: string;
  object: string;
  /** Entries the native batch walk returned, distinct keys, and entries whose value was not key * 3 + 1. */
  entries: number;
  distinct: number;
  badValues: number;
  /** LOOKUP_BATCH calls the C loop counted (the map has BPF_F_ZERO_SEED: its bucket layout, and so this count, is known). */
  batchCalls: number;
}

function probe(n: number, chunk: number): ProbeReport {
  const map = BpfMap.create({ type: MapType.hash, keySize: 4, valueSize: 4, maxEntries: n, flags: MapFlag.ZERO_SEED, name: 'bpfbench_pkg' });
  const keys = new NativeBlock(n * 4);
  const values = new NativeBlock(n * 4);
  let read: NativeRead | undefined;
  try {
    for (let i = 0; i < n; i++) {
      keys.u32[i] = i;
      values.u32[i] = i * 3 + 1;
    }
    map.updateBatch(keys.addr, values.addr, n);
    read = NativeRead.batch(map, chunk);
    const seen = new Set<number>();
    let entries = 0;
    let badValues = 0;
    for (;;) {
      const h = read.next();
      for (let i = 0; i < h.count; i++) {
        const k = h.keysU32[i]!;
        seen.add(k);
        if (h.valuesI32[i]! !== k * 3 + 1) badValues++;
      }
      entries += h.count;
      if (h.status !== NativeStatus.more) break;
    }
    const failure = read.failure();
    if (failure) throw failure;
    return { nativeLib: NATIVE_LIB, object: DEFAULT_OBJECT, entries, distinct: seen.size, badValues, batchCalls: read.counts[Cmd.MAP_LOOKUP_BATCH]! };
  } finally {
    read?.free();
    keys.free();
    values.free();
    map.close();
  }
}

if (process.argv[2] === '--probe') {
  process.stdout.write(`${JSON.stringify(probe(Number(process.argv[3]), Number(process.argv[4])))}\n`);
}
