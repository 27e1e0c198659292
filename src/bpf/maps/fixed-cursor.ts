// FixedCursor: the batch loop of the published Go experiment, kept only to
// reproduce its flaw. Every LOOKUP_BATCH call passes the same in_batch, a
// pointer to a zeroed cursor that is never advanced from out_batch, so each
// call reads from bucket 0 onward again. It makes `maxCalls` calls (the
// experiment's max_entries / chunk), and stops early only on an ENOENT that
// copied nothing (an empty map). ENOENT with entries is delivered and the
// loop goes on, as the experiment's did. The chunk never grows: ENOSPC throws.
import { MapBatchAttr } from '../syscall/attr.js';
import { type Batch, type BatchMap, BatchBuffers, ChunkTooSmallError } from './batch-cursor.js';
import { Cmd } from '../syscall/constants.js';
import { BpfError, Errno } from '../syscall/bpf-errors.js';
import { bpf } from '../syscall/syscall.js';

const COUNT = MapBatchAttr.count / 4;

export class FixedCursor extends BatchBuffers {
  readonly chunk: number;
  readonly growths = 0;
  private readonly maxCalls: number;
  private ended = false;

  constructor(map: BatchMap, chunk: number, maxCalls: number) {
    // One attr, its in_batch the `in` cursor: zeroed, and never written.
    super(map, chunk, [true]);
    this.chunk = chunk;
    this.maxCalls = maxCalls;
  }

  override reset(): void {
    super.reset();
    this.ended = false;
  }

  next(): IteratorResult<Batch> {
    if (this.ended || this.calls >= this.maxCalls) {
      this.ended = true;
      return this.doneResult;
    }
    const u32 = this.mem.u32;
    u32[COUNT] = this.chunk;
    const r = bpf(Cmd.MAP_LOOKUP_BATCH, this.mem.addr, MapBatchAttr.SIZE);
    this.calls++;
    const n = u32[COUNT]!;
    if (r === 0 || (r === -Errno.ENOENT && n > 0)) {
      this.batch.count = n;
      return this.result;
    }
    this.ended = true;
    if (r === -Errno.ENOENT) return this.doneResult;
    if (r === -Errno.ENOSPC) throw new ChunkTooSmallError(this.chunk);
    throw new BpfError(Cmd.MAP_LOOKUP_BATCH, -r);
  }
}
