// SPDX-License-Identifier: GPL-2.0
// bpfbench's BPF object: the map under test, the in-kernel filler, the
// syscall counter (counts, and time in bpf(2)) and the map iterator.
//
// test_map is declared with the published experiment's shape (hash, u32 -> u32,
// 100Mi entries); bpfbench resizes it (max_entries, flags) through libbpf
// before the object is loaded, so one object serves every run.
//
// The structs user space shares with this file are mirrored in
// src/bpf/syscall/attr.ts (FillCtx, IterCfg, CounterConfig, Counters), and
// test/bpf/syscall/layouts.test.ts checks them against this object's BTF.
#include <linux/types.h>
#include <linux/bpf.h>
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 1024 * 1024 * 100);
} test_map SEC(".maps");

// Context of the fill program, shared with user space through
// BPF_PROG_TEST_RUN's ctx_in (the kernel copies it back after the run).
// Layout mirrored by FillCtx in src/bpf/syscall/attr.ts (test/bpf/syscall/layouts.test.ts
// checks it against this object's BTF). User space runs several of these
// calls at once, from several threads, on disjoint key ranges.
struct fill_ctx {
	__u32 start; // first key of this call
	__u32 count; // keys to write: start .. start+count-1 (<= 1<<23, bpf_loop's cap)
	__u32 value; // value written for every key
	__u32 flags; // BPF_ANY / BPF_NOEXIST / BPF_EXIST
	__s32 err;   // out: first error returned by bpf_map_update_elem, 0 if none
	__u32 done;  // out: keys written
};

struct fill_state {
	__u32 start;
	__u32 value;
	__u64 flags;
	__s32 err;
	__u32 done;
};

static long fill_one(__u32 i, void *arg)
{
	struct fill_state *s = arg;
	__u32 key = s->start + i;
	__u32 value = s->value;
	long err = bpf_map_update_elem(&test_map, &key, &value, s->flags);

	if (err) {
		s->err = err;
		return 1; // stop the loop
	}
	s->done++;
	return 0;
}

SEC("syscall")
int fill(struct fill_ctx *ctx)
{
	// bpf_loop only accepts a stack pointer as its context: copy in, copy out.
	struct fill_state s = {
		.start = ctx->start,
		.value = ctx->value,
		.flags = ctx->flags,
	};
	long n = bpf_loop(ctx->count, fill_one, &s, 0);

	ctx->done = s.done;
	ctx->err = s.err ? s.err : (n < 0 ? (__s32)n : 0);
	return 0;
}

// ---------------------------------------------------------------------------
// The kernel's own count of the benchmark's syscalls, and the time spent in
// its bpf(2) calls.
//
// count_syscalls runs on every syscall entry (raw tracepoint sys_enter: no
// tracefs needed), keeps only the target process (all its threads), and
// counts its syscalls, and its bpf(2) calls by command. time_bpf_calls, on
// sys_exit, adds the time from each bpf(2) call's entry to its exit to that
// command's total (per thread, summed here). The counters live in an
// mmapable array, so user space reads them without a syscall of its own;
// the configuration too, so user space retargets it without one.
// Layouts mirrored by CounterConfig and Counters in src/bpf/syscall/attr.ts
// (test/bpf/syscall/layouts.test.ts checks them against this object's BTF).

#define COUNTER_CMD_SLOTS 64
#define COUNTER_WRITER_SLOTS 64 // run --writers' most writers

struct counter_config {
	__u32 tgid;   // process to count; 0 = nobody
	__u32 bpf_nr; // this architecture's syscall number of bpf(2)
	__u64 since;  // 0: count only. Else time bpf(2) calls too, and ignore
	              // any entry recorded before this CLOCK_MONOTONIC ns
	              // (a call in flight when the exit program was detached)
	__u64 ns_dev; // the pid namespace tgid is a pid of (st_dev and st_ino
	__u64 ns_ino; // of /proc/self/ns/pid): count_syscalls only
	__u32 writers; // how many of writer_tids are set: the bpf(2) calls of
	               // those threads go to other_bpf_*, untimed (0: none)
	__u32 pad;
	__u32 writer_tids[COUNTER_WRITER_SLOTS]; // the writer threads' ids, in the
	                                         // namespace the enter program asks in
};

struct counters {
	__u64 total;                       // every syscall of the process
	__u64 bpf_total;                   // its bpf(2) calls
	__u64 bpf_cmd[COUNTER_CMD_SLOTS];  // bpf(2) calls by command (last slot: >= 63)
	__u64 bpf_ns[COUNTER_CMD_SLOTS];   // ns from sys_enter to sys_exit, by command
	__u64 other_bpf_total;             // the writer threads' bpf(2) calls (writer_tids)
	__u64 other_bpf_cmd[COUNTER_CMD_SLOTS]; // …by command
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counter_config);
} counter_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} syscall_counters SEC(".maps");

