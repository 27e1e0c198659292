// The struct layouts user space shares with bpf/bench.bpf.c (src/bpf/syscall/attr.ts:
// FillCtx, WriterCtx, IterCfg, CounterConfig, Counters) checked against the compiled
// object's own BTF, so that the two cannot drift: every field's byte offset,
// the set of fields, the size, and the counters' array lengths. The BTF is
// read here from the ELF's .BTF section, with no tool in between.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { COUNTER_CMD_SLOTS, COUNTER_WRITER_SLOTS, CounterConfig, Counters, FillCtx, IterCfg, WriterCtx } from '../../../src/bpf/syscall/attr.js';
import { CMD_SLOTS } from '../../../src/bpf/syscall/constants.js';
import { DEFAULT_OBJECT } from '../../../src/paths.js';

interface BtfMember {
  name: string;
  type: number;
  bitOffset: number;
}
interface BtfType {
  id: number;
  kind: number;
  name: string;
  /** size (INT, STRUCT, UNION, ENUM, DATASEC, FLOAT) or the referenced type (PTR, TYPEDEF, CONST, VOLATILE, VAR, …). */
  sizeOrType: number;
  members: BtfMember[];
  /** ARRAY: element type and count. */
  array?: { type: number; nelems: number };
}

const KIND = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** The .BTF section of a little-endian ELF64 object. */
function btfSection(elf: Buffer): Buffer {
  assert.equal(elf.readUInt32BE(0), 0x7f454c46, 'an ELF file');
  assert.equal(elf[4], 2, 'ELF64');
  assert.equal(elf[5], 1, 'little-endian');
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const section = (i: number) => {
    const h = shoff + i * shentsize;
    return { name: elf.readUInt32LE(h), offset: Number(elf.readBigUInt64LE(h + 24)), size: Number(elf.readBigUInt64LE(h + 32)) };
  };
  const names = section(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const start = names.offset + s.name;
    const name = elf.toString('latin1', start, elf.indexOf(0, start));
    if (name === '.BTF') return elf.subarray(s.offset, s.offset + s.size);
  }
  throw new Error('no .BTF section: build the object with -g');
}

/** Every type of a BTF blob, by id (1-based; 0 is void). */
function parseBtf(btf: Buffer): BtfType[] {
  assert.equal(btf.readUInt16LE(0), 0xeb9f, 'BTF magic');
  const hdrLen = btf.readUInt32LE(4);
  const typeOff = hdrLen + btf.readUInt32LE(8);
  const typeLen = btf.readUInt32LE(12);
  const strOff = hdrLen + btf.readUInt32LE(16);
  const str = (off: number) => btf.toString('latin1', strOff + off, btf.indexOf(0, strOff + off));
  const types: BtfType[] = [];
  let p = typeOff;
  for (let id = 1; p < typeOff + typeLen; id++) {
    const info = btf.readUInt32LE(p + 4);
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    const kflag = info >>> 31;
    const t: BtfType = { id, kind, name: str(btf.readUInt32LE(p)), sizeOrType: btf.readUInt32LE(p + 8), members: [] };
    p += 12;
    switch (kind) {
      case KIND.INT:
      case KIND.VAR:
      case KIND.DECL_TAG:
        p += 4;
        break;
      case KIND.ARRAY:
        t.array = { type: btf.readUInt32LE(p), nelems: btf.readUInt32LE(p + 8) };
        p += 12;
        break;
      case KIND.STRUCT:
      case KIND.UNION:
        for (let i = 0; i < vlen; i++, p += 12) {
          const off = btf.readUInt32LE(p + 8);
          t.members.push({ name: str(btf.readUInt32LE(p)), type: btf.readUInt32LE(p + 4), bitOffset: kflag ? off & 0xffffff : off });
        }
        break;
      case KIND.ENUM:
      case KIND.FUNC_PROTO:
        p += 8 * vlen;
        break;
      case KIND.DATASEC:
      case KIND.ENUM64:
        p += 12 * vlen;
        break;
      case KIND.PTR:
      case KIND.FWD:
      case KIND.TYPEDEF:
      case KIND.VOLATILE:
      case KIND.CONST:
      case KIND.RESTRICT:
      case KIND.FUNC:
      case KIND.FLOAT:
      case KIND.TYPE_TAG:
        break;
      default:
        throw new Error(`BTF kind ${kind} (type ${id}) unknown to this reader`);
    }
    types.push(t);
  }
  return types;
}

