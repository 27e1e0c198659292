// bpfbench's native read loop: the same bpf(2) walks as the TypeScript loops
// (src/bpf/maps/map.ts ElemReader and BatchCursor, src/strategies/*.ts), issued
// from C so that one call from JavaScript covers a whole hand-over of up to
// `capacity` entries instead of one call per syscall.
//
// All state lives in one struct bb_state in memory TypeScript allocated
// (src/bpf/native/native-loop.ts). TypeScript names every field offset once and
// checks it against bb_table() at load time, so the two cannot drift.
//
// The syscalls are exactly the TypeScript loops': the same commands in the
// same order, the same attr sizes and contents (only the buffer addresses
// differ), count = chunk on every batch call. Every call is counted here, by
// command, in the state's per-step counters; nothing is computed.
//
// Every call (every lat_every-th one: see src/bpf/native/latency.ts) is also timed,
// clock_gettime(CLOCK_MONOTONIC) (the vDSO) on both sides of the syscall,
// into the state's log-linear histogram (lat_*): bucket i < 256 holds i ns;
// above, 128 sub-buckets per power of two (< 0.8 % wide), up to 2^36 ns
// (68.7 s), larger values in the last bucket (the exact maximum is kept).
// TypeScript reads it after the read (src/bpf/native/latency.ts LatencyHistogram,
// the same bucketing).
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

// enum bpf_cmd, the commands the loops issue: the kernel's own numbers.
#define CMD_LOOKUP_ELEM BPF_MAP_LOOKUP_ELEM
#define CMD_DELETE_ELEM BPF_MAP_DELETE_ELEM
#define CMD_GET_NEXT_KEY BPF_MAP_GET_NEXT_KEY
#define CMD_LOOKUP_AND_DELETE_ELEM BPF_MAP_LOOKUP_AND_DELETE_ELEM
#define CMD_LOOKUP_BATCH BPF_MAP_LOOKUP_BATCH
#define CMD_LOOKUP_AND_DELETE_BATCH BPF_MAP_LOOKUP_AND_DELETE_BATCH

#define CMD_SLOTS 64
#define KEY_MAX 512 // a hash key is at most MAX_BPF_STACK bytes
#define MAX_CHUNK (1u << 24)

// The call-latency histogram (src/bpf/native/latency.ts names the same numbers).
#define LAT_SUB_BITS 7
#define LAT_TOP_BIT 36 // values below 2^36 ns have a bucket of their own
#define LAT_BUCKETS ((LAT_TOP_BIT - LAT_SUB_BITS + 1) << LAT_SUB_BITS)

// What a walk does.
enum { KIND_ELEM = 1, KIND_ELEM_DELETE = 2, KIND_BATCH = 3, KIND_ITER = 4 };
// What a step ended with.
enum { ST_MORE = 1, ST_END = 2, ST_ERROR = 3, ST_MAP_CHANGED = 4, ST_NEED_BUFFER = 5 };
// Where the walk is.
enum { PH_START = 0, PH_WALKING = 1, PH_ENDED = 2 };
// err_cmd of a failed read(2).
#define CMD_READ (-1)

// union bpf_attr for element commands (src/bpf/syscall/attr.ts MapElemAttr, 32 bytes).
struct elem_attr {
	uint32_t map_fd;
	uint32_t pad;
	uint64_t key;
	uint64_t value; // next_key for GET_NEXT_KEY
	uint64_t flags;
};

// union bpf_attr for batch commands (src/bpf/syscall/attr.ts MapBatchAttr, 56 bytes).
struct batch_attr {
	uint64_t in_batch;
	uint64_t out_batch;
	uint64_t keys;
	uint64_t values;
	uint32_t count;
	uint32_t map_fd;
	uint64_t elem_flags;
	uint64_t flags;
};

// The two attrs above are the parts of the kernel's union bpf_attr the loops
// fill (src/bpf/syscall/attr.ts names the same offsets): held to <linux/bpf.h>.
#define SAME_AT(ours, field, theirs) _Static_assert(offsetof(ours, field) == offsetof(union bpf_attr, theirs), #ours "." #field " is not bpf_attr." #theirs)
SAME_AT(struct elem_attr, map_fd, map_fd);
SAME_AT(struct elem_attr, key, key);
SAME_AT(struct elem_attr, value, value);
SAME_AT(struct elem_attr, flags, flags);
SAME_AT(struct batch_attr, in_batch, batch.in_batch);
SAME_AT(struct batch_attr, out_batch, batch.out_batch);
SAME_AT(struct batch_attr, keys, batch.keys);
SAME_AT(struct batch_attr, values, batch.values);
SAME_AT(struct batch_attr, count, batch.count);
SAME_AT(struct batch_attr, map_fd, batch.map_fd);
SAME_AT(struct batch_attr, elem_flags, batch.elem_flags);
SAME_AT(struct batch_attr, flags, batch.flags);
_Static_assert(sizeof(struct batch_attr) == offsetof(union bpf_attr, batch.flags) + sizeof(uint64_t), "batch_attr ends at bpf_attr.batch.flags");

