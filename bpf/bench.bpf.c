// SPDX-License-Identifier: GPL-2.0
// bpfbench's BPF object: the map under test and the in-kernel filler.
//
// test_map is declared with the published experiment's shape (hash, u32 -> u32,
// 100Mi entries); bpfbench resizes it (max_entries, flags) through libbpf
// before the object is loaded, so one object serves every run.
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 1024 * 1024 * 100);
} test_map SEC(".maps");

// Context of the fill program, shared with user space through
// BPF_PROG_TEST_RUN's ctx_in (the kernel copies it back after the run).
// Layout mirrored by FILL_CTX in src/bpf/loader.ts.
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
