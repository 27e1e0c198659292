// A bpf_iter over a map's elements (the object's `dump_map` program, Linux
// 5.9+): linked to the map once, then each open() is a fresh pass whose fd
// user space read()s; records are key bytes then value bytes.
import { readSync } from 'node:fs';
import { ATTR_BLOCK, BPF_TRACE_ITER, IterCfg, IterCreateAttr, IterLinkInfo, LinkCreateAttr } from '../syscall/attr.js';
import { Cmd } from '../syscall/constants.js';
import { BpfError } from '../syscall/bpf-errors.js';
import type { BpfObject } from './loader.js';
import type { BpfMap } from '../maps/map.js';
import { roundUp } from '../maps/map-types.js';
import { NativeBlock } from '../syscall/native-block.js';
import { bpf, bpfOrThrow, closeFd } from '../syscall/syscall.js';

export const ITER_PROG = 'dump_map';
export const RODATA = '.rodata';

/** The iterator's .rodata (iter_cfg in bpf/bench.bpf.c): its record's key and value sizes. */
export function iterConfig(map: Pick<BpfMap, 'keySize' | 'valueStride'>): Uint8Array {
  const cfg = new Uint8Array(IterCfg.SIZE);
  const v = new DataView(cfg.buffer);
  v.setUint32(IterCfg.key_size, map.keySize, true);
  v.setUint32(IterCfg.value_size, map.valueStride, true);
  return cfg;
}

/** Where LINK_CREATE's iter_info (union bpf_iter_link_info) lives in the attr block: just past the attr. */
const ITER_INFO = roundUp(LinkCreateAttr.SIZE);

/** Before load: size the iterator program's records for this map. */
export function configureIter(obj: BpfObject, map: Pick<BpfMap, 'keySize' | 'valueStride'>): void {
  obj.setInitialValue(RODATA, iterConfig(map));
}

export class MapIterLink {
  private linkFd: number;
  private readonly attr = new NativeBlock(ATTR_BLOCK);

  constructor(progFd: number, map: BpfMap) {
    const a = this.attr;
    a.setU32(ITER_INFO + IterLinkInfo.map_fd, map.fd);
    a.setU32(LinkCreateAttr.prog_fd, progFd);
    a.setU32(LinkCreateAttr.attach_type, BPF_TRACE_ITER);
    a.setU64(LinkCreateAttr.iter_info, a.addr + ITER_INFO);
    a.setU32(LinkCreateAttr.iter_info_len, IterLinkInfo.SIZE);
    try {
      this.linkFd = bpfOrThrow(Cmd.LINK_CREATE, a.addr, LinkCreateAttr.SIZE, 'linking the map iterator');
    } catch (e) {
      a.free();
      throw e;
    }
    a.zero();
    a.setU32(IterCreateAttr.link_fd, this.linkFd);
  }

  /** BPF_ITER_CREATE: a new pass over the map, as an fd to read(). */
  open(): number {
    const fd = bpf(Cmd.ITER_CREATE, this.attr.addr, IterCreateAttr.SIZE);
    if (fd < 0) throw new BpfError(Cmd.ITER_CREATE, -fd);
    return fd;
  }

  /** read(2) into `buf` at `offset`; 0 at the end. */
  static read(fd: number, buf: Uint8Array, offset: number): number {
    return readSync(fd, buf, offset, buf.length - offset, null);
  }

  static closeFd(fd: number): void {
    closeFd(fd);
  }

  close(): void {
    if (this.linkFd >= 0) {
      closeFd(this.linkFd);
      this.linkFd = -1;
      this.attr.free();
    }
  }
}