struct bb_state {
	// Inputs, written by TypeScript when it prepares the read.
	uint32_t kind;
	int32_t fd; // the map; for KIND_ITER the iterator fd of this pass
	uint32_t key_size;
	uint32_t value_stride; // bytes of one value in user space (per-CPU: a slot per possible CPU)
	uint32_t cursor_size; // batch: in/out_batch bytes (hash maps: 4, a bucket index; arrays: a key)
	uint32_t cmd; // batch: LOOKUP_BATCH or LOOKUP_AND_DELETE_BATCH
	uint32_t fixed; // batch: the published loop, in_batch never advanced
	uint32_t grow; // batch: ENOSPC doubles the chunk instead of failing
	uint32_t separate; // elem-delete: LOOKUP_ELEM + DELETE_ELEM instead of LOOKUP_AND_DELETE_ELEM
	uint32_t chunk; // batch: entries per call (grows on ENOSPC)
	uint32_t record; // iter: bytes of one record (key + value)
	uint32_t window; // iter: the TypeScript loop's read buffer (a read asks window - carried bytes)
	uint64_t max_steps; // elem: keys before "map changed"; batch: calls before "no end"
	uint64_t keys; // address of the key buffer (iter: the byte buffer)
	uint64_t values; // address of the value buffer
	uint64_t capacity; // entries the buffers hold (iter: bytes)
	// The walk.
	uint32_t phase;
	uint32_t retry; // batch: the call that grew the chunk is owed again
	uint64_t steps; // elem: keys stepped; batch: calls made (since reset)
	uint64_t have; // iter: bytes in the buffer, the carried partial record included
	uint8_t key[KEY_MAX]; // elem: the walk's previous key; elem-delete: the current key
	uint8_t in_batch[KEY_MAX];
	uint8_t out_batch[KEY_MAX];
	// Outputs of the last step.
	uint32_t status;
	int32_t err; // errno of the failed call
	int32_t err_cmd; // its bpf command, or CMD_READ
	uint32_t count; // entries (iter: whole records) at the start of the buffers
	uint64_t bytes; // iter: bytes in the buffer
	uint64_t growths; // batch: chunk doublings since the state was made
	uint64_t calls[CMD_SLOTS]; // bpf(2) calls by command, this step
	uint64_t reads; // read(2) calls, this step
	// Call latency, since the walk was reset: every lat_every-th call (the
	// walk's first included) timed, none when 0. Input: lat_every.
	uint32_t lat_every;
	uint32_t lat_countdown; // calls until the next timed one
	uint64_t lat_count; // calls timed
	uint64_t lat_sum; // their ns
	uint64_t lat_max; // the longest, ns
	uint64_t lat_counts[LAT_BUCKETS]; // timed calls by bucket (lat_bucket)
};

static inline void *ptr(uint64_t a) {
	return (void *)(uintptr_t)a;
}

static inline uint64_t addr(const void *p) {
	return (uint64_t)(uintptr_t)p;
}

static inline uint64_t now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/** The histogram bucket of a duration (src/bpf/native/latency.ts bucketOf). */
static inline unsigned lat_bucket(uint64_t ns) {
	if (ns < (2u << LAT_SUB_BITS)) return (unsigned)ns;
	if (ns >> LAT_TOP_BIT) return LAT_BUCKETS - 1;
	const unsigned shift = (unsigned)(63 - __builtin_clzll(ns)) - LAT_SUB_BITS;
	return (shift << LAT_SUB_BITS) + (unsigned)(ns >> shift);
}

static inline void lat_record(struct bb_state *s, uint64_t ns) {
	s->lat_counts[lat_bucket(ns)]++;
	s->lat_count++;
	s->lat_sum += ns;
	if (ns > s->lat_max) s->lat_max = ns;
}

/** Whether the next call is one to time (every lat_every-th, the first included). */
static inline int lat_due(struct bb_state *s) {
	if (!s->lat_every || --s->lat_countdown) return 0;
	s->lat_countdown = s->lat_every;
	return 1;
}

