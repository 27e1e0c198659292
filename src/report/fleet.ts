// Many results, one comparison: run, sweep and peers results (from one
// machine or many) checked against the JSON contract, then merged into one
// table per configuration with a column per result (its machine: kernel, CPU
// model, read loop), and a sentence for every pair of configurations that
// cannot be compared. Pure functions: the CLI reads the files, this decides.
//
// What is a configuration: what the kernel is asked to walk (map type, key
// and value size, entries, max_entries, map_flags), and who measured it
// (bpfbench's own run/sweep, or `peers`, which reads one pinned map with
// every implementation in alternation). The chunk and the strategy are the
// rows (`batch(4096)`), so a sweep's chunks and a run's chunk meet in one
// table; the machine and the read loop are the columns.
import { InvalidInputError } from '../errors.js';
import { strategyByName, strategyLabel, STRATEGIES } from '../strategies/index.js';
import { paint } from './color.js';
import { entriesLabel } from './export.js';
import { fmtInt, fmtNsPerEntry, fmtRatio } from './format.js';
import type { PeersResultJson } from './peers.js';
import { SCHEMA_VERSION, type RunResultJson } from './result.js';
import type { SweepResultJson } from './sweep.js';
import { compactTable } from './table.js';

export type ResultKind = 'run' | 'sweep' | 'peers';

/** A result file as read: its name, and its parsed JSON (not yet checked). */
export interface ResultFile {
  file: string;
  json: unknown;
}

/** A result checked against the JSON contract, by kind. */
export type LoadedResult =
  | { file: string; kind: 'run'; json: RunResultJson }
  | { file: string; kind: 'sweep'; json: SweepResultJson }
  | { file: string; kind: 'peers'; json: PeersResultJson };

// --- Validation: one line naming the file and the field ----------------------

type Obj = Record<string, unknown>;

const show = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

/** Reads fields of one file's JSON by path (`results[2].wallNs.median`); a wrong one is an InvalidInputError naming file and path. */
class Fields {
  constructor(readonly file: string) {}

  fail(path: string, what: string): never {
    throw new InvalidInputError(`${this.file}: ${path} ${what}`);
  }

  private value(o: Obj, key: string, path: string): unknown {
    if (!(key in o) || o[key] === undefined) this.fail(path, 'is missing');
    return o[key];
  }

  obj(o: Obj, key: string, path: string): Obj {
    const v = this.value(o, key, path);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, `is not an object (found ${show(v)})`);
    return v as Obj;
  }

  num(o: Obj, key: string, path: string, min = -Infinity): number {
    const v = this.value(o, key, path);
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, `is not a number (found ${show(v)})`);
    if (v < min) this.fail(path, `is ${v}, below ${min}`);
    return v;
  }

  numOrNull(o: Obj, key: string, path: string): number | null {
    return o[key] === null ? null : this.num(o, key, path);
  }

  str(o: Obj, key: string, path: string): string {
    const v = this.value(o, key, path);
    if (typeof v !== 'string') this.fail(path, `is not a string (found ${show(v)})`);
    return v;
  }

  bool(o: Obj, key: string, path: string): boolean {
    const v = this.value(o, key, path);
    if (typeof v !== 'boolean') this.fail(path, `is not true or false (found ${show(v)})`);
    return v;
  }

  arr(o: Obj, key: string, path: string, nonEmpty = false): unknown[] {
    const v = this.value(o, key, path);
    if (!Array.isArray(v)) this.fail(path, `is not an array (found ${show(v)})`);
    if (nonEmpty && v.length === 0) this.fail(path, 'is empty');
    return v;
  }

  /** Each element an object, handed to `each` with its path. */
  objects(o: Obj, key: string, path: string, each: (x: Obj, path: string) => void, nonEmpty = true): void {
    this.arr(o, key, path, nonEmpty).forEach((x, i) => {
      const p = `${path}[${i}]`;
      if (typeof x !== 'object' || x === null || Array.isArray(x)) this.fail(p, `is not an object (found ${show(x)})`);
      each(x as Obj, p);
    });
  }

  strings(o: Obj, key: string, path: string): void {
    this.arr(o, key, path).forEach((x, i) => typeof x === 'string' || this.fail(`${path}[${i}]`, `is not a string (found ${show(x)})`));
  }

  numbers(o: Obj, key: string, path: string): void {
    this.arr(o, key, path, true).forEach((x, i) => (typeof x === 'number' && Number.isFinite(x)) || this.fail(`${path}[${i}]`, `is not a number (found ${show(x)})`));
  }

  /** A field read only when present (newer results carry it; older ones do not). */
  optionalStr(o: Obj, key: string, path: string): void {
    if (o[key] !== undefined) this.str(o, key, path);
  }
}

