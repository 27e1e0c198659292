// The process's account of its bpf(2) calls (bpf/call-account.ts) in one
// line, for `run -v`.
import type { ProcessCalls } from '../../bpf/syscall/call-account.js';
import { fmtInt } from '../formats/format.js';

/** A timed read's phase (`elem: run 3`), and a warmup or audit read's (`elem: warmup 1/1 (audited)`, `batch: audit`). */
const TIMED = /: run \d+$/;
const UNTIMED_READ = /: (warmup \d+\/\d+|audit)( \(audited\))?$/;

/** `bpf calls of the process: 262,365: timed reads 131,090, warmup and audit reads 131,090, everything else 185 (…, the largest three)` */
export function processCallsLine(p: ProcessCalls): string {
  const sum = (f: (phase: string) => boolean) => p.byPhase.filter((x) => f(x.phase)).reduce((a, x) => a + x.total, 0);
  const timed = sum((ph) => TIMED.test(ph));
  const untimed = sum((ph) => UNTIMED_READ.test(ph));
  const rest = p.byPhase
    .filter((x) => !TIMED.test(x.phase) && !UNTIMED_READ.test(x.phase))
    .sort((a, b) => b.total - a.total)
    .slice(0, 3)
    .map((x) => `${x.phase} ${fmtInt(x.total)}`);
  const others = p.total - timed - untimed;
  const libbpf = p.libbpf.startsWith('not counted') ? `; libbpf's calls ${p.libbpf}` : '';
  return `bpf calls of the process: ${fmtInt(p.total)}: timed reads ${fmtInt(timed)}, warmup and audit reads ${fmtInt(untimed)}, everything else ${fmtInt(others)}${rest.length ? ` (${rest.join(', ')}${p.byPhase.length > rest.length + 2 ? ', …' : ''})` : ''}${libbpf}`;
}