// Calibration only (scripts/gate-calibration): BPFBENCH_INJECT_NS=D makes
// every syscall of this loop busy-wait D ns after it returns, a known
// slowdown for the regression gate to find. Read once; -1 until read. Results
// record it (context.injectNs) and tables print it whenever it is set.
static long inject_ns = -1;

/** The injected busy-wait per syscall, ns (0: none); reads BPFBENCH_INJECT_NS the first time. */
long bb_inject_ns(void) {
	if (inject_ns < 0) {
		const char *v = getenv("BPFBENCH_INJECT_NS");
		long d = v ? strtol(v, NULL, 10) : 0;
		inject_ns = d > 0 ? d : 0;
	}
	return inject_ns;
}

static inline void inject(void) {
	if (!inject_ns) return;
	const uint64_t until = now_ns() + (uint64_t)inject_ns;
	while (now_ns() < until) {
	}
}

/** bpf(cmd, attr, size), counted and (when due) timed; 0 or -errno. */
static inline long sys_bpf(struct bb_state *s, int cmd, void *attr, unsigned size) {
	s->calls[cmd]++;
	if (!lat_due(s)) {
		long r = syscall(SYS_bpf, cmd, attr, size);
		const int e = errno;
		inject();
		return r < 0 ? -e : r;
	}
	const uint64_t t0 = now_ns();
	long r = syscall(SYS_bpf, cmd, attr, size);
	const int e = errno;
	inject();
	lat_record(s, now_ns() - t0);
	return r < 0 ? -e : r;
}

/** read(2) of the iterator, counted and (when due) timed; bytes or -errno. */
static inline ssize_t sys_read(struct bb_state *s, void *buf, size_t n) {
	s->reads++;
	if (!lat_due(s)) {
		ssize_t r = read(s->fd, buf, n);
		const int e = errno;
		inject();
		return r < 0 ? -e : r;
	}
	const uint64_t t0 = now_ns();
	ssize_t r = read(s->fd, buf, n);
	const int e = errno;
	inject();
	lat_record(s, now_ns() - t0);
	return r < 0 ? -e : r;
}

static int finish(struct bb_state *s, uint64_t n, uint32_t status) {
	s->count = (uint32_t)n;
	s->status = status;
	return (int)status;
}

static int fail(struct bb_state *s, uint64_t n, int cmd, long r) {
	s->phase = PH_ENDED;
	s->err = (int32_t)-r;
	s->err_cmd = cmd;
	return finish(s, n, ST_ERROR);
}

// elem: GET_NEXT_KEY(NULL), then GET_NEXT_KEY(previous key) until ENOENT,
// LOOKUP_ELEM of every key; a key gone before its lookup is skipped; more
// than max_steps keys means the map is changing underneath.
static int step_elem(struct bb_state *s) {
	uint8_t *keys = ptr(s->keys), *values = ptr(s->values);
	const uint64_t ks = s->key_size, vs = s->value_stride;
	struct elem_attr a = {.map_fd = (uint32_t)s->fd};
	const uint8_t *prev = s->phase == PH_START ? NULL : s->key;
	uint64_t n = 0;
	if (s->phase == PH_ENDED) return finish(s, 0, ST_END);
	while (n < s->capacity) {
		uint8_t *k = keys + n * ks;
		a.key = addr(prev);
		a.value = addr(k);
		long r = sys_bpf(s, CMD_GET_NEXT_KEY, &a, sizeof a);
		s->phase = PH_WALKING;
		if (r == -ENOENT) {
			s->phase = PH_ENDED;
			return finish(s, n, ST_END);
		}
		if (r < 0) return fail(s, n, CMD_GET_NEXT_KEY, r);
		if (++s->steps > s->max_steps) {
			s->phase = PH_ENDED;
			return finish(s, n, ST_MAP_CHANGED);
		}
		a.key = addr(k);
		a.value = addr(values + n * vs);
		r = sys_bpf(s, CMD_LOOKUP_ELEM, &a, sizeof a);
		if (r == 0) {
			prev = k;
			n++;
		} else if (r == -ENOENT) {
			// Deleted since GET_NEXT_KEY: skipped, but still the key to step from.
			memcpy(s->key, k, ks);
			prev = s->key;
		} else {
			return fail(s, n, CMD_LOOKUP_ELEM, r);
		}
	}
	if (prev != s->key) memcpy(s->key, prev, ks);
	return finish(s, n, ST_MORE);
}