const PERCENTILES = ['p50', 'p90', 'p99', 'p999', 'max'] as const;
export type Percentile = (typeof PERCENTILES)[number];
export type LatencyPercentiles = Record<Percentile, number>;

/**
 * `results[].callLatency` (when a result carries it): one distribution
 * `{p50, p90, p99, p999, max}` in ns per call, or one per bpf command
 * (`{LOOKUP_BATCH: {p50, …}}`). Returned as named distributions ('' for the single one).
 */
export function callLatencies(v: unknown): { name: string; p: LatencyPercentiles }[] {
  if (typeof v !== 'object' || v === null) return [];
  const isDist = (x: unknown): x is LatencyPercentiles =>
    typeof x === 'object' && x !== null && PERCENTILES.every((k) => typeof (x as Obj)[k] === 'number' && Number.isFinite((x as Obj)[k]) && ((x as Obj)[k] as number) > 0);
  if (isDist(v)) return [{ name: '', p: v }];
  return Object.entries(v as Obj)
    .filter((e): e is [string, LatencyPercentiles] => isDist(e[1]))
    .map(([name, p]) => ({ name, p }));
}

/** What every kind carries: who made it, when, where. */
function checkCommon(f: Fields, root: Obj): void {
  const tool = f.obj(root, 'tool', 'tool');
  f.str(tool, 'name', 'tool.name');
  f.str(tool, 'version', 'tool.version');
  f.str(root, 'createdAt', 'createdAt');
  const ctx = f.obj(root, 'context', 'context');
  for (const k of ['kernel', 'cpuModel', 'node', 'koffi', 'libbpf']) f.str(ctx, k, `context.${k}`);
  f.num(ctx, 'cpus', 'context.cpus', 1);
  f.num(ctx, 'memTotalBytes', 'context.memTotalBytes', 0);
}

function checkWall(f: Fields, o: Obj, path: string): void {
  const w = f.obj(o, 'wallNs', `${path}.wallNs`);
  for (const k of ['mean', 'sd', 'median', 'min', 'max']) f.num(w, k, `${path}.wallNs.${k}`, 0);
}

function checkRun(f: Fields, root: Obj): void {
  const c = f.obj(root, 'config', 'config');
  f.str(c, 'mapType', 'config.mapType');
  for (const k of ['keySize', 'valueSize', 'entries', 'maxEntries', 'chunk']) f.num(c, k, `config.${k}`, 0);
  f.num(c, 'mapFlags', 'config.mapFlags', 0);
  f.strings(c, 'strategies', 'config.strategies');
  f.optionalStr(c, 'loop', 'config.loop');
  f.objects(root, 'results', 'results', (r, p) => {
    f.str(r, 'strategy', `${p}.strategy`);
    f.str(r, 'label', `${p}.label`);
    f.numOrNull(r, 'chunk', `${p}.chunk`);
    f.num(r, 'runs', `${p}.runs`, 1);
    const v = f.obj(r, 'verified', `${p}.verified`);
    f.bool(v, 'ok', `${p}.verified.ok`);
    f.num(v, 'entries', `${p}.verified.entries`, 0);
    checkWall(f, r, p);
    f.num(r, 'nsPerEntry', `${p}.nsPerEntry`, 0);
    if (r.callLatency !== undefined && callLatencies(r.callLatency).length === 0) f.fail(`${p}.callLatency`, 'holds no {p50, p90, p99, p999, max} in ns');
  });
  const s = f.obj(root, 'summary', 'summary');
  f.bool(s, 'ok', 'summary.ok');
  const speedup = f.obj(s, 'speedup', 'summary.speedup');
  for (const k of Object.keys(speedup)) f.num(speedup, k, `summary.speedup.${k}`, 0);
  const mean = f.obj(s, 'speedupMean', 'summary.speedupMean');
  for (const k of Object.keys(mean)) {
    const m = f.obj(mean, k, `summary.speedupMean.${k}`);
    f.num(m, 'x', `summary.speedupMean.${k}.x`, 0);
    f.numOrNull(m, 'sd', `summary.speedupMean.${k}.sd`);
  }
  f.str(s, 'line', 'summary.line');
  f.strings(root, 'warnings', 'warnings');
}

