// Call latency held against two clocks that are not the latency code's: the
// kernel's own time inside bpf(2) (the counter's sys_enter → sys_exit sums,
// `kernelTime`) and the read's wall clock (`wallNs`, `syscalls.audit.wallNs`).
// A loop that timed the wrong span (only part of each call, or more than the
// call) disagrees with one of them. A pure function of a run result's
// strategy row; the rules and their bands are stated once, here and in
// docs/measurement-and-truth.md#call-latency-against-two-other-clocks.
// Only the tests run it (clocks.test.ts, on real reads): no command does,
// so it lives here rather than in src/report/.
import type { CallLatency } from '../../src/bpf/native/latency.js';
import type { StrategyResultJson } from '../../src/report/result/strategy-json.js';

/**
 * The bands. A call's own timing brackets the syscall instruction, so it
 * contains the kernel's sys_enter → sys_exit span of the same call: on the
 * same read, the timed calls' mean is at least the kernel's mean, and their
 * total at least the kernel's total; and timed calls do not overlap, so
 * their total is at most the read's wall time. A sampled loop (one call in
 * `sampledEvery`) estimates the total from the sampled mean: SAMPLED_SLACK
 * either way. The timed reads are other reads than the audited one (the
 * counter is detached for them): their share is held against the audit's
 * kernel share with OTHER_READ_SLACK below.
 */
export const CLOCK_BANDS = {
  /** Timed share of a read's wall (mean × calls / wall) at most 1 + this, every call timed (two clocks' rounding). */
  exactSlack: 0.01,
  /**
   * …and with one call in sampledEvery timed: the total is estimated from
   * the sample's mean, where one preempted call counts sampledEvery times
   * (and the timer's own clock reads sit inside each timed call).
   */
  sampledSlack: 0.5,
  /** The sampled calls' mean against the kernel's mean of all calls of the same read (a systematic sample of a walk of ≥ thousands of calls). */
  sampledMeanSlack: 0.05,
  /** The timed reads' share at least the audit read's kernel share × (1 − this): another read, no tracepoints attached. */
  otherReadSlack: 0.2,
} as const;

/** The figures of the cross-check, for the report and the docs. */
export interface ClockFigures {
  /** The kernel's mean ns inside bpf(2) per call of the audit read, all commands (null: not counted, or iter's read(2) calls, which it does not time). */
  kernelNsPerCall: number | null;
  /** The audit read's own timed calls: mean and p50 (ns); null when that read was not timed. */
  auditMean: number | null;
  auditP50: number | null;
  /** The timed reads' p50 and mean (ns). */
  p50: number;
  mean: number;
  /** Calls per timed read and mean wall (ns). */
  calls: number;
  wallNs: number;
  /** mean × calls / wall: of the timed reads, and of the audit read. */
  timedShare: number;
  auditShare: number | null;
  /** The kernel's own share of the audit read (kernelTime.fractionOfWall): the lower end of the band. */
  kernelShare: number | null;
  /** The band timedShare must lie in. */
  band: [number, number];
}

export interface ClockCheck {
  ok: boolean;
  figures: ClockFigures;
  problems: string[];
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const meanOf = (l: CallLatency) => l.mean ?? null;

/**
 * A strategy row's call latency against the kernel's clock and the wall
 * clock; undefined where it carries no call latency (older results) or the
 * kernel did not count (no audit).
 *
 * - Kernel clock, same read: the audit read's timed calls' mean ≥ the
 *   kernel's mean per call (exactly when every call is timed).
 * - Kernel clock, timed reads: the kernel's mean per call ≤ the p50 of the
 *   timed calls, for calls that move one entry (per element), where a
 *   call's crossing into the kernel outweighs the spread of its time in it.
 *   A batch call spends ≥ 90 % of itself in the kernel and its mean sits
 *   above its median on a shared machine, so there the same-read mean holds.
 * - Wall clock: mean × calls / wall of the timed reads within
 *   [kernel share × (1 − otherReadSlack), 1 + slack], and of the audit read
 *   within [kernel share (× 1 − sampledMeanSlack when sampled), 1 + slack].
 */
export function checkClocks(r: Pick<StrategyResultJson, 'label' | 'runs' | 'wallNs' | 'callLatency' | 'kernelTime' | 'syscalls'>): ClockCheck | undefined {
  const l = r.callLatency;
  const audit = r.syscalls.audit;
  if (!l || !audit || !r.kernelTime || !('p50' in l) || meanOf(l) === null) return undefined;
  const every = l.sampledEvery;
  const slack = every > 1 ? CLOCK_BANDS.sampledSlack : CLOCK_BANDS.exactSlack;
  const kernelCalls = sum(audit.kernel.bpf);
  // iter times its read(2) calls; the counter times bpf(2) alone (its one ITER_CREATE).
  const timesBpf = !('ITER_CREATE' in audit.bpf);
  const kernelNsPerCall = timesBpf && kernelCalls > 0 ? r.kernelTime.bpfNs / kernelCalls : null;
  const kernelShare = timesBpf ? r.kernelTime.fractionOfWall : null;
  const mean = meanOf(l)!;
  const calls = (l.count * every) / r.runs;
  const timedShare = (mean * calls) / r.wallNs.mean;
  const al = audit.callLatency ?? null;
  const auditMean = al && al.count > 0 ? meanOf(al) : null;
  const auditShare = al && auditMean !== null ? (auditMean * al.count * al.sampledEvery) / audit.wallNs : null;
  const band: [number, number] = [kernelShare === null ? 0 : kernelShare * (1 - CLOCK_BANDS.otherReadSlack), 1 + slack];
  const problems: string[] = [];
  const ns = (x: number) => `${Math.round(x).toLocaleString('en-US')} ns`;
  if (kernelNsPerCall !== null && auditMean !== null && auditMean * (1 + (every > 1 ? CLOCK_BANDS.sampledMeanSlack : 0)) < kernelNsPerCall) {
    problems.push(`${r.label}: the audit read's timed calls took ${ns(auditMean)} on average, less than the ${ns(kernelNsPerCall)} the kernel spent inside bpf(2) per call of the same read`);
  }
  const perElement = kernelCalls > 0 && audit.entries > 0 && kernelCalls >= audit.entries;
  if (kernelNsPerCall !== null && perElement && l.p50 < kernelNsPerCall) {
    problems.push(`${r.label}: the p50 call took ${ns(l.p50)}, less than the ${ns(kernelNsPerCall)} the kernel spent inside bpf(2) per call`);
  }
  if (timedShare < band[0] || timedShare > band[1]) {
    problems.push(`${r.label}: mean call × calls / wall = ${timedShare.toFixed(3)}, outside [${band[0].toFixed(3)}, ${band[1].toFixed(3)}]`);
  }
  if (auditShare !== null && kernelShare !== null) {
    const lo = kernelShare * (every > 1 ? 1 - CLOCK_BANDS.sampledMeanSlack : 1);
    if (auditShare < lo || auditShare > 1 + slack)
      problems.push(`${r.label}: the audit read's mean call × calls / wall = ${auditShare.toFixed(3)}, outside [${lo.toFixed(3)} (the kernel's share), ${(1 + slack).toFixed(3)}]`);
  }
  return {
    ok: problems.length === 0,
    figures: { kernelNsPerCall, auditMean, auditP50: al?.p50 ?? null, p50: l.p50, mean, calls, wallNs: r.wallNs.mean, timedShare, auditShare, kernelShare, band },
    problems,
  };
}
