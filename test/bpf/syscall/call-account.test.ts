// The process's account of its bpf calls (src/bpf/syscall/call-account.ts), held
// against counts that do not come from it: strace's, of a whole `run`, and
// the kernel's syscall counter, of a libbpf load in this process.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { callPhase, processCalls } from '../../../src/bpf/syscall/call-account.js';
import { CMD_SLOTS, cmdLabel } from '../../../src/bpf/syscall/constants.js';
import { newKernelCounts } from '../../../src/bpf/programs/counter.js';
import { BpfObject } from '../../../src/bpf/programs/loader.js';
import { MAP_NAME } from '../../../src/harness/filling/bench-map.js';
import { filledHashMap, onPath, requireTool, runCli, startCounter } from '../../helpers.js';

/** A command's name without BPF_ and MAP_ (strace: BPF_MAP_LOOKUP_ELEM; the JSON: LOOKUP_ELEM, MAP_CREATE). */
const bare = (name: string) => name.replace(/^BPF_/, '').replace(/^MAP_/, '');

function bareCounts(calls: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(calls)) out[bare(k)] = (out[bare(k)] ?? 0) + n;
  return out;
}

/** strace -f -o FILE's bpf calls by command: one line per call (a call cut by another thread's is `<unfinished ...>` on its first line, counted there). */
function straceCounts(file: string): { total: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const m of readFileSync(file, 'utf8').matchAll(/^\d+ +bpf\((BPF_[A-Z_]+|\d+)/gm)) {
    const k = bare(m[1]!);
    byCommand[k] = (byCommand[k] ?? 0) + 1;
    total++;
  }
  return { total, byCommand };
}

const STRACE = onPath('strace') ? false : 'not on PATH (make deps installs it)';

describe('every bpf call of a run, against strace', () => {
  for (const extra of [[], ['--loop', 'js'], ['--no-kernel-count']]) {
    test(`run --entries 65536 --strategies elem,batch --runs 1 ${extra.join(' ')}`.trim(), (t) => {
      if (!requireTool(t, 'strace', STRACE)) return;
      const dir = mkdtempSync(join(tmpdir(), 'bpfbench-calls-'));
      try {
        const trace = join(dir, 'strace.txt');
        const json = join(dir, 'run.json');
        const r = runCli(['run', '--entries', '65536', '--strategies', 'elem,batch', '--runs', '1', '--json', json, ...extra], {}, ['strace', '-f', '-qq', '-e', 'trace=bpf', '-o', trace]);
        assert.equal(r.status, 0, r.stderr);
        const seen = straceCounts(trace);
        const result = JSON.parse(readFileSync(json, 'utf8'));
        const p = result.process;
        t.diagnostic(`strace ${seen.total} bpf calls, the JSON ${p.total}: ${JSON.stringify(p.byCommand)}`);
        assert.match(p.libbpf, /^counted/);
        assert.equal(p.total, seen.total, "the total is strace's");
        assert.deepEqual(bareCounts(p.byCommand), seen.byCommand, 'command by command');
        // The account adds up, and each timed read's phase is that read's own count.
        assert.equal(
          p.byPhase.reduce((a: number, x: { total: number }) => a + x.total, 0),
          p.total,
        );
        for (const s of result.results) {
          const phase = p.byPhase.find((x: { phase: string }) => x.phase === `${s.label}: run 1`);
          assert.ok(phase, `${s.label}: run 1 in ${p.byPhase.map((x: { phase: string }) => x.phase).join(', ')}`);
          assert.deepEqual(phase.calls, s.syscalls.bpf);
        }
        // What is not a read: probes, the object's loads (libbpf's BTF_LOAD among them), the fill.
        assert.ok(p.byCommand.BTF_LOAD > 0 && p.byCommand.PROG_LOAD > 0 && p.byCommand.MAP_CREATE > 0, JSON.stringify(p.byCommand));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('the account in this process, against the kernel counter', () => {
  test("libbpf's calls inside bpf_object__load are counted, command by command", () => {
    const { counter, close } = startCounter();
    const k0 = newKernelCounts();
    const k1 = newKernelCounts();
    const inPhase = (a: ReturnType<typeof processCalls>) => a.byPhase.find((x) => x.phase === 'test: load')?.calls ?? {};
    try {
      callPhase('test: load');
      counter.read(k0);
      const a0 = processCalls();
      const obj = BpfObject.open();
      obj.configureMap(MAP_NAME, { maxEntries: 16 });
      obj.autoloadOnly(['fill']);
      obj.load();
      // And bpfbench's own calls, from TypeScript.
      filledHashMap(10).close();
      obj.close();
      const a1 = processCalls();
      counter.read(k1);
      const kernel: Record<string, number> = {};
      for (let c = 0; c < CMD_SLOTS; c++) if (k1.bpf[c]! > k0.bpf[c]!) kernel[cmdLabel(c)] = k1.bpf[c]! - k0.bpf[c]!;
      const own: Record<string, number> = {};
      const [before, after] = [inPhase(a0), inPhase(a1)];
      for (const [k, n] of Object.entries(after)) if (n > (before[k] ?? 0)) own[k] = n - (before[k] ?? 0);
      assert.deepEqual(own, kernel);
      assert.equal(a1.total - a0.total, k1.bpfTotal - k0.bpfTotal);
      assert.ok((own.BTF_LOAD ?? 0) > 0 && (own.PROG_LOAD ?? 0) > 0 && (own.MAP_CREATE ?? 0) > 0, JSON.stringify(own));
      assert.ok((own.UPDATE_BATCH ?? 0) >= 1, `the map's fill (UPDATE_BATCH) from TypeScript: ${JSON.stringify(own)}`);
    } finally {
      close();
      callPhase('test');
    }
  });
});
