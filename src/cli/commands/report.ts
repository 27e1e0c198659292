// bpfbench report: many results (run, sweep, peers; one machine or a fleet),
// one comparison (a table per configuration, a column per machine), and
// optionally one self-contained HTML page or Markdown.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidInputError } from '../../errors.js';
import { mergeResults } from '../../report/analysis/fleet.js';
import { renderFleet, renderMachines } from '../../report/rendering/fleet-render.js';
import { parseResult, REPORT_KINDS, type LoadedResult } from '../../report/schema/index.js';
import { EXIT_OK } from '../exit.js';
import { useColor, type CommandContext, type Io } from '../io.js';
import { addOptions } from '../options.js';
import { finishOptions, OUTPUT, type OutputFlags } from '../output-options.js';
import { declareOutputs, openOutputs, outputOptions } from '../output.js';

/** What report can write: the merged results as one HTML page, and as Markdown tables. */
const OUTPUTS = declareOutputs(
  'report',
  OUTPUT.html("one self-contained HTML page (charts, tables, sources; no network), or '-' for stdout"),
  OUTPUT.markdown("the merged tables as Markdown, or '-' for stdout"),
);

interface ReportFlags extends Omit<OutputFlags, 'json'> {
  html?: string;
  markdown?: string;
}

/** Reads and checks every file before anything is written: a bad one is one line, exit 2. */
export function readResults(files: string[]): LoadedResult[] {
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InvalidInputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return parseResult(file, text, REPORT_KINDS);
  });
}

function reportAction(files: string[], flags: ReportFlags, io: Io): number {
  const out = openOutputs(OUTPUTS, flags, io);
  const results = readResults(files);
  const fleet = mergeResults(results);
  const human = out.human;
  const color = useColor(flags, io, human);
  human.write(`${renderFleet(fleet, { color })}${renderMachines(results, { color })}\n`);
  out.write({ kind: 'report', results });
  return EXIT_OK;
}

export function addReportCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program
    .command('report')
    .description('merge run, sweep and peers results (one machine or many) into one comparison: a table per configuration, a column per machine; --html writes a self-contained page')
    .argument('<files...>', 'result files (JSON from run, sweep or peers --json)');
  addOptions(cmd, ...outputOptions(OUTPUTS));
  return finishOptions(cmd).action((files: string[], flags: ReportFlags) => ctx.exit(reportAction(files, flags, ctx.io)));
}
