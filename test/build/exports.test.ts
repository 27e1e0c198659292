// What src/ exports is the library's: an export nothing uses is dead code,
// and one only the tests use says here why it is in the library (a test
// needs the very code the commands run, not a copy). Exports used only
// inside their own file (a module's types, its constants) are the module's
// own business and not listed.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../src/paths.js';

/** `file name` → why a test-only export is in the library. */
const TEST_ONLY: Record<string, string> = {
  // The pieces of a computation a test holds to its definition, with
  // figures the commands never see on their own.
  'src/report/formats/exporters.ts FORMATS': 'the formats in the registry, in order: the test holds EXPORTERS to exactly these',
  'src/harness/filling/fill-parallel.ts splitRange': 'the fill splits keys into ranges with it; the test checks the ranges cover every key once',
  'src/harness/filling/preflight.ts estimateMapBytes': "the memory preflight's estimate, held to the kernel's real map sizes",
  'src/harness/filling/preflight.ts MEMORY_HEADROOM': 'the headroom the preflight applies, so the test can put a map just over or under it',
  'src/harness/filling/preflight.ts fmtGiB': "the preflight's wording of sizes, which the test's expected message uses",
  'src/harness/filling/preflight.ts hasBpfPrivilege': 'the privilege check, given capability sets the test makes up',
  'src/harness/verification/consistency.ts RESTART_JUMP': 'how far back a per-element walk must jump to count as a restart; the test walks around it',
  'src/harness/measuring/measure-strategy.ts auditBound': "where the audit read stops, given bounds the test shrinks (AUDIT_BOUNDS is a real run's)",
  'src/harness/measuring/measure-strategy.ts AuditBounds': "auditBound's bounds, built by the test",
  'src/harness/filling/bench-map.ts patternFor': 'what the loader writes, which the test reads back from a filled map',
  'src/harness/peers/exec.ts commandFor': "an exec: reader's command with its placeholders filled, checked word by word",
  'src/harness/peers/exec.ts parseResultLine': "an exec: reader's result line as parsed, checked on malformed lines no reader prints",
  'src/report/analysis/sweep-result.ts fastestWithin': "--max-call-latency's pick, on points the test makes up",
  'src/report/result/result.ts wallTimeOf': 'the wall-time account closed at a total the test chooses',
  'src/report/analysis/reproduction.ts flawedCount': "the flawed loop's count in words, on counts the test makes up",
  'src/strategies/sharded.ts canShard': 'which map types a sharded read accepts, over every type',
  'src/bpf/native/latency.ts bucketLow': "a latency bucket's lower bound, so the test can check every bucket's edges",
  'src/bpf/native/latency.ts bucketHigh': "a latency bucket's upper bound, so the test can check every bucket's edges",
  'src/bpf/native/latency.ts clockNs': 'the clock the js loop times calls with, checked to be monotonic and fine-grained',
  'src/bpf/native/latency.ts SAMPLE_EVERY': 'how often small calls are timed; tests expect sampledEvery to be it',
  'src/bpf/native/latency.ts SAMPLE_ALL_FROM': 'the call size from which every call is timed; the test samples either side of it',
  'src/bpf/native/native-library.ts nativeLatencyBucket': "the C loop's bucketing (bb_lat_bucket), held to latency.ts on the library the commands load, not a test build of it",
  'src/strategies/drain.ts prepareElemDelete': 'the LOOKUP_ELEM + DELETE_ELEM drain forced on a kernel that has LOOKUP_AND_DELETE_ELEM, where no command would choose it',
  // Names and shapes tests reach the same objects by.
  'src/harness/filling/bench-map.ts MAP_NAME': 'the name bpfbench gives its map, which tests find it by',
  'src/harness/filling/bench-map.ts FILL_PROG': "the fill program's name in the BPF object, which the test loads",
  'src/harness/filling/bench-map.ts ALL_PROGS': 'every program bpfbench loads by name, each checked present in the packaged object',
  'src/bpf/programs/counter.ts COUNTER_PROG': "the counter program's name, by which tests find it attached",
  'src/harness/peers/peer-programs.ts cPeer': 'one peer, run alone by its test (PEERS holds them all)',
  'src/harness/peers/peer-programs.ts bpftoolPeer': 'one peer, run alone by its test (PEERS holds them all)',
  'src/harness/peers/peer-programs.ts bccPeer': 'one peer, run alone by its test (PEERS holds them all)',
  'src/report/analysis/calibration.ts CalibrationJson': 'the shape of results/gate-calibration.json (scripts/gate-calibration writes it untyped), as the docs test reads it',
  'src/report/analysis/reproduction.ts PublishedExperiment': 'the published figures the README block is rendered from',
  'src/report/html/style.ts OKABE_ITO': "the page's palette, which the test finds in the rendered SVG",
  'src/bpf/maps/map.ts MapSpec': 'what BpfMap.create takes, the type of the maps test helpers make',
  // The CLI as a program, driven by tests without a process.
  'src/cli/main.ts buildProgram': "the command tree, whose --help the docs' command lines are checked against",
  'src/cli/measured-run.ts runConfig': 'the flags as the harness gets them, for tests that run the harness directly',
  'src/cli/options.ts parseDuration': "--budget's parser, on inputs the test makes up",
  'src/cli/exit.ts EXIT_USAGE': 'the exit code of a refusal, which tests expect',
  'src/cli/exit.ts INTERNAL_ERROR_LINE': 'the line an internal error prints, which the test expects',
  // Switches a test needs to reach a state a command never enters.
  'src/bpf/programs/features.ts resetFeatureCache': 'the probes are cached per process; the test probes again after forcing an answer',
  'src/bpf/native/native-library.ts setNativeLibPath': 'points the loader at a missing library, to check the one-line refusal',
};

