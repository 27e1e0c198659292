#!/usr/bin/env node
// What does the kernel-side syscall counter cost? Runs `bpfbench run` on the
// per-element strategy (the one with the most syscalls per entry) with and
// without --no-kernel-count, alternating to spread drift over both, and
// compares the pooled medians. A benchmark, not a test.
//   node scripts/counter-overhead.mjs [--entries 1Mi] [--pairs 3] [--out results/counter-overhead.json]
// Needs the build (`make`): it uses bpfbench's own paths and statistics.
import { spawnSync } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarize } from '../dist/src/harness/measuring/stats.js';
import { ROOT } from '../dist/src/paths.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const entries = opt('--entries', '1Mi');
const pairs = Number(opt('--pairs', '3'));
const out = opt('--out', undefined);
const bin = join(ROOT, 'bin/bpfbench');

function run(counted) {
  const argv = [bin, 'run', '--entries', entries, '--strategies', 'elem', '--runs', '3', '--warmup', '1', '--json', '-'];
  if (!counted) argv.push('--no-kernel-count');
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`bpfbench failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  const e = j.results[0];
  return { samplesNsPerEntry: e.wallNs.samples.map((s) => s / e.verified.entries), context: j.context };
}

const median = (xs) => summarize(xs).median;

const on = [];
const off = [];
let context;
for (let i = 0; i < pairs; i++) {
  const order = i % 2 === 0 ? [true, false] : [false, true];
  for (const counted of order) {
    const r = run(counted);
    context = r.context;
    (counted ? on : off).push(...r.samplesNsPerEntry);
    process.stderr.write(`pair ${i + 1}/${pairs}: counter ${counted ? 'on ' : 'off'}: ${r.samplesNsPerEntry.map((x) => x.toFixed(0)).join(', ')} ns/entry\n`);
  }
}
const result = {
  what: 'cost of the kernel-side syscall counter on per-element reads (elem), pooled medians',
  entries,
  pairs,
  context,
  withCounterNsPerEntry: median(on),
  withoutCounterNsPerEntry: median(off),
  overheadPercent: (median(on) / median(off) - 1) * 100,
  samples: { on, off },
};
process.stdout.write(
  `elem ${entries}: counter on ${result.withCounterNsPerEntry.toFixed(0)} ns/entry, off ${result.withoutCounterNsPerEntry.toFixed(0)} ns/entry: overhead ${result.overheadPercent.toFixed(2)} %\n`,
);
if (out) {
  writeFileSync(`${out}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
}