// A bpf(2) call in flight, by thread id: entered at `start`, command `slot`.
struct bpf_call {
	__u64 start;
	__u32 slot;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192); // threads of the target inside bpf(2) at once
	__type(key, __u32);
	__type(value, struct bpf_call);
} bpf_calls SEC(".maps");

// Whether the current task belongs to the target process (and, in *tid,
// its thread id, as the same namespace sees it). count_syscalls
// asks as the target's own pid namespace sees it (bpf_get_ns_current_pid_tgid,
// Linux 5.7): inside a container, user space knows only that pid. The
// fallback count_syscalls_host, for kernels without that helper, compares
// the pid of the initial namespace, right only where user space lives there.
static __always_inline int is_target(struct counter_config *cfg, __u64 id, int by_ns, __u32 *tid)
{
	if (by_ns) {
		struct bpf_pidns_info ns = {};
		if (bpf_get_ns_current_pid_tgid(cfg->ns_dev, cfg->ns_ino, &ns, sizeof(ns)))
			return 0; // not in that namespace: not the target
		*tid = ns.pid;
		return ns.tgid == cfg->tgid;
	}
	*tid = (__u32)id;
	return cfg->tgid == (__u32)(id >> 32);
}

// Whether thread `tid` is one of the writers user space listed (run
// --writers): the first cfg->writers slots, usually one or two compares.
// Every other thread of the process (the reader's, a sharded read's C
// threads included) is not.
static __always_inline int is_writer(struct counter_config *cfg, __u32 tid)
{
	__u32 n = cfg->writers;

	for (int i = 0; i < COUNTER_WRITER_SLOTS; i++) {
		if (i >= n)
			return 0;
		if (cfg->writer_tids[i] == tid)
			return 1;
	}
	return 0;
}

static __always_inline int count(struct bpf_raw_tracepoint_args *ctx, int by_ns)
{
	__u32 zero = 0;
	struct counter_config *cfg = bpf_map_lookup_elem(&counter_config, &zero);
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = 0;

	if (!cfg || !cfg->tgid || !is_target(cfg, id, by_ns, &tid))
		return 0;
	struct counters *c = bpf_map_lookup_elem(&syscall_counters, &zero);
	if (!c)
		return 0;
	__sync_fetch_and_add(&c->total, 1);
	if (ctx->args[1] != cfg->bpf_nr)
		return 0;
	// sys_enter(struct pt_regs *regs, long id): the command is the first argument.
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	unsigned long cmd = 0;
	bpf_probe_read_kernel(&cmd, sizeof(cmd), &PT_REGS_PARM1(regs));
	__u32 slot = cmd < COUNTER_CMD_SLOTS - 1 ? cmd : COUNTER_CMD_SLOTS - 1;
	if (cfg->writers && is_writer(cfg, tid)) {
		// A writer thread (run --writers): counted apart, not timed.
		__sync_fetch_and_add(&c->other_bpf_total, 1);
		if (slot < COUNTER_CMD_SLOTS)
			__sync_fetch_and_add(&c->other_bpf_cmd[slot], 1);
		return 0;
	}
	__sync_fetch_and_add(&c->bpf_total, 1);
	if (slot < COUNTER_CMD_SLOTS)
		__sync_fetch_and_add(&c->bpf_cmd[slot], 1);
	if (!cfg->since)
		return 0;
	// The clock is read last, so the time measured holds as little of this
	// program as possible. Keyed by the thread's id in the initial namespace:
	// unique machine-wide, and what the exit program sees without a helper.
	__u32 host_tid = (__u32)id;
	struct bpf_call call = { .slot = slot, .start = bpf_ktime_get_ns() };
	bpf_map_update_elem(&bpf_calls, &host_tid, &call, BPF_ANY);
	return 0;
}

SEC("raw_tp/sys_enter")
int count_syscalls(struct bpf_raw_tracepoint_args *ctx)
{
	return count(ctx, 1);
}

SEC("?raw_tp/sys_enter")
int count_syscalls_host(struct bpf_raw_tracepoint_args *ctx)
{
	return count(ctx, 0);
}

SEC("?raw_tp/sys_exit")
int time_bpf_calls(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 zero = 0;
	struct counter_config *cfg = bpf_map_lookup_elem(&counter_config, &zero);

	if (!cfg || !cfg->since)
		return 0;
	// Only the target's threads have a call in flight (the enter program
	// chose them, by either pid): no pid test here.
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct bpf_call *call = bpf_map_lookup_elem(&bpf_calls, &tid);
	if (!call) // not a bpf(2) call (or entered before the counting began)
		return 0;
	__u64 start = call->start;
	__u32 slot = call->slot;
	bpf_map_delete_elem(&bpf_calls, &tid);
	if (start < cfg->since || start > now)
		return 0; // stale: entered while this program was detached
	struct counters *c = bpf_map_lookup_elem(&syscall_counters, &zero);
	if (c && slot < COUNTER_CMD_SLOTS)
		__sync_fetch_and_add(&c->bpf_ns[slot], now - start);
	return 0;
}

