// union bpf_attr layouts as named byte offsets (include/uapi/linux/bpf.h).
// Each group lists the fields bpfbench writes or reads, and the size passed
// to bpf(2): the kernel zero-checks everything past the fields it knows, so
// the size never needs to exceed the last field we use.

/** BPF_MAP_CREATE */
export const MapCreateAttr = {
  map_type: 0,
  key_size: 4,
  value_size: 8,
  max_entries: 12,
  map_flags: 16,
  inner_map_fd: 20,
  numa_node: 24,
  map_name: 28, // char[16]
  map_ifindex: 44,
  SIZE: 48,
} as const;

/** BPF_MAP_LOOKUP_ELEM, UPDATE_ELEM, DELETE_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM */
export const MapElemAttr = {
  map_fd: 0,
  key: 8, // u64 pointer
  value: 16, // u64 pointer; next_key for GET_NEXT_KEY
  flags: 24, // u64
  SIZE: 32,
} as const;

/** BPF_MAP_LOOKUP_BATCH, LOOKUP_AND_DELETE_BATCH, UPDATE_BATCH, DELETE_BATCH */
export const MapBatchAttr = {
  in_batch: 0, // u64 pointer, NULL = start
  out_batch: 8, // u64 pointer
  keys: 16, // u64 pointer
  values: 24, // u64 pointer
  count: 32, // u32, in: capacity, out: entries copied
  map_fd: 36, // u32
  elem_flags: 40, // u64
  flags: 48, // u64
  SIZE: 56,
} as const;

/** BPF_PROG_TEST_RUN */
export const TestRunAttr = {
  prog_fd: 0,
  retval: 4,
  data_size_in: 8,
  data_size_out: 12,
  data_in: 16,
  data_out: 24,
  repeat: 32,
  duration: 36,
  ctx_size_in: 40,
  ctx_size_out: 44,
  ctx_in: 48,
  ctx_out: 56,
  flags: 64,
  cpu: 68,
  batch_size: 72,
  SIZE: 80,
} as const;

/** BPF_OBJ_GET_INFO_BY_FD */
export const InfoAttr = {
  bpf_fd: 0,
  info_len: 4,
  info: 8, // u64 pointer
  SIZE: 16,
} as const;

/** BPF_MAP_GET_FD_BY_ID */
export const GetFdByIdAttr = {
  id: 0,
  next_id: 4,
  open_flags: 8,
  SIZE: 12,
} as const;

/** BPF_OBJ_PIN / BPF_OBJ_GET */
export const ObjAttr = {
  pathname: 0, // u64 pointer to a NUL-terminated path
  bpf_fd: 8,
  file_flags: 12,
  SIZE: 16,
} as const;

/** struct bpf_map_info (the prefix bpfbench reads). */
export const MapInfo = {
  type: 0,
  id: 4,
  key_size: 8,
  value_size: 12,
  max_entries: 16,
  map_flags: 20,
  name: 24, // char[16]
  SIZE: 88,
} as const;

/** Largest attr layout above: the size of every attr scratch block. */
export const ATTR_BLOCK = 128;

/** BPF_RAW_TRACEPOINT_OPEN */
export const RawTracepointAttr = {
  name: 0, // u64 pointer to the tracepoint's name
  prog_fd: 8,
  SIZE: 16,
} as const;

/** BPF_LINK_CREATE (the iterator part). */
export const LinkCreateAttr = {
  prog_fd: 0,
  target_fd: 4,
  attach_type: 8,
  flags: 12,
  iter_info: 16, // u64 pointer to union bpf_iter_link_info
  iter_info_len: 24,
  SIZE: 28,
} as const;

/** BPF_ITER_CREATE */
export const IterCreateAttr = {
  link_fd: 0,
  flags: 4,
  SIZE: 8,
} as const;

/** enum bpf_attach_type: BPF_TRACE_ITER */
export const BPF_TRACE_ITER = 28;

/** union bpf_iter_link_info, the map part: what LINK_CREATE's iter_info points to. */
export const IterLinkInfo = {
  map_fd: 0,
  SIZE: 4,
} as const;

// ---------------------------------------------------------------------------
// Structs shared with bpf/bench.bpf.c (checked against the object's BTF by
// test/bpf/syscall/layouts.test.ts, so that the two cannot drift).

/** struct fill_ctx: the fill program's context (BPF_PROG_TEST_RUN ctx_in). */
export const FillCtx = {
  start: 0,
  count: 4,
  value: 8,
  flags: 12,
  err: 16,
  done: 20,
  SIZE: 24,
} as const;

/** struct writer_ctx: the writer program's context (run --writers; BPF_PROG_TEST_RUN ctx_in). */
export const WriterCtx = {
  entries: 0,
  volatile_every: 4,
  fresh: 8,
  ops: 12,
  mix: 16,
  mode: 20,
  start: 24,
  value: 28,
  seed: 32, // u64 in/out: the stream's xorshift64 state
  updates: 40, // u64 out, and the four below
  deletes: 48,
  inserts: 56,
  misses: 64,
  full: 72,
  err: 80, // s64 out: the first other error
  SIZE: 88,
} as const;

/** writer_ctx.mix bits (WRITE_* in bench.bpf.c). */
export const WriteBit = { update: 1, delete: 2, insert: 4 } as const;

/** iter_cfg (const volatile, .rodata): the iterator's record sizes. */
export const IterCfg = {
  key_size: 0,
  value_size: 4,
  SIZE: 8,
} as const;

/** Slots of counter_config.writer_tids (COUNTER_WRITER_SLOTS): the most writer threads counted apart. */
export const COUNTER_WRITER_SLOTS = 64;

/** struct counter_config: the value of counter_config[0] (mmapped, written by user space). */
export const CounterConfig = {
  tgid: 0,
  bpf_nr: 4,
  since: 8, // u64 CLOCK_MONOTONIC ns; 0 = count only, else time bpf(2) calls entered since then
  ns_dev: 16, // u64 st_dev of /proc/self/ns/pid: the namespace tgid is a pid of (count_syscalls)
  ns_ino: 24, // u64 its st_ino
  writers: 32, // u32 how many of writer_tids are set: those threads' bpf(2) calls go to other_bpf_* (0: none)
  pad: 36,
  writer_tids: 40, // u32[COUNTER_WRITER_SLOTS]: the writer threads' ids, in the namespace the enter program asks in
  SIZE: 40 + 4 * COUNTER_WRITER_SLOTS,
} as const;

/** Slots of struct counters' per-command arrays (COUNTER_CMD_SLOTS). */
export const COUNTER_CMD_SLOTS = 64;

/** struct counters: the value of syscall_counters[0] (mmapped). */
export const Counters = {
  total: 0,
  bpf_total: 8,
  bpf_cmd: 16, // u64[COUNTER_CMD_SLOTS]: bpf(2) calls by command
  bpf_ns: 16 + 8 * COUNTER_CMD_SLOTS, // u64[COUNTER_CMD_SLOTS]: ns inside bpf(2) by command
  other_bpf_total: 16 + 16 * COUNTER_CMD_SLOTS, // the writer threads' bpf(2) calls (CounterConfig.writer_tids)
  other_bpf_cmd: 24 + 16 * COUNTER_CMD_SLOTS, // u64[COUNTER_CMD_SLOTS]: …by command
  SIZE: 24 + 24 * COUNTER_CMD_SLOTS,
} as const;
