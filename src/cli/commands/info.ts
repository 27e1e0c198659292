// bpfbench info: a map's type, sizes, max_entries, flags and kernel memory.
import { Option, type Command } from 'commander';
import { BpfMap } from '../../bpf/map.js';
import { InvalidInputError } from '../../errors.js';
import { kernelFacts } from '../../bpf/features.js';
import { checkPrivilege } from '../../harness/preflight.js';
import { renderKernelFacts, renderMapInfo } from '../../report/info.js';
import { EXIT_OK } from '../exit.js';
import { useColor, type CommandContext, type Io } from '../io.js';
import { addOptions, colorOption, finishOptions, GROUP, mapIdOption, objectOption, pinOption } from '../options.js';
import { writeJson } from '../output.js';

interface InfoFlags {
  pin?: string;
  mapId?: number;
  kernel: boolean;
  object?: string;
  json: boolean;
  color: boolean;
}

/** --kernel: every feature probed, the table (or --json). */
function kernelAction(flags: InfoFlags, io: Io): number {
  if (flags.pin !== undefined || flags.mapId !== undefined) throw new InvalidInputError('--kernel describes the kernel, not a map: drop --pin/--map-id');
  checkPrivilege();
  const facts = kernelFacts(flags.object);
  if (flags.json) writeJson('-', facts, io.stdout);
  else io.stdout.write(`${renderKernelFacts(facts, { color: useColor(flags, io, io.stdout) })}\n`);
  return EXIT_OK;
}

function infoAction(flags: InfoFlags, io: Io): number {
  if (flags.kernel) return kernelAction(flags, io);
  if ((flags.pin === undefined) === (flags.mapId === undefined)) throw new InvalidInputError('info needs one of --pin PATH or --map-id ID, or --kernel');
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
  const cmd = program.command('info').description("a map's type, key and value sizes, max_entries, flags and kernel memory; or (--kernel) what this kernel allows");
  // --json here is a switch (the info goes to stdout), not the result file of the measuring commands.
  addOptions(
    cmd,
    pinOption('a pinned map'),
    mapIdOption('a map id'),
    new Option('--kernel', "what this kernel allows: each program of the BPF object loaded on its own, the counter's raw tracepoints, the batch and delete commands, and the lockdown mode")
      .default(false)
      .helpGroup(GROUP.map),
    objectOption(),
    new Option('--json', 'as JSON').default(false).helpGroup(GROUP.output),
    colorOption(),
  );
  return finishOptions(cmd).action((flags: InfoFlags) => ctx.exit(infoAction(flags, ctx.io)));
}
