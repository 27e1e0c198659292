// examples/: the GitHub Actions workflow and the Kubernetes Job users copy.
// Both must parse as YAML, and every bpfbench command line in them (run:
// steps, container args) must be accepted by bpfbench's own parser, so that
// an example cannot name a flag, a value or a command the CLI does not have.
// The files they upload or report are the files their commands write.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments, parse } from 'yaml';
import { ROOT } from '../../src/paths.js';
import { bpfbenchCommands, checkScript, parseError, simpleCommands } from './cli-lines.js';

const WORKFLOW = 'examples/github-actions.yml';
const JOB = 'examples/kubernetes-job.yaml';
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The YAML documents of `text`; throws with the parser's first error. */
function parseYaml(text: string, file: string): unknown[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    const e = d.errors[0];
    if (e) throw new Error(`${file}: ${e.message}`);
  }
  return list.map((d) => d.toJS());
}

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { 'runs-on': string; steps: Step[] }>;
}
interface Container {
  image: string;
  command?: string[];
  args?: string[];
  securityContext?: { privileged?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[]; add?: string[] }; seccompProfile?: { type: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface JobManifest {
  kind: string;
  spec: { template: { spec: { hostPID?: boolean; containers: Container[]; volumes: { name: string; hostPath?: { path: string }; configMap?: unknown }[] } } };
}

/** Where a workflow's shell scripts are: the run: of every step. */
const workflowScripts = (w: Workflow) => Object.entries(w.jobs).flatMap(([job, j]) => j.steps.filter((s) => s.run).map((s) => ({ where: `${job}/${s.name ?? s.run}`, script: s.run! })));

/**
 * A container's shell text: `sh -c SCRIPT` (the script is args[0], or
 * command[2]), or an exec form whose program is bpfbench (its words, quoted).
 */
function containerScripts(c: Container): string[] {
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  const shell = argv.findIndex((w) => /(^|\/)(ba)?sh$/.test(w));
  if (shell >= 0 && argv[shell + 1] === '-c') return [argv[shell + 2] ?? ''];
  return [argv.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ')];
}

const jobScripts = (j: JobManifest) => j.spec.template.spec.containers.flatMap((c, i) => containerScripts(c).map((script) => ({ where: `containers[${i}] ${c.image}`, script })));

/** Every problem of a file's bpfbench lines, and how many lines there were. */
function checkFile(scripts: { where: string; script: string }[]): { lines: string[][]; problems: string[] } {
  const lines: string[][] = [];
  const problems: string[] = [];
  for (const { where, script } of scripts) {
    const r = checkScript(script, where);
    lines.push(...r.commands);
    problems.push(...r.problems);
  }
  return { lines, problems };
}

const workflow = () => parseYaml(read(WORKFLOW), WORKFLOW)[0] as Workflow;
const job = () => parseYaml(read(JOB), JOB)[0] as JobManifest;

/** The value after `flag` in argv. */
const flagValue = (argv: string[], flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};

test('both examples parse as YAML, one document each', () => {
  for (const file of [WORKFLOW, JOB]) assert.equal(parseYaml(read(file), file).length, 1, file);
  assert.throws(() => parseYaml('jobs:\n  a: [1, 2\n', 'broken.yml'), /broken\.yml/);
});

test('every bpfbench line of the GitHub Actions workflow is accepted by bpfbench', () => {
  const { lines, problems } = checkFile(workflowScripts(workflow()));
  assert.deepEqual(problems, []);
  const subcommands = lines.map((l) => l[0]);
  // run (base and this commit in alternation, this commit alone on a push), compare, report (with and without the base).
  assert.deepEqual(subcommands.sort(), ['compare', 'report', 'report', 'run', 'run', 'run']);
});

test('every bpfbench line of the Kubernetes Job is accepted by bpfbench', () => {
  const { lines, problems } = checkFile(jobScripts(job()));
  assert.deepEqual(problems, []);
  assert.equal(lines.length, 1);
  assert.deepEqual(lines[0]!.slice(0, 3), ['run', '--entries', '1Mi']);
  // The result goes to stdout, where `kubectl logs` collects it.
  assert.equal(flagValue(lines[0]!, '--json'), '-');
});

test('a flag, a value or a command bpfbench does not have fails the check (doctored copies of both examples)', () => {
  const cases: [string, string, RegExp][] = [
    ['--entries 1Mi', '--entires 1Mi', /unknown option '--entires'/],
    ['--entries 1Mi', '--entries 1Qi', /'1Qi' is not a whole number/],
    ['run --entries', 'runn --entries', /unknown command 'runn'/],
    ['--no-color', '--no-colour', /unknown option '--no-colour'/],
  ];
  for (const [from, to, said] of cases) {
    const w = parse(read(WORKFLOW).replace(from, to)) as Workflow;
    const j = parse(read(JOB).replace(from, to)) as JobManifest;
    for (const [name, scripts] of [
      ['workflow', workflowScripts(w)],
      ['job', jobScripts(j)],
    ] as const) {
      const { problems } = checkFile(scripts);
      assert.equal(problems.length, 1, `${name} with ${to}: ${problems.join('\n')}`);
      assert.match(problems[0]!, said, name);
    }
  }
  // A GitHub expression in a bpfbench line could be anything: refused, not skipped.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, literally
  const expr = checkScript('./bin/bpfbench run --entries ${{ matrix.entries }}', 'step');
  assert.match(expr.problems[0] ?? '', /GitHub expression/);
});

test('the line finder: bpfbench behind sudo, env and keywords, not a word that merely ends in bpfbench', () => {
  const script = [
    'sudo env "PATH=$PATH" ./bin/bpfbench run --entries 1Mi \\',
    '  --json result.json 2>/tmp/err || { cat /tmp/err >&2; exit 1; }',
    'if [ -f base.json ]; then base/bin/bpfbench compare base.json result.json; fi',
    'npm install -g ./bpfbench-0.1.0.tgz >/dev/null 2>&1',
    'kubectl logs -l job-name=bpfbench > node-a.json  # bpfbench run --no-such-flag',
    'ls /usr/lib/node_modules/bpfbench',
    "echo 'bpfbench run --no-such-flag' | bpfbench report node-*.json --html fleet.html",
  ].join('\n');
  assert.deepEqual(bpfbenchCommands(script), [
    ['run', '--entries', '1Mi', '--json', 'result.json'],
    ['compare', 'base.json', 'result.json'],
    ['report', 'node-*.json', '--html', 'fleet.html'],
  ]);
  assert.deepEqual(simpleCommands('a "b c" \'d e\' f\\ g 2>&1 >out; h')[0], ['a', 'b c', 'd e', 'f g']);
  // The parser itself: accepted, refused, and nothing run.
  assert.equal(parseError(['run', '--entries', '1Mi', '--loop', 'js', '--json', '-']), null);
  assert.match(parseError(['run', '--loop', 'rust']) ?? '', /--loop must be one of: native, js/);
  assert.match(parseError(['report']) ?? '', /missing required argument 'files'/);
  assert.match(parseError([]) ?? '', /no command ran|Usage/);
});

test('the workflow: on pull requests, as root on Linux, uploads what bpfbench wrote, charts its --export-gab file', () => {
  const w = workflow();
  assert.ok('pull_request' in w.on);
  const [jobName, bench] = Object.entries(w.jobs)[0]!;
  assert.match(bench['runs-on'], /^ubuntu-/, jobName);
  const scripts = workflowScripts(w);
  const runs = scripts.flatMap(({ script }) => simpleCommands(script)).filter((words) => words.some((x) => /(^|\/)bpfbench$/.test(x)) && words.includes('run'));
  assert.ok(runs.length >= 1 && runs.every((words) => words[0] === 'sudo'), 'bpfbench run runs as root');
  const lines = checkFile(scripts).lines;
  const written = new Set<string>();
  for (const l of lines) for (const flag of ['--json', '--html', '--export-gab']) if (flagValue(l, flag)) written.add(flagValue(l, flag)!);
  // scripts/merge-runs.mjs OUT ROUNDS…: the rounds of one build merged into one result.
  const merges = scripts.flatMap(({ script }) => simpleCommands(script)).filter((w) => w[0] === 'node' && w[1] === 'scripts/merge-runs.mjs');
  for (const m of merges) written.add(m[2]!);
  const upload = bench.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
  assert.ok(upload, 'an upload-artifact step');
  const uploaded = String(upload.with?.path)
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean);
  assert.ok(uploaded.length > 0);
  for (const p of uploaded) assert.ok(written.has(p), `${p} is uploaded but no bpfbench line writes it`);
  assert.ok(uploaded.some((p) => p.endsWith('.json')) && uploaded.some((p) => p.endsWith('.html')));
  const gab = bench.steps.find((s) => s.uses?.startsWith('benchmark-action/github-action-benchmark@'));
  assert.equal(gab?.with?.tool, 'customSmallerIsBetter');
  const gabFile = lines.map((l) => flagValue(l, '--export-gab')).find(Boolean);
  assert.equal(gab?.with?.['output-file-path'], gabFile);
  // Pull requests: the base's build and this build read in alternation, round by round, in one loop.
  const measure = scripts.find(({ script }) => /for round in/.test(script))!.script;
  const loop = measure.slice(measure.indexOf('for round in'), measure.indexOf('done'));
  assert.ok(loop.indexOf('base/bin/bpfbench run') >= 0 && loop.indexOf('base/bin/bpfbench run') < loop.indexOf('./bin/bpfbench run'), 'base, then this build, each round');
  assert.deepEqual(
    merges.map((m) => m[2]),
    ['base.json', 'result.json'],
  );
  // The compare step reads the two files the run steps write.
  const compare = lines.find((l) => l[0] === 'compare')!;
  for (const f of compare.slice(1, 3)) assert.ok(written.has(f), `compare reads ${f}, which no run writes`);
});

test("the Job: not privileged (CAP_BPF and CAP_PERFMON only, bpf(2) let through seccomp), no host PID (the kernel count knows the pod's own), bpffs from the host, Node 20", () => {
  const j = job();
  assert.equal(j.kind, 'Job');
  const pod = j.spec.template.spec;
  // The kernel count holds in the pod's own PID namespace: no hostPID.
  assert.equal(pod.hostPID, undefined);
  const c = pod.containers[0]!;
  assert.match(c.image, /^node:20\b/);
  assert.equal(c.securityContext?.privileged, undefined);
  assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'], add: ['BPF', 'PERFMON'] });
  assert.equal(c.securityContext?.seccompProfile?.type, 'Unconfined');
  const bpffs = pod.volumes.find((v) => v.hostPath?.path === '/sys/fs/bpf');
  assert.ok(bpffs, 'a hostPath volume for /sys/fs/bpf');
  assert.ok(c.volumeMounts?.some((m) => m.name === bpffs.name && m.mountPath === '/sys/fs/bpf'));
  // libbpf.so.1 and the package are installed by the container's script.
  const script = containerScripts(c)[0]!;
  const commands = simpleCommands(script).map((w) => w.join(' '));
  assert.ok(
    commands.some((x) => /apt-get install .*\blibbpf1\b/.test(x)),
    'installs libbpf1',
  );
  assert.ok(
    commands.some((x) => /^npm install -g .*\.tgz$/.test(x)),
    'installs the npm package',
  );
});