function walk(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const read = (files: string[]) => new Map(files.map((f) => [relative(ROOT, f), readFileSync(f, 'utf8')]));
const src = read(walk(join(ROOT, 'src')).filter((f) => f.endsWith('.ts')));
const tests = read(walk(join(ROOT, 'test')).filter((f) => f.endsWith('.ts')));
// The scripts (some without an extension) and the executable use the library too.
const users = read([...walk(join(ROOT, 'scripts')).filter((f) => !/\.(md|json|go|mod|sum|c|py)$/.test(f)), join(ROOT, 'bin/bpfbench')]);
const EXPORT = /^export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:const|let|function\*?|class|type|interface|enum)\s+([A-Za-z_$][\w$]*)/gm;

function usage(): { dead: string[]; testOnly: string[] } {
  const dead: string[] = [];
  const testOnly: string[] = [];
  for (const [file, text] of src) {
    for (const m of text.matchAll(EXPORT)) {
      const name = m[1]!;
      const pattern = `(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`;
      const word = new RegExp(pattern);
      const elsewhere = [...src].some(([f, t]) => f !== file && word.test(t)) || [...users.values()].some((t) => word.test(t));
      if (elsewhere) continue;
      const inTests = [...tests.values()].some((t) => word.test(t));
      const ownUses = text.match(new RegExp(pattern, 'g'))?.length ?? 0;
      if (inTests) testOnly.push(`${file} ${name}`);
      else if (ownUses <= 1) dead.push(`${file} ${name}`);
    }
  }
  return { dead, testOnly };
}

test('no export in src/ is dead: each is used somewhere', () => {
  assert.deepEqual(usage().dead, []);
});

test('every export only tests use says why it is in the library, and the list holds no other', () => {
  const { testOnly } = usage();
  assert.deepEqual(
    testOnly.filter((k) => !TEST_ONLY[k]),
    [],
    'an export only tests use: add it to TEST_ONLY with its reason, or move it into test/',
  );
  assert.deepEqual(
    Object.keys(TEST_ONLY).filter((k) => !testOnly.includes(k)),
    [],
    'no longer test-only (or gone): remove it from TEST_ONLY',
  );
});
