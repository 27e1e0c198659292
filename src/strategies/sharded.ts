// batch-sharded and batch-delete-sharded (issue 23): the map's LOOKUP_BATCH
// cursor range (hash maps: the buckets; arrays: the keys) split into
// --threads ranges, read at once, each on its own thread in C
// (bpf/native-shard.ts, native/read-loop.c bb_shard_run), joined. Every
// entry a shard keeps is verified: by the verifier's native check, when it
// offers one, on the shard's own thread as it reads (its last call's after
// the join); else each shard's entries go to the sink after the join. Only a
// shard's own are kept: the overlap a hash shard's last call reads past its
// range is removed exactly (by key, against what the next shards read) and
// reported.
//
// --loop js is refused in one line: a JavaScript loop cannot make bpf calls
// from several threads without worker_threads, whose hand-over of entries to
// the verifier would be a copy the native loop does not make.
import { mapTypeName } from '../bpf/syscall/constants.js';
import { onlineCpus } from '../bpf/maps/cpus.js';
import { Feature } from '../bpf/programs/features.js';
import type { BpfMap } from '../bpf/maps/map.js';
import { traitsOf } from '../bpf/maps/map-types.js';
import { NativeShardRead } from '../bpf/native/native-shard.js';
import { InvalidInputError, InvariantError } from '../errors.js';
import { LOOKUP_BATCH_NEED } from './batch.js';
import { DEFAULT_LOOP } from './loop.js';
import type { EntrySink } from './sink.js';
import type { PreparedRead, ShardsReport, Strategy, StrategyOptions } from './types.js';

/** Map types whose batch cursor can start anywhere: every type bpfbench makes (hash buckets, array keys). */
export function canShard(type: number): boolean {
  const t = traitsOf(type);
  return t !== undefined && (t.batchCursor === 'bucket' || t.batchCursor === 'key');
}

export const cannotShardMessage = (strategy: string, type: string) => `${strategy}: ${type} maps cannot be sharded (their LOOKUP_BATCH cursor is neither a hash bucket nor an array key); use batch`;
export const shardedJsLoopMessage = (strategy: string) => `${strategy}: runs in the native loop only (its threads are C threads); drop --loop js`;

function prepareSharded(name: string, map: BpfMap, o: StrategyOptions, deleting: boolean): PreparedRead {
  if (!canShard(map.info.type)) throw new InvalidInputError(cannotShardMessage(name, mapTypeName(map.info.type)));
  if ((o.loop ?? DEFAULT_LOOP) !== 'native') throw new InvalidInputError(shardedJsLoopMessage(name));
  // Without --threads (a caller that names none): the online CPUs, as the CLI's default.
  const threads = o.threads ?? onlineCpus();
  const read = new NativeShardRead(map, { threads, chunk: o.chunk, deleting, onEnospc: o.strictChunk ? 'fail' : 'grow' });
  const u32 = map.keySize === 4 && map.valueStride === 4;
  const keySize = map.keySize;
  const stride = map.valueStride;
  const shards: ShardsReport = {
    threads,
    overlap: { entries: 0, calls: 0, mismatched: 0 },
    perShard: { entries: new Array<number>(threads).fill(0), calls: new Array<number>(threads).fill(0), ns: new Array<number>(threads).fill(0) },
  };
  return {
    read(sink: EntrySink) {
      // The verifier's proofs in C (native/check.c) when the sink offers them: made on the shards' threads as they read; else every kept entry to the sink after the join.
      const check = sink.nativeCheck?.(keySize, stride);
      read.reset();
      read.run(check);
      if (check) sink.folded?.();
      let counted = 0;
      for (let i = 0; i < threads; i++) {
        const n = read.keptCounts[i]!;
        if (!check) {
          const b = read.shard(i);
          if (u32) sink.addMany(b.keysU32, b.valuesI32, n);
          else sink.addManyRaw(b.keyBytes, b.valueBytes, n, keySize, stride);
        }
        counted += n;
        shards.perShard.entries[i] = n;
        shards.perShard.calls[i] = read.callsPerShard[i]!;
        shards.perShard.ns[i] = read.nsPerShard[i]!;
      }
      shards.overlap.entries = read.overlapEntries;
      shards.overlap.calls = read.overlapCalls;
      shards.overlap.mismatched = read.overlapMismatches;
      return { counted, chunk: read.chunk, chunkGrowths: read.growths, shards };
    },
    free() {
      read.free();
    },
  };
}

export const batchSharded: Strategy = {
  name: 'batch-sharded',
  summary: 'LOOKUP_BATCH with --chunk on --threads threads at once, each over its range of buckets (arrays: keys); the overlap at each boundary removed exactly',
  usesChunk: true,
  usesThreads: true,
  needs: [LOOKUP_BATCH_NEED],
  prepare(map: BpfMap, options: StrategyOptions) {
    return prepareSharded('batch-sharded', map, options, false);
  },
};

export const batchDeleteSharded: Strategy = {
  name: 'batch-delete-sharded',
  summary: 'drain: LOOKUP_AND_DELETE_BATCH with --chunk on --threads threads at once, each over its range of buckets; refilled before each read',
  usesChunk: true,
  usesThreads: true,
  drains: true,
  needs: [{ feature: Feature.lookupAndDeleteBatch, what: 'BPF_MAP_LOOKUP_AND_DELETE_BATCH', perMapType: true }],
  prepare(map: BpfMap, options: StrategyOptions) {
    return asShardedDrain(map, options);
  },
};

/** The drain: refilled before each read, empty after it (as drain.ts's). */
function asShardedDrain(map: BpfMap, options: StrategyOptions): PreparedRead {
  if (traitsOf(map.info.type)?.canDelete === false) {
    throw new InvalidInputError(`batch-delete-sharded: ${mapTypeName(map.info.type)} maps cannot delete entries (their elements always exist); use batch-sharded`);
  }
  if (!options.refill) throw new InvariantError('a drain strategy needs refill');
  const read = prepareSharded('batch-delete-sharded', map, options, true);
  return {
    beforeRead: options.refill,
    read: (sink) => read.read(sink),
    afterRead() {
      return map.isEmpty() ? undefined : 'the map is not empty after the drain';
    },
    free() {
      read.free();
    },
  };
}

/**
 * A sharded strategy fixed at `threads`, as its own series (`batch-sharded×2`):
 * what `sweep` measures for each --threads value, beside the chunks.
 */
export function atThreads(s: Strategy, threads: number): Strategy {
  return { ...s, name: `${s.name}×${threads}`, prepare: (map, options) => s.prepare(map, { ...options, threads }) };
}

/** sweep's default threads: 1, 2, 4, … up to the online CPUs, and the online CPUs. */
export function defaultThreadList(online: number): number[] {
  const list: number[] = [];
  for (let t = 1; t < online; t *= 2) list.push(t);
  list.push(online);
  return list;
}
