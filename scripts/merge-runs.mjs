#!/usr/bin/env node
// Merges run results of one configuration, each a round of reads, into one
// result whose every strategy holds all their reads in order: how the GitHub
// Actions example reads a pull request's build and its base's build in
// alternation, round by round (one `bpfbench run --runs 1` of each per
// round), and still compares two results. Every figure bpfbench derives from
// the reads (wall statistics, ns/entry, entries/s, speed-ups) is recomputed
// from the merged reads; the rest is the first round's.
//   node scripts/merge-runs.mjs OUT.json ROUND1.json ROUND2.json …
// Needs the build (`make`): it uses bpfbench's own statistics and contract.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { summarize } from '../dist/src/harness/measuring/stats.js';
import { COMPARE_KINDS, parseResult } from '../dist/src/report/schema/index.js';

const [out, ...files] = process.argv.slice(2);
const die = (line) => {
  process.stderr.write(`merge-runs: ${line}\n`);
  process.exit(2);
};
if (!out || files.length === 0) die('usage: merge-runs.mjs OUT.json ROUND.json…');
let rounds;
try {
  rounds = files.map((f) => {
    const r = parseResult(f, readFileSync(f, 'utf8'), COMPARE_KINDS);
    if (r.kind !== 'run') die(`${f}: a ${r.kind} result, not a run result`);
    return r.json;
  });
} catch (e) {
  die(e.message);
}
const config = (r) => JSON.stringify({ ...r.config, runs: undefined, warmup: undefined });
for (let i = 1; i < rounds.length; i++) if (config(rounds[i]) !== config(rounds[0])) die(`${files[i]}: another configuration than ${files[0]}`);
const merged = structuredClone(rounds[0]);
for (const s of merged.results) {
  const all = rounds.map((r) => r.results.find((x) => x.label === s.label));
  if (all.some((x) => !x)) die(`${s.label} is not in every round`);
  const samples = all.flatMap((x) => x.wallNs.samples);
  const w = summarize(samples);
  s.wallNs = { mean: w.mean, sd: w.sd, median: w.median, min: w.min, max: w.max, rme: w.rme, samples };
  s.runs = samples.length;
  // A round whose read failed fails the merged result.
  s.verified = all.find((x) => !x.verified.ok)?.verified ?? s.verified;
  s.nsPerEntry = w.median / Math.max(1, s.verified.entries);
  s.nsPerDistinctEntry = w.median / Math.max(1, s.verified.distinct);
  s.entriesPerSec = s.verified.entries / (w.median / 1e9);
}
const elem = merged.results.find((x) => x.strategy === 'elem');
for (const s of merged.results) if (elem && s.verified.ok) merged.summary.speedup[s.strategy] = elem.wallNs.median / s.wallNs.median;
merged.summary.ok = merged.results.every((s) => s.verified.ok || s.verified.expectedToFail);
merged.config.runs = Math.max(...merged.results.map((s) => s.runs));
merged.warnings = [...merged.warnings, `merged from ${files.length} rounds (scripts/merge-runs.mjs): ${files.join(', ')}`];
writeFileSync(`${out}.tmp`, `${JSON.stringify(merged, null, 2)}\n`);
renameSync(`${out}.tmp`, out);
