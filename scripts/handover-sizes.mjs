#!/usr/bin/env node
// How large a native hand-over should be (issue 21 §2): reads one filled
// u32 → u32 hash map with the native loop, batch and elem, hand-overs of
// 1, 4 and 16 chunks and of 64Ki entries, each checked in C (the default)
// and, for the reference, in TypeScript (BPFBENCH_CHECK=js's path), in
// alternation, round after round, so that every variant sees the same
// machine. Every read is verified; a wrong one stops the script.
//
//   node scripts/handover-sizes.mjs --entries 16Mi --rounds 5 [--chunk 4096] [--json results/handover-16Mi.json]
//
// Prints the median ns/entry of each variant and its ratio to the default.
import { writeFileSync, renameSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openBenchMap } from '../dist/src/harness/filling/bench-map.js';
import { silentProgress } from '../dist/src/harness/measuring/progress.js';
import { Verifier } from '../dist/src/harness/verification/verifier.js';
import { NativeRead } from '../dist/src/bpf/native/native-loop.js';
import { drainNative, entriesPut } from '../dist/src/strategies/loop.js';
import { elem } from '../dist/src/strategies/elem.js';
import { batch } from '../dist/src/strategies/batch.js';
import { parseCount } from '../dist/src/cli/parse.js';

const { values: o } = parseArgs({
  options: {
    entries: { type: 'string', default: '1Mi' },
    rounds: { type: 'string', default: '5' },
    chunk: { type: 'string', default: '4096' },
    json: { type: 'string' },
    elem: { type: 'boolean', default: false },
  },
});
const entries = parseCount(o.entries);
const rounds = Number(o.rounds);
const chunk = Number(o.chunk);
const config = {
  source: { kind: 'create' },
  mapType: 'hash',
  keySize: 4,
  valueSize: 4,
  entries,
  maxEntries: entries,
  chunk,
  strategies: [elem, batch],
  fill: 'auto',
  mapFlags: 0,
  repeat: { minRuns: 1, maxRuns: 1, budgetMs: 0, warmup: 0 },
  runsSetting: 1,
  kernelCount: false,
};
const bench = openBenchMap(config, silentProgress);
const variants = [];
for (const [label, handOverEntries] of [
  ['1 chunk', chunk],
  ['4 chunks', 4 * chunk],
  ['16 chunks (64Ki)', 16 * chunk],
]) {
  variants.push({ strategy: 'batch', label: `batch, hand-over ${label}, check in C`, handOverEntries, native: true });
}
variants.push({ strategy: 'batch', label: 'batch, hand-over 64Ki, check in TypeScript', handOverEntries: 64 * 1024, native: false });
if (o.elem) {
  for (const h of [4096, 16384, 65536]) variants.push({ strategy: 'elem', label: `elem, hand-over ${h}, check in C`, handOverEntries: h, native: true });
  variants.push({ strategy: 'elem', label: 'elem, hand-over 65536, check in TypeScript', handOverEntries: 65536, native: false });
}
const verifiers = { true: new Verifier(bench.expect), false: new Verifier(bench.expect, { native: false }) };
const put = entriesPut(bench.map);
const times = variants.map(() => []);
try {
  for (let r = 0; r < rounds + 1; r++) {
    variants.forEach((v, i) => {
      const walk =
        v.strategy === 'batch'
          ? NativeRead.batch(bench.map, chunk, { onEnospc: 'grow', handOverEntries: v.handOverEntries, latencyEvery: 0 })
          : NativeRead.elem(bench.map, { handOverEntries: v.handOverEntries, latencyEvery: 0 });
      const sink = verifiers[v.native];
      sink.reset();
      walk.reset();
      const t0 = process.hrtime.bigint();
      drainNative(walk, sink, put);
      const ns = Number(process.hrtime.bigint() - t0);
      walk.free();
      const verdict = sink.verdict();
      if (!verdict.ok) throw new Error(`${v.label}: ${verdict.problems.join('; ')}`);
      if (verdict.checkedBy !== (v.native ? 'native' : 'js')) throw new Error(`${v.label}: checked by ${verdict.checkedBy}`);
      if (r > 0) times[i].push(ns / verdict.entries); // round 0 warms up
      process.stderr.write(`round ${r}/${rounds}: ${v.label}: ${(ns / verdict.entries).toFixed(1)} ns/entry\n`);
    });
  }
} finally {
  bench.close();
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = variants.map((v, i) => ({ ...v, nsPerEntry: median(times[i]), min: Math.min(...times[i]), max: Math.max(...times[i]), samples: times[i] }));
for (const r of rows) {
  const ref = rows.find((x) => x.strategy === r.strategy && x.native && x.handOverEntries === 16 * chunk) ?? rows.find((x) => x.strategy === r.strategy && x.native && x.handOverEntries === 65536);
  console.log(`${r.label.padEnd(48)} ${r.nsPerEntry.toFixed(1).padStart(8)} ns/entry (min ${r.min.toFixed(1)}, max ${r.max.toFixed(1)})  × default ${(r.nsPerEntry / ref.nsPerEntry).toFixed(3)}`);
}
if (o.json) {
  const doc = {
    what: 'native hand-over sizes and where the check runs, u32 → u32 hash map, in alternation (scripts/handover-sizes.mjs)',
    createdAt: new Date().toISOString(),
    kernel: bench.context.kernel,
    cpuModel: bench.context.cpuModel,
    entries,
    chunk,
    rounds,
    rows,
  };
  writeFileSync(`${o.json}.tmp`, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(`${o.json}.tmp`, o.json);
}
