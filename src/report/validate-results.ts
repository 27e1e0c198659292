// The result files `bpfbench report` reads (run, sweep, peers), checked
// against the JSON contract before anything is merged or drawn: enough for
// everything the report reads, each wrong field one InvalidInputError naming
// the file and the field. Fields that only newer results carry (a loop, the
// kernel's audit and its time, per-call latency, a sweep's fitted model) are
// checked when present and never required.
import { InvalidInputError } from '../errors.js';
import { Fields, isObj, show, type Obj } from './json-fields.js';
import type { PeersResultJson } from './peers.js';
import { SCHEMA_VERSION, type RunResultJson } from './result.js';
import type { SweepResultJson } from './sweep.js';

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

// --- Shapes read leniently: present or not, one or many ------------------------

const PERCENTILES = ['p50', 'p90', 'p99', 'p999', 'max'] as const;
export type Percentile = (typeof PERCENTILES)[number];
export type LatencyPercentiles = Record<Percentile, number>;

/**
 * `results[].callLatency` (when a result carries it): one distribution
 * `{p50, p90, p99, p999, max}` in ns per call, or one per bpf command
 * (`{LOOKUP_BATCH: {p50, …}}`). Returned as named distributions ('' for the single one).
 */
export function callLatencies(v: unknown): { name: string; p: LatencyPercentiles }[] {
  if (!isObj(v)) return [];
  const isDist = (x: unknown): x is LatencyPercentiles => isObj(x) && PERCENTILES.every((k) => typeof x[k] === 'number' && Number.isFinite(x[k]) && x[k] > 0);
  if (isDist(v)) return [{ name: '', p: v }];
  return Object.entries(v)
    .filter((e): e is [string, LatencyPercentiles] => isDist(e[1]))
    .map(([name, p]) => ({ name, p }));
}

/** A peers row's bpf calls of one read: `{countedBy, covers, calls}`, or (results made before the kernel counted peers) the bare `{COMMAND: calls}`. */
export interface PeerCalls {
  calls: Record<string, number>;
  /** 'kernel' or 'self'; null for the bare form, which does not say. */
  countedBy: string | null;
  /** 'read' or 'process' (bpftool: its whole process); null for the bare form. */
  covers: string | null;
}

export function peerCalls(v: unknown): PeerCalls | null {
  if (!isObj(v)) return null;
  if (isObj(v.calls)) return { calls: v.calls as Record<string, number>, countedBy: typeof v.countedBy === 'string' ? v.countedBy : null, covers: typeof v.covers === 'string' ? v.covers : null };
  return { calls: v as Record<string, number>, countedBy: null, covers: null };
}

// --- The contract, by kind -------------------------------------------------------

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
  // Added later: the machine's mitigations, JIT, hypervisor, SMT, clocksource, THP; a calibration's injected slowdown.
  f.optionalObj(ctx, 'machine', 'context.machine', (m) => {
    f.obj(m, 'mitigations', 'context.machine.mitigations');
    f.obj(m, 'bpfJit', 'context.machine.bpfJit');
    f.str(m, 'hypervisor', 'context.machine.hypervisor');
  });
  if (ctx.injectNs !== undefined) f.numOrNull(ctx, 'injectNs', 'context.injectNs');
}

/** What a run's strategy and a peers row both carry: runs, the verdict, the wall times, ns/entry. Returns `verified`. */
function checkMeasured(f: Fields, r: Obj, p: string): Obj {
  f.num(r, 'runs', `${p}.runs`, 1);
  const v = f.obj(r, 'verified', `${p}.verified`);
  f.bool(v, 'ok', `${p}.verified.ok`);
  f.num(v, 'entries', `${p}.verified.entries`, 0);
  const w = f.obj(r, 'wallNs', `${p}.wallNs`);
  for (const k of ['mean', 'sd', 'median', 'min', 'max']) f.num(w, k, `${p}.wallNs.${k}`, 0);
  f.num(r, 'nsPerEntry', `${p}.nsPerEntry`, 0);
  return v;
}

