// The BPF object loader: libbpf.so.1 through koffi.
//
// libbpf parses bpf/bench.bpf.o (maps with BTF, programs), lets us resize
// the map before load, and creates everything in bpf_object__load. Its log
// is captured (not printed) and attached to errors, so a failed load shows
// the verifier's reason on one line, and the whole log with --debug.
import { existsSync } from 'node:fs';
import koffi from 'koffi';
import { InvariantError, UsageError } from '../../errors.js';
import { DEFAULT_OBJECT } from '../../paths.js';
import { countLibbpfCalls } from '../syscall/call-account.js';
import { BpfMap } from '../maps/map.js';
import { Errno, errnoName } from '../syscall/bpf-errors.js';
import { vsnprintf } from '../syscall/libc.js';
import { NativeBlock } from '../syscall/native-block.js';

/** The compiled object shipped with the project (built by `make`): paths.ts says where. */
export { DEFAULT_OBJECT };

/** The object's map under test (test_map in bpf/bench.bpf.c): declared 100Mi entries, resized before every load. */
export const OBJECT_MAP = 'test_map';

type Ptr = number;
interface Libbpf {
  open_file(path: string, opts: Ptr): Ptr;
  find_map(obj: Ptr, name: string): Ptr;
  find_prog(obj: Ptr, name: string): Ptr;
  set_max_entries(map: Ptr, n: number): number;
  set_map_flags(map: Ptr, flags: number): number;
  set_type(map: Ptr, type: number): number;
  set_key_size(map: Ptr, n: number): number;
  set_value_size(map: Ptr, n: number): number;
  set_autoload(prog: Ptr, on: boolean): number;
  next_program(obj: Ptr, prev: Ptr): Ptr;
  program_name(prog: Ptr): string;
  section_name(prog: Ptr): string;
  set_initial_value(map: Ptr, data: Ptr, size: number): number;
  load(obj: Ptr): number;
  map_fd(map: Ptr): number;
  prog_fd(prog: Ptr): number;
  close(obj: Ptr): void;
  libbpf_get_error(p: Ptr): number;
  version(): string;
}

let lib: Libbpf | undefined;
const logLines: string[] = [];

function libbpf(): Libbpf {
  if (lib) return lib;
  let so: ReturnType<typeof koffi.load>;
  try {
    so = koffi.load('libbpf.so.1');
  } catch {
    throw new UsageError('libbpf.so.1 not found: install libbpf1 (Debian/Ubuntu: apt-get install libbpf1)');
  }
  const PrintFn = koffi.proto('int bpfbench_libbpf_print(int level, uintptr_t fmt, uintptr_t ap)');
  const setPrint = so.func('uintptr_t libbpf_set_print(bpfbench_libbpf_print *fn)');
  const logBuf = new NativeBlock(4096);
  const cb = koffi.register((_level: number, fmt: number, ap: number) => {
    const n = vsnprintf(logBuf.addr, logBuf.size, Number(fmt), Number(ap));
    if (n > 0) {
      const text = logBuf.getCString(0, logBuf.size).replace(/\n$/, '');
      for (const line of text.split('\n')) logLines.push(line);
      if (logLines.length > 2000) logLines.splice(0, logLines.length - 2000);
    }
    return 0;
  }, koffi.pointer(PrintFn));
  setPrint(cb);
  // Its bpf(2) calls (bpf_object__load, its probes) counted from here, before it makes any.
  countLibbpfCalls();
  const f = (sig: string) => so.func(sig);
  lib = {
    open_file: f('uintptr_t bpf_object__open_file(const char *path, uintptr_t opts)'),
    find_map: f('uintptr_t bpf_object__find_map_by_name(uintptr_t obj, const char *name)'),
    find_prog: f('uintptr_t bpf_object__find_program_by_name(uintptr_t obj, const char *name)'),
    set_max_entries: f('int bpf_map__set_max_entries(uintptr_t map, uint32_t n)'),
    set_map_flags: f('int bpf_map__set_map_flags(uintptr_t map, uint32_t flags)'),
    set_type: f('int bpf_map__set_type(uintptr_t map, int type)'),
    set_key_size: f('int bpf_map__set_key_size(uintptr_t map, uint32_t n)'),
    set_value_size: f('int bpf_map__set_value_size(uintptr_t map, uint32_t n)'),
    set_autoload: f('int bpf_program__set_autoload(uintptr_t prog, bool on)'),
    next_program: f('uintptr_t bpf_object__next_program(uintptr_t obj, uintptr_t prev)'),
    program_name: f('const char *bpf_program__name(uintptr_t prog)'),
    section_name: f('const char *bpf_program__section_name(uintptr_t prog)'),
    set_initial_value: f('int bpf_map__set_initial_value(uintptr_t map, uintptr_t data, size_t size)'),
    load: f('int bpf_object__load(uintptr_t obj)'),
    map_fd: f('int bpf_map__fd(uintptr_t map)'),
    prog_fd: f('int bpf_program__fd(uintptr_t prog)'),
    close: f('void bpf_object__close(uintptr_t obj)'),
    libbpf_get_error: f('long libbpf_get_error(uintptr_t ptr)'),
    version: (() => {
      const major = so.func('uint32_t libbpf_major_version()') as () => number;
      const minor = so.func('uint32_t libbpf_minor_version()') as () => number;
      return () => `${major()}.${minor()}`;
    })(),
  } as unknown as Libbpf;
  return lib;
}

/** libbpf's version (`1.1`), or undefined when libbpf.so.1 is missing. */
export function libbpfVersion(): string | undefined {
  try {
    return libbpf().version();
  } catch {
    return undefined;
  }
}