function checkSweep(f: Fields, root: Obj): void {
  const c = f.obj(root, 'config', 'config');
  f.numbers(c, 'entries', 'config.entries');
  f.numbers(c, 'chunks', 'config.chunks');
  f.strings(c, 'strategies', 'config.strategies');
  f.str(c, 'mapType', 'config.mapType');
  f.optionalStr(c, 'loop', 'config.loop');
  f.objects(root, 'points', 'points', (p, path) => {
    f.num(p, 'entries', `${path}.entries`, 0);
    f.num(p, 'maxEntries', `${path}.maxEntries`, 0);
    f.str(p, 'strategy', `${path}.strategy`);
    f.str(p, 'label', `${path}.label`);
    f.numOrNull(p, 'chunk', `${path}.chunk`);
    f.num(p, 'runs', `${path}.runs`, 1);
    f.num(p, 'medianNs', `${path}.medianNs`, 0);
    f.num(p, 'sdNs', `${path}.sdNs`, 0);
    f.num(p, 'nsPerEntry', `${path}.nsPerEntry`, 0);
    f.bool(p, 'verified', `${path}.verified`);
  });
  if (root.model !== undefined) {
    f.objects(root, 'model', 'model', (m, path) => {
      f.num(m, 'entries', `${path}.entries`, 0);
      f.optionalStr(m, 'strategy', `${path}.strategy`);
      f.num(m, 'perEntryNs', `${path}.perEntryNs`);
      f.num(m, 'perCallNs', `${path}.perCallNs`);
    }, false);
  }
}

function checkPeers(f: Fields, root: Obj): void {
  const c = f.obj(root, 'config', 'config');
  for (const k of ['entries', 'maxEntries', 'chunk']) f.num(c, k, `config.${k}`, 0);
  f.strings(c, 'strategies', 'config.strategies');
  f.strings(c, 'impls', 'config.impls');
  f.objects(root, 'results', 'results', (r, p) => {
    f.str(r, 'impl', `${p}.impl`);
    f.str(r, 'strategy', `${p}.strategy`);
    f.optionalStr(r, 'loop', `${p}.loop`);
    f.num(r, 'runs', `${p}.runs`, 1);
    const v = f.obj(r, 'verified', `${p}.verified`);
    f.bool(v, 'ok', `${p}.verified.ok`);
    f.bool(v, 'expectedToFail', `${p}.verified.expectedToFail`);
    f.num(v, 'entries', `${p}.verified.entries`, 0);
    f.num(v, 'distinct', `${p}.verified.distinct`, 0);
    checkWall(f, r, p);
    f.num(r, 'nsPerEntry', `${p}.nsPerEntry`, 0);
    f.numOrNull(r, 'ratioToC', `${p}.ratioToC`);
  });
  f.objects(root, 'skipped', 'skipped', (s, p) => {
    f.str(s, 'impl', `${p}.impl`);
    f.str(s, 'why', `${p}.why`);
  }, false);
}

/**
 * Checks one file's JSON against the contract, enough for everything the
 * report reads: a wrong file is one InvalidInputError naming it and the field.
 */
