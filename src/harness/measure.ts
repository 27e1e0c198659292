// One strategy, measured: repeated full reads of the map, each verified,
// each with its wall time, CPU time, bpf calls by command, heap growth and
// GC count. tinybench schedules the repeats (a minimum count and a time
// budget); every figure is taken by this file around each read, with
// hrtime in nanoseconds, and handed back to tinybench as the sample.
import { GCProfiler } from 'node:v8';
import { Bench } from 'tinybench';
import { CMD_SLOTS, cmdLabel } from '../bpf/constants.js';
import { newKernelCounts, type KernelCounts, type SyscallCounter } from '../bpf/counter.js';
import { callCounts, callsSince } from '../bpf/syscall.js';
import { fullGc } from './gc.js';
import type { BpfMap } from '../bpf/map.js';
import type { Strategy } from '../strategies/index.js';
import { strategyLabel } from '../strategies/index.js';
import type { Progress } from './progress.js';
import { summarize, type Summary } from './stats.js';
import type { EntrySink, Verdict } from './verifier.js';

export interface RepeatPolicy {
  /** Minimum measured reads. */
  minRuns: number;
  /** Maximum measured reads. */
  maxRuns: number;
  /**
   * After minRuns, read again (up to maxRuns) only while another read is
   * expected to end within this budget (time spent + mean read time);
   * 0 = exactly minRuns.
   */
  budgetMs: number;
  /** Untimed, verified reads before measuring. */
  warmup: number;
}

/** Syscalls of one read as the kernel counted them (every thread of the process). */
export interface KernelSample {
  total: number;
  bpfTotal: number;
  bpf: Record<string, number>;
}

/** Memory of one read, in terms comparable with Go's runtime.MemStats. */
export interface MemorySample {
  heapUsedDeltaBytes: number;
  /** external + arrayBuffers growth. */
  externalDeltaBytes: number;
  /** Peak RSS of the process so far (getrusage maxRSS). */
  rssPeakBytes: number;
  /**
   * Bytes allocated on the V8 heap during the read (Go's TotalAlloc delta):
   * heap growth plus what each GC in the read freed (GCProfiler's before/after
   * used heap).
   */
  allocatedBytes: number;
  gcCount: number;
  gcPauseNs: number;
}

/** One measured read. */
export interface ReadSample {
  wallNs: number;
  userNs: number;
  sysNs: number;
  /** bpf calls by command, counted by our own syscall wrapper. */
  bpf: Record<string, number>;
  memory: MemorySample;
  counted: number;
  /** Chunked reads: the chunk at the end of this read, and ENOSPC growths so far. */
  chunk: number | undefined;
  chunkGrowths: number;
  verdict: Verdict;
}

export interface MeasureOptions {
  /** Fail on ENOSPC instead of growing the chunk. */
  strictChunk?: boolean;
  /** Fills the map again as the loader did (for drain strategies). */
  refill?: () => void;
  /** The loaded bpf_iter program (for the iter strategy). */
  iterProgFd?: number;
  /**
   * The kernel-side syscall counter. It audits the first read of the
   * strategy (the warmup read when there is one): attached for that read
   * only, so the timed reads that follow do not pay for it.
   */
  counter?: SyscallCounter;
}

/** The read the kernel counter watched, and whether its count matched ours. */
export interface Audit {
  /** 'warmup' or 'run 1'. */
  read: string;
  kernel: KernelSample;
  bpf: Record<string, number>;
  agree: boolean;
}

/** Kernel counts between two readings, bpf calls keyed by bare command name. */
export function kernelDelta(a: KernelCounts, b: KernelCounts): KernelSample {
  const bpf: Record<string, number> = {};
  for (let i = 0; i < CMD_SLOTS; i++) {
    const d = b.bpf[i]! - a.bpf[i]!;
    if (d > 0) bpf[cmdLabel(i)] = d;
  }
  return { total: b.total - a.total, bpfTotal: b.bpfTotal - a.bpfTotal, bpf };
}

/** Kernel and self counts agree on every command and on the total of bpf calls. */
export function countsAgree(self: Record<string, number>, kernel: KernelSample): boolean {
  const names = new Set([...Object.keys(self), ...Object.keys(kernel.bpf)]);
  for (const n of names) if ((self[n] ?? 0) !== (kernel.bpf[n] ?? 0)) return false;
  return Object.values(self).reduce((a, b) => a + b, 0) === kernel.bpfTotal;
}