// elem-delete: GET_NEXT_KEY to the next key while the current one still
// exists, then take the previous one (LOOKUP_AND_DELETE_ELEM, or LOOKUP_ELEM
// + DELETE_ELEM when `separate`); a key already gone is skipped.
static int step_elem_delete(struct bb_state *s) {
	uint8_t *keys = ptr(s->keys), *values = ptr(s->values);
	const uint64_t ks = s->key_size, vs = s->value_stride;
	struct elem_attr a = {.map_fd = (uint32_t)s->fd};
	uint64_t n = 0;
	long r;
	if (s->phase == PH_ENDED) return finish(s, 0, ST_END);
	if (s->phase == PH_START) {
		a.key = 0;
		a.value = addr(s->key);
		r = sys_bpf(s, CMD_GET_NEXT_KEY, &a, sizeof a);
		s->phase = PH_WALKING;
		if (r == -ENOENT) {
			s->phase = PH_ENDED;
			return finish(s, 0, ST_END);
		}
		if (r < 0) return fail(s, 0, CMD_GET_NEXT_KEY, r);
	}
	while (n < s->capacity) {
		uint8_t *prev = keys + n * ks;
		memcpy(prev, s->key, ks);
		a.key = addr(prev);
		a.value = addr(s->key);
		r = sys_bpf(s, CMD_GET_NEXT_KEY, &a, sizeof a);
		if (r < 0 && r != -ENOENT) return fail(s, n, CMD_GET_NEXT_KEY, r);
		const int more = r == 0;
		if (++s->steps > s->max_steps) {
			s->phase = PH_ENDED;
			return finish(s, n, ST_MAP_CHANGED);
		}
		a.key = addr(prev);
		a.value = addr(values + n * vs);
		if (!s->separate) {
			r = sys_bpf(s, CMD_LOOKUP_AND_DELETE_ELEM, &a, sizeof a);
			if (r == 0) n++;
			else if (r != -ENOENT) return fail(s, n, CMD_LOOKUP_AND_DELETE_ELEM, r);
		} else {
			r = sys_bpf(s, CMD_LOOKUP_ELEM, &a, sizeof a);
			if (r == 0) {
				// DELETE_ELEM of the same key. Its attr must end at `key`: the
				// kernel rejects a non-zero `value` there with EINVAL (CHECK_ATTR).
				struct elem_attr d_attr = {.map_fd = a.map_fd, .key = a.key};
				long d = sys_bpf(s, CMD_DELETE_ELEM, &d_attr, sizeof d_attr);
				if (d != 0 && d != -ENOENT) return fail(s, n, CMD_DELETE_ELEM, d);
				n++;
			} else if (r != -ENOENT) {
				return fail(s, n, CMD_LOOKUP_ELEM, r);
			}
		}
		if (!more) {
			s->phase = PH_ENDED;
			return finish(s, n, ST_END);
		}
	}
	return finish(s, n, ST_MORE);
}

// batch: LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH) with count = chunk, the
// first call from in_batch NULL, then from the previous out_batch; short
// batches accepted; ENOENT ends the walk after its entries. The fixed
// cursor (the published loop) passes a zeroed in_batch every time. ENOSPC
// doubles the chunk and retries the same call, or fails.
static int step_batch(struct bb_state *s) {
	uint8_t *keys = ptr(s->keys), *values = ptr(s->values);
	const uint64_t ks = s->key_size, vs = s->value_stride;
	struct batch_attr a = {.map_fd = (uint32_t)s->fd, .out_batch = addr(s->out_batch)};
	uint64_t n = 0;
	for (;;) {
		if (!s->retry) {
			if (s->phase == PH_ENDED) return finish(s, n, ST_END);
			if (s->steps >= s->max_steps) {
				s->phase = PH_ENDED;
				return finish(s, n, s->fixed ? ST_END : ST_MAP_CHANGED);
			}
		}
		if (s->capacity - n < s->chunk) return finish(s, n, n > 0 ? ST_MORE : ST_NEED_BUFFER);
		a.in_batch = s->phase == PH_START && !s->fixed ? 0 : addr(s->in_batch);
		a.keys = addr(keys + n * ks);
		a.values = addr(values + n * vs);
		a.count = s->chunk;
		long r = sys_bpf(s, (int)s->cmd, &a, sizeof a);
		s->steps++;
		const uint32_t got = a.count;
		if (r == 0) {
			s->retry = 0;
			s->phase = PH_WALKING;
			if (!s->fixed) memcpy(s->in_batch, s->out_batch, s->cursor_size);
			n += got;
		} else if (r == -ENOENT) {
			// The end; this call's entries (count) are still valid.
			s->retry = 0;
			s->phase = !s->fixed || got == 0 ? PH_ENDED : PH_WALKING;
			n += got;
		} else if (r == -ENOSPC && s->grow && s->chunk < MAX_CHUNK) {
			s->chunk = s->chunk * 2 < MAX_CHUNK ? s->chunk * 2 : MAX_CHUNK;
			s->growths++;
			s->retry = 1; // the same call again, with room for the bucket
		} else {
			s->retry = 0;
			return fail(s, n, (int)s->cmd, r);
		}
	}
}

