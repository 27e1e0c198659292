// What a result measured and where, for `bpfbench report`: the configuration
// (what the kernel is asked to walk, and who measured it), the machine
// (kernel, CPU) and the read loop. Two results are compared only within one
// configuration; what differs between two is said in words.
import { entriesLabel, fmtInt } from '../formats/format.js';
import type { RunResultJson } from '../result/run-json.js';
import type { LoadedResult } from '../schema/index.js';

/** Where a result's reads ran (null for peers: per row); one definition, run-json.ts's. */
export { loopOf } from '../result/run-json.js';

export interface Machine {
  kernel: string;
  cpuModel: string;
  cpus: number;
}

export function machineOf(r: LoadedResult): Machine {
  return { kernel: r.json.context.kernel, cpuModel: r.json.context.cpuModel, cpus: r.json.context.cpus };
}

/** `AMD EPYC ×2`: the CPU model without trademark noise, and the CPU count. */
export function cpuLabel(m: Machine): string {
  const model = m.cpuModel
    .replace(/\((R|TM|tm|r)\)/g, '')
    .replace(/\b(CPU|Processor)\b/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return `${model} ×${m.cpus}`;
}

export const machineKey = (m: Machine) => `${m.kernel}\u0000${m.cpuModel}\u0000${m.cpus}`;

/** The map a run result walked, as its config names it. */
type MapShape = Pick<RunResultJson['config'], 'mapType' | 'keySize' | 'valueSize' | 'entries' | 'maxEntries' | 'mapFlags'>;

export interface Configuration extends MapShape {
  /** bpfbench's own reads (run, sweep) or every implementation on one pinned map (peers). */
  family: 'bpfbench' | 'peers';
}

/** A run result's configuration. */
export function runConfiguration(r: RunResultJson): Configuration {
  const c = r.config;
  return { family: 'bpfbench', mapType: c.mapType, keySize: c.keySize, valueSize: c.valueSize, entries: c.entries, maxEntries: c.maxEntries, mapFlags: c.mapFlags };
}

const CONFIG_FIELDS: { key: keyof Configuration; name: string; fmt: (v: never) => string }[] = [
  { key: 'family', name: 'measured by', fmt: (v: string) => (v === 'peers' ? 'peers (every implementation on one pinned map)' : 'run/sweep') },
  { key: 'mapType', name: 'map type', fmt: (v: string) => v },
  { key: 'keySize', name: 'key size', fmt: (v: number) => `${v} B` },
  { key: 'valueSize', name: 'value size', fmt: (v: number) => `${v} B` },
  { key: 'entries', name: 'entries', fmt: (v: number) => entriesLabel(v) },
  { key: 'maxEntries', name: 'max_entries', fmt: (v: number) => entriesLabel(v) },
  { key: 'mapFlags', name: 'map_flags', fmt: (v: number) => `0x${v.toString(16)}` },
];

/** Equal for two configurations whose results can be compared. */
export const configKey = (c: Configuration) => CONFIG_FIELDS.map((f) => String(c[f.key])).join('\u0000');

/** Orders configurations: bpfbench's before peers, then by map. */
export const configOrder = (c: Configuration): (number | string)[] => [c.family === 'bpfbench' ? 0 : 1, c.mapType, c.keySize, c.valueSize, c.entries, c.maxEntries, c.mapFlags];

/** What differs between two configurations: `entries 1Mi vs 4Mi`. */
export function configDifferences(a: Configuration, b: Configuration): string[] {
  // max_entries = entries on both sides: the entries already say it.
  const sameAsEntries = a.maxEntries === a.entries && b.maxEntries === b.entries;
  return CONFIG_FIELDS.filter((f) => a[f.key] !== b[f.key] && !(f.key === 'maxEntries' && sameAsEntries)).map((f) => `${f.name} ${f.fmt(a[f.key] as never)} vs ${f.fmt(b[f.key] as never)}`);
}

const sizeName = (bytes: number) => (bytes === 4 ? 'u32' : bytes === 8 ? 'u64' : `${bytes} B`);

/** `hash u32→u32, 1,048,576 entries (1Mi)`, as the run header names a map. */
export function configTitle(c: Configuration): string {
  const perCpu = c.mapType.includes('percpu') ? ' per CPU' : '';
  const size = `${fmtInt(c.entries)} entries (${entriesLabel(c.entries)})${c.maxEntries !== c.entries ? ` of max_entries ${fmtInt(c.maxEntries)}` : ''}`;
  const flags = c.mapFlags ? `, map_flags 0x${c.mapFlags.toString(16)}` : '';
  const who = c.family === 'peers' ? 'peers: ' : '';
  return `${who}${c.mapType} ${sizeName(c.keySize)}→${sizeName(c.valueSize)}${perCpu}, ${size}${flags}`;
}