export function validateResult(file: string, json: unknown): LoadedResult {
  const f = new Fields(file);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidInputError(`${file}: not a bpfbench result (a JSON object with schemaVersion ${SCHEMA_VERSION})`);
  const root = json as Obj;
  if (root.schemaVersion === undefined) throw new InvalidInputError(`${file}: no schemaVersion: not a bpfbench result`);
  if (root.schemaVersion !== SCHEMA_VERSION) throw new InvalidInputError(`${file}: schemaVersion ${show(root.schemaVersion)}: this bpfbench reads schemaVersion ${SCHEMA_VERSION}`);
  const kind = root.kind ?? 'run';
  if (kind !== 'run' && kind !== 'sweep' && kind !== 'peers') throw new InvalidInputError(`${file}: kind ${show(kind)}: bpfbench report reads run, sweep and peers results`);
  checkCommon(f, root);
  if (kind === 'run') {
    checkRun(f, root);
    return { file, kind, json: json as RunResultJson };
  }
  if (kind === 'sweep') {
    checkSweep(f, root);
    return { file, kind, json: json as SweepResultJson };
  }
  checkPeers(f, root);
  return { file, kind, json: json as PeersResultJson };
}

/** Parses and checks one file's text: bad JSON is an InvalidInputError naming the file. */
export function parseResult(file: string, text: string): LoadedResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError(`${file}: not JSON (${(e as Error).message})`);
  }
  return validateResult(file, json);
}

// --- What was measured, where ------------------------------------------------

/** Where a result's reads ran: config.loop, or 'js' for results made before --loop (the js loop made them); null for peers (per row). */
export function loopOf(r: LoadedResult): string | null {
  if (r.kind === 'peers') return null;
  return (r.json.config as { loop?: string }).loop ?? 'js';
}

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
  const model = m.cpuModel.replace(/\((R|TM|tm|r)\)/g, '').replace(/\b(CPU|Processor)\b/g, '').replace(/\s+/g, ' ').trim();
  return `${model} ×${m.cpus}`;
}

export const machineKey = (m: Machine) => `${m.kernel}\u0000${m.cpuModel}\u0000${m.cpus}`;

export interface Configuration {
  /** bpfbench's own reads (run, sweep) or every implementation on one pinned map (peers). */
  family: 'bpfbench' | 'peers';
  mapType: string;
  keySize: number;
  valueSize: number;
  entries: number;
  maxEntries: number;
  mapFlags: number;
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

const configKey = (c: Configuration) => CONFIG_FIELDS.map((f) => String(c[f.key])).join('\u0000');

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
  const size = `${fmtInt(c.entries)} entries (${entriesLabel(c.entries)})` + (c.maxEntries !== c.entries ? ` of max_entries ${fmtInt(c.maxEntries)}` : '');
  const flags = c.mapFlags ? `, map_flags 0x${c.mapFlags.toString(16)}` : '';
  const who = c.family === 'peers' ? 'peers: ' : '';
  return `${who}${c.mapType} ${sizeName(c.keySize)}→${sizeName(c.valueSize)}${perCpu}, ${size}${flags}`;
}

// --- The merge ---------------------------------------------------------------

/** One measured strategy of one result, in the form every kind shares. */
export interface Cell {
  nsPerEntry: number;
  /** ns/entry of the fastest and the slowest run (wallNs min/max per entry). */
  lo: number;
  hi: number;
  runs: number;
  /** Median elem time / median time, same result (and implementation); null without elem. */
  speedup: number | null;
  /** peers: median time over C's, same strategy. */
  ratioToC: number | null;
  ok: boolean;
  expectedToFail: boolean;
}

export interface FleetColumn {
  file: string;
  kind: ResultKind;
  machine: Machine;
  /** The read loop of the whole result (run, sweep); null for peers (each row says). */
  loop: string | null;
}

export interface FleetRow {
  label: string;
  cells: (Cell | null)[];
}

export interface FleetTable {
  config: Configuration;
  title: string;
  columns: FleetColumn[];
  rows: FleetRow[];
}

export interface Fleet {
  results: number;
  machines: number;
  tables: FleetTable[];
  /** One line per pair of configurations: which results cannot be compared, and why. */
  incomparable: string[];
}

/** One row's worth of one result before the merge. */
interface Observation {
  config: Configuration;
  /** Orders rows: family, strategy, chunk, implementation. */
  order: (number | string)[];
  label: string;
  cell: Cell;
}

