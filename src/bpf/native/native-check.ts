// The native check (native/check.c): the verifier's proofs of a read, made
// in C on each hand-over of the native loop while its entries are still in
// cache (NativeRead.next(check) calls bb_step_check). JavaScript reads only
// the totals: count, distinct keys (a bitmap), bad keys and values, the
// order-independent key sum and checksum, and the first few wrong entries.
// A sharded read's threads fold into parts of it (NativeCheckPart), added
// up after the join.
//
// The rules are harness/verifier.ts's, written a second time in C; the
// TypeScript Verifier stays the reference (the js loop uses it) and
// test/bpf/native/native-check.test.ts holds the two to the same verdicts on the
// same reads, good and wrong. The harness owns the expectation; this file
// only carries its shape to C.
import koffi from 'koffi';
import { UsageError } from '../../errors.js';
import { NativeBlock } from '../syscall/native-block.js';
import { layoutProblems, NATIVE_NOT_BUILT, nativeLibPath } from './native-library.js';

/** struct bb_check: byte offset of every field (native/check.h). */
const Field = {
  limit: 0,
  written: 8,
  bitmap: 16,
  present: 24,
  key_size: 32,
  value_size: 36,
  value_slot: 40,
  slots: 44,
  constant: 48,
  has_constant: 52,
  entries: 56,
  distinct: 64,
  bad_keys: 72,
  bad_values: 80,
  key_sum: 88,
  checksum: 92,
  n_bad: 96,
  bad_index: 104,
  bad_why: 168,
} as const;
const EXAMPLES = 8;
const Const = { SIZE: 200, EXAMPLES, BAD_KEY: 1, BAD_REPEAT: 2, BAD_VALUE: 3 } as const;

/** Why an entry was wrong. */
export type BadEntry = { index: number; why: 'key' | 'repeat' | 'value' };
const WHY = { [Const.BAD_KEY]: 'key', [Const.BAD_REPEAT]: 'repeat', [Const.BAD_VALUE]: 'value' } as Record<number, BadEntry['why']>;

/** What a correct read holds, as the C check needs it (from the harness's Expectation and Pattern). */
export interface CheckShape {
  /** Indices 0..limit-1 are the keys. */
  limit: number;
  /** Indices at and above hold zero values (arrays). */
  written: number;
  keySize: number;
  valueSize: number;
  /** Bytes per CPU slot in user space, and slots per entry. */
  valueSlot: number;
  slots: number;
  /** Every value, when constant (4-byte single-slot values). */
  constant?: number;
}

export interface CheckTotals {
  entries: number;
  distinct: number;
  badKeys: number;
  badValues: number;
  /** mod 2^32, as i32 (the Verifier's sums). */
  keySum: number;
  checksum: number;
  /** Wrong entries seen, and the first few. */
  bad: number;
  firstBad: BadEntry[];
}

interface CheckLib {
  reset: (check: number) => void;
  entries: (check: number, keys: number, values: number, n: number) => void;
  part: (part: number, parent: number) => void;
  merge: (parent: number, part: number) => void;
}
let lib: CheckLib | undefined;
let libFrom: string | undefined;

/** Loads the check's functions from the native library once, and checks its layout by name. */
function loadCheck(): CheckLib {
  const path = nativeLibPath();
  if (lib && libFrom === path) return lib;
  let table: (i: number) => number;
  let name: (i: number) => string | null;
  let loaded: CheckLib;
  try {
    const l = koffi.load(path);
    table = l.func('long bb_check_table(int i)') as typeof table;
    name = l.func('const char *bb_check_table_name(int i)') as typeof name;
    loaded = {
      reset: l.func('void bb_check_reset(uintptr_t check)') as CheckLib['reset'],
      entries: l.func('void bb_check_entries(uintptr_t check, uintptr_t keys, uintptr_t values, uint64_t n)') as CheckLib['entries'],
      part: l.func('void bb_check_part(uintptr_t part, uintptr_t parent)') as CheckLib['part'],
      merge: l.func('void bb_check_merge(uintptr_t parent, uintptr_t part)') as CheckLib['merge'],
    };
  } catch {
    throw new UsageError(NATIVE_NOT_BUILT);
  }
  const problems = layoutProblems(table, name, { check: { ...Field, ...Const } });
  if (problems.length) throw new UsageError(`the native check (native/libbpfbench.so) does not match this build (${problems.join(', ')}): run 'make'`);
  libFrom = path;
  return (lib = loaded);
}

// The blocks a check holds are freed with it, or when it is collected.
const blocks = new FinalizationRegistry<NativeBlock[]>((held) => {
  for (const b of held) b.free();
});

