// The warning policy of a run: what a careful reader should know before
// trusting the figures (noisy runs, a cold first run, reads too short to
// time, counts that disagree), and why reads of a map that changed are
// inconsistent.
import { summarize } from '../../harness/measuring/stats.js';
import type { StrategyResultJson } from './strategy-json.js';

/** Why reads of a map bpfbench did not make are inconsistent, and whose fault that is not. */
export function changedText(rs: StrategyResultJson[]): string {
  const what = rs.map((r) => `${r.label} (${r.verified.problems.join('; ')})`).join(', ');
  return `the map changed while bpfbench read it: ${what}. Another process wrote to it: a per-element walk restarts from the first bucket when the key it stands on is deleted, and so reads keys again (or gives up); a batch read sees a bucket as it was at its call. Inconsistent under change, not a fault of the strategy`;
}

/** σ/mean above this is a noisy measurement. */
export const NOISY_CV = 0.1;
/** A first run this much slower than the median of the others was not warm. */
export const SLOW_FIRST_RUN = 1.5;
/** Reads shorter than this are too short to time well. */
export const MIN_READ_NS = 1e6;

/** What a careful reader should know before trusting the figures. */
export function runWarnings(results: StrategyResultJson[]): string[] {
  const w: string[] = [];
  for (const r of results) {
    const t = r.wallNs;
    if (r.syscalls.agree === false) w.push(`${r.label}: the kernel's syscall count DISAGREES with bpfbench's: the figures are not trustworthy`);
    if (r.chunkGrowths > 0) w.push(`${r.label}: a hash bucket held more than ${r.chunk} entries (ENOSPC): the chunk grew ${r.chunkGrowths}× to ${r.effectiveChunk} (--strict-chunk fails instead)`);
    if (r.syscalls.matchesAudit === false && r.verified.ok)
      w.push(
        `${r.label}: ${r.syscalls.read} made other bpf calls than the audited read (${r.syscalls.audit?.read}): the kernel's count does not vouch for its figures (the map changed, or the chunk grew)`,
      );
    if (r.syscalls.variedBetweenRuns) w.push(`${r.label}: bpf call counts differed between runs (was the map modified during the run?)`);
    if (r.runs >= 2 && t.sd / t.mean > NOISY_CV)
      w.push(`${r.label}: runs vary by σ/mean = ${((t.sd / t.mean) * 100).toFixed(0)} % (> ${NOISY_CV * 100} %): the machine is noisy, or the runs are too few`);
    if (r.runs >= 3) {
      const restMedian = summarize(t.samples.slice(1)).median;
      if (t.samples[0]! > SLOW_FIRST_RUN * restMedian) w.push(`${r.label}: the first run was ${(t.samples[0]! / restMedian).toFixed(1)}× slower than the others (not warm: use --warmup)`);
    }
    if (r.runs === 2) w.push(`${r.label}: only 2 runs: the stated ± is not a reliable interval (use --runs 3 or more)`);
    if (t.min < MIN_READ_NS) w.push(`${r.label}: a read took ${(t.min / 1e6).toFixed(3)} ms (< 1 ms): too short to time reliably; use more --entries`);
  }
  return w;
}
