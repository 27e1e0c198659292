// Comparing a result with a baseline, for CI: a pure function from two
// results to rows with a mark each, and the verdict. Gates, in order:
//   1. every read verified, and every row of the baseline present;
//   2. deterministic counts equal (bpf calls per command; batch calls exact
//      only when both maps had a fixed bucket layout, BPF_F_ZERO_SEED, else
//      within ±1 %), and allocated bytes per entry;
//   3. ratios measured inside one run (each strategy's speedup over elem; a
//      peers row's ratio to C), the change with its 95 % interval (a seeded
//      bootstrap over the per-read times) and a verdict: regressed,
//      improved, unchanged or undecided against the threshold;
//   4. ns/entry against the baseline, the same way: gating only with
//      strictTime.
// Two results are comparable when their configurations match (map, sizes,
// entries, flags, fill, chunk, loop, strategies). The machine is what
// changed: another kernel keeps every gate; another CPU model, CPU count or
// set of mitigations keeps gates 1 and 2, and the speed gates (3, 4) only
// with acrossMachines.
import { MapFlag } from '../../bpf/syscall/constants.js';
import { BOOTSTRAP_METHOD, bootstrap, decideChange, medianOf, moreReads, type ChangeVerdict, type Interval } from '../../harness/measuring/stats.js';
import type { MachineFacts, RunContext } from '../../harness/measuring/context.js';
import { hasExactCalls, isReference, REFERENCE, referenceOf } from '../../strategies/index.js';
import { paint } from '../formats/color.js';
import type { PeersResultJson } from '../result/peers-result.js';
import { loopOf, type RunResultJson } from '../result/run-json.js';
import { compactTable } from '../rendering/table.js';

/** `+` worse, `-` better, `~` within noise (or a machine change), `?` undecided, `x` not comparable. */
export type Mark = '+' | '-' | '~' | '?' | 'x';

/** A speed gate's change (positive = worse) with its 95 % interval and verdict. */
export interface ChangeJson extends Interval {
  verdict: ChangeVerdict;
  /** Undecided: roughly how many more reads per side would decide it (null: the estimate sits on the threshold). */
  moreReads: number | null;
}

export interface CompareRow {
  gate: 0 | 1 | 2 | 3 | 4;
  figure: string;
  baseline: string;
  current: string;
  mark: Mark;
  /** A `+` (or `?`) here fails the comparison. */
  gating: boolean;
  /** Speed gates (3, 4): the change, its interval and the verdict. */
  change?: ChangeJson;
}

export interface CompareOptions {
  /** Relative threshold, 0.05 = 5 %. */
  threshold: number;
  strictTime?: boolean;
  lenient?: boolean;
  /** Speed gates also between results of another CPU model, CPU count or mitigations. */
  acrossMachines?: boolean;
  /** Speed gates reported only (the CI job's peers baseline: its speed gate is the ratio measured in the same run). */
  noSpeedGates?: boolean;
}

export type CompareVerdict = 'not comparable' | 'regression' | 'undecided' | 'no regression';

