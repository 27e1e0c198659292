// What each map type is, in one table that every layer reads: whether it is
// a hash or an array, per-CPU, LRU, whether its entries can be deleted, what
// LOOKUP_BATCH's cursor is, and how bpfbench fills it by default.
import { possibleCpus } from './cpus.js';
import { MapType, type MapTypeName } from '../syscall/constants.js';

export interface MapTypeTraits {
  name: MapTypeName;
  type: number;
  /** hash: keys come and go, buckets; array: every index exists. */
  kind: 'hash' | 'array';
  /** One value per possible CPU, each in a round_up(value_size, 8) slot. */
  perCpu: boolean;
  /** Evicts entries when full (and may while being filled). */
  lru: boolean;
  /** Entries can be deleted (drains): hash maps; array elements always exist. */
  canDelete: boolean;
  /** LOOKUP_BATCH's in/out_batch: a u32 bucket index (hash maps) or a key (arrays). */
  batchCursor: 'bucket' | 'key';
  /** Which Linux first has LOOKUP_BATCH for it. */
  batchSince: string;
}

const hash = (name: MapTypeName, perCpu: boolean, lru: boolean): MapTypeTraits => ({
  name,
  type: MapType[name],
  kind: 'hash',
  perCpu,
  lru,
  canDelete: true,
  batchCursor: 'bucket',
  batchSince: '5.6',
});
const array = (name: MapTypeName, perCpu: boolean, batchSince: string): MapTypeTraits => ({
  name,
  type: MapType[name],
  kind: 'array',
  perCpu,
  lru: false,
  canDelete: false,
  batchCursor: 'key',
  batchSince,
});

export const MAP_TYPES: Readonly<Record<MapTypeName, MapTypeTraits>> = {
  hash: hash('hash', false, false),
  percpu_hash: hash('percpu_hash', true, false),
  lru_hash: hash('lru_hash', false, true),
  lru_percpu_hash: hash('lru_percpu_hash', true, true),
  array: array('array', false, '5.6'),
  percpu_array: array('percpu_array', true, '5.13'),
};

/** The traits of a map type number; undefined for a type bpfbench does not know. */
export function traitsOf(type: number): MapTypeTraits | undefined {
  for (const t of Object.values(MAP_TYPES)) if (t.type === type) return t;
  return undefined;
}

/** n rounded up to a multiple of `to` (a power of two or not). */
export function roundUp(n: number, to = 8): number {
  return Math.ceil(n / to) * to;
}

/** The smallest power of two ≥ n (a hash map's bucket count for max_entries n). */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Bytes of one value slot as user space sees it: round_up(value_size, 8) for per-CPU maps. */
export function valueSlot(type: number, valueSize: number): number {
  return traitsOf(type)?.perCpu ? roundUp(valueSize, 8) : valueSize;
}

/** Bytes one entry's value takes in user space: value_size, or a slot per possible CPU. */
export function valueStride(type: number, valueSize: number): number {
  return traitsOf(type)?.perCpu ? valueSlot(type, valueSize) * possibleCpus() : valueSize;
}
