// One-line reports of `load` and `info`.
import type { MapInfoData } from '../bpf/map.js';
import type { FillResult } from '../harness/fill.js';
import type { MapRecord } from '../harness/bench-map.js';
import { fmtBytes, fmtDuration } from './format.js';

const fmt = (n: number) => n.toLocaleString('en-US');

export function renderMapInfo(i: MapInfoData, memlockBytes: number | undefined, pin?: string): string {
  return (
    `map ${i.id} ${i.name ? `'${i.name}' ` : ''}${pin ? `(${pin}) ` : ''}: type ${i.typeName}, key ${i.keySize} B, value ${i.valueSize} B, ` +
    `max_entries ${fmt(i.maxEntries)}, flags 0x${i.flags.toString(16)}, memlock ${memlockBytes === undefined ? 'unknown' : fmtBytes(memlockBytes)}`
  );
}

export function renderLoaded(pin: string, r: MapRecord, entries: number, fill: FillResult): string {
  return (
    `pinned ${pin}: ${r.type}, key ${r.keySize} B, value ${r.valueSize} B, ${fmt(entries)} entries of max_entries ${fmt(r.maxEntries)}, map id ${r.id}; ` +
    `created in ${fmtDuration(r.createNs)}, filled by ${fill.method} in ${fmtDuration(fill.wallNs)}\n` +
    `read it: bpfbench run --pin ${pin}   remove it: bpfbench unload --pin ${pin}`
  );
}