const strategyRank = (name: string) => {
  const i = STRATEGIES.findIndex((s) => s.name === name);
  return i < 0 ? STRATEGIES.length : i;
};

/** The peers' implementations, C (the floor) first; the names `bpfbench peers` prints. */
export const IMPLS: Record<string, string> = { c: 'C, raw syscalls', ts: 'bpfbench (TypeScript)', go: 'Go, cilium/ebpf', bpftool: 'bpftool map dump' };
const implRank = (impl: string) => {
  const i = Object.keys(IMPLS).indexOf(impl);
  return i < 0 ? Object.keys(IMPLS).length : i;
};

/** `bpfbench (TypeScript), js loop`: bpfbench's own row names its loop (rows from before --loop: js). */
export function implLabel(impl: string, loop: string | undefined): string {
  const name = IMPLS[impl] ?? impl;
  return impl === 'ts' ? `${name}, ${loop ?? 'js'} loop` : name;
}

/** `batch(4096)`, as `run` labels it; a name bpfbench does not know, as it is. */
export function peersStrategyLabel(strategy: string, chunk: number): string {
  const s = strategyByName(strategy);
  return s ? strategyLabel(s, chunk) : strategy;
}

const perEntry = (ns: number, entries: number) => ns / Math.max(1, entries);

function observations(r: LoadedResult): Observation[] {
  if (r.kind === 'run') {
    const c = r.json.config;
    const config: Configuration = { family: 'bpfbench', mapType: c.mapType, keySize: c.keySize, valueSize: c.valueSize, entries: c.entries, maxEntries: c.maxEntries, mapFlags: c.mapFlags };
    return r.json.results.map((s) => ({
      config,
      order: [strategyRank(s.strategy), s.strategy, s.chunk ?? 0],
      label: s.label,
      cell: {
        nsPerEntry: s.nsPerEntry,
        lo: perEntry(s.wallNs.min, s.verified.entries),
        hi: perEntry(s.wallNs.max, s.verified.entries),
        runs: s.runs,
        speedup: r.json.summary.speedup[s.strategy] ?? null,
        ratioToC: null,
        ok: s.verified.ok,
        expectedToFail: s.verified.expectedToFail === true,
      },
    }));
  }
  if (r.kind === 'sweep') {
    const c = r.json.config;
    return r.json.points.map((p) => {
      const elem = r.json.points.find((q) => q.entries === p.entries && q.strategy === 'elem' && q.verified);
      return {
        config: { family: 'bpfbench', mapType: c.mapType, keySize: 4, valueSize: 4, entries: p.entries, maxEntries: p.maxEntries, mapFlags: 0 },
        order: [strategyRank(p.strategy), p.strategy, p.chunk ?? 0],
        label: p.label,
        cell: {
          nsPerEntry: p.nsPerEntry,
          // A sweep keeps the median and σ of each point, not its extremes.
          lo: p.nsPerEntry,
          hi: p.nsPerEntry,
          runs: p.runs,
          speedup: elem && p.verified ? elem.medianNs / p.medianNs : null,
          ratioToC: null,
          ok: p.verified,
          expectedToFail: false,
        },
      };
    });
  }
  const c = r.json.config;
  const config: Configuration = { family: 'peers', mapType: 'hash', keySize: 4, valueSize: 4, entries: c.entries, maxEntries: c.maxEntries, mapFlags: 0 };
  return r.json.results.map((x) => {
    const loop = (x as { loop?: string }).loop;
    const elem = r.json.results.find((y) => y.impl === x.impl && y.strategy === 'elem' && (y as { loop?: string }).loop === loop && y.verified.ok);
    return {
      config,
      order: [strategyRank(x.strategy), x.strategy, implRank(x.impl), x.impl, loop ?? 'js'],
      label: `${peersStrategyLabel(x.strategy, c.chunk)} · ${implLabel(x.impl, loop)}`,
      cell: {
        nsPerEntry: x.nsPerEntry,
        lo: perEntry(x.wallNs.min, x.verified.entries),
        hi: perEntry(x.wallNs.max, x.verified.entries),
        runs: x.runs,
        speedup: elem && x.verified.ok ? elem.wallNs.median / x.wallNs.median : null,
        ratioToC: x.ratioToC,
        ok: x.verified.ok,
        expectedToFail: x.verified.expectedToFail,
      },
    };
  });
}