export interface Comparison {
  rows: CompareRow[];
  comparable: boolean;
  regression: boolean;
  /** A gating speed gate could not decide (exit 4 unless something regressed). */
  undecided: boolean;
  verdict: CompareVerdict;
  /** Whether gates 3 and 4 gate, and why not (one line), else null. */
  speedGates: { applied: boolean; why: string | null };
  /** How the speed gates' intervals are computed. */
  method: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const sgn = (x: number) => `${x >= 0 ? '+' : ''}${pct(x)}`;
export const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** What must match for two run results to be compared: the configuration. */
function runConfiguration(r: RunResultJson): Record<string, string> {
  const c = r.config;
  return {
    map: `${c.mapType} ${c.keySize}/${c.valueSize} ${c.entries} of ${c.maxEntries} flags 0x${c.mapFlags.toString(16)}`,
    fill: String(c.fill ?? 'unknown'),
    chunk: String(c.chunk),
    strategies: c.strategies.join(','),
    loop: loopOf(r),
  };
}

const mitigationsText = (m: MachineFacts | undefined) =>
  m
    ? Object.entries(m.mitigations)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ') || 'none listed'
    : 'not recorded';

/** Machine facts that change the speed of a read; `voids`: the speed gates need --across-machines when it differs. */
function machineOf(ctx: Pick<RunContext, 'kernel' | 'cpuModel'> & Partial<RunContext>): { figure: string; value: string; voids: boolean }[] {
  const m = ctx.machine;
  return [
    { figure: 'kernel', value: ctx.kernel, voids: false },
    { figure: 'CPU model', value: ctx.cpuModel, voids: true },
    { figure: 'CPUs', value: ctx.cpus === undefined ? 'not recorded' : String(ctx.cpus), voids: true },
    { figure: 'mitigations', value: mitigationsText(m), voids: true },
    { figure: 'BPF JIT', value: m ? `enable ${m.bpfJit.enable}, harden ${m.bpfJit.harden}` : 'not recorded', voids: false },
    { figure: 'hypervisor', value: m ? m.hypervisor : 'not recorded', voids: false },
    { figure: 'SMT', value: m ? String(m.smt) : 'not recorded', voids: false },
    { figure: 'clocksource', value: m ? String(m.clocksource) : 'not recorded', voids: false },
    { figure: 'THP', value: m ? String(m.thp) : 'not recorded', voids: false },
  ];
}

/** Mitigations that differ, one by one ("meltdown: Mitigation: PTI → Not affected"), or the whole text. */
function mitigationDiff(b: MachineFacts | undefined, c: MachineFacts | undefined): { baseline: string; current: string } {
  if (!b || !c) return { baseline: mitigationsText(b), current: mitigationsText(c) };
  const names = [...new Set([...Object.keys(b.mitigations), ...Object.keys(c.mitigations)])].sort().filter((n) => b.mitigations[n] !== c.mitigations[n]);
  return { baseline: names.map((n) => `${n}: ${b.mitigations[n] ?? 'absent'}`).join('; '), current: names.map((n) => `${n}: ${c.mitigations[n] ?? 'absent'}`).join('; ') };
}

/**
 * Gate 0: configuration differences (x, not comparable unless lenient) and
 * machine differences (listed as what changed). Returns whether the speed
 * gates apply, and why not.
 */
export function gateZero(
  rows: CompareRow[],
  config: [Record<string, string>, Record<string, string>],
  ctx: [RunResultJson['context'] | PeersResultJson['context'], RunResultJson['context'] | PeersResultJson['context']],
  opts: CompareOptions,
): { comparable: boolean; speedGates: Comparison['speedGates'] } {
  let comparable = true;
  const [ib, ic] = config;
  for (const k of Object.keys(ib)) {
    if (ib[k] === ic[k]) continue;
    rows.push({ gate: 0, figure: k, baseline: ib[k]!, current: ic[k]!, mark: opts.lenient ? '~' : 'x', gating: !opts.lenient });
    if (!opts.lenient) comparable = false;
  }
  const mb = machineOf(ctx[0]);
  const mc = machineOf(ctx[1]);
  const voided: string[] = [];
  for (let i = 0; i < mb.length; i++) {
    const b = mb[i]!;
    const c = mc[i]!;
    if (b.value === c.value) continue;
    const shown = b.figure === 'mitigations' ? mitigationDiff(ctx[0].machine, ctx[1].machine) : { baseline: b.value, current: c.value };
    rows.push({ gate: 0, figure: `${b.figure} changed`, baseline: shown.baseline, current: shown.current, mark: '~', gating: false });
    if (b.voids) voided.push(b.figure);
  }
  let why: string | null = null;
  if (opts.noSpeedGates) why = 'speed gates reported, not applied (--no-speed-gates)';
  else if (voided.length && !opts.acrossMachines) why = `speed gates reported, not applied: measured on another machine (${voided.join(', ')}); gates 1 and 2 applied (--across-machines applies all)`;
  return { comparable, speedGates: { applied: why === null, why } };
}

/** A relative change's interval → its row fields: mark, verdict, how many more reads. */
export function changeOf(iv: Interval, threshold: number): ChangeJson & { mark: Mark } {
  const verdict = decideChange(iv.lo, iv.hi, threshold);
  const mark: Mark = verdict === 'regressed' ? '+' : verdict === 'improved' ? '-' : verdict === 'unchanged' ? '~' : '?';
  return { ...iv, verdict, moreReads: verdict === 'undecided' ? moreReads(iv, [threshold, -threshold]) : null, mark };
}

export const intervalText = (ch: ChangeJson) =>
  `${sgn(ch.x)} (95 % ${sgn(ch.lo)}…${sgn(ch.hi)}) ${ch.verdict}${ch.verdict === 'undecided' ? (ch.moreReads === null ? ', on the threshold' : `, ~${ch.moreReads} more reads each`) : ''}`;

export function callsEqual(a: Record<string, number>, b: Record<string, number>, tolerance: number): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const n of names) {
    const x = a[n] ?? 0;
    const y = b[n] ?? 0;
    if (tolerance === 0 ? x !== y : Math.abs(x - y) > tolerance * Math.max(x, y)) return false;
  }
  return true;
}