// iter: read(2) the iterator fd as the TypeScript loop does, a window of
// bytes minus the carried partial record each time, several reads per
// hand-over; whole records are handed over, the partial one carried.
static int step_iter(struct bb_state *s) {
	uint8_t *buf = ptr(s->keys);
	const uint64_t rec = s->record;
	uint64_t used = s->have - s->have % rec;
	if (used) {
		memmove(buf, buf + used, s->have - used);
		s->have -= used;
	}
	s->bytes = s->have;
	if (s->phase == PH_ENDED) return finish(s, 0, ST_END);
	s->phase = PH_WALKING;
	while (s->have + s->window <= s->capacity) {
		ssize_t r = sys_read(s, buf + s->have, s->window - s->have % rec);
		if (r < 0) return fail(s, s->have / rec, CMD_READ, r);
		if (r == 0) {
			s->phase = PH_ENDED;
			s->bytes = s->have;
			return finish(s, s->have / rec, ST_END);
		}
		s->have += (uint64_t)r;
	}
	s->bytes = s->have;
	return finish(s, s->have / rec, ST_MORE);
}

/** One hand-over: runs the walk until the buffers are full or it ends. Returns the status. */
int bb_step(uintptr_t state) {
	struct bb_state *s = (struct bb_state *)state;
	if (inject_ns < 0) bb_inject_ns();
	memset(s->calls, 0, sizeof s->calls);
	s->reads = 0;
	s->err = 0;
	s->err_cmd = 0;
	// The state is the caller's: its sizes and command are checked here, not trusted.
	if (s->key_size == 0 || s->key_size > KEY_MAX || s->cursor_size > KEY_MAX ||
	    (s->kind == KIND_BATCH && s->cmd != CMD_LOOKUP_BATCH && s->cmd != CMD_LOOKUP_AND_DELETE_BATCH) ||
	    (s->kind == KIND_BATCH && (s->chunk == 0 || s->chunk > MAX_CHUNK)) || (s->kind == KIND_ITER && s->record == 0)) {
		s->err = EINVAL;
		return finish(s, 0, ST_ERROR);
	}
	switch (s->kind) {
	case KIND_ELEM:
		return step_elem(s);
	case KIND_ELEM_DELETE:
		return step_elem_delete(s);
	case KIND_BATCH:
		return step_batch(s);
	case KIND_ITER:
		return step_iter(s);
	}
	s->err = EINVAL;
	return finish(s, 0, ST_ERROR);
}

/**
 * One hand-over, then its entries folded into a native check (check.c)
 * while they are still in cache: the verifier's proofs without handing
 * every entry to JavaScript. The step's status, as bb_step.
 */
int bb_step_check(uintptr_t state, uintptr_t check) {
	struct bb_state *s = (struct bb_state *)state;
	const int st = bb_step(state);
	if (s->count == 0) return st;
	const uint8_t *keys = ptr(s->keys);
	if (s->kind == KIND_ITER) {
		const uint64_t rec = s->record;
		bb_check_fold((struct bb_check *)check, keys, rec, keys + s->key_size, rec, s->count);
	} else {
		bb_check_fold((struct bb_check *)check, keys, s->key_size, ptr(s->values), s->value_stride, s->count);
	}
	return st;
}

/** Starts a new walk from the beginning (a grown chunk stays grown). */
void bb_reset(uintptr_t state) {
	struct bb_state *s = (struct bb_state *)state;
	s->phase = PH_START;
	s->retry = 0;
	s->steps = 0;
	s->have = 0;
	s->bytes = 0;
	s->count = 0;
	s->status = 0;
	memset(s->key, 0, sizeof s->key);
	memset(s->in_batch, 0, sizeof s->in_batch);
	memset(s->out_batch, 0, sizeof s->out_batch);
	s->lat_countdown = 1;
	s->lat_count = 0;
	s->lat_sum = 0;
	s->lat_max = 0;
	memset(s->lat_counts, 0, sizeof s->lat_counts);
}

