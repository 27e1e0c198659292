// A peer process counted by the kernel: the syscall counter (bpf/counter.ts)
// filtered to the child's tgid from before its first syscall to its exit,
// and, for a peer that marks its read's edges (--sync), the read alone.
//
// The child is started behind a gate, `sh -c 'read _ && exec "$0" "$@"'`,
// its stdin a pipe: the shell waits for a line, and exec keeps the pid, so
// the counter is retargeted at child.pid (a memory write) and attached
// before the gate opens and the peer makes its first bpf call. Without a
// counter (a timed round), the same gate and marks time the read: bpfbench's
// clock at the marks, not the peer's.
import { spawn } from 'node:child_process';
import { newKernelCounts, type SyscallCounter } from '../../bpf/programs/counter.js';
import { kernelDelta, type KernelSample } from '../measuring/read-sample.js';

/** What the kernel counted of one peer process, and what it printed. */
export interface CountedProcess {
  /** The whole process, from before its first syscall to its exit. */
  process: KernelSample;
  /** Between its `ready` and `done` lines (a --sync peer); undefined otherwise, or without a counter. */
  read: KernelSample | undefined;
  /** ns from the go-ahead after `ready` to the arrival of `done`, on bpfbench's clock (a --sync peer). */
  markedNs: number | undefined;
  /** stdout, the ready/done lines left out ('' when stdout went to a file). */
  stdout: string;
  stderr: string;
}

export interface CountOptions {
  /** The peer writes `ready` and `done` around its one read and waits for a byte on stdin after each (--sync). */
  sync: boolean;
  /** An open file descriptor for the child's stdout instead of a pipe (large outputs: bpftool's dump). */
  stdoutFd?: number;
  /** Stopped (SIGKILL) and rejected when it has not exited after this many ms. */
  timeoutMs?: number;
}

const GATE = 'read _ && exec "$0" "$@"';

/** The last non-empty line of a peer's stderr (a traceback's last line says what went wrong). */
export const lastLine = (text: string): string =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .pop()
    ?.trim() ?? '';

/**
 * Runs `argv` with the counter targeted at it, attached for its life (not
 * longer: every syscall of the machine pays for the tracepoint meanwhile).
 * Rejects when it exits other than with status 0, or, with `sync`, does not
 * mark exactly one read, or outlives `timeoutMs`. The counter is detached
 * and targeted back at this process whatever happens. Without a counter,
 * the same run, uncounted (the process's samples are then zero).
 */
export function countProcess(argv: readonly string[], counter: SyscallCounter | undefined, opts: CountOptions): Promise<CountedProcess> {
  const [p0, p1, r0, r1] = [newKernelCounts(), newKernelCounts(), newKernelCounts(), newKernelCounts()];
  const child = spawn('sh', ['-c', GATE, ...argv], { stdio: ['pipe', opts.stdoutFd ?? 'pipe', 'pipe'] });
  const name = argv[0]!;
  let marks = 0;
  let t0 = 0n;
  let t1 = 0n;
  let timedOut = false;
  let out = '';
  let pending = '';
  let err = '';
  const go = () => child.stdin!.write('\n');
  // A peer that died early closes its stdin: the error comes with its exit status.
  child.stdin!.on('error', () => undefined);
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    pending += d;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      // The peer is blocked on stdin at each mark: nothing of it is in flight.
      if (opts.sync && line === 'ready' && marks === 0) {
        counter?.read(r0);
        marks = 1;
        t0 = process.hrtime.bigint();
        go();
      } else if (opts.sync && line === 'done' && marks === 1) {
        t1 = process.hrtime.bigint();
        counter?.read(r1);
        marks = 2;
        go();
      } else out += `${line}\n`;
    }
  });
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs);
  const finish = () => {
    if (timer) clearTimeout(timer);
    if (!counter) return;
    counter.detach();
    counter.target(process.pid);
  };
  return new Promise<CountedProcess>((resolve, reject) => {
    child.on('error', (e) => {
      // Not started (or not killable): 'close' may not follow.
      finish();
      reject(new Error(`${name}: ${e.message}`));
    });
    child.on('spawn', () => {
      try {
        counter?.target(child.pid!);
        counter?.attach();
        counter?.read(p0);
      } catch (e) {
        child.kill();
        finish();
        reject(e);
        return;
      }
      go(); // opens the gate
    });
    child.on('close', (code, signal) => {
      counter?.read(p1);
      finish();
      out += pending;
      if (timedOut) return reject(new Error(`${name} did not finish within ${opts.timeoutMs! / 1000} s (--peer-timeout): stopped (SIGKILL)`));
      if (code !== 0) return reject(new Error(`${name} failed (${signal ?? `exit ${code}`}): ${lastLine(err)}`));
      if (opts.sync && marks !== 2) return reject(new Error(`${name} did not mark its read (ready, done): ${marks} of 2 marks`));
      resolve({ process: kernelDelta(p0, p1), read: opts.sync && counter ? kernelDelta(r0, r1) : undefined, markedNs: opts.sync ? Number(t1 - t0) : undefined, stdout: out, stderr: err });
    });
  });
}
