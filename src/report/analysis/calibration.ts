// The gate's calibration (scripts/gate-calibration → results/gate-calibration.json)
// as a Markdown table: per strategy and injected slowdown, how often the gate
// said what, the detection or false-alarm rate, and the median time to a
// decision. docs/ci-and-fleets.md carries this table between markers, and a
// test checks that it is the file's.

export interface CalibrationTrial {
  exit: number | null;
  verdict: string;
  rounds: number;
  /** From the moment the trial held the CPU lock to its end; before waitedSeconds was recorded, the wait was in it. */
  seconds: number;
  waitedSeconds?: number | null;
  measuredSlowdown?: number | null;
}

export interface CalibrationCell {
  strategy: string;
  slowdownPercent: number;
  injectNs: number;
  trials: CalibrationTrial[];
}

export interface CalibrationJson {
  kind: 'gate-calibration';
  context: { kernel: string; cpuModel: string; cpus: number };
  config: { entries: string; trialsTarget: number; threshold: string; maxRounds: number | string };
  cells: CalibrationCell[];
  note?: string;
}

const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const HELD = ['held', 'unchanged', 'improved'];
const pct = (n: number, d: number) => (d ? `${Math.round((100 * n) / d)} % (${n}/${d})` : '—');

export const CALIBRATION_BEGIN = '<!-- gate-calibration table: rendered from results/gate-calibration.json -->';
export const CALIBRATION_END = '<!-- end of gate-calibration table -->';

/** The table and its caption line, Markdown. */
export function renderCalibrationTable(r: CalibrationJson): string {
  const rows = r.cells.map((c) => {
    const n = c.trials.length;
    const count = (v: string) => c.trials.filter((t) => t.verdict === v).length;
    const regressed = count('regressed');
    // Under the ceiling: held, or (trials judged by the two-sided rule, before 2026-12-06) unchanged or improved, whose intervals lay under it too.
    const held = c.trials.filter((t) => HELD.includes(t.verdict)).length;
    const decided = c.trials.filter((t) => t.verdict === 'regressed' || HELD.includes(t.verdict));
    // The time to a decision with the lock held; trials that did not record their wait count only when none did.
    const timed = decided.filter((x) => typeof x.waitedSeconds === 'number');
    const t = median((timed.length ? timed : decided).map((x) => x.seconds));
    const tText = t === null ? '—' : `${Math.round(t)} s${timed.length ? '' : ' (wait included)'}`;
    const measured = median(c.trials.map((x) => x.measuredSlowdown).filter((x): x is number => typeof x === 'number'));
    const rate = c.slowdownPercent === 0 ? `false alarms ${pct(regressed, n)}` : `detected ${pct(regressed, n)}`;
    return `| ${c.strategy} | +${c.slowdownPercent} % | ${c.injectNs.toLocaleString('en-US')} | ${measured === null ? '—' : `${measured >= 0 ? '+' : ''}${(measured * 100).toFixed(1)} %`} | ${n} | ${regressed} / ${held} / ${count('undecided')} | ${rate} | ${tText} | ${median(c.trials.map((x) => x.rounds)) ?? '—'} |`;
  });
  const fewest = Math.min(...r.cells.map((c) => c.trials.length));
  const caption = `${r.config.entries} entries, threshold ${r.config.threshold}, at most ${r.config.maxRounds} rounds; ${r.context.kernel}, ${r.context.cpuModel}, ${r.context.cpus} CPUs; ${fewest < r.config.trialsTarget ? `**${fewest}–${Math.max(...r.cells.map((c) => c.trials.length))} trials per cell, short of the ${r.config.trialsTarget} targeted**` : `${fewest} trials per cell`}.`;
  return [
    '| strategy | injected slowdown | busy-wait ns/syscall | measured slowdown (median) | trials | regressed / held / undecided | rate | median time to a decision | median rounds |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    caption,
    ...(r.note ? ['', r.note] : []),
  ].join('\n');
}
