// Progress of the harness's phases (create, fill, each strategy's audit,
// warmup and timed reads) on stderr. On a terminal: one line redrawn in place
// with the percentage and ETA, at most 10 times a second, cleared when the
// phase ends. Anywhere else (a pipe, a CI log): one plain line per phase,
// `bpfbench: fill (prog) … done in 1.23 s`, written once the phase is known to
// have finished: when the next one starts, at flush() (the run is over), or
// as a command that succeeded exits. A phase that ended by an error is not
// said to be done: its line is never written, the error's line follows the
// last phase that was. Either way it knows the phase under way, which an
// interruption names (interrupt.ts).
import type { Progress } from '../harness/measuring/progress.js';
import { fmtDuration } from '../report/formats/format.js';

/** Progress that can say where the run is. */
export interface CliProgress extends Progress {
  /** The phase under way (started, not ended), if any. */
  readonly current: string | undefined;
  /** The last phase that ended, if any. */
  readonly last: string | undefined;
  /** Writes the line of a phase that ended and is not written yet (off a terminal): it finished. */
  flush(): void;
  /** Clears a line drawn in place (before another line is written over it). */
  clear(): void;
}

export function cliProgress(stream: NodeJS.WriteStream = process.stderr): CliProgress {
  return stream.isTTY ? drawnProgress(stream) : lineProgress(stream);
}

/** Lines of phases that ended, not written yet: a command that exits 0 finished them all. */
const unwritten = new Set<CliProgress>();
let exitHooked = false;

function flushOnSuccess(progress: CliProgress): void {
  unwritten.add(progress);
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', (code) => {
    if (code === 0) for (const p of unwritten) p.flush();
    unwritten.clear();
  });
}

/** Off a terminal: `bpfbench: <phase> … done in <time>` for each phase that finished, nothing in between. */
function lineProgress(stream: NodeJS.WriteStream): CliProgress {
  let current: string | undefined;
  let last: string | undefined;
  let started = 0n;
  let ended: string | undefined;
  const p: CliProgress = {
    get current() {
      return current;
    },
    get last() {
      return last;
    },
    start(phase) {
      p.flush();
      current = phase;
      started = process.hrtime.bigint();
    },
    update() {},
    end() {
      if (current === undefined) return;
      // Whether it ended well is known later: when another phase starts, or the run is over.
      ended = `bpfbench: ${current} … done in ${fmtDuration(Number(process.hrtime.bigint() - started))}\n`;
      last = current;
      current = undefined;
      flushOnSuccess(p);
    },
    flush() {
      if (ended !== undefined) stream.write(ended);
      ended = undefined;
      unwritten.delete(p);
    },
    clear() {},
  };
  return p;
}

/** On a terminal: the phase, its percentage and ETA, redrawn in place. */
function drawnProgress(stream: NodeJS.WriteStream): CliProgress {
  let current: string | undefined;
  let last: string | undefined;
  let total = 0;
  let unit = '';
  let started = 0;
  let lastDraw = 0;
  let drawn = false;
  const fmt = (n: number) => n.toLocaleString('en-US');
  const secs = (ms: number) => (ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`);
  const draw = (done: number) => {
    const now = Date.now();
    const elapsed = now - started;
    let line = `${current}: `;
    if (total > 0) {
      const frac = Math.min(1, done / total);
      const eta = frac > 0 ? (elapsed / frac) * (1 - frac) : NaN;
      line += `${(frac * 100).toFixed(1)}% (${fmt(done)}/${fmt(total)} ${unit}) ${secs(elapsed)}${Number.isFinite(eta) ? `, ETA ${secs(eta)}` : ''}`;
    } else {
      line += `${secs(elapsed)}…`;
    }
    const width = (stream.columns || 80) - 1;
    stream.write(`\r${line.slice(0, width).padEnd(Math.min(width, line.length + 2))}`);
    drawn = true;
    lastDraw = now;
  };
  const clear = () => {
    if (drawn) stream.write('\r\x1b[K');
    drawn = false;
  };
  return {
    get current() {
      return current;
    },
    get last() {
      return last;
    },
    start(p, t, u = '') {
      current = p;
      total = t;
      unit = u;
      started = Date.now();
      lastDraw = 0;
      draw(0);
    },
    update(done) {
      if (Date.now() - lastDraw >= 100) draw(done);
    },
    end() {
      clear();
      if (current !== undefined) last = current;
      current = undefined;
    },
    flush() {},
    clear,
  };
}
