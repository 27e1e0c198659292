// run -v's line of the process's bpf calls (src/report/rendering/process-calls.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProcessCalls } from '../../../src/bpf/syscall/call-account.js';
import { processCallsLine } from '../../../src/report/rendering/process-calls.js';

const account = (libbpf = 'counted at its syscall() slot (native/libbpf-count.c)'): ProcessCalls => ({
  countedBy: 'self',
  libbpf,
  total: 262_365,
  byPhase: [
    { phase: 'start: options and probes', calls: { BTF_LOAD: 9, MAP_CREATE: 19 }, total: 28 },
    { phase: 'probes and checks before the map', calls: { MAP_CREATE: 134 }, total: 134 },
    { phase: 'create the map; load the BPF object', calls: { MAP_CREATE: 18 }, total: 18 },
    { phase: 'fill', calls: { PROG_TEST_RUN: 1 }, total: 1 },
    { phase: 'elem: around reads', calls: { RAW_TRACEPOINT_OPEN: 2 }, total: 2 },
    { phase: 'elem: warmup 1/1 (audited)', calls: { LOOKUP_ELEM: 65_536, GET_NEXT_KEY: 65_537 }, total: 131_073 },
    { phase: 'elem: run 1', calls: { LOOKUP_ELEM: 65_536, GET_NEXT_KEY: 65_537 }, total: 131_073 },
    { phase: 'batch(4096): around reads', calls: { RAW_TRACEPOINT_OPEN: 2 }, total: 2 },
    { phase: 'batch(4096): audit', calls: { LOOKUP_BATCH: 17 }, total: 17 },
    { phase: 'batch(4096): run 1', calls: { LOOKUP_BATCH: 17 }, total: 17 },
  ],
  byCommand: {},
});

test('the line splits timed reads, warmup and audit reads, and the rest, naming the three largest of the rest', () => {
  assert.equal(
    processCallsLine(account()),
    'bpf calls of the process: 262,365: timed reads 131,090, warmup and audit reads 131,090, everything else 185 (probes and checks before the map 134, start: options and probes 28, create the map; load the BPF object 18, …)',
  );
});

test("libbpf's calls not counted: the line says so", () => {
  assert.match(processCallsLine(account("not counted: native/libbpfbench.so did not load (run 'make')")), /; libbpf's calls not counted: native\/libbpfbench\.so did not load/);
});