const compareOrder = (a: (number | string)[], b: (number | string)[]) => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
};

const configOrder = (c: Configuration): (number | string)[] => [c.family === 'bpfbench' ? 0 : 1, c.mapType, c.keySize, c.valueSize, c.entries, c.maxEntries, c.mapFlags];

/** The results of one side of a pair: `a.json + b.json`. */
const side = (xs: string[]) => xs.join(' + ');

/**
 * The merge: a table per configuration (rows: strategies; a column per
 * result, i.e. per machine and loop), and why the others cannot be compared.
 */
export function mergeResults(results: LoadedResult[]): Fleet {
  const tables = new Map<string, { config: Configuration; columns: FleetColumn[]; rows: Map<string, { label: string; order: (number | string)[]; cells: Map<number, Cell> }> }>();
  results.forEach((r) => {
    const column: FleetColumn = { file: r.file, kind: r.kind, machine: machineOf(r), loop: loopOf(r) };
    for (const o of observations(r)) {
      const key = configKey(o.config);
      let t = tables.get(key);
      if (!t) tables.set(key, (t = { config: o.config, columns: [], rows: new Map() }));
      let col = t.columns.indexOf(column);
      if (col < 0) col = t.columns.push(column) - 1;
      let row = t.rows.get(o.label);
      if (!row) t.rows.set(o.label, (row = { label: o.label, order: o.order, cells: new Map() }));
      row.cells.set(col, o.cell);
    }
  });
  const merged: FleetTable[] = [...tables.values()]
    .sort((a, b) => compareOrder(configOrder(a.config), configOrder(b.config)))
    .map((t) => ({
      config: t.config,
      title: configTitle(t.config),
      columns: t.columns,
      rows: [...t.rows.values()].sort((a, b) => compareOrder(a.order, b.order)).map((r) => ({ label: r.label, cells: t.columns.map((_, i) => r.cells.get(i) ?? null) })),
    }));
  const incomparable: string[] = [];
  for (let i = 0; i < merged.length; i++) {
    for (let j = i + 1; j < merged.length; j++) {
      const a = merged[i]!;
      const b = merged[j]!;
      // Name the results that are in one table and not the other (a sweep spans sizes).
      const only = (x: FleetTable, y: FleetTable) => {
        const files = x.columns.map((c) => c.file).filter((f) => !y.columns.some((c) => c.file === f));
        return files.length ? files : x.columns.map((c) => c.file);
      };
      const why = configDifferences(a.config, b.config);
      incomparable.push(`${side(only(a, b))} and ${side(only(b, a))}: another configuration (${why.join(', ')})`);
    }
  }
  return { results: results.length, machines: new Set(results.map((r) => machineKey(machineOf(r)))).size, tables: merged, incomparable };
}

// --- Rendering -----------------------------------------------------------------

/** The head of a column: the file, the kernel, the CPU, the loop. */
export function columnHead(c: FleetColumn): string[] {
  return [c.file, c.machine.kernel, cpuLabel(c.machine), c.loop === null ? 'loop per row' : `loop ${c.loop}`];
}

export const cellFailed = (cell: Cell) => (cell.ok ? null : cell.expectedToFail ? 'FAILED*' : 'FAILED');

/** The figures a table shows per result: ns/entry and × elem, and × C for peers. */
export function cellFigures(t: FleetTable, cell: Cell): string[] {
  const out = [fmtNsPerEntry(cell.nsPerEntry), cell.speedup === null ? '—' : fmtRatio(cell.speedup)];
  if (t.config.family === 'peers') out.push(cell.ratioToC === null ? '—' : fmtRatio(cell.ratioToC));
  return out;
}

export function figureNames(t: FleetTable): string[] {
  return t.config.family === 'peers' ? ['ns/entry', '× elem', '× C'] : ['ns/entry', '× elem'];
}

const NOTES = {
  speedup: '× elem: median elem time / median time, in the same result (peers: the same implementation); ns/entry: median',
  failed: '* the published loop: its failed verification is expected',
};

