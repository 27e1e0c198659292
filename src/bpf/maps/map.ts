// BpfMap: a BPF map held by fd. Create it, open it (by id, by pin), pin it,
// ask what it is, write to it, close it.
//
// Reading goes through the readers of their own files, which allocate their
// native memory once and nothing per step: ElemReader (elem-reader.ts:
// GET_NEXT_KEY + LOOKUP_ELEM) and BatchCursor (batch-cursor.ts: LOOKUP_BATCH
// until ENOENT). elemReader() and batches() below make them for this map.
import { readFileSync } from 'node:fs';
import { InfoAttr, MapBatchAttr, MapCreateAttr, MapElemAttr, MapInfo, GetFdByIdAttr, ObjAttr, ATTR_BLOCK } from '../syscall/attr.js';
import { BatchCursor, type BatchCursorOptions } from './batch-cursor.js';
import { Cmd, mapTypeName } from '../syscall/constants.js';
import { ElemReader } from './elem-reader.js';
import { BpfError, Errno } from '../syscall/bpf-errors.js';
import { traitsOf, valueSlot, valueStride } from './map-types.js';
import { NativeBlock } from '../syscall/native-block.js';
import { bpf, bpfOrThrow, closeFd } from '../syscall/syscall.js';

export interface MapSpec {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  name?: string;
}

export interface MapInfoData {
  type: number;
  typeName: string;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
}

/** Runs `use` on a zeroed attr block of `size` bytes, freed afterwards. */
function withAttr<T>(size: number, use: (attr: NativeBlock) => T): T {
  const attr = new NativeBlock(size);
  try {
    return use(attr);
  } finally {
    attr.free();
  }
}

export class BpfMap {
  readonly fd: number;
  readonly info: MapInfoData;
  private owned: boolean;
  /** Attr memory for the occasional update (fills, config writes), allocated on first use. */
  private scratch: NativeBlock | undefined;

  private constructor(fd: number, info: MapInfoData, owned: boolean) {
    this.fd = fd;
    this.info = info;
    this.owned = owned;
  }

  /** BPF_MAP_CREATE. */
  static create(spec: MapSpec): BpfMap {
    const fd = withAttr(ATTR_BLOCK, (attr) => {
      attr.setU32(MapCreateAttr.map_type, spec.type);
      attr.setU32(MapCreateAttr.key_size, spec.keySize);
      attr.setU32(MapCreateAttr.value_size, spec.valueSize);
      attr.setU32(MapCreateAttr.max_entries, spec.maxEntries);
      attr.setU32(MapCreateAttr.map_flags, spec.flags ?? 0);
      if (spec.name) attr.setCString(MapCreateAttr.map_name, spec.name.slice(0, 15));
      return bpfOrThrow(Cmd.MAP_CREATE, attr.addr, MapCreateAttr.SIZE, `${mapTypeName(spec.type)} ${spec.keySize}/${spec.valueSize} x ${spec.maxEntries}`);
    });
    return BpfMap.fromFd(fd, true);
  }

  /** Wraps an fd (from libbpf, or our own create). `owned` maps close the fd on close(). */
  static fromFd(fd: number, owned: boolean): BpfMap {
    return new BpfMap(fd, BpfMap.infoOf(fd), owned);
  }

  /** BPF_MAP_GET_FD_BY_ID: open a map another process created. */
  static openById(id: number): BpfMap {
    const fd = withAttr(ATTR_BLOCK, (attr) => {
      attr.setU32(GetFdByIdAttr.id, id);
      return bpfOrThrow(Cmd.MAP_GET_FD_BY_ID, attr.addr, GetFdByIdAttr.SIZE, `map id ${id}`);
    });
    return BpfMap.fromFd(fd, true);
  }

  /** BPF_OBJ_GET: open a pinned map. */
  static openPinned(path: string): BpfMap {
    const fd = withAttr(ATTR_BLOCK + path.length + 1, (attr) => {
      attr.setU64(ObjAttr.pathname, attr.setCString(ATTR_BLOCK, path));
      return bpfOrThrow(Cmd.OBJ_GET, attr.addr, ObjAttr.SIZE, path);
    });
    return BpfMap.fromFd(fd, true);
  }

  /** BPF_OBJ_PIN this map at a bpffs path. */
  pin(path: string): void {
    withAttr(ATTR_BLOCK + path.length + 1, (attr) => {
      attr.setU64(ObjAttr.pathname, attr.setCString(ATTR_BLOCK, path));
      attr.setU32(ObjAttr.bpf_fd, this.fd);
      bpfOrThrow(Cmd.OBJ_PIN, attr.addr, ObjAttr.SIZE, path);
    });
  }

