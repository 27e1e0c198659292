// bpfbench reproduce: the published Go experiment (100Mi u32 → u32, chunk
// 4096) read per element, by a correct batch loop and by the published loop
// that never advances its cursor, side by side with the published figures.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { PUBLISHED_FILE } from '../../paths.js';
import { buildReproduction, checkPublished, explainReproduction, renderReproduction } from '../../report/reproduce.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit.js';
import type { CommandContext, Io } from '../io.js';
import { measureAndPrint, type MeasuredRunFlags } from '../measure.js';
import {
  addOptions,
  chunkOption,
  colorOption,
  entriesOption,
  fillOption,
  finishOptions,
  jsonOption,
  loopOption,
  mapFlagsOption,
  measureOptions,
  objectOption,
  RESULT_JSON_HELP,
  strictChunkOption,
  verboseOption,
} from '../options.js';
import { writeJson } from '../output.js';

/** `reproduce` reads with these, the published loop included. */
export const REPRODUCE_STRATEGIES = ['elem', 'batch', 'batch-fixed-cursor'];

function reproduceAction(flags: MeasuredRunFlags, io: Io): number {
  const published = checkPublished(JSON.parse(readFileSync(PUBLISHED_FILE, 'utf8')));
  const { result, human, color } = measureAndPrint({ ...flags, maxEntries: undefined }, io, REPRODUCE_STRATEGIES);
  const rep = buildReproduction(result, published);
  human.write(`\n${renderReproduction(rep, published, { color })}\n${explainReproduction(result, rep, published)}\n`);
  if (flags.json !== undefined) writeJson(flags.json, { ...result, reproduction: { published, ...rep } }, io.stdout);
  // The published loop's failed verification is the point; only the correct reads must verify.
  return rep.ok ? EXIT_OK : EXIT_FAILURE;
}

export function addReproduceCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program
    .command('reproduce')
    .description('reproduce the published Go experiment (100Mi u32 → u32, chunk 4096): per element, a correct batch read, and the published loop that never advances its cursor, side by side with the published figures');
  addOptions(cmd, entriesOption(), mapFlagsOption(), fillOption(), objectOption(), chunkOption(), strictChunkOption(), loopOption(), ...measureOptions(), jsonOption(RESULT_JSON_HELP), verboseOption(), colorOption());
  return finishOptions(cmd).action((flags: MeasuredRunFlags) => ctx.exit(reproduceAction(flags, ctx.io)));
}