function tableNotes(t: FleetTable): string[] {
  const notes: string[] = [];
  const machines = new Set(t.columns.map((c) => machineKey(c.machine)));
  if (machines.size > 1) notes.push(`${machines.size} machines: the columns differ in kernel or CPU as well as in the figures`);
  const loops = new Set(t.columns.map((c) => c.loop).filter((l) => l !== null));
  if (loops.size > 1) notes.push(`read loops ${[...loops].join(' and ')}: a native loop makes one call into C per read, js one per syscall`);
  return notes;
}

/** The merged tables, for a terminal. */
export function renderFleet(f: Fleet, opts: { color: boolean }): string {
  const c = paint(opts.color);
  const out: string[] = [c.bold(`bpfbench report: ${f.results} result${f.results === 1 ? '' : 's'} from ${f.machines} machine${f.machines === 1 ? '' : 's'}, ${f.tables.length} configuration${f.tables.length === 1 ? '' : 's'}`)];
  let anyExpected = false;
  for (const t of f.tables) {
    const names = figureNames(t);
    // Per column, the width of each figure, so the figures line up under their names.
    const widths = t.columns.map((_, i) => names.map((n, k) => Math.max(n.length, ...t.rows.map((r) => (r.cells[i] ? cellFigures(t, r.cells[i]!)[k]!.length : 0)))));
    const join = (i: number, xs: string[]) => xs.map((x, k) => x.padStart(widths[i]![k]!)).join('  ');
    const head = [`${'\n'.repeat(columnHead(t.columns[0]!).length)}strategy`, ...t.columns.map((col, i) => [...columnHead(col), join(i, names)].join('\n'))];
    const rows = t.rows.map((r) => [
      r.label,
      ...r.cells.map((cell, i) => {
        if (!cell) return c.dim('—');
        const failed = cellFailed(cell);
        if (failed) {
          anyExpected ||= cell.expectedToFail;
          return cell.expectedToFail ? c.yellow(failed) : c.red.bold(failed);
        }
        return join(i, cellFigures(t, cell));
      }),
    ]);
    out.push('', c.bold(t.title), compactTable(head, ['left', ...t.columns.map(() => 'right' as const)], rows, c));
    for (const n of tableNotes(t)) out.push(c.dim(n));
  }
  out.push('', c.dim(NOTES.speedup));
  if (anyExpected) out.push(c.dim(NOTES.failed));
  if (f.incomparable.length) {
    out.push('', c.bold('Not compared (another configuration):'));
    for (const line of f.incomparable) out.push(`  ${line}`);
  }
  return out.join('\n');
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|');

/** The merged tables as Markdown. */
export function fleetMarkdown(f: Fleet): string {
  const lines: string[] = [`### bpfbench report: ${f.results} results from ${f.machines} machine${f.machines === 1 ? '' : 's'}`];
  for (const t of f.tables) {
    lines.push('', `#### ${t.title}`, '');
    lines.push(`| strategy | ${t.columns.map((col) => columnHead(col).map(mdCell).join('<br>')).join(' | ')} |`);
    lines.push(`|---|${t.columns.map(() => '---:').join('|')}|`);
    for (const r of t.rows) {
      const cells = r.cells.map((cell) => (!cell ? '—' : (cellFailed(cell) ?? cellFigures(t, cell).map((x, k) => (k === 0 ? `${x} ns` : `${x}${k === 2 ? ' C' : ''}`)).join(' · '))));
      lines.push(`| ${mdCell(r.label)} | ${cells.join(' | ')} |`);
    }
    const notes = tableNotes(t);
    if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));
  }
  lines.push('', `Each cell: ${figureNames(f.tables.find((t) => t.config.family === 'peers') ?? f.tables[0]!).join(' · ')}. ${NOTES.speedup}.`);
  if (f.tables.some((t) => t.rows.some((r) => r.cells.some((c) => c && !c.ok && c.expectedToFail)))) lines.push('', NOTES.failed);
  if (f.incomparable.length) lines.push('', 'Not compared (another configuration):', '', ...f.incomparable.map((l) => `- ${l}`));
  return `${lines.join('\n')}\n`;
}