/** A run strategy's kernel audit (`syscalls.audit`) and the time inside bpf(2) it measured (`kernelTime`), when counted. */
function checkAudit(f: Fields, r: Obj, p: string): void {
  f.optionalObj(r, 'syscalls', `${p}.syscalls`, (s) =>
    f.optionalObj(s, 'audit', `${p}.syscalls.audit`, (a) => {
      f.str(a, 'read', `${p}.syscalls.audit.read`);
      f.num(a, 'entries', `${p}.syscalls.audit.entries`, 0);
      // The audit read's own call timings (absent before they were recorded; null when not timed).
      f.optionalObj(a, 'callLatency', `${p}.syscalls.audit.callLatency`, (l) => {
        for (const k of ['p50', 'max', 'count']) f.num(l, k, `${p}.syscalls.audit.callLatency.${k}`, 0);
        if (l.mean !== undefined) f.num(l, 'mean', `${p}.syscalls.audit.callLatency.mean`, 0);
      });
    }),
  );
  f.optionalObj(r, 'kernelTime', `${p}.kernelTime`, (k) => {
    f.numberValues(k, 'nsPerCall', `${p}.kernelTime.nsPerCall`, 0);
    f.num(k, 'fractionOfWall', `${p}.kernelTime.fractionOfWall`, 0);
    f.str(k, 'read', `${p}.kernelTime.read`);
  });
}

/** A sharded read's threads, overlap and shares (`sharded`), when present. */
function checkSharded(f: Fields, r: Obj, p: string): void {
  f.optionalObj(r, 'sharded', `${p}.sharded`, (s) => {
    f.num(s, 'threads', `${p}.sharded.threads`, 1);
    const o = f.obj(s, 'overlap', `${p}.sharded.overlap`);
    for (const k of ['entries', 'calls', 'mismatched']) f.num(o, k, `${p}.sharded.overlap.${k}`, 0);
    const per = f.obj(s, 'perShard', `${p}.sharded.perShard`);
    for (const k of ['entries', 'calls', 'ns']) f.numbers(per, k, `${p}.sharded.perShard.${k}`);
  });
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
    const v = checkMeasured(f, r, p);
    f.optionalBoolOrNull(v, 'keySumOk', `${p}.verified.keySumOk`);
    f.optionalBoolOrNull(v, 'checksumOk', `${p}.verified.checksumOk`);
    checkAudit(f, r, p);
    checkSharded(f, r, p);
    // Added later: what disturbed each timed read.
    if (r.noise !== undefined)
      f.objects(r, 'noise', `${p}.noise`, (n, q) => {
        f.num(n, 'stealNs', `${q}.stealNs`, 0);
        f.num(n, 'involuntarySwitches', `${q}.involuntarySwitches`, 0);
        f.numOrNull(n, 'migrations', `${q}.migrations`);
        f.bool(n, 'disturbed', `${q}.disturbed`);
      }, false);
    if (r.callLatency !== undefined && callLatencies(r.callLatency).length === 0) f.fail(`${p}.callLatency`, 'holds no {p50, p90, p99, p999, max} in ns');
    if (isObj(r.callLatency) && r.callLatency.mean !== undefined) f.num(r.callLatency, 'mean', `${p}.callLatency.mean`, 0);
  });
  const s = f.obj(root, 'summary', 'summary');
  f.bool(s, 'ok', 'summary.ok');
  f.numberValues(s, 'speedup', 'summary.speedup', 0);
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
  // fits[]: the cost model the page draws (absent in sweeps from before the fit).
  if (root.fits !== undefined) {
    f.objects(root, 'fits', 'fits', (m, path) => {
      f.num(m, 'entries', `${path}.entries`, 0);
      f.str(m, 'strategy', `${path}.strategy`);
      f.num(m, 'perEntryNs', `${path}.perEntryNs`);
      f.num(m, 'perCallNs', `${path}.perCallNs`);
    }, false);
  }
}