// ---------------------------------------------------------------------------
// The iter strategy: a bpf_iter over the map's elements, each written to the
// iterator's seq_file as key bytes then value bytes; user space read()s the
// iterator fd in large buffers. Sizes are set before load (frozen .rodata,
// so the verifier sees constants): key_size, and the value as user space
// sees it (per-CPU maps: round_up(value_size, 8) per possible CPU).
// Layout mirrored by IterCfg in src/bpf/syscall/attr.ts (test/bpf/syscall/layouts.test.ts
// checks it against this object's BTF).

struct seq_file;
struct bpf_map;

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
} __attribute__((preserve_access_index));

struct bpf_iter__bpf_map_elem {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
	void *key;
	void *value;
} __attribute__((preserve_access_index));

const volatile struct {
	__u32 key_size;
	__u32 value_size;
} iter_cfg = { 4, 4 };

SEC("iter/bpf_map_elem")
int dump_map(struct bpf_iter__bpf_map_elem *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	void *key = ctx->key;
	void *value = ctx->value;

	if (!key || !value)
		return 0;
	bpf_seq_write(seq, key, iter_cfg.key_size);
	bpf_seq_write(seq, value, iter_cfg.value_size);
	return 0;
}

// ---------------------------------------------------------------------------
// The writers (run --writers): a datapath's updates, deletes and inserts, in
// the kernel, while user space reads the map. One PROG_TEST_RUN runs `ops`
// operations (bpf_loop); each writer thread runs its own stream of calls.
// They touch only the volatile keys: every volatile_every-th loaded key
// (k < entries, k % volatile_every == 0) and the fresh keys entries ..
// entries+fresh-1; every other key stays present with its value.
// Mode 1 (restore) puts the map back as the loader wrote it: every volatile
// loaded key present with `value`, every fresh key absent.
// Layout mirrored by WriterCtx in src/bpf/syscall/attr.ts (test/bpf/syscall/layouts.test.ts
// checks it against this object's BTF).

#define WRITE_UPDATE 1
#define WRITE_DELETE 2
#define WRITE_INSERT 4

struct writer_ctx {
	__u32 entries;        // keys 0..entries-1 written by the loader
	__u32 volatile_every; // every volatile_every-th loaded key is volatile
	__u32 fresh;          // fresh keys entries .. entries+fresh-1
	__u32 ops;            // operations this call (<= 1<<23)
	__u32 mix;            // WRITE_* bits: the operations to draw from
	__u32 mode;           // 0: random operations; 1: restore slots start .. start+ops-1
	__u32 start;          // restore: first slot
	__u32 value;          // the value written
	__u64 seed;           // in/out: the stream's xorshift64 state (nonzero)
	__u64 updates;        // out: updates of a present key
	__u64 deletes;        // out: deletes of a present key
	__u64 inserts;        // out: inserts of an absent key
	__u64 misses;         // out: an operation with nothing to do (absent / present already)
	__u64 full;           // out: inserts refused (E2BIG / ENOMEM)
	__s64 err;            // out: the first other error, 0 if none
};

struct writer_state {
	__u64 seed;
	__u64 updates;
	__u64 deletes;
	__u64 inserts;
	__u64 misses;
	__u64 full;
	__s64 err;
	__u32 entries;
	__u32 every;
	__u32 slots; // volatile loaded keys + fresh keys
	__u32 inside; // volatile loaded keys
	__u32 mix;
	__u32 nops; // operations enabled in mix (1..3)
	__u32 start;
	__u32 value;
};

static __always_inline __u32 slot_key(struct writer_state *s, __u32 slot)
{
	return slot < s->inside ? slot * s->every : s->entries + (slot - s->inside);
}

static __always_inline void count_result(struct writer_state *s, long r, __u64 *ok)
{
	if (r == 0)
		(*ok)++;
	else if (r == -2 /* ENOENT */ || r == -17 /* EEXIST */)
		s->misses++;
	else if (r == -7 /* E2BIG */ || r == -12 /* ENOMEM */)
		s->full++;
	else if (!s->err)
		s->err = r;
}

