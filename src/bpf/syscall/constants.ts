// Numbers from include/uapi/linux/bpf.h that bpfbench uses. Names follow the
// kernel's, without the BPF_ prefix where the JSON contract wants them bare.

/** bpf(2) commands (enum bpf_cmd). */
export const Cmd = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5,
  OBJ_PIN: 6,
  OBJ_GET: 7,
  PROG_TEST_RUN: 10,
  MAP_GET_FD_BY_ID: 14,
  OBJ_GET_INFO_BY_FD: 15,
  RAW_TRACEPOINT_OPEN: 17,
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  MAP_LOOKUP_BATCH: 24,
  MAP_LOOKUP_AND_DELETE_BATCH: 25,
  MAP_UPDATE_BATCH: 26,
  MAP_DELETE_BATCH: 27,
  LINK_CREATE: 28,
  ITER_CREATE: 33,
} as const;

/** Highest command number + 1 we keep a counter slot for. */
export const CMD_SLOTS = 64;

/**
 * The rest of enum bpf_cmd, named only for counts: libbpf makes these inside
 * bpf_object__load (BTF_LOAD, MAP_FREEZE, PROG_BIND_MAP), and the process's
 * account of its calls names every command it saw.
 */
const OTHER_CMDS: Record<number, string> = {
  8: 'PROG_ATTACH',
  9: 'PROG_DETACH',
  11: 'PROG_GET_NEXT_ID',
  12: 'MAP_GET_NEXT_ID',
  13: 'PROG_GET_FD_BY_ID',
  16: 'PROG_QUERY',
  18: 'BTF_LOAD',
  19: 'BTF_GET_FD_BY_ID',
  20: 'TASK_FD_QUERY',
  22: 'MAP_FREEZE',
  23: 'BTF_GET_NEXT_ID',
  29: 'LINK_UPDATE',
  30: 'LINK_GET_FD_BY_ID',
  31: 'LINK_GET_NEXT_ID',
  32: 'ENABLE_STATS',
  34: 'LINK_DETACH',
  35: 'PROG_BIND_MAP',
  36: 'TOKEN_CREATE',
};
/** Commands on a whole map, which keep their MAP_ prefix in labels. */
const MAP_LEVEL = new Set(['MAP_CREATE', 'MAP_GET_FD_BY_ID', 'MAP_GET_NEXT_ID', 'MAP_FREEZE']);

const cmdNames: string[] = [];
for (const [name, n] of Object.entries(Cmd)) cmdNames[n] = name;
for (const [n, name] of Object.entries(OTHER_CMDS)) cmdNames[Number(n)] = name;

/** Name of a command as reported in tables and JSON: `LOOKUP_ELEM`, `GET_NEXT_KEY`, … (no BPF_ / MAP_ prefix). */
export function cmdLabel(cmd: number): string {
  const name = cmdNames[cmd];
  if (name === undefined) return `CMD_${cmd}`;
  // Element and batch operations drop MAP_ (GET_NEXT_KEY, LOOKUP_BATCH, as
  // in the JSON contract); map-level commands keep it (MAP_CREATE).
  return name.startsWith('MAP_') && !MAP_LEVEL.has(name) ? name.slice(4) : name;
}

/** enum bpf_map_type (the ones bpfbench knows). */
export const MapType = {
  hash: 1,
  array: 2,
  percpu_hash: 5,
  percpu_array: 6,
  lru_hash: 9,
  lru_percpu_hash: 10,
} as const;
export type MapTypeName = keyof typeof MapType;

export function mapTypeName(type: number): string {
  for (const [name, n] of Object.entries(MapType)) if (n === type) return name;
  return `type_${type}`;
}

/** Map creation flags. */
export const MapFlag = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
} as const;

/** Update flags (BPF_ANY / BPF_NOEXIST / BPF_EXIST). */
export const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

/** x86_64 syscall number of bpf(2). */
export const SYS_bpf_x86_64 = 321;
/** aarch64 syscall number of bpf(2). */
export const SYS_bpf_arm64 = 280;
