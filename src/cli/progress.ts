// Progress with ETA on stderr, redrawn in place, at most 10 times a second.
// Only for a terminal: anything else gets silence.
import type { Progress } from '../harness/progress.js';
import { silentProgress } from '../harness/progress.js';

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return silentProgress;
  let phase = '';
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
    let line = `${phase}: `;
    if (total > 0) {
      const frac = Math.min(1, done / total);
      const eta = frac > 0 ? (elapsed / frac) * (1 - frac) : NaN;
      line += `${(frac * 100).toFixed(1)}% (${fmt(done)}/${fmt(total)} ${unit}) ${secs(elapsed)}` + (Number.isFinite(eta) ? `, ETA ${secs(eta)}` : '');
    } else {
      line += `${secs(elapsed)}…`;
    }
    const width = (stream.columns || 80) - 1;
    stream.write(`\r${line.slice(0, width).padEnd(Math.min(width, line.length + 2))}`);
    drawn = true;
    lastDraw = now;
  };
  return {
    start(p, t, u = '') {
      phase = p;
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
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
