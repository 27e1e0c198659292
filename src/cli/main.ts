// The command line's entry: builds the program from one file per command
// (src/cli/commands/), parses argv, and turns the outcome into an exit code
// through src/cli/exit.ts (0 ok, 1 runtime failure or a failed verification,
// 2 bad input, 3 a regression).
import { Command } from 'commander';
import { relative } from 'node:path';
import { NATIVE_ARTIFACT, OBJECT_ARTIFACT, ROOT, SOURCE_CHECKOUT, TOOL } from '../paths.js';
import { addCompareCommand } from './commands/compare.js';
import { addInfoCommand } from './commands/info.js';
import { addLoadCommand } from './commands/load.js';
import { addPeersCommand } from './commands/peers.js';
import { addReproduceCommand } from './commands/reproduce.js';
import { addReportCommand } from './commands/report.js';
import { addRunCommand } from './commands/run.js';
import { addSweepCommand } from './commands/sweep.js';
import { addUnloadCommand } from './commands/unload.js';
import { EXIT_OK, errorExit } from './exit.js';
import type { CommandContext, Io } from './io.js';

export type { Io } from './io.js';

/** In the order `bpfbench --help` lists them. */
const COMMANDS: ((program: Command, ctx: CommandContext) => Command)[] = [
  addRunCommand,
  addSweepCommand,
  addCompareCommand,
  addReportCommand,
  addLoadCommand,
  addInfoCommand,
  addUnloadCommand,
  addReproduceCommand,
  addPeersCommand,
];

/** The program; a command's action reports its exit code through `setExit`. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('bpfbench')
    .description('Measure how fast user space reads a large eBPF map: per element (GET_NEXT_KEY + LOOKUP_ELEM) vs in batches (LOOKUP_BATCH), verified, on the real kernel.')
    .version(TOOL.version)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`bpfbench: ${s.replace(/^error: /, '').trim()}\n`),
    });
  const ctx: CommandContext = { io, exit: setExit };
  for (const add of COMMANDS) add(program, ctx);
  return program;
}

/** In a source checkout, a build `make` did not do stands in for by the package's prebuilt copy: one line each. */
function prebuiltNotices(): string[] {
  if (!SOURCE_CHECKOUT) return [];
  return [OBJECT_ARTIFACT, NATIVE_ARTIFACT]
    .filter((a) => a.origin === 'prebuilt')
    .map((a) => `${relative(ROOT, a.missing!)} is not built here: using the package's prebuilt copy ${relative(ROOT, a.path)}, another build than these sources (run 'make')`);
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let code = EXIT_OK;
  let debug = false;
  const program = buildProgram(io, (c) => (code = c));
  // --debug as commander parsed it for the command about to run.
  program.hook('preAction', (_program, command) => {
    debug = command.opts().debug === true;
    for (const line of prebuiltNotices()) io.stderr.write(`bpfbench: ${line}\n`);
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    const out = errorExit(e, debug);
    for (const line of out.lines) io.stderr.write(`${line}\n`);
    return out.code;
  }
}
