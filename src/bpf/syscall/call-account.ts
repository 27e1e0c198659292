// Every bpf(2) call this process makes, by phase and by command: the
// account a run's JSON carries as `process`, whose total is what
// `strace -f -e trace=bpf` counts.
//
// Three sources, each counted where its calls are made:
// - bpf() in TypeScript (syscall.ts): its callCounts, into which the native
//   read loop, the shards and the fill threads also add their own counts
//   (after each hand-over, and at the fill's end);
// - libbpf's calls inside bpf_object__load and its probes: counted at
//   libbpf's GOT slot for syscall() (native/libbpf-count.c), hooked when
//   libbpf is first loaded (loader.ts calls countLibbpfCalls);
// - threads whose counts stay apart from the reader's (the writers): added
//   by the harness with addCalls.
// The hot path is untouched: a phase change (callPhase, from the harness)
// subtracts the counters at the last change from the counters now and adds
// the difference to the phase that ends. Between changes nothing runs.
import koffi from 'koffi';
import { CMD_SLOTS, cmdLabel } from './constants.js';
import { nativeLibPath } from '../native/native-library.js';
import { callCounts } from './syscall.js';

/** The phase from the process's start to the first callPhase(). */
export const FIRST_PHASE = 'start: options and probes';

export interface PhaseCalls {
  phase: string;
  calls: Record<string, number>;
  total: number;
}

export interface ProcessCalls {
  /** How the calls were counted, in a phrase. */
  countedBy: string;
  /** libbpf's calls: counted at its syscall() slot, or why not (then `total` lacks them). */
  libbpf: string;
  total: number;
  byPhase: PhaseCalls[];
  byCommand: Record<string, number>;
}

export const COUNTED_BY = "self: bpf() in TypeScript, the native loops' and the fill, shard and writer threads' own counts, and libbpf's calls at its syscall() slot";

interface Phase {
  phase: string;
  counts: Float64Array;
}

const phases: Phase[] = [];
let current: Phase = { phase: FIRST_PHASE, counts: new Float64Array(CMD_SLOTS) };
phases.push(current);
const last = new Float64Array(CMD_SLOTS);
let libbpfCounts: BigUint64Array | undefined;
/** The native library, held for the process: collected, koffi would unload it under libbpf's GOT slot and the counts' view. */
let nativeLib: ReturnType<typeof koffi.load> | undefined;
let libbpfState = 'not loaded: it made no calls';

/** The process's counters now: syscall.ts's, plus libbpf's where they are counted. */
function now(into: Float64Array): Float64Array {
  into.set(callCounts);
  if (libbpfCounts) for (let c = 0; c < CMD_SLOTS; c++) into[c] += Number(libbpfCounts[c]);
  return into;
}

const scratch = new Float64Array(CMD_SLOTS);

/** Adds the calls since the last change to the current phase. */
function settle(): void {
  now(scratch);
  for (let c = 0; c < CMD_SLOTS; c++) current.counts[c] += scratch[c]! - last[c]!;
  last.set(scratch);
}

function phaseNamed(name: string): Phase {
  let p = phases.find((x) => x.phase === name);
  if (!p) phases.push((p = { phase: name, counts: new Float64Array(CMD_SLOTS) }));
  return p;
}

/** From here on, calls count to `name` (a phase named before adds to its count). Not for hot paths. */
export function callPhase(name: string): void {
  if (name === current.phase) return;
  settle();
  current = phaseNamed(name);
}

/** Calls made by threads that keep their own count (the writers), added to `phase`. */
export function addCalls(phase: string, cmd: number, n: number): void {
  if (n > 0) phaseNamed(phase).counts[cmd] += n;
}

/**
 * Counts libbpf's own calls from here on (idempotent): libbpf.so's GOT slot
 * for syscall() points at native/libbpf-count.c's counter. Without the
 * native library, libbpf's calls are not counted and `libbpf` says why.
 */
export function countLibbpfCalls(): void {
  if (libbpfCounts) return;
  try {
    const lib = (nativeLib ??= koffi.load(nativeLibPath()));
    const hook = lib.func('long bb_count_libbpf(void)') as () => number;
    const counts = lib.func('void *bb_libbpf_calls(void)') as () => unknown;
    const r = Number(hook());
    if (r <= 0) {
      libbpfState = r === 0 ? 'not counted: libbpf.so has no GOT slot for syscall()' : `not counted: its GOT slot stayed read-only (errno ${-r})`;
      return;
    }
    settle(); // libbpf made no call yet; its counters join at zero
    libbpfCounts = new BigUint64Array(koffi.view(counts(), CMD_SLOTS * 8));
    libbpfState = 'counted at its syscall() slot (native/libbpf-count.c)';
  } catch {
    libbpfState = `not counted: ${nativeLibPath()} did not load (run 'make')`;
  }
}

function labelled(counts: Float64Array): { calls: Record<string, number>; total: number } {
  const calls: Record<string, number> = {};
  let total = 0;
  for (let c = 0; c < CMD_SLOTS; c++) {
    if (counts[c]! > 0) {
      calls[cmdLabel(c)] = counts[c]!;
      total += counts[c]!;
    }
  }
  return { calls, total };
}

/** The account up to now (the current phase stays current). */
export function processCalls(): ProcessCalls {
  settle();
  const sum = new Float64Array(CMD_SLOTS);
  const byPhase: PhaseCalls[] = [];
  for (const p of phases) {
    const { calls, total } = labelled(p.counts);
    if (total === 0) continue;
    byPhase.push({ phase: p.phase, calls, total });
    for (let c = 0; c < CMD_SLOTS; c++) sum[c] += p.counts[c]!;
  }
  const { calls: byCommand, total } = labelled(sum);
  return { countedBy: COUNTED_BY, libbpf: libbpfState, total, byPhase, byCommand };
}