const types = parseBtf(btfSection(readFileSync(DEFAULT_OBJECT)));
const byId = (id: number) => types[id - 1]!;

/** Follows typedefs and qualifiers to the type underneath. */
function resolve(t: BtfType): BtfType {
  while (t.kind === KIND.TYPEDEF || t.kind === KIND.CONST || t.kind === KIND.VOLATILE || t.kind === KIND.RESTRICT || t.kind === KIND.TYPE_TAG) t = byId(t.sizeOrType);
  return t;
}

function struct(name: string): BtfType {
  const found = types.filter((t) => t.kind === KIND.STRUCT && t.name === name);
  assert.equal(found.length, 1, `struct ${name} in ${DEFAULT_OBJECT}`);
  return found[0]!;
}

/** The struct type of a global variable (an anonymous struct, such as iter_cfg's). */
function structOfVar(name: string): BtfType {
  const v = types.find((t) => t.kind === KIND.VAR && t.name === name);
  assert.ok(v, `variable ${name} in ${DEFAULT_OBJECT}`);
  const t = resolve(byId(v.sizeOrType));
  assert.equal(t.kind, KIND.STRUCT, `${name} is a struct`);
  return t;
}

/** The TS layout names exactly the C struct's fields, at the same byte offsets, with the same size. */
function assertSameLayout(c: BtfType, ts: Record<string, number>, label: string): void {
  const { SIZE, ...fields } = ts;
  assert.equal(SIZE, c.sizeOrType, `${label}.SIZE`);
  const offsets = Object.fromEntries(
    c.members.map((m) => {
      assert.equal(m.bitOffset % 8, 0, `${label}.${m.name} is byte-aligned`);
      return [m.name, m.bitOffset / 8];
    }),
  );
  assert.deepEqual(fields, offsets, `${label}: fields and byte offsets`);
}

test('FillCtx is struct fill_ctx', () => assertSameLayout(struct('fill_ctx'), FillCtx, 'FillCtx'));
test('WriterCtx is struct writer_ctx', () => assertSameLayout(struct('writer_ctx'), WriterCtx, 'WriterCtx'));

test('IterCfg is iter_cfg', () => assertSameLayout(structOfVar('iter_cfg'), IterCfg, 'IterCfg'));

test('CounterConfig is struct counter_config, its writer_tids COUNTER_WRITER_SLOTS u32s', () => {
  const c = struct('counter_config');
  assertSameLayout(c, CounterConfig, 'CounterConfig');
  const t = resolve(byId(c.members.find((x) => x.name === 'writer_tids')!.type));
  assert.equal(t.kind, KIND.ARRAY, 'counter_config.writer_tids is an array');
  assert.equal(t.array!.nelems, COUNTER_WRITER_SLOTS, 'counter_config.writer_tids[COUNTER_WRITER_SLOTS]');
  assert.equal(resolve(byId(t.array!.type)).sizeOrType, 4, 'counter_config.writer_tids holds u32s');
});

test('Counters is struct counters, its per-command arrays COUNTER_CMD_SLOTS long', () => {
  const c = struct('counters');
  assertSameLayout(c, Counters, 'Counters');
  for (const name of ['bpf_cmd', 'bpf_ns', 'other_bpf_cmd']) {
    const m = c.members.find((x) => x.name === name)!;
    const t = resolve(byId(m.type));
    assert.equal(t.kind, KIND.ARRAY, `counters.${name} is an array`);
    assert.equal(t.array!.nelems, COUNTER_CMD_SLOTS, `counters.${name}[COUNTER_CMD_SLOTS]`);
    assert.equal(resolve(byId(t.array!.type)).sizeOrType, 8, `counters.${name} holds u64s`);
  }
  // KernelCounts arrays (COUNTER_CMD_SLOTS) are read by command number (CMD_SLOTS).
  assert.equal(COUNTER_CMD_SLOTS, CMD_SLOTS);
});

test('the maps hold these structs: counter_config and syscall_counters values', () => {
  // A .maps variable is an anonymous struct whose `value` member points to the value type.
  const valueTypeOf = (map: string) => {
    const m = structOfVar(map).members.find((x) => x.name === 'value');
    assert.ok(m, `${map} declares its value type`);
    return resolve(byId(resolve(byId(m.type)).sizeOrType));
  };
  assert.equal(valueTypeOf('counter_config').name, 'counter_config');
  assert.equal(valueTypeOf('syscall_counters').name, 'counters');
});
