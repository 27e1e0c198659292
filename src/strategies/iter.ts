// iter: a bpf_iter program (iter/bpf_map_elem, Linux 5.9+) linked to the
// map writes every element as key bytes + value bytes into its seq_file;
// user space read()s the iterator fd in 64 KiB buffers and parses the
// records (a record may straddle two reads: the tail is carried over).
// One BPF_ITER_CREATE per read, then read(2) calls, no per-entry syscall.
//
// --loop native: the same read(2) calls from C (NativeRead.iter), several
// 64 KiB windows per hand-over, whole records handed over; --loop js: the
// loop below.
import { Feature } from '../bpf/programs/features.js';
import { MapIterLink } from '../bpf/programs/map-iter.js';
import { CallTimer } from '../bpf/native/latency.js';
import type { BpfMap } from '../bpf/maps/map.js';
import { roundUp } from '../bpf/maps/map-types.js';
import { NativeRead } from '../bpf/native/native-loop.js';
import { InvariantError, UsageError } from '../errors.js';
import { isU32Map } from './batch.js';
import { DEFAULT_LOOP, drainNative, recordsPut } from './loop.js';
import type { PreparedRead, Strategy, StrategyOptions } from './types.js';

export const ITER_BUFFER = 64 * 1024;

/** Every read(2) is timed by default: each moves up to 64 KiB of records. */
const ITER_LATENCY_EVERY = 1;

function jsIter(map: BpfMap, link: MapIterLink, latencyEvery: number): PreparedRead {
  const keySize = map.keySize;
  const rec = keySize + map.valueStride;
  const buf = new Uint8Array(new ArrayBuffer(roundUp(ITER_BUFFER + rec)));
  const words = new Uint32Array(buf.buffer);
  const ints = new Int32Array(buf.buffer);
  const u32 = isU32Map(map);
  const timer = new CallTimer(latencyEvery);
  return {
    read(sink) {
      const fd = link.open();
      let have = 0;
      let counted = 0;
      timer.reset();
      try {
        for (;;) {
          timer.begin();
          const n = MapIterLink.read(fd, buf, have);
          timer.end();
          if (n === 0) break;
          have += n;
          const records = Math.floor(have / rec);
          if (u32) {
            for (let i = 0; i < records; i++) sink.add(words[2 * i]!, ints[2 * i + 1]!);
          } else {
            for (let i = 0; i < records; i++) sink.addRaw(buf, i * rec, buf, i * rec + keySize);
          }
          counted += records;
          const used = records * rec;
          if (used < have) buf.copyWithin(0, used, have);
          have -= used;
        }
      } finally {
        MapIterLink.closeFd(fd);
      }
      if (have !== 0) throw new InvariantError(`the iterator ended inside a record (${have} of ${rec} bytes)`);
      return { counted, callLatency: latencyEvery ? timer : undefined };
    },
    free() {
      link.close();
    },
  };
}

/** The same reads from C: read(2) asks for the same byte counts as the JS loop's buffer. */
function nativeIter(map: BpfMap, link: MapIterLink, walk: NativeRead): PreparedRead {
  const put = recordsPut(map);
  return {
    read(sink) {
      const fd = link.open();
      try {
        walk.reset(fd);
        return { counted: drainNative(walk, sink, put), callLatency: walk.sampledEvery ? walk : undefined };
      } finally {
        MapIterLink.closeFd(fd);
      }
    },
    free() {
      walk.free();
      link.close();
    },
  };
}

export const iter: Strategy = {
  name: 'iter',
  summary: 'bpf_iter over the map (iter/bpf_map_elem), read() from the iterator fd in 64 KiB buffers',
  usesChunk: false,
  exactCalls: true,
  palette: 2,
  needsIterProgram: true,
  needs: [{ feature: Feature.iterProgram, what: 'iter/bpf_map_elem programs' }],
  prepare(map: BpfMap, { iterProgFd, loop = DEFAULT_LOOP, latencyEvery = ITER_LATENCY_EVERY }: StrategyOptions) {
    if (iterProgFd === undefined) throw new UsageError("iter needs the BPF object's dump_map program (Linux 5.9+)");
    if (loop === 'js') return jsIter(map, new MapIterLink(iterProgFd, map), latencyEvery);
    const walk = NativeRead.iter(map, { readBuffer: ITER_BUFFER, latencyEvery });
    try {
      return nativeIter(map, new MapIterLink(iterProgFd, map), walk);
    } catch (e) {
      walk.free();
      throw e;
    }
  },
};