/*
 * Tests only, and in the library on purpose: test/bpf/native/latency.test.ts holds
 * src/bpf/native/latency.ts's bucketing to the C that --loop native runs, which a
 * separate test build would not be. Neither is called on a read.
 */

/** Tests: the bucket of a duration, as the loops file it. */
long bb_lat_bucket(uint64_t ns) {
	return lat_bucket(ns);
}

/** Tests: files a duration into the state's histogram, as a timed call would. */
void bb_lat_record(uintptr_t state, uint64_t ns) {
	lat_record((struct bb_state *)state, ns);
}

// The layout and numbers TypeScript checks at load time, by name.
#define FIELD(f) {"field." #f, offsetof(struct bb_state, f)}
#define CONST(name, v) {"const." name, (v)}
static const struct {
	const char *name;
	long value;
} table[] = {
	FIELD(kind), FIELD(fd), FIELD(key_size), FIELD(value_stride), FIELD(cursor_size), FIELD(cmd),
	FIELD(fixed), FIELD(grow), FIELD(separate), FIELD(chunk), FIELD(record), FIELD(window),
	FIELD(max_steps), FIELD(keys), FIELD(values), FIELD(capacity), FIELD(phase), FIELD(retry),
	FIELD(steps), FIELD(have), FIELD(key), FIELD(in_batch), FIELD(out_batch), FIELD(status),
	FIELD(err), FIELD(err_cmd), FIELD(count), FIELD(bytes), FIELD(growths), FIELD(calls), FIELD(reads),
	FIELD(lat_every), FIELD(lat_countdown), FIELD(lat_count), FIELD(lat_sum), FIELD(lat_max), FIELD(lat_counts),
	CONST("SIZE", sizeof(struct bb_state)),
	CONST("KEY_MAX", KEY_MAX),
	CONST("CMD_SLOTS", CMD_SLOTS),
	CONST("MAX_CHUNK", MAX_CHUNK),
	CONST("LAT_SUB_BITS", LAT_SUB_BITS),
	CONST("LAT_BUCKETS", LAT_BUCKETS),
	CONST("ELEM_ATTR_SIZE", sizeof(struct elem_attr)),
	CONST("BATCH_ATTR_SIZE", sizeof(struct batch_attr)),
	CONST("CMD_READ", CMD_READ),
	CONST("KIND_ELEM", KIND_ELEM),
	CONST("KIND_ELEM_DELETE", KIND_ELEM_DELETE),
	CONST("KIND_BATCH", KIND_BATCH),
	CONST("KIND_ITER", KIND_ITER),
	CONST("ST_MORE", ST_MORE),
	CONST("ST_END", ST_END),
	CONST("ST_ERROR", ST_ERROR),
	CONST("ST_MAP_CHANGED", ST_MAP_CHANGED),
	CONST("ST_NEED_BUFFER", ST_NEED_BUFFER),
};

/** Entry i of the table: a field's offset or a constant. */
long bb_table(int i) {
	return i >= 0 && i < (int)(sizeof table / sizeof table[0]) ? table[i].value : -1;
}

/** Name of entry i ("field.kind", "const.SIZE"), or NULL past the end. */
const char *bb_table_name(int i) {
	return i >= 0 && i < (int)(sizeof table / sizeof table[0]) ? table[i].name : NULL;
}

// ---------------------------------------------------------------------------
// Sharded batch reads (issue 23): one map read by N threads at once, each
// over its own range of the LOOKUP_BATCH cursor (hash maps: a bucket index;
// arrays: a key), each with its own buffers, all joined before returning.
//
// Each shard appends into its own buffers until its walk ends or they are
// full (then ST_NEED_BUFFER: TypeScript grows them and runs that shard
// again, from where it stopped). A hash shard's first call passes in_batch =
// its first bucket (NULL for bucket 0, as `batch` does); it stops after the
// first call whose out_batch reaches its end (or ENOENT). A call returns
// whole buckets until count is full, and skips empty buckets without
// stopping, so that last call may hold entries of the buckets after the
// range: `last_at` and `last_count` say where it is, and TypeScript removes
// the overlap exactly by comparing its keys with what the next shards read.
// An array shard passes in_batch = its first key - 1 (NULL for key 0) and
// asks for no more than the keys left in its range: no overlap.
//
// Given a check (bb_check_part of the read's), a shard verifies on its own
// thread: when its walk ends, the entries of every call but the last, all
// its own, are folded, the bitmap of keys seen shared by every shard and set
// atomically. Only the last call waits for the join.
//
// Nothing here touches struct bb_state; the layout is checked by its own
// table (bb_shard_table), as bb_table checks bb_state's.
#include <pthread.h>

