// bpfbench reproduce: the published Go experiment (100Mi u32 → u32, chunk
// 4096) read per element, by a correct batch loop and by the published loop
// that never advances its cursor, side by side with the published figures;
// with --impls ts,go, Go with cilium/ebpf runs the same three reads on the
// same map.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { GO_LIBRARY, goReads, prepareGo, type GoRead } from '../../harness/peers/reproduce-go.js';
import { parseList } from '../parse.js';
import { PUBLISHED_FILE } from '../../paths.js';
import { buildReproduction, checkPublished, explainReproduction, renderReproduction } from '../../report/analysis/reproduction.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit.js';
import type { CommandContext, Io } from '../io.js';
import { measureAndPrint, type MeasuredRunFlags } from '../measured-run.js';
import type { RunHooks } from '../../harness/measuring/run-benchmark.js';
import { addOptions, chunkOption, entriesOption, fillOption, loopOption, mapFlagsOption, measureOptions, objectOption, strictChunkOption, GROUP } from '../options.js';
import { finishOptions, OUTPUT, verboseOption } from '../output-options.js';
import { declareOutputs, openOutputs, outputOptions } from '../output.js';

/** What reproduce can write: its result, the reproduction included, as JSON. */
const OUTPUTS = declareOutputs('data', OUTPUT.json());

/** `reproduce` reads with these, the published loop included. */
export const REPRODUCE_STRATEGIES = ['elem', 'batch', 'batch-fixed-cursor'];

/** ts: bpfbench's own reads (always: it makes the map); go: the Go peer's, on the same map. */
const REPRODUCE_IMPLS = ['ts', 'go'];

function reproduceAction(flags: MeasuredRunFlags & { impls: string[] }, io: Io): number {
  // Where the result goes, checked before Go is built or any map is made.
  const out = openOutputs(OUTPUTS, flags, io);
  const published = checkPublished(JSON.parse(readFileSync(PUBLISHED_FILE, 'utf8')));
  const withGo = flags.impls.includes('go');
  // Built before any map is made: missing tools or a failed build is one line.
  if (withGo) prepareGo((line) => io.stderr.write(`bpfbench: ${line}\n`));
  let go: GoRead[] | undefined;
  const withMap: RunHooks['withMap'] = withGo ? (map, progress) => void (go = goReads(map, { entries: flags.entries, chunk: flags.chunk, strategies: REPRODUCE_STRATEGIES, progress })) : undefined;
  const human = out.human;
  const { result, color } = measureAndPrint({ ...flags, maxEntries: undefined }, io, REPRODUCE_STRATEGIES, { withMap, human });
  const rep = buildReproduction(result, published, go && { library: GO_LIBRARY, reads: go });
  human.write(`\n${renderReproduction(rep, published, { color })}\n${explainReproduction(result, rep, published)}\n`);
  out.write({ kind: 'data', json: { ...result, reproduction: { published, ...rep } } });
  // The published loop's failed verification is the point; only the correct reads must verify.
  return rep.ok ? EXIT_OK : EXIT_FAILURE;
}

export function addReproduceCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program
    .command('reproduce')
    .description(
      'reproduce the published Go experiment (100Mi u32 → u32, chunk 4096): per element, a correct batch read, and the published loop that never advances its cursor, side by side with the published figures',
    );
  const impls = new Option('--impls <list>', 'ts (bpfbench, always), and go: Go with cilium/ebpf runs the same three reads on the same map (its per-element read of 100Mi takes ~9 min here)')
    .argParser((raw) => {
      const list = parseList('--impls', 'implementation', REPRODUCE_IMPLS)(raw);
      if (!list.includes('ts')) throw new InvalidArgumentError('--impls must include ts: bpfbench makes, fills and reads the map the others read.');
      return list;
    })
    .default(['ts'], 'ts')
    .helpGroup(GROUP.read);
  addOptions(
    cmd,
    entriesOption(),
    mapFlagsOption(),
    fillOption(),
    objectOption(),
    chunkOption(),
    strictChunkOption(),
    loopOption(),
    impls,
    ...measureOptions(),
    ...outputOptions(OUTPUTS),
    verboseOption(),
  );
  return finishOptions(cmd).action((flags: MeasuredRunFlags & { impls: string[] }) => ctx.exit(reproduceAction(flags, ctx.io)));
}