/** A peers row's bpf calls: the kernel's count `{countedBy, covers, calls}`, or the bare `{COMMAND: calls}` of older results. */
function checkPeerCalls(f: Fields, r: Obj, p: string): void {
  f.optionalObj(r, 'bpfCalls', `${p}.bpfCalls`, (b) => {
    if (b.calls === undefined) {
      f.numberValues(r, 'bpfCalls', `${p}.bpfCalls`, 0);
    } else {
      f.str(b, 'countedBy', `${p}.bpfCalls.countedBy`);
      f.str(b, 'covers', `${p}.bpfCalls.covers`);
      f.numberValues(b, 'calls', `${p}.bpfCalls.calls`, 0);
    }
  });
}

function checkPeers(f: Fields, root: Obj): void {
  const c = f.obj(root, 'config', 'config');
  for (const k of ['entries', 'maxEntries', 'chunk']) f.num(c, k, `config.${k}`, 0);
  f.strings(c, 'strategies', 'config.strategies');
  f.strings(c, 'impls', 'config.impls');
  if (c.loops !== undefined) f.strings(c, 'loops', 'config.loops');
  f.objects(root, 'results', 'results', (r, p) => {
    f.str(r, 'impl', `${p}.impl`);
    f.str(r, 'strategy', `${p}.strategy`);
    f.optionalStr(r, 'loop', `${p}.loop`);
    // A failed row (its one line in `error`) timed no read: no runs, no wall times.
    const failed = typeof r.error === 'string' && r.runs === 0;
    const v = failed ? f.obj(r, 'verified', `${p}.verified`) : checkMeasured(f, r, p);
    if (failed) f.bool(v, 'ok', `${p}.verified.ok`);
    f.bool(v, 'expectedToFail', `${p}.verified.expectedToFail`);
    f.num(v, 'distinct', `${p}.verified.distinct`, 0);
    f.numOrNull(r, 'ratioToC', `${p}.ratioToC`);
    checkPeerCalls(f, r, p);
  });
  // Added later: peers --gate's decision.
  f.optionalObj(root, 'gate', 'gate', (g) => {
    f.num(g, 'threshold', 'gate.threshold', 0);
    f.num(g, 'rounds', 'gate.rounds', 0);
    f.str(g, 'verdict', 'gate.verdict');
    f.objects(g, 'rows', 'gate.rows', (x, q) => {
      f.str(x, 'strategy', `${q}.strategy`);
      f.optionalObj(x, 'decision', `${q}.decision`, (d) => f.str(d, 'verdict', `${q}.decision.verdict`));
    }, false);
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
  if (!isObj(json)) throw new InvalidInputError(`${file}: not a bpfbench result (a JSON object with schemaVersion ${SCHEMA_VERSION})`);
  const root = json;
  if (root.schemaVersion === undefined) throw new InvalidInputError(`${file}: no schemaVersion: not a bpfbench result`);
  if (root.schemaVersion !== SCHEMA_VERSION) throw new InvalidInputError(`${file}: schemaVersion ${show(root.schemaVersion)}: this bpfbench reads schemaVersion ${SCHEMA_VERSION}`);
  const kind = root.kind ?? 'run';
  if (kind !== 'run' && kind !== 'sweep' && kind !== 'peers') throw new InvalidInputError(`${file}: kind ${show(kind)}: bpfbench report reads run, sweep and peers results`);
  checkCommon(f, root);
  if (kind === 'run') {
    checkRun(f, root);
    return { file, kind, json: json as unknown as RunResultJson };
  }
  if (kind === 'sweep') {
    checkSweep(f, root);
    return { file, kind, json: json as unknown as SweepResultJson };
  }
  checkPeers(f, root);
  return { file, kind, json: json as unknown as PeersResultJson };
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