/** Gate 1 for a row of the baseline that the current result does not have. */
export const missingRow = (name: string): CompareRow => ({ gate: 1, figure: `${name} missing`, baseline: 'in the baseline', current: 'not in the current result', mark: '+', gating: true });

export const callsText = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, n]) => `${k} ${fmt(n)}`)
    .join(', ');

export function finish(rows: CompareRow[], comparable: boolean, speedGates: Comparison['speedGates']): Comparison {
  const regression = comparable && rows.some((r) => r.gating && r.mark === '+');
  const undecided = comparable && rows.some((r) => r.gating && r.mark === '?');
  const verdict: CompareVerdict = !comparable ? 'not comparable' : regression ? 'regression' : undecided ? 'undecided' : 'no regression';
  return { rows, comparable, regression, undecided, verdict, speedGates, method: BOOTSTRAP_METHOD };
}

export function compareResults(base: RunResultJson, cur: RunResultJson, opts: CompareOptions): Comparison {
  const rows: CompareRow[] = [];
  const { comparable, speedGates } = gateZero(rows, [runConfiguration(base), runConfiguration(cur)], [base.context, cur.context], opts);
  if (!comparable) return finish(rows, comparable, speedGates);
  const speed = speedGates.applied;

  // Gate 1: every read verified.
  for (const r of cur.results) {
    const ok = r.verified.ok || r.verified.expectedToFail;
    rows.push({ gate: 1, figure: `${r.label} verified`, baseline: 'ok', current: r.verified.ok ? 'ok' : `FAILED: ${r.verified.problems.join('; ')}`, mark: ok ? '~' : '+', gating: true });
  }
  // A baseline row the current result lacks was not read, so not verified.
  for (const b of base.results) if (!cur.results.some((c) => c.label === b.label)) rows.push(missingRow(b.label));

  const zeroSeed = (base.config.mapFlags & MapFlag.ZERO_SEED) !== 0 && (cur.config.mapFlags & MapFlag.ZERO_SEED) !== 0;
  const refOf = (r: RunResultJson) => referenceOf(r.results);
  for (const c of cur.results) {
    const b = base.results.find((x) => x.label === c.label);
    if (!b) {
      rows.push({ gate: 2, figure: `${c.label}`, baseline: 'absent', current: 'present', mark: 'x', gating: false });
      continue;
    }
    // Gate 2: deterministic counts. Per-element walks are exact; batch walks
    // depend on the bucket layout, fixed only with a zero seed.
    const layoutDependent = !hasExactCalls(c.strategy);
    const tolerance = layoutDependent && !zeroSeed ? 0.01 : 0;
    const same = callsEqual(b.syscalls.bpf, c.syscalls.bpf, tolerance);
    rows.push({ gate: 2, figure: `${c.label} bpf calls${tolerance ? ' (±1 %)' : ''}`, baseline: callsText(b.syscalls.bpf), current: callsText(c.syscalls.bpf), mark: same ? '~' : '+', gating: true });
    // Allocation per entry: what the read allocates for each entry is the
    // build's; what V8 allocates once per read (its JIT, a GC's timing) is
    // not. A change fails past 25 % and past 64 KiB spread over the entries
    // (at least 1 B/entry): an allocation per entry shows at any size, a
    // read's fixed noise only on a small map, where it is within the slack.
    const ab = b.memory.allocatedBytesPerEntry;
    const ac = c.memory.allocatedBytesPerEntry;
    const slack = Math.max(1, 65536 / Math.max(1, Math.min(b.verified.entries, c.verified.entries)));
    const am: Mark = ac - ab > slack && ac > ab * 1.25 ? '+' : ab - ac > slack && ac < ab * 0.75 ? '-' : '~';
    rows.push({ gate: 2, figure: `${c.label} allocated B/entry`, baseline: fmt(ab), current: fmt(ac), mark: am, gating: true });

    // Gate 3: the speedup over elem, measured inside each run; the change is
    // baseline speedup / current speedup − 1 (positive: the speedup fell).
    const be = refOf(base);
    const ce = refOf(cur);
    if (!isReference(c.strategy) && be && ce && c.verified.ok && b.verified.ok) {
      const s = (e: number[], x: number[]) => medianOf(e) / medianOf(x);
      const iv = bootstrap([[be.wallNs.samples], [b.wallNs.samples], [ce.wallNs.samples], [c.wallNs.samples]], ([eb, xb, ec, xc]) => s(eb![0]!, xb![0]!) / s(ec![0]!, xc![0]!) - 1);
      const ch = changeOf(iv, opts.threshold);
      const { mark, ...change } = ch;
      rows.push({
        gate: 3,
        figure: `${c.label} speedup vs ${REFERENCE.name}`,
        baseline: `${fmt(s(be.wallNs.samples, b.wallNs.samples))}×`,
        current: `${fmt(s(ce.wallNs.samples, c.wallNs.samples))}×, slowdown ${intervalText(change)}`,
        mark,
        gating: speed,
        change,
      });
    }

    // Gate 4: ns/entry against the baseline's (machine noise included): the ratio of medians − 1.
    if (c.verified.ok && b.verified.ok) {
      const scale = Math.max(1, b.verified.entries) / Math.max(1, c.verified.entries);
      const iv = bootstrap([[b.wallNs.samples], [c.wallNs.samples]], ([xb, xc]) => (medianOf(xc![0]!) / medianOf(xb![0]!)) * scale - 1);
      const { mark, ...change } = changeOf(iv, opts.threshold);
      const perEntry = (r: typeof c) => medianOf(r.wallNs.samples) / Math.max(1, r.verified.entries);
      rows.push({
        gate: 4,
        figure: `${c.label} ns/entry`,
        baseline: fmt(perEntry(b)),
        current: `${fmt(perEntry(c))}, ${intervalText(change)}`,
        mark,
        gating: speed && opts.strictTime === true,
        change,
      });
    }
  }
  return finish(rows, comparable, speedGates);
}

