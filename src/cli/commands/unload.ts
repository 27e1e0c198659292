// bpfbench unload: remove a pin made by `bpfbench load`.
import type { Command } from 'commander';
import { DEFAULT_PIN, removePin } from '../../bpf/maps/bpffs.js';
import { BpfMap } from '../../bpf/maps/map.js';
import { EXIT_OK } from '../exit.js';
import type { CommandContext, Io } from '../io.js';
import { addOptions, pinOption } from '../options.js';
import { finishOptions } from '../output-options.js';

function unloadAction(flags: { pin: string }, io: Io): number {
  // Only remove what is a pinned map: open it first.
  BpfMap.openPinned(flags.pin).close();
  removePin(flags.pin);
  io.stdout.write(`removed ${flags.pin}\n`);
  return EXIT_OK;
}

export function addUnloadCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program.command('unload').description('remove a pin made by `bpfbench load` (the map is freed when nothing else holds it)');
  addOptions(cmd, pinOption('the pin to remove', DEFAULT_PIN));
  return finishOptions(cmd).action((flags: { pin: string }) => ctx.exit(unloadAction(flags, ctx.io)));
}