export class NativeCheck {
  readonly shape: CheckShape;
  /** The check's state, for NativeRead.next(check). */
  readonly addr: number;
  /** Bit i set once index i was seen (native memory: the Verifier shares it). */
  readonly bitmap: Uint32Array;
  private readonly lib: CheckLib;
  private readonly state: NativeBlock;
  private readonly held: NativeBlock[];
  private present: NativeBlock | undefined;

  constructor(shape: CheckShape) {
    this.lib = loadCheck();
    this.shape = shape;
    const s = (this.state = new NativeBlock(Const.SIZE));
    const bits = new NativeBlock(4 * Math.ceil(Math.max(shape.limit, 1) / 32));
    this.held = [s, bits];
    blocks.register(this, this.held, this);
    this.addr = s.addr;
    this.bitmap = bits.u32.subarray(0, Math.ceil(Math.max(shape.limit, 1) / 32));
    s.setU64(Field.limit, shape.limit);
    s.setU64(Field.written, shape.written);
    s.setU64(Field.bitmap, bits.addr);
    s.setU32(Field.key_size, shape.keySize);
    s.setU32(Field.value_size, shape.valueSize);
    s.setU32(Field.value_slot, shape.valueSlot);
    s.setU32(Field.slots, shape.slots);
    s.setU32(Field.constant, (shape.constant ?? 0) >>> 0);
    s.setU32(Field.has_constant, shape.constant === undefined ? 0 : 1);
  }

  /** Only these indices are in the map (an LRU map): a copy in native memory. */
  setPresent(present: Uint32Array | undefined): void {
    this.present?.free();
    this.present = undefined;
    if (present) {
      const p = (this.present = new NativeBlock(present.byteLength));
      p.u32.set(present);
      this.held.push(p);
    }
    this.state.setU64(Field.present, this.present?.addr ?? 0);
  }

  /** Clears the totals and the bitmap for the next read. */
  reset(): void {
    this.lib.reset(this.addr);
  }

  /** Folds `n` packed entries from native memory (keys key_size each, values valueSlot × slots each). */
  foldEntries(keys: NativeBlock, values: NativeBlock, n: number): void {
    this.lib.entries(this.addr, keys.addr, values.addr, n);
  }

  /** Entries folded since reset(). */
  get entries(): number {
    return this.u64(Field.entries);
  }

  totals(): CheckTotals {
    const s = this.state;
    const bad = this.u64(Field.n_bad);
    const firstBad: BadEntry[] = [];
    for (let i = 0; i < Math.min(bad, EXAMPLES); i++) firstBad.push({ index: this.u64(Field.bad_index + 8 * i), why: WHY[s.getU32(Field.bad_why + 4 * i)]! });
    return {
      entries: this.u64(Field.entries),
      distinct: this.u64(Field.distinct),
      badKeys: this.u64(Field.bad_keys),
      badValues: this.u64(Field.bad_values),
      keySum: s.getU32(Field.key_sum) | 0,
      checksum: s.getU32(Field.checksum) | 0,
      bad,
      firstBad,
    };
  }

  private u64(off: number): number {
    return this.state.getU64(off);
  }

  free(): void {
    blocks.unregister(this);
    for (const b of this.held) b.free();
    this.held.length = 0;
  }
}

/**
 * One shard's share of a check (native/check.c bb_check_part): the parent's
 * expectation and bitmap, totals of its own. The shard's thread folds into
 * it (bits set atomically, as the other shards fold at once); merge() adds
 * it to the parent after the join.
 */
export class NativeCheckPart {
  readonly addr: number;
  private readonly state = new NativeBlock(Const.SIZE);
  private keySize = 0;
  private stride = 0;

  private readonly lib: CheckLib;

  /** Made before any read (a sharded read makes one per shard up front), begun with each read's check. */
  constructor() {
    this.lib = loadCheck();
    this.addr = this.state.addr;
  }

  /** Starts the part of `parent`'s read: its inputs copied, totals zero. */
  begin(parent: NativeCheck): void {
    this.lib.part(this.addr, parent.addr);
    this.keySize = parent.shape.keySize;
    this.stride = parent.shape.valueSlot * parent.shape.slots;
  }

  /** Folds entries [from, from + n) of packed buffers (on the calling thread, none other folding into this part). */
  foldFrom(keys: NativeBlock, values: NativeBlock, from: number, n: number): void {
    if (n > 0) this.lib.entries(this.addr, keys.addr + from * this.keySize, values.addr + from * this.stride, n);
  }

  /** Adds this part's totals and first wrong entries to `parent`'s. */
  mergeInto(parent: NativeCheck): void {
    this.lib.merge(parent.addr, this.addr);
  }

  /** Entries folded since begin(). */
  get entries(): number {
    return this.state.getU64(Field.entries);
  }

  free(): void {
    this.state.free();
  }
}