  /** BPF_OBJ_GET_INFO_BY_FD for a map fd. */
  static infoOf(fd: number): MapInfoData {
    return withAttr(ATTR_BLOCK + MapInfo.SIZE, (mem) => {
      mem.setU32(InfoAttr.bpf_fd, fd);
      mem.setU32(InfoAttr.info_len, MapInfo.SIZE);
      mem.setU64(InfoAttr.info, mem.addr + ATTR_BLOCK);
      bpfOrThrow(Cmd.OBJ_GET_INFO_BY_FD, mem.addr, InfoAttr.SIZE, `fd ${fd}`);
      const at = (off: number) => mem.getU32(ATTR_BLOCK + off);
      const type = at(MapInfo.type);
      return {
        type,
        typeName: mapTypeName(type),
        id: at(MapInfo.id),
        keySize: at(MapInfo.key_size),
        valueSize: at(MapInfo.value_size),
        maxEntries: at(MapInfo.max_entries),
        flags: at(MapInfo.map_flags),
        name: mem.getCString(ATTR_BLOCK + MapInfo.name, 16),
      };
    });
  }

  get keySize(): number {
    return this.info.keySize;
  }
  get valueSize(): number {
    return this.info.valueSize;
  }
  get maxEntries(): number {
    return this.info.maxEntries;
  }

  /** Per-CPU map: each key holds one value per possible CPU. */
  get perCpu(): boolean {
    return traitsOf(this.info.type)?.perCpu === true;
  }

  /** Bytes of one value slot as user space sees it: round_up(value_size, 8) for per-CPU maps. */
  get valueSlot(): number {
    return valueSlot(this.info.type, this.info.valueSize);
  }

  /** Bytes one entry's value takes in user space: value_size, or a slot per possible CPU. */
  get valueStride(): number {
    return valueStride(this.info.type, this.info.valueSize);
  }

  /** Bytes the kernel charges for this map (fdinfo `memlock:`), or undefined if not reported. */
  memlockBytes(): number | undefined {
    try {
      const m = /^memlock:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${this.fd}`, 'utf8'));
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** GET_NEXT_KEY(NULL) answers ENOENT: the map holds nothing. */
  isEmpty(): boolean {
    return withAttr(MapElemAttr.SIZE + Math.max(8, this.keySize), (mem) => {
      mem.setU32(MapElemAttr.map_fd, this.fd);
      mem.setU64(MapElemAttr.value, mem.addr + MapElemAttr.SIZE);
      const r = bpf(Cmd.MAP_GET_NEXT_KEY, mem.addr, MapElemAttr.SIZE);
      if (r === -Errno.ENOENT) return true;
      if (r < 0) throw new BpfError(Cmd.MAP_GET_NEXT_KEY, -r);
      return false;
    });
  }

  /** A per-element reader (GET_NEXT_KEY + LOOKUP_ELEM) over this map. */
  elemReader(): ElemReader {
    return new ElemReader(this);
  }

  /** An iterator over this map's LOOKUP_BATCH batches of at most `chunk` entries. */
  batches(chunk: number, options: BatchCursorOptions = {}): BatchCursor {
    return new BatchCursor(this, chunk, options);
  }

  private attr(): NativeBlock {
    return (this.scratch ??= new NativeBlock(ATTR_BLOCK));
  }

  /** BPF_MAP_UPDATE_ELEM of the key and value at the given addresses. */
  updateElem(keyAddr: number, valueAddr: number, flags = 0): void {
    const attr = this.attr();
    attr.setU32(MapElemAttr.map_fd, this.fd);
    attr.setU64(MapElemAttr.key, keyAddr);
    attr.setU64(MapElemAttr.value, valueAddr);
    attr.setU64(MapElemAttr.flags, flags);
    const r = bpf(Cmd.MAP_UPDATE_ELEM, attr.addr, MapElemAttr.SIZE);
    if (r < 0) throw new BpfError(Cmd.MAP_UPDATE_ELEM, -r);
  }

  /** BPF_MAP_UPDATE_BATCH of `count` keys and values; returns the entries written. */
  updateBatch(keysAddr: number, valuesAddr: number, count: number, elemFlags = 0): number {
    const attr = this.attr();
    attr.setU64(MapBatchAttr.in_batch, 0);
    attr.setU64(MapBatchAttr.out_batch, 0);
    attr.setU64(MapBatchAttr.keys, keysAddr);
    attr.setU64(MapBatchAttr.values, valuesAddr);
    attr.setU32(MapBatchAttr.count, count);
    attr.setU32(MapBatchAttr.map_fd, this.fd);
    attr.setU64(MapBatchAttr.elem_flags, elemFlags);
    attr.setU64(MapBatchAttr.flags, 0);
    const r = bpf(Cmd.MAP_UPDATE_BATCH, attr.addr, MapBatchAttr.SIZE);
    if (r < 0) throw new BpfError(Cmd.MAP_UPDATE_BATCH, -r, `${attr.getU32(MapBatchAttr.count)} of ${count} written`);
    return attr.getU32(MapBatchAttr.count);
  }

  close(): void {
    this.scratch?.free();
    this.scratch = undefined;
    if (this.owned) {
      closeFd(this.fd);
      this.owned = false;
    }
  }
}