interface GcStat {
  cost: number;
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

export interface StrategyMeasurement {
  strategy: Strategy;
  label: string;
  chunk: number;
  runs: number;
  warmupRuns: number;
  /** The first failing read's verdict, else the last read's. */
  verdict: Verdict;
  wallNs: Summary;
  samples: ReadSample[];
  /** Verification failed where a success was expected. */
  failed: boolean;
  /** The kernel's audit of one read (undefined without a counter). */
  audit: Audit | undefined;
  /** bpf calls differed between reads (a map that changes, or a random layout). */
  callsVaried: boolean;
  /** What the strategy had to do differently here (a fallback), if anything. */
  note?: string;
}

export function measureStrategy(map: BpfMap, strategy: Strategy, chunk: number, verifier: EntrySink, policy: RepeatPolicy, progress: Progress, options: MeasureOptions = {}): StrategyMeasurement {
  const label = strategyLabel(strategy, chunk);
  const prepared = strategy.prepare(map, { chunk, strictChunk: options.strictChunk, refill: options.refill, iterProgFd: options.iterProgFd });
  const samples: ReadSample[] = [];
  const { counter } = options;
  const k0 = newKernelCounts();
  const k1 = newKernelCounts();
  const self0 = new Float64Array(CMD_SLOTS);
  let warmupRuns = 0;
  let audit: Audit | undefined;
  try {
    // The window between t0 and t1 holds the strategy's read and nothing
    // else: the kernel counters are read by memory (no syscall) right at its
    // edges, every other figure outside it.
    const readOnce = (phase: string): ReadSample => {
      prepared.beforeRead?.();
      const auditing = counter !== undefined && audit === undefined;
      if (auditing) counter.attach();
      progress.start(phase, verifier.total, 'entries');
      const onProgress = (n: number) => progress.update(n);
      verifier.reset(onProgress);
      const gc = new GCProfiler();
      gc.start();
      const mem0 = process.memoryUsage();
      const cpu0 = process.cpuUsage();
      self0.set(callCounts);
      if (auditing) counter.read(k0);
      const t0 = process.hrtime.bigint();
      const report = prepared.read(verifier);
      const t1 = process.hrtime.bigint();
      if (auditing) counter.read(k1);
      const bpf = callsSince(self0);
      if (auditing) counter.detach();
      const cpu = process.cpuUsage(cpu0);
      const mem1 = process.memoryUsage();
      const gcs = (gc.stop()?.statistics ?? []) as unknown as GcStat[];
      const rssPeakBytes = process.resourceUsage().maxRSS * 1024;
      progress.end();
      const verdict = verifier.verdict();
      const after = prepared.afterRead?.();
      if (after) {
        verdict.ok = false;
        verdict.problems.push(after);
      }
      const freed = gcs.reduce((a, g) => a + (g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize), 0);
      if (auditing) {
        const kernel = kernelDelta(k0, k1);
        audit = { read: phase.replace(`${label} `, ''), kernel, bpf, agree: countsAgree(bpf, kernel) };
      }
      return {
        wallNs: Number(t1 - t0),
        userNs: cpu.user * 1000,
        sysNs: cpu.system * 1000,
        bpf,
        memory: {
          heapUsedDeltaBytes: mem1.heapUsed - mem0.heapUsed,
          externalDeltaBytes: mem1.external + mem1.arrayBuffers - (mem0.external + mem0.arrayBuffers),
          rssPeakBytes,
          allocatedBytes: Math.max(0, mem1.heapUsed - mem0.heapUsed + freed),
          gcCount: gcs.length,
          gcPauseNs: gcs.reduce((a, g) => a + g.cost * 1000, 0),
        },
        counted: report.counted,
        chunk: report.chunk,
        chunkGrowths: report.chunkGrowths ?? 0,
        verdict,
      };
    };

    // One full collection before this strategy's reads: garbage left by what
    // ran before (another strategy, a fill) is not collected, and counted as
    // allocation, inside a read. (Not before every read: a forced full GC can
    // flush compiled code, which the next read would recompile, and allocate.)
    fullGc();
    let failedVerdict: Verdict | undefined;
    for (let i = 0; i < policy.warmup; i++) {
      const s = readOnce(`${label} warmup ${i + 1}/${policy.warmup}`);
      warmupRuns++;
      if (!s.verdict.ok) {
        failedVerdict = s.verdict;
        samples.push(s);
        break;
      }
    }

    if (failedVerdict === undefined || strategy.expectedToFail) {
      // tinybench runs the reads (up to maxRuns, no time limit of its own);
      // this file decides when to stop, after each read.
      const stop = new AbortController();
      const bench = new Bench({
        iterations: Math.max(policy.minRuns, policy.maxRuns),
        time: 0,
        warmup: false,
        throws: true,
        retainSamples: true,
      });
      const measured: ReadSample[] = [];
      let spentNs = 0;
      bench.add(
        label,
        () => {
          const s = readOnce(`${label} run ${measured.length + 1}`);
          measured.push(s);
          spentNs += s.wallNs;
          const n = measured.length;
          const nextEndsWithinBudget = spentNs + spentNs / n <= policy.budgetMs * 1e6;
          // A wrong read is not timed again as if it were a success.
          if (!s.verdict.ok && !strategy.expectedToFail) stop.abort();
          else if (n >= policy.maxRuns || (n >= policy.minRuns && !nextEndsWithinBudget)) stop.abort();
          return { overriddenDuration: s.wallNs / 1e6 };
        },
        { signal: stop.signal },
      );
      bench.runSync();
      if (failedVerdict !== undefined) samples.length = 0;
      samples.push(...measured);
    }
  } finally {
    prepared.free();
  }

  const firstBad = samples.find((s) => !s.verdict.ok);
  const verdict = (firstBad ?? samples[samples.length - 1]!).verdict;
  const callTotals = samples.map((s) => JSON.stringify(s.bpf));
  return {
    strategy,
    label,
    chunk,
    runs: samples.length,
    warmupRuns,
    verdict,
    wallNs: summarize(samples.map((s) => s.wallNs)),
    samples,
    failed: firstBad !== undefined && !strategy.expectedToFail,
    callsVaried: new Set(callTotals).size > 1,
    audit,
    note: prepared.note,
  };
}