static long write_one(__u32 i, void *arg)
{
	struct writer_state *s = arg;
	__u64 x = s->seed;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->seed = x;
	if (s->slots == 0 || s->nops == 0)
		return 1;
	__u32 slot = (__u32)((x >> 8) % s->slots);
	__u32 pick = (__u32)((x >> 48) % s->nops);
	__u32 key = slot_key(s, slot);
	__u32 value = s->value;
	// The pick-th operation enabled in mix.
	__u32 op = 0;
	__u32 seen = 0;
	if (s->mix & WRITE_UPDATE) {
		if (seen == pick)
			op = WRITE_UPDATE;
		seen++;
	}
	if (!op && (s->mix & WRITE_DELETE)) {
		if (seen == pick)
			op = WRITE_DELETE;
		seen++;
	}
	if (!op && (s->mix & WRITE_INSERT))
		op = WRITE_INSERT;
	if (op == WRITE_UPDATE)
		count_result(s, bpf_map_update_elem(&test_map, &key, &value, BPF_EXIST), &s->updates);
	else if (op == WRITE_DELETE)
		count_result(s, bpf_map_delete_elem(&test_map, &key), &s->deletes);
	else
		count_result(s, bpf_map_update_elem(&test_map, &key, &value, BPF_NOEXIST), &s->inserts);
	return 0;
}

static long restore_one(__u32 i, void *arg)
{
	struct writer_state *s = arg;
	__u32 slot = s->start + i;

	if (slot >= s->slots)
		return 1;
	__u32 key = slot_key(s, slot);
	__u32 value = s->value;
	if (slot < s->inside)
		count_result(s, bpf_map_update_elem(&test_map, &key, &value, BPF_ANY), &s->updates);
	else
		count_result(s, bpf_map_delete_elem(&test_map, &key), &s->deletes);
	return 0;
}

SEC("syscall")
int write_map(struct writer_ctx *ctx)
{
	struct writer_state s = {
		.seed = ctx->seed ? ctx->seed : 0x9e3779b97f4a7c15ULL,
		// The counters start from the context (user space zeroes them),
		// not from the constant 0: the verifier then knows them only as
		// scalars, so the states of bpf_loop's callback converge. Started
		// from constants, each iteration's counts made a new state, and a
		// newer verifier gave up after 1M instructions (E2BIG).
		.updates = ctx->updates,
		.deletes = ctx->deletes,
		.inserts = ctx->inserts,
		.misses = ctx->misses,
		.full = ctx->full,
		.err = ctx->err,
		.entries = ctx->entries,
		.every = ctx->volatile_every ? ctx->volatile_every : 1,
		.mix = ctx->mix & 7,
		.start = ctx->start,
		.value = ctx->value,
	};
	s.inside = s.entries / s.every + (s.entries % s.every ? 1 : 0);
	s.slots = s.inside + ctx->fresh;
	s.nops = (s.mix & 1) + ((s.mix >> 1) & 1) + ((s.mix >> 2) & 1);
	long n;
	if (ctx->mode == 1)
		n = bpf_loop(ctx->ops, restore_one, &s, 0);
	else
		n = bpf_loop(ctx->ops, write_one, &s, 0);

	ctx->seed = s.seed;
	ctx->updates = s.updates;
	ctx->deletes = s.deletes;
	ctx->inserts = s.inserts;
	ctx->misses = s.misses;
	ctx->full = s.full;
	ctx->err = s.err ? s.err : (n < 0 ? n : 0);
	return 0;
}

// ---------------------------------------------------------------------------
// Feature probes (src/bpf/programs/features.ts): the smallest programs that need one
// kernel feature each, loaded one at a time and never run or attached, so
// that `bpfbench info --kernel` can say what this kernel allows apart from
// what bpfbench's own programs do with it. `?` keeps them out of every
// other load.

static long probe_loop_cb(__u32 i, void *arg)
{
	return 0;
}

// bpf_loop (Linux 5.17), in a syscall program (5.14).
SEC("?syscall")
int probe_bpf_loop(void *ctx)
{
	bpf_loop(1, probe_loop_cb, 0, 0);
	return 0;
}

// The namespace-aware pid helper (Linux 5.7), on the counter's tracepoint.
SEC("?raw_tp/sys_enter")
int probe_ns_pid(struct bpf_raw_tracepoint_args *ctx)
{
	struct bpf_pidns_info ns = {};

	bpf_get_ns_current_pid_tgid(0, 0, &ns, sizeof(ns));
	return 0;
}

// The iterator target alone: an empty iter/bpf_map_elem program. A kernel
// that refuses this refuses the target, whatever the program does.
SEC("?iter/bpf_map_elem")
int probe_iter_map_elem(struct bpf_iter__bpf_map_elem *ctx)
{
	return 0;
}

struct bpf_iter__bpf_map {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
} __attribute__((preserve_access_index));

// Another iterator target, for contrast: bpf_iter in general against
// the map-element target in particular.
SEC("?iter/bpf_map")
int probe_iter_map(struct bpf_iter__bpf_map *ctx)
{
	return 0;
}
