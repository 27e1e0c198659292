#!/usr/bin/env node
// What does the kernel-side syscall counter cost while it is ATTACHED? The
// counter's raw tracepoints send every syscall on the machine through the
// kernel's slow path; that is why `bpfbench run` attaches it for one audited
// read per strategy only (scripts/counter-overhead.mjs measures what that
// costs: nothing measurable). This measures the cost it avoids: per-element
// reads (elem, 2N+1 bpf calls) of one map, timed with the counter attached for
// the whole side and detached, sides alternating to spread drift over both,
// each side one untimed read then --runs timed ones; pooled medians. Every
// read is verified, and the kernel's count of bpf calls per timed read is
// kept: 2N+1 attached, 0 detached, or the figures would not mean what they say.
// A benchmark, not a test.
//   node scripts/counter-attached-overhead.mjs [--entries 1Mi] [--pairs 3] [--runs 3] [--loop native|js]
//                                              [--out results/counter-attached-overhead-1Mi.json]
// Needs the build (`make`) and root: it uses bpfbench's own modules from dist/.
import { renameSync, writeFileSync } from 'node:fs';
import { newKernelCounts } from '../dist/src/bpf/programs/counter.js';
import { parseCount } from '../dist/src/cli/parse.js';
import { openBenchMap } from '../dist/src/harness/filling/bench-map.js';
import { fullGc } from '../dist/src/harness/measuring/gc.js';
import { silentProgress } from '../dist/src/harness/measuring/progress.js';
import { summarize } from '../dist/src/harness/measuring/stats.js';
import { Verifier } from '../dist/src/harness/verification/verifier.js';
import { DEFAULT_LOOP, READ_LOOPS, strategyByName } from '../dist/src/strategies/index.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const entriesArg = opt('--entries', '1Mi');
const entries = parseCount(entriesArg);
const pairs = Number(opt('--pairs', '3'));
const runs = Number(opt('--runs', '3'));
const loop = opt('--loop', DEFAULT_LOOP);
const out = opt('--out', undefined);
if (!READ_LOOPS.includes(loop)) throw new Error(`--loop must be one of: ${READ_LOOPS.join(', ')}`);
if (!(Number.isInteger(pairs) && pairs >= 1 && Number.isInteger(runs) && runs >= 1)) throw new Error('--pairs and --runs must be whole numbers ≥ 1');

// The map `bpfbench run` makes on its defaults (u32 → u32 hash, filled in kernel), with the counter loaded.
const bench = openBenchMap({ entries, maxEntries: entries, fill: 'prog', mapFlags: 0, kernelCount: true }, silentProgress);
const counter = bench.counter;
const prepared = strategyByName('elem').prepare(bench.map, { chunk: 0, loop });
const verifier = new Verifier(bench.expect);
const k0 = newKernelCounts();
const k1 = newKernelCounts();

/** One verified full read: ns per entry. */
function read() {
  verifier.reset();
  const t0 = process.hrtime.bigint();
  prepared.read(verifier);
  const t1 = process.hrtime.bigint();
  const v = verifier.verdict();
  if (!v.ok) throw new Error(`a read failed verification: ${v.problems.join('; ')}`);
  return Number(t1 - t0) / entries;
}

/** One side: the counter attached (or not) throughout; an untimed read, then the timed ones. */
function side(attached) {
  fullGc();
  if (attached) counter.attach();
  try {
    read();
    counter.read(k0);
    const samples = Array.from({ length: runs }, read);
    counter.read(k1);
    return { samples, kernelBpfCallsPerRead: (k1.bpfTotal - k0.bpfTotal) / runs };
  } finally {
    if (attached) counter.detach();
  }
}

const on = [];
const off = [];
const kernelCalls = { on: new Set(), off: new Set() };
try {
  for (let i = 0; i < pairs; i++) {
    for (const attached of i % 2 === 0 ? [true, false] : [false, true]) {
      const r = side(attached);
      (attached ? on : off).push(...r.samples);
      kernelCalls[attached ? 'on' : 'off'].add(r.kernelBpfCallsPerRead);
      process.stderr.write(`pair ${i + 1}/${pairs}: counter ${attached ? 'attached' : 'detached'}: ${r.samples.map((x) => x.toFixed(0)).join(', ')} ns/entry\n`);
    }
  }
} finally {
  prepared.free();
  bench.close();
}

const median = (xs) => summarize(xs).median;
const only = (set) => (set.size === 1 ? [...set][0] : [...set]);
const tracepoints = counter.timed ? 'sys_enter and sys_exit raw tracepoints' : 'sys_enter raw tracepoint';
const result = {
  what: `cost of the syscall counter (${tracepoints}) while ATTACHED, on per-element reads (elem, ${entriesArg}, loop ${loop}): attached for every timed read, as before it was limited to one audited read per strategy; pooled medians of ${pairs * runs} reads each, alternating (scripts/counter-attached-overhead.mjs)`,
  entries: entriesArg,
  pairs,
  context: bench.context,
  withCounterNsPerEntry: median(on),
  withoutCounterNsPerEntry: median(off),
  overheadPercent: (median(on) / median(off) - 1) * 100,
  samples: { on, off },
  loop,
  runs,
  kernelBpfCallsPerRead: { on: only(kernelCalls.on), off: only(kernelCalls.off) },
};
process.stdout.write(
  `elem ${entriesArg} (loop ${loop}): counter attached ${result.withCounterNsPerEntry.toFixed(0)} ns/entry, detached ${result.withoutCounterNsPerEntry.toFixed(0)} ns/entry: overhead ${result.overheadPercent.toFixed(2)} %\n`,
);
if (out) {
  writeFileSync(`${out}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
}