struct bb_shard {
	// Inputs.
	int32_t fd;
	uint32_t cmd; // LOOKUP_BATCH or LOOKUP_AND_DELETE_BATCH
	uint32_t key_size;
	uint32_t value_stride;
	uint32_t by_key; // 1: array map (cursor a u32 key), 0: hash (cursor a u32 bucket)
	uint32_t grow; // ENOSPC doubles the chunk instead of failing
	uint32_t chunk; // entries per call (grows on ENOSPC)
	uint32_t pad0;
	uint64_t start; // first bucket (key) of the range
	uint64_t end; // bucket (key) after the range
	uint64_t max_calls; // calls before "no end"
	uint64_t keys; // the shard's key buffer
	uint64_t values; // its value buffer
	uint64_t capacity; // entries the buffers hold
	// The walk (reset by bb_shard_reset).
	uint32_t phase;
	uint32_t retry;
	uint64_t next; // array: the next key to read
	uint64_t count; // entries in the buffers
	uint64_t last_at; // index of the first entry of the last call made
	uint64_t last_count; // its entries
	uint64_t calls; // bpf(2) calls since reset
	uint64_t growths; // chunk doublings since the shard was made
	uint64_t ns; // this thread's time in the last run, ns
	uint32_t status;
	int32_t err;
	uint32_t in_batch; // the cursor (a bucket index or a u32 key)
	uint32_t out_batch;
	// Verification on the shard's thread (0: none): the address of its own
	// struct bb_check (a part of the read's, bb_check_part), into which the
	// entries of every call but the last are folded once the walk ends, on
	// its thread, while the other shards may still read. (Folding each call
	// right after the next one returns, still in cache, was slower: its
	// bitmap traffic slowed the walk more than it saved, 16Mi 278 against
	// 262 ns/entry, 100Mi 297 against 282.) The last call may hold entries
	// of the next shard's buckets, so its kept part is folded by TypeScript
	// after the join, once the overlap is known.
	uint64_t check;
	uint64_t folded; // entries folded into check
	uint32_t shared; // other shards fold at once: set bits atomically
	uint32_t pad1;
};

static void *shard_walk(void *arg) {
	struct bb_shard *s = arg;
	const uint64_t t0 = now_ns();
	uint8_t *keys = ptr(s->keys), *values = ptr(s->values);
	const uint64_t ks = s->key_size, vs = s->value_stride;
	struct batch_attr a = {.map_fd = (uint32_t)s->fd, .out_batch = addr(&s->out_batch)};
	s->err = 0;
	for (;;) {
		if (!s->retry) {
			if (s->phase == PH_ENDED) {
				// Every call before the last ended inside the range: their entries are this shard's own.
				if (s->check && s->last_at > s->folded) {
					const uint64_t f = s->folded, n = s->last_at - f;
					if (s->shared) bb_check_fold_shared(ptr(s->check), keys + f * ks, ks, values + f * vs, vs, n);
					else bb_check_fold(ptr(s->check), keys + f * ks, ks, values + f * vs, vs, n);
					s->folded = s->last_at;
				}
				s->status = ST_END;
				break;
			}
			if (s->calls >= s->max_calls) {
				s->phase = PH_ENDED;
				s->status = ST_MAP_CHANGED;
				break;
			}
		}
		if (s->capacity - s->count < s->chunk) {
			s->status = ST_NEED_BUFFER;
			break;
		}
		uint32_t want = s->chunk;
		if (s->by_key) {
			const uint64_t left = s->end - s->next;
			if (left < want) want = (uint32_t)left;
			if (s->next == 0) {
				a.in_batch = 0;
			} else {
				s->in_batch = (uint32_t)(s->next - 1);
				a.in_batch = addr(&s->in_batch);
			}
		} else {
			a.in_batch = s->phase == PH_START && s->start == 0 ? 0 : addr(&s->in_batch);
		}
		a.keys = addr(keys + s->count * ks);
		a.values = addr(values + s->count * vs);
		a.count = want;
		s->calls++;
		long r = syscall(SYS_bpf, (int)s->cmd, &a, sizeof a);
		if (r < 0) r = -errno;
		const uint32_t got = a.count;
		if (r == 0 || r == -ENOENT) {
			s->retry = 0;
			s->last_at = s->count;
			s->last_count = got;
			s->count += got;
			if (s->by_key) {
				s->next += got;
				if (r == -ENOENT || s->next >= s->end || got == 0) s->phase = PH_ENDED;
				else s->phase = PH_WALKING;
			} else if (r == -ENOENT || s->out_batch >= s->end) {
				s->phase = PH_ENDED;
			} else {
				s->phase = PH_WALKING;
				s->in_batch = s->out_batch;
			}
		} else if (r == -ENOSPC && s->grow && s->chunk < MAX_CHUNK) {
			s->chunk = s->chunk * 2 < MAX_CHUNK ? s->chunk * 2 : MAX_CHUNK;
			s->growths++;
			s->retry = 1;
		} else {
			s->retry = 0;
			s->phase = PH_ENDED;
			s->err = (int32_t)-r;
			s->status = ST_ERROR;
			break;
		}
	}
	s->ns += now_ns() - t0;
	return NULL;
}

