// bpfbench info: a map's type, sizes, max_entries, flags and kernel memory.
import { Option, type Command } from 'commander';
import { BpfMap } from '../../bpf/map.js';
import { InvalidInputError } from '../../errors.js';
import { renderMapInfo } from '../../report/info.js';
import { EXIT_OK } from '../exit.js';
import type { CommandContext, Io } from '../io.js';
import { addOptions, finishOptions, GROUP, mapIdOption, pinOption } from '../options.js';
import { writeJson } from '../output.js';

interface InfoFlags {
  pin?: string;
  mapId?: number;
  json: boolean;
}

function infoAction(flags: InfoFlags, io: Io): number {
  if ((flags.pin === undefined) === (flags.mapId === undefined)) throw new InvalidInputError('info needs one of --pin PATH or --map-id ID');
  const map = flags.pin !== undefined ? BpfMap.openPinned(flags.pin) : BpfMap.openById(flags.mapId!);
  try {
    const i = map.info;
    const memlock = map.memlockBytes();
    if (flags.json) {
      writeJson('-', { ...i, memlockBytes: memlock ?? null, pin: flags.pin ?? null }, io.stdout);
    } else {
      io.stdout.write(`${renderMapInfo(i, memlock, flags.pin)}\n`);
    }
  } finally {
    map.close();
  }
  return EXIT_OK;
}

export function addInfoCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program.command('info').description("a map's type, key and value sizes, max_entries, flags and kernel memory");
  // --json here is a switch (the info goes to stdout), not the result file of the measuring commands.
  addOptions(cmd, pinOption('a pinned map'), mapIdOption('a map id'), new Option('--json', 'as JSON').default(false).helpGroup(GROUP.output));
  return finishOptions(cmd).action((flags: InfoFlags) => ctx.exit(infoAction(flags, ctx.io)));
}
