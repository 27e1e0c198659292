// Many results, one comparison: run, sweep and peers results (from one
// machine or many), already checked against the JSON contract
// (schema/), merged into one table per configuration with a
// column per result (its machine: kernel, CPU model, read loop), and a
// sentence for every pair of configurations that cannot be compared. Pure
// functions: the CLI reads the files, this decides; fleet-render.ts prints.
//
// What is a configuration: what the kernel is asked to walk (map type, key
// and value size, entries, max_entries, map_flags), and who measured it
// (bpfbench's own run/sweep, or `peers`, which reads one pinned map with
// every implementation in alternation). The chunk and the strategy are the
// rows (`batch(4096)`), so a sweep's chunks and a run's chunk meet in one
// table; the machine and the read loop are the columns.
import { referenceOf, STRATEGIES } from '../../strategies/index.js';
import { configDifferences, configKey, configOrder, configTitle, loopOf, machineKey, machineOf, runConfiguration, type Configuration, type Machine } from './configuration.js';
import { IMPL_LABEL, peersStrategyLabel } from '../rendering/peers-table.js';
import type { LoadedResult } from '../schema/index.js';

type ResultKind = LoadedResult['kind'];

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

const rank = (names: string[], name: string) => {
  const i = names.indexOf(name);
  return i < 0 ? names.length : i;
};
const strategyRank = (name: string) =>
  rank(
    STRATEGIES.map((s) => s.name),
    name,
  );
const implRank = (impl: string) => rank(Object.keys(IMPL_LABEL), impl);

/** `bpfbench (TypeScript), js loop`: a peers row's implementation; bpfbench's own names its loop (rows from before --loop: js). */
export function peerRowName(impl: string, loop: string | undefined): string {
  const name = IMPL_LABEL[impl] ?? impl;
  return impl === 'ts' ? `${name}, ${loop ?? 'js'} loop` : name;
}

const perEntry = (ns: number, entries: number) => ns / Math.max(1, entries);

function observations(r: LoadedResult): Observation[] {
  if (r.kind === 'run') {
    const config = runConfiguration(r.json);
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
      const ref = referenceOf(r.json.points, (q) => q.entries === p.entries && q.verified);
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
          speedup: ref && p.verified ? ref.medianNs / p.medianNs : null,
          ratioToC: null,
          ok: p.verified,
          expectedToFail: false,
        },
      };
    });
  }
  const c = r.json.config;
  const config: Configuration = { family: 'peers', mapType: 'hash', keySize: 4, valueSize: 4, entries: c.entries, maxEntries: c.maxEntries, mapFlags: 0 };
  return r.json.results.flatMap((x) => {
    // A failed row (no read timed) has no figure to place.
    if (x.wallNs === null || x.nsPerEntry === null) return [];
    const ref = referenceOf(r.json.results, (y) => y.impl === x.impl && y.loop === x.loop && y.verified.ok && y.wallNs !== null);
    return [
      {
        config,
        order: [strategyRank(x.strategy), x.strategy, implRank(x.impl), x.impl, x.loop ?? 'js'],
        label: `${peersStrategyLabel(x.strategy, c.chunk)} · ${peerRowName(x.impl, x.loop)}`,
        cell: {
          nsPerEntry: x.nsPerEntry,
          lo: perEntry(x.wallNs.min, x.verified.entries),
          hi: perEntry(x.wallNs.max, x.verified.entries),
          runs: x.runs,
          speedup: ref?.wallNs && x.verified.ok ? ref.wallNs.median / x.wallNs.median : null,
          ratioToC: x.ratioToC,
          ok: x.verified.ok,
          expectedToFail: x.verified.expectedToFail,
        },
      },
    ];
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

/** The results of one side of a pair: `a.json + b.json`. */
const side = (xs: string[]) => xs.join(' + ');

/** One line per pair of tables: the results in one and not the other (a sweep spans sizes), and what differs. */
function incomparable(tables: FleetTable[]): string[] {
  const only = (x: FleetTable, y: FleetTable) => {
    const files = x.columns.map((c) => c.file).filter((f) => !y.columns.some((c) => c.file === f));
    return files.length ? files : x.columns.map((c) => c.file);
  };
  const lines: string[] = [];
  tables.forEach((a, i) => {
    for (const b of tables.slice(i + 1)) lines.push(`${side(only(a, b))} and ${side(only(b, a))}: another configuration (${configDifferences(a.config, b.config).join(', ')})`);
  });
  return lines;
}

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
  return { results: results.length, machines: new Set(results.map((r) => machineKey(machineOf(r)))).size, tables: merged, incomparable: incomparable(merged) };
}