/** Starts shard `state` over from its first bucket (key); a grown chunk stays grown. */
void bb_shard_reset(uintptr_t state) {
	struct bb_shard *s = (struct bb_shard *)state;
	s->phase = PH_START;
	s->retry = 0;
	s->next = s->start;
	s->count = 0;
	s->last_at = 0;
	s->last_count = 0;
	s->folded = 0;
	s->calls = 0;
	s->ns = 0;
	s->status = 0;
	s->err = 0;
	s->in_batch = (uint32_t)s->start;
	s->out_batch = 0;
}

/**
 * Runs the shards at `states` (n addresses of struct bb_shard) whose walk has
 * not ended, each on a thread of its own (the first on the caller's), and
 * joins them. Returns how many shards could not get a thread (0).
 */
int bb_shard_run(uintptr_t states, int n) {
	uint64_t *addrs = (uint64_t *)states;
	pthread_t threads[256];
	int started[256];
	int failed = 0, first = -1;
	if (n < 1 || n > 256) return -1;
	for (int i = 0; i < n; i++) {
		struct bb_shard *s = ptr(addrs[i]);
		started[i] = 0;
		s->shared = n > 1;
		if (s->phase == PH_ENDED && !s->retry) {
			s->status = s->status ? s->status : ST_END;
			continue;
		}
		if (first < 0) {
			first = i; // runs on this thread, after the others are started
			continue;
		}
		if (pthread_create(&threads[i], NULL, shard_walk, s) == 0) started[i] = 1;
		else failed++;
	}
	if (first >= 0) shard_walk(ptr(addrs[first]));
	for (int i = 0; i < n; i++)
		if (started[i]) pthread_join(threads[i], NULL);
	// A shard without a thread runs here, after the others: still every shard read.
	if (failed)
		for (int i = 0; i < n; i++) {
			struct bb_shard *s = ptr(addrs[i]);
			if (i != first && !started[i] && !(s->phase == PH_ENDED && !s->retry)) shard_walk(s);
		}
	return failed;
}

#define SFIELD(f) {"field." #f, offsetof(struct bb_shard, f)}
static const struct {
	const char *name;
	long value;
} shard_table[] = {
	SFIELD(fd), SFIELD(cmd), SFIELD(key_size), SFIELD(value_stride), SFIELD(by_key), SFIELD(grow), SFIELD(chunk),
	SFIELD(start), SFIELD(end), SFIELD(max_calls), SFIELD(keys), SFIELD(values), SFIELD(capacity), SFIELD(phase),
	SFIELD(retry), SFIELD(next), SFIELD(count), SFIELD(last_at), SFIELD(last_count), SFIELD(calls), SFIELD(growths),
	SFIELD(ns), SFIELD(status), SFIELD(err), SFIELD(in_batch), SFIELD(out_batch), SFIELD(check), SFIELD(folded), SFIELD(shared),
	{"const.SIZE", sizeof(struct bb_shard)},
	{"const.MAX_THREADS", 256},
};

/** Entry i of the shard layout table, or -1 past the end. */
long bb_shard_table(int i) {
	return i >= 0 && i < (int)(sizeof shard_table / sizeof shard_table[0]) ? shard_table[i].value : -1;
}

/** Name of entry i of the shard layout table, or NULL past the end. */
const char *bb_shard_table_name(int i) {
	return i >= 0 && i < (int)(sizeof shard_table / sizeof shard_table[0]) ? shard_table[i].name : NULL;
}
