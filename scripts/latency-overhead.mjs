#!/usr/bin/env node
// What does recording per-call latency cost? Reads one filled u32 → u32 hash
// map with a strategy, the histogram off (latencyEvery 0), at its default
// sampling, and timing every call (latencyEvery 1), in alternation (the
// order rotates each round), each read into the same verifier as
// `bpfbench run`; compares the medians and the median of per-round ratios,
// of wall time and of CPU time (user + sys: less moved than the wall time by
// other processes on a shared machine). A benchmark, not a test.
//   node scripts/latency-overhead.mjs [--entries 1Mi] [--rounds 9] [--loops native,js] [--strategies elem,batch] [--out file.json]
// Needs the build (`make`).
import { renameSync, writeFileSync } from 'node:fs';
import { MapType } from '../dist/src/bpf/syscall/constants.js';
import { LatencyHistogram } from '../dist/src/bpf/native/latency.js';
import { BpfMap } from '../dist/src/bpf/maps/map.js';
import { NativeBlock } from '../dist/src/bpf/syscall/native-block.js';
import { summarize } from '../dist/src/harness/measuring/stats.js';
import { Verifier } from '../dist/src/harness/verification/verifier.js';
import { parseCount } from '../dist/src/cli/parse.js';
import { strategyByName } from '../dist/src/strategies/index.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const entries = parseCount(opt('--entries', '1Mi'));
const rounds = Number(opt('--rounds', '9'));
const loops = opt('--loops', 'native,js').split(',');
const strategies = opt('--strategies', 'elem,batch').split(',');
const out = opt('--out', undefined);
const CHUNK = 4096;
const VALUE = 0xdeadbeef;

function filledMap(n) {
  const map = BpfMap.create({ type: MapType.hash, keySize: 4, valueSize: 4, maxEntries: n, name: 'bpfbench_lat' });
  const step = 1 << 14;
  const keys = new NativeBlock(step * 4);
  const values = new NativeBlock(step * 4);
  values.u32.fill(VALUE);
  for (let start = 0; start < n; start += step) {
    const count = Math.min(step, n - start);
    for (let i = 0; i < count; i++) keys.u32[i] = start + i;
    map.updateBatch(keys.addr, values.addr, count);
  }
  keys.free();
  values.free();
  return map;
}

const median = (xs) => summarize(xs).median;
const map = filledMap(entries);
const sink = new Verifier({ entries, value: VALUE });
const report = [];
try {
  for (const loop of loops) {
    for (const name of strategies) {
      const strategy = strategyByName(name);
      // off, the default sampling, every call.
      const settings = [
        { label: 'off', latencyEvery: 0 },
        { label: 'default', latencyEvery: undefined },
        { label: 'every call', latencyEvery: 1 },
      ];
      const reads = settings.map((s) => ({ ...s, prepared: strategy.prepare(map, { chunk: CHUNK, loop, latencyEvery: s.latencyEvery }), ns: [], cpu: [], sampledEvery: 0, timed: 0 }));
      const readOnce = (r) => {
        sink.reset(() => {});
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        const rep = r.prepared.read(sink);
        const ns = Number(process.hrtime.bigint() - t0);
        const c = process.cpuUsage(c0);
        if (!sink.verdict().ok) throw new Error(`${name} ${loop}: the read failed verification`);
        r.sampledEvery = rep.callLatency?.sampledEvery ?? 0;
        if (rep.callLatency) {
          const h = LatencyHistogram.of(rep.callLatency);
          r.timed = h.count;
        }
        return { ns, cpu: (c.user + c.system) * 1000 };
      };
      for (const r of reads) readOnce(r); // warm
      const ratios = { default: [], 'every call': [] };
      const cpuRatios = { default: [], 'every call': [] };
      for (let i = 0; i < rounds; i++) {
        const order = reads.map((_, k) => reads[(k + i) % reads.length]);
        const t = {};
        for (const r of order) {
          const m = readOnce(r);
          r.ns.push(m.ns);
          r.cpu.push(m.cpu);
          t[r.label] = m;
        }
        for (const k of ['default', 'every call']) {
          ratios[k].push(t[k].ns / t.off.ns);
          cpuRatios[k].push(t[k].cpu / t.off.cpu);
        }
        process.stderr.write(
          `${loop} ${name} round ${i + 1}/${rounds}: ${reads.map((r) => `${r.label} ${(t[r.label].ns / entries).toFixed(1)} (cpu ${(t[r.label].cpu / entries).toFixed(1)})`).join(', ')} ns/entry\n`,
        );
      }
      for (const r of reads) r.prepared.free();
      const off = median(reads[0].ns);
      const row = {
        loop,
        strategy: name,
        chunk: strategy.usesChunk ? CHUNK : null,
        offNsPerEntry: off / entries,
        offCpuNsPerEntry: median(reads[0].cpu) / entries,
        settings: reads.slice(1).map((r) => ({
          label: r.label,
          sampledEvery: r.sampledEvery,
          callsTimedPerRead: r.timed,
          nsPerEntry: median(r.ns) / entries,
          overheadPercentOfMedians: (median(r.ns) / off - 1) * 100,
          overheadPercentMedianRatio: (median(ratios[r.label]) - 1) * 100,
          cpuOverheadPercentMedianRatio: (median(cpuRatios[r.label]) - 1) * 100,
        })),
        samplesNs: Object.fromEntries(reads.map((r) => [r.label, r.ns])),
        samplesCpuNs: Object.fromEntries(reads.map((r) => [r.label, r.cpu])),
      };
      report.push(row);
      process.stdout.write(
        `${loop} ${name}${row.chunk ? `(${CHUNK})` : ''}: off ${row.offNsPerEntry.toFixed(1)} ns/entry; ` +
          row.settings
            .map(
              (s) =>
                `${s.label} (1 in ${s.sampledEvery}, ${s.callsTimedPerRead} calls timed) ${s.nsPerEntry.toFixed(1)} ns/entry, wall ${s.overheadPercentMedianRatio.toFixed(2)} % (medians ${s.overheadPercentOfMedians.toFixed(2)} %), cpu ${s.cpuOverheadPercentMedianRatio.toFixed(2)} %`,
            )
            .join('; ') +
          '\n',
      );
    }
  }
} finally {
  map.close();
}
if (out) {
  writeFileSync(`${out}.tmp`, `${JSON.stringify({ what: 'cost of recording per-call latency (median over rounds)', entries, rounds, results: report }, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
}