/** The comparison as a table (compact, one row per figure), the speed gates' line and a verdict line. */
export function renderComparison(c: Comparison, opts: { color: boolean; threshold: number }): string {
  const ch = paint(opts.color);
  const markCell = (m: Mark) => (m === '+' ? ch.red.bold(m) : m === '-' ? ch.green(m) : m === 'x' || m === '?' ? ch.yellow(m) : ch.dim(m));
  const rows = c.rows.map((r) => [markCell(r.mark), String(r.gate), r.figure + (r.gating || r.gate === 0 ? '' : ch.dim(' (reported)')), r.baseline, r.current]);
  const table = compactTable(['', 'gate', 'figure', 'baseline', 'current'], ['left', 'right', 'left', 'left', 'left'], rows, ch);
  const failing = (m: Mark) =>
    c.rows
      .filter((r) => r.gating && r.mark === m)
      .map((r) => r.figure)
      .join('; ');
  const verdict =
    c.verdict === 'not comparable'
      ? ch.yellow.bold('not comparable: another configuration (map, sizes, entries, flags, fill, chunk, strategies or read loop; --lenient compares anyway)')
      : c.verdict === 'regression'
        ? ch.red.bold(`REGRESSION: ${failing('+')}`)
        : c.verdict === 'undecided'
          ? ch.yellow.bold(`UNDECIDED: ${failing('?')} (more reads would decide: see the rows)`)
          : ch.bold(`no regression (threshold ${(opts.threshold * 100).toFixed(0)} %)`);
  const machine = c.comparable ? `${c.speedGates.why ? ch.yellow(c.speedGates.why) : `all gates applied (speed gates: ${c.method})`}\n` : '';
  return `${table}\n${ch.dim('marks: + worse, - better, ~ within the threshold (gate 0: what changed), ? undecided, x not comparable')}\n${machine}${verdict}`;
}