/** The last lines libbpf logged (verifier output on a failed load). */
export function libbpfLog(): string[] {
  return logLines.slice();
}

export interface MapOverrides {
  type?: number;
  keySize?: number;
  valueSize?: number;
  maxEntries?: number;
  flags?: number;
}

/** A BPF object opened from an ELF file; configure, then load(). */
export class BpfObject {
  private obj: Ptr;
  private loaded = false;
  readonly path: string;

  private constructor(obj: Ptr, path: string) {
    this.obj = obj;
    this.path = path;
  }

  static open(path: string = DEFAULT_OBJECT): BpfObject {
    if (!existsSync(path)) throw new UsageError(`BPF object ${path} not found: run 'make' to build it`);
    const l = libbpf();
    logLines.length = 0;
    const obj = l.open_file(path, 0);
    const err = obj === 0 ? Errno.EINVAL : -l.libbpf_get_error(obj);
    if (obj === 0 || err > 0) throw new UsageError(`cannot open BPF object ${path}: ${errnoName(err)}${lastLog()}`);
    return new BpfObject(obj, path);
  }

  private mapPtr(name: string): Ptr {
    const m = libbpf().find_map(this.obj, name);
    if (!m) throw new UsageError(`map '${name}' not found in ${this.path}`);
    return m;
  }

  private progPtr(name: string): Ptr {
    const p = libbpf().find_prog(this.obj, name);
    if (!p) throw new UsageError(`program '${name}' not found in ${this.path}`);
    return p;
  }

  /** Resizes or retypes a map before load. */
  configureMap(name: string, o: MapOverrides): void {
    const l = libbpf();
    const m = this.mapPtr(name);
    const check = (what: string, r: number) => {
      if (r < 0) throw new UsageError(`cannot set ${what} of map '${name}': ${errnoName(-r)}`);
    };
    if (o.type !== undefined) check('type', l.set_type(m, o.type));
    if (o.keySize !== undefined) check('key size', l.set_key_size(m, o.keySize));
    if (o.valueSize !== undefined) check('value size', l.set_value_size(m, o.valueSize));
    if (o.maxEntries !== undefined) check('max_entries', l.set_max_entries(m, o.maxEntries));
    if (o.flags !== undefined) check('flags', l.set_map_flags(m, o.flags));
  }

  /** Sets a global-data map's contents before load (`.rodata`: const volatile globals). */
  setInitialValue(name: string, data: Uint8Array): void {
    const block = new NativeBlock(data.length);
    try {
      block.bytes.set(data);
      const r = libbpf().set_initial_value(this.mapPtr(name), block.addr, data.length);
      if (r < 0) throw new UsageError(`cannot set the initial value of '${name}' (${data.length} bytes): ${errnoName(-r)}`);
    } finally {
      block.free();
    }
  }

  /** Every program of the object, with its ELF section (`iter/bpf_map_elem`, `?raw_tp/sys_exit`). */
  programs(): { name: string; section: string }[] {
    const l = libbpf();
    const out: { name: string; section: string }[] = [];
    for (let p = l.next_program(this.obj, 0); p; p = l.next_program(this.obj, p)) out.push({ name: l.program_name(p), section: l.section_name(p) });
    return out;
  }

  /** Loads only the named programs: every other program of the object stays unloaded. */
  autoloadOnly(names: readonly string[]): void {
    const l = libbpf();
    for (const n of names) this.progPtr(n); // a name the object lacks is an error, not a no-op
    for (let p = l.next_program(this.obj, 0); p; p = l.next_program(this.obj, p)) l.set_autoload(p, names.includes(l.program_name(p)));
  }

  /** bpf_object__load: creates the maps and loads the programs. */
  load(): void {
    const r = libbpf().load(this.obj);
    if (r < 0) throw new ObjectLoadError(-r, libbpfLog());
    this.loaded = true;
  }

  /** The loaded map, as a BpfMap that does not own its fd (the object does). */
  map(name: string): BpfMap {
    if (!this.loaded) throw new InvariantError('BpfObject.map() before load()');
    const fd = libbpf().map_fd(this.mapPtr(name));
    if (fd < 0) throw new UsageError(`map '${name}' has no fd: ${errnoName(-fd)}`);
    return BpfMap.fromFd(fd, false);
  }

  programFd(name: string): number {
    if (!this.loaded) throw new InvariantError('BpfObject.programFd() before load()');
    const fd = libbpf().prog_fd(this.progPtr(name));
    if (fd < 0) throw new UsageError(`program '${name}' is not loaded: ${errnoName(-fd)}`);
    return fd;
  }

  /** Closes every fd of the object (maps are freed unless pinned). */
  close(): void {
    if (this.obj) {
      libbpf().close(this.obj);
      this.obj = 0;
    }
  }
}

function lastLog(): string {
  const l = logLines.filter((s) => s.trim() !== '');
  return l.length ? `: ${l[l.length - 1]!.trim()}` : '';
}

/** bpf_object__load failed; `log` holds libbpf's (and the verifier's) output. */
export class ObjectLoadError extends UsageError {
  readonly errno: number;
  readonly code: string;
  readonly log: string[];
  constructor(errno: number, log: string[]) {
    const reason = log.filter((s) => /error|invalid|unknown|failed|not supported|denied/i.test(s)).pop() ?? log[log.length - 1] ?? '';
    super(`loading the BPF object failed: ${errnoName(errno)}${reason ? ` (${reason.trim()})` : ''}`);
    this.name = 'ObjectLoadError';
    this.errno = errno;
    this.code = errnoName(errno);
    this.log = log;
  }
}
