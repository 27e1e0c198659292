// bpfbench C peer: reads a pinned BPF hash map (u32 key -> u32 value) with raw
// bpf(2) syscalls (no libbpf), verifies every entry it is given and prints one
// JSON line per run on stdout. This is the "C floor" of bpfbench: the loops are
// kept as tight as a careful C programmer would write them (no allocation, no
// printing inside them) but they do the same per-entry verification as every
// other reader. The bpf calls it reports ("bpfCalls") are counted as it makes
// them, one increment before each syscall: bpfbench checks them against the
// kernel's count of the same read.
//
//   bpfbench-peer-c --pin PATH --strategy elem|batch|batch-fixed-cursor|batch-sharded
//                   --chunk N --runs R --value V [--threads T] [--sync]
//
// batch-sharded (issue 23): the buckets split into T ranges, each read by a
// thread of its own (LOOKUP_BATCH from its first bucket until out_batch
// reaches its end) into buffers of its own, then verifying on its thread
// the entries of every call but its last; joined; then, as bpfbench's
// native loop does, the overlap each shard's last call read past its range
// is removed by key and the rest of that call verified.
//   bpfbench-peer-c --pin PATH --fill N --value V      (test helper: keys 0..N-1 = V)
//
// --sync: around each run's read, write a line "ready" (before) and "done"
// (after) on stdout and wait for one byte on stdin each time, so that a
// caller can read the kernel's syscall counters exactly at the read's edges.
//
// Errors: one line on stderr, exit status 1.

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHUNK (1u << 24)
#define FILL_CHUNK (64u * 1024u)

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("bpfbench-peer-c: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static inline long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static inline __u64 ptr_to_u64(const void *p)
{
	return (__u64)(uintptr_t)p;
}

// Touches every page of [p, p + n) so that no page fault happens later, in a
// timed read. A plain memset(p, 0, n) after malloc does not: the compiler
// may fuse the two into calloc, whose fresh pages are mapped on first
// write, by the kernel's copy inside the timed LOOKUP_BATCH (gcc -O2 did:
// the first sharded read of each process paid for its buffers' faults).
static void fault_in(void *p, size_t n)
{
	volatile uint8_t *b = p;
	for (size_t i = 0; i < n; i += 4096)
		b[i] = 0;
	if (n)
		b[n - 1] = 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// --sync: tells the caller where we are, and waits for its go-ahead.
static void sync_point(const char *what)
{
	char c;
	ssize_t r;
	if (printf("%s\n", what) < 0 || fflush(stdout) != 0)
		die("writing stdout: %s", strerror(errno));
	do
		r = read(0, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		die("--sync: stdin closed before the go-ahead (%s)", what);
}

static uint64_t parse_u64(const char *name, const char *s, uint64_t max)
{
	char *end;
	unsigned long long x;
	if (s == NULL || *s == '\0' || *s == '-')
		die("%s: expected an unsigned integer, got '%s'", name, s ? s : "");
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || x > max)
		die("%s: invalid value '%s' (0..%" PRIu64 ")", name, s, max);
	return x;
}

// Per-run verification state. All sums are uint32 and wrap mod 2^32.
struct verify {
	uint64_t entries;
	uint64_t distinct;
	uint64_t bad_values;
	uint64_t bad_keys;
	uint32_t key_sum;
	uint32_t checksum;
};

// term(k, v) = ((k ^ 0x5bd1e995) * 0x9e3779b1) ^ v   (uint32 wrapping)
// shared: other threads account into the same bitmap at once (the shards of
// batch-sharded), so the bit is set with an atomic OR, whose old word says
// whether the key was seen: exact whichever thread comes second.
static inline __attribute__((always_inline)) void
account_in(struct verify *s, uint64_t *bitmap, uint32_t max_entries, uint32_t want, uint32_t k,
	   uint32_t v, const int shared)
{
	s->entries++;
	s->key_sum += k;
	s->checksum += ((k ^ 0x5bd1e995u) * 0x9e3779b1u) ^ v;
	s->bad_values += (v != want);
	if (k < max_entries) {
		uint64_t bit = 1ull << (k & 63);
		if (shared) {
			s->distinct += !(__atomic_fetch_or(&bitmap[k >> 6], bit, __ATOMIC_RELAXED) & bit);
		} else {
			uint64_t w = bitmap[k >> 6];
			s->distinct += !(w & bit);
			bitmap[k >> 6] = w | bit;
		}
	} else {
		s->bad_keys++;
	}
}

static inline __attribute__((always_inline)) void
account(struct verify *s, uint64_t *bitmap, uint32_t max_entries, uint32_t want, uint32_t k,
	uint32_t v)
{
	account_in(s, bitmap, max_entries, want, k, v, 0);
}

enum strategy { S_ELEM, S_BATCH, S_FIXED, S_SHARDED };

struct calls {
	uint64_t get_next_key;
	uint64_t lookup_elem;
	uint64_t lookup_batch;
};

static void read_elem(int fd, uint32_t max_entries, uint32_t want, uint64_t *bitmap,
		      struct verify *out, struct calls *c)
{
	struct verify s = { 0 };
	uint64_t n_gnk = 0, n_lk = 0, steps = 0;
	uint32_t cur = 0, next = 0, val = 0;
	union bpf_attr gn, lk;

	memset(&gn, 0, sizeof(gn));
	memset(&lk, 0, sizeof(lk));
	gn.map_fd = fd;
	gn.key = 0; // NULL: first key
	gn.next_key = ptr_to_u64(&next);
	lk.map_fd = fd;
	lk.key = ptr_to_u64(&next);
	lk.value = ptr_to_u64(&val);

	for (;;) {
		n_gnk++;
		if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &gn) < 0) {
			if (errno == ENOENT)
				break;
			die("BPF_MAP_GET_NEXT_KEY: %s", strerror(errno));
		}
		if (steps == max_entries)
			die("elem: more than max_entries (%" PRIu32 ") keys, iteration aborted",
			    max_entries);
		steps++;
		n_lk++;
		if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &lk) < 0) {
			// ENOENT: deleted between GET_NEXT_KEY and LOOKUP_ELEM: not delivered.
			if (errno != ENOENT)
				die("BPF_MAP_LOOKUP_ELEM: %s", strerror(errno));
		} else {
			account(&s, bitmap, max_entries, want, next, val);
		}
		cur = next;
		gn.key = ptr_to_u64(&cur);
	}
	*out = s;
	c->get_next_key = n_gnk;
	c->lookup_elem = n_lk;
}

static void read_batch(int fd, uint32_t max_entries, uint32_t want, uint64_t *bitmap,
		       uint32_t chunk, uint32_t *keys, uint32_t *vals, struct verify *out,
		       struct calls *c)
{
	struct verify s = { 0 };
	uint64_t n_batch = 0;
	const uint64_t max_calls = (uint64_t)max_entries + 2;
	uint32_t in_cursor = 0, out_cursor = 0;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.batch.map_fd = fd;
	a.batch.in_batch = 0; // NULL: start at the beginning
	a.batch.out_batch = ptr_to_u64(&out_cursor);
	a.batch.keys = ptr_to_u64(keys);
	a.batch.values = ptr_to_u64(vals);

	for (;;) {
		long r;
		uint32_t n, i;

		if (n_batch == max_calls)
			die("batch: more than %" PRIu64 " LOOKUP_BATCH calls, aborted", max_calls);
		a.batch.count = chunk;
		n_batch++;
		r = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a);
		if (r < 0 && errno != ENOENT) {
			if (errno == ENOSPC)
				die("BPF_MAP_LOOKUP_BATCH: ENOSPC (chunk %" PRIu32
				    " is smaller than a hash bucket)",
				    chunk);
			die("BPF_MAP_LOOKUP_BATCH: %s", strerror(errno));
		}
		// On ENOENT (end of map) the entries of this last call are still valid.
		n = a.batch.count;
		if (n > chunk)
			die("BPF_MAP_LOOKUP_BATCH: kernel returned count %" PRIu32 " > chunk", n);
		for (i = 0; i < n; i++)
			account(&s, bitmap, max_entries, want, keys[i], vals[i]);
		if (r < 0)
			break;
		in_cursor = out_cursor;
		a.batch.in_batch = ptr_to_u64(&in_cursor);
	}
	*out = s;
	c->lookup_batch = n_batch;
}

// The published flawed loop: floor(max_entries/chunk) calls, every one starting
// from a cursor that points at a u32 0 and is never updated.
static void read_fixed(int fd, uint32_t max_entries, uint32_t want, uint64_t *bitmap,
		       uint32_t chunk, uint32_t *keys, uint32_t *vals, struct verify *out,
		       struct calls *c)
{
	struct verify s = { 0 };
	const uint32_t calls = max_entries / chunk;
	uint64_t n_batch = 0;
	uint32_t zero = 0, out_cursor = 0, call;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.batch.map_fd = fd;
	a.batch.in_batch = ptr_to_u64(&zero);
	a.batch.out_batch = ptr_to_u64(&out_cursor);
	a.batch.keys = ptr_to_u64(keys);
	a.batch.values = ptr_to_u64(vals);

	for (call = 0; call < calls; call++) {
		long r;
		uint32_t n, i;

		a.batch.count = chunk;
		n_batch++;
		r = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a);
		if (r < 0 && errno != ENOENT) {
			if (errno == ENOSPC)
				die("BPF_MAP_LOOKUP_BATCH: ENOSPC (chunk %" PRIu32
				    " is smaller than a hash bucket)",
				    chunk);
			die("BPF_MAP_LOOKUP_BATCH: %s", strerror(errno));
		}
		n = a.batch.count;
		if (n > chunk)
			die("BPF_MAP_LOOKUP_BATCH: kernel returned count %" PRIu32 " > chunk", n);
		for (i = 0; i < n; i++)
			account(&s, bitmap, max_entries, want, keys[i], vals[i]);
	}
	*out = s;
	c->lookup_batch = n_batch;
}

static void do_fill(int fd, uint32_t max_entries, uint64_t n, uint32_t value)
{
	uint32_t *keys, *vals;
	uint64_t done = 0, calls = 0, t0, t1;
	uint32_t i;
	union bpf_attr a;

	if (n > max_entries)
		die("--fill %" PRIu64 " exceeds max_entries %" PRIu32, n, max_entries);
	keys = malloc(FILL_CHUNK * sizeof(*keys));
	vals = malloc(FILL_CHUNK * sizeof(*vals));
	if (!keys || !vals)
		die("out of memory");
	for (i = 0; i < FILL_CHUNK; i++)
		vals[i] = value;

	t0 = now_ns();
	while (done < n) {
		uint32_t want = (n - done) < FILL_CHUNK ? (uint32_t)(n - done) : FILL_CHUNK;
		for (i = 0; i < want; i++)
			keys[i] = (uint32_t)(done + i);
		memset(&a, 0, sizeof(a));
		a.batch.map_fd = fd;
		a.batch.keys = ptr_to_u64(keys);
		a.batch.values = ptr_to_u64(vals);
		a.batch.count = want;
		a.batch.elem_flags = BPF_ANY;
		calls++;
		if (sys_bpf(BPF_MAP_UPDATE_BATCH, &a) < 0)
			die("BPF_MAP_UPDATE_BATCH at key %" PRIu64 ": %s (%" PRIu32 " done)",
			    done, strerror(errno), a.batch.count);
		if (a.batch.count != want)
			die("BPF_MAP_UPDATE_BATCH: short update %" PRIu32 " of %" PRIu32,
			    a.batch.count, want);
		done += want;
	}
	t1 = now_ns();
	printf("{\"impl\":\"c\",\"fill\":%" PRIu64 ",\"value\":%" PRIu32 ",\"wallNs\":%" PRIu64
	       ",\"bpfCalls\":{\"UPDATE_BATCH\":%" PRIu64 "},\"maxEntries\":%" PRIu32 "}\n",
	       n, value, t1 - t0, calls, max_entries);
	free(keys);
	free(vals);
}

// --- batch-sharded -----------------------------------------------------------

struct shard {
	int fd;
	uint32_t chunk;
	uint32_t start, end; // buckets [start, end)
	uint32_t *keys, *vals; // grown with realloc, kept between runs
	uint64_t cap, count; // entries
	uint64_t last_at, last_count; // the last call's entries
	uint64_t calls, kept;
	uint64_t ns; // this thread's time in the last read
	int err; // errno of a failed call, 0
	// Verified on this thread once the walk ends: the entries of every call
	// but the last, into v; the bitmap is every shard's (set atomically when
	// shared).
	struct verify v;
	uint64_t *bitmap;
	uint32_t max_entries, want;
	int shared;
	uint64_t folded;
};

static void *shard_walk_timed(void *arg);

// Once the walk ends, on the shard's thread: the entries of every call but
// the last, all the shard's own (each ended inside its range). Folding each
// call right after the next one returned, still in cache, was slower: its
// bitmap traffic slowed the walk more than it saved.
static void account_own(struct shard *s)
{
	struct verify v = s->v;
	const uint32_t *k = s->keys, *val = s->vals;
	uint64_t *bitmap = s->bitmap;
	const uint32_t max = s->max_entries, want = s->want;
	if (s->shared)
		for (uint64_t e = s->folded, end = s->last_at; e < end; e++)
			account_in(&v, bitmap, max, want, k[e], val[e], 1);
	else
		for (uint64_t e = s->folded, end = s->last_at; e < end; e++)
			account_in(&v, bitmap, max, want, k[e], val[e], 0);
	s->v = v;
	s->folded = s->last_at;
}

static void *shard_walk(void *arg)
{
	struct shard *s = arg;
	const uint64_t t0 = now_ns();
	shard_walk_timed(arg);
	s->ns = now_ns() - t0;
	return NULL;
}

static void *shard_walk_timed(void *arg)
{
	struct shard *s = arg;
	uint32_t in_cursor = s->start, out_cursor = 0;
	const uint64_t max_calls = (uint64_t)(s->end - s->start) + 2;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.batch.map_fd = s->fd;
	a.batch.in_batch = s->start == 0 ? 0 : ptr_to_u64(&in_cursor);
	a.batch.out_batch = ptr_to_u64(&out_cursor);
	s->count = s->calls = s->last_at = s->last_count = s->folded = 0;
	s->err = 0;
	memset(&s->v, 0, sizeof(s->v));
	for (;;) {
		long r;
		if (s->calls == max_calls) {
			s->err = ELOOP;
			return NULL;
		}
		if (s->cap - s->count < s->chunk) {
			uint64_t cap = s->cap * 2 + s->chunk;
			uint32_t *k = realloc(s->keys, cap * sizeof(*k));
			if (!k) {
				s->err = ENOMEM;
				return NULL;
			}
			s->keys = k;
			uint32_t *v = realloc(s->vals, cap * sizeof(*v));
			if (!v) {
				s->err = ENOMEM;
				return NULL;
			}
			s->vals = v;
			s->cap = cap;
		}
		a.batch.keys = ptr_to_u64(s->keys + s->count);
		a.batch.values = ptr_to_u64(s->vals + s->count);
		a.batch.count = s->chunk;
		s->calls++;
		r = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a);
		if (r < 0 && errno != ENOENT) {
			s->err = errno;
			return NULL;
		}
		s->last_at = s->count;
		s->last_count = a.batch.count;
		s->count += a.batch.count;
		if (r < 0 || out_cursor >= s->end) {
			account_own(s);
			return NULL;
		}
		in_cursor = out_cursor;
		a.batch.in_batch = ptr_to_u64(&in_cursor);
	}
}

// The overlap of shard i's last call: from where the first of the next
// shards' first 16 kept keys appears in it (bpfbench's removeOverlap).
static uint64_t shard_overlap(struct shard *sh, int n, int i)
{
	struct shard *s = &sh[i];
	int q = 0;
	for (int j = i + 1; j < n && q < 16; j++)
		for (uint64_t e = 0; e < sh[j].kept && q < 16; e++, q++)
			for (uint64_t x = s->last_at; x < s->last_at + s->last_count; x++)
				if (s->keys[x] == sh[j].keys[e])
					return s->last_at + s->last_count - x;
	return 0;
}

static void read_sharded(int fd, uint32_t max_entries, uint32_t want, uint64_t *bitmap,
			 uint32_t chunk, struct shard *sh, int n, struct verify *out,
			 struct calls *c, uint64_t *overlap, uint64_t *overlap_calls)
{
	struct verify s = { 0 };
	pthread_t th[256];
	uint32_t buckets = 1;
	while (buckets < max_entries)
		buckets <<= 1;
	for (int i = 0; i < n; i++) {
		uint32_t base = buckets / n, extra = buckets % n;
		sh[i].fd = fd;
		sh[i].chunk = chunk;
		sh[i].start = i * base + (i < (int)extra ? i : extra);
		sh[i].end = sh[i].start + base + (i < (int)extra ? 1 : 0);
		sh[i].bitmap = bitmap;
		sh[i].max_entries = max_entries;
		sh[i].want = want;
		sh[i].shared = n > 1;
	}
	for (int i = 1; i < n; i++)
		if (pthread_create(&th[i], NULL, shard_walk, &sh[i]) != 0)
			die("pthread_create: %s", strerror(errno));
	shard_walk(&sh[0]);
	for (int i = 1; i < n; i++)
		pthread_join(th[i], NULL);
	c->lookup_batch = 0;
	for (int i = 0; i < n; i++) {
		c->lookup_batch += sh[i].calls;
		if (sh[i].err == ENOSPC)
			die("BPF_MAP_LOOKUP_BATCH: ENOSPC (chunk %" PRIu32 " is smaller than a hash bucket)", chunk);
		if (sh[i].err)
			die("batch-sharded: shard %d: %s", i + 1, strerror(sh[i].err));
	}
	*overlap = *overlap_calls = 0;
	sh[n - 1].kept = sh[n - 1].count;
	for (int i = n - 2; i >= 0; i--) {
		uint64_t o = shard_overlap(sh, n, i);
		sh[i].kept = sh[i].count - o;
		*overlap += o;
		*overlap_calls += o > 0;
	}
	// Each shard's last call, as far as it is the shard's own; then the shards' totals.
	for (int i = 0; i < n; i++) {
		struct verify *v = &sh[i].v;
		for (uint64_t e = sh[i].folded; e < sh[i].kept; e++)
			account(v, bitmap, max_entries, want, sh[i].keys[e], sh[i].vals[e]);
		s.entries += v->entries;
		s.distinct += v->distinct;
		s.bad_values += v->bad_values;
		s.bad_keys += v->bad_keys;
		s.key_sum += v->key_sum;
		s.checksum += v->checksum;
	}
	*out = s;
}

static const char *usage =
	"usage: bpfbench-peer-c --pin PATH --strategy elem|batch|batch-fixed-cursor|batch-sharded "
	"--chunk N --runs R --value V [--threads T] [--sync]  |  --pin PATH --fill N --value V";

int main(int argc, char **argv)
{
	const char *pin = NULL, *strategy_s = NULL;
	enum strategy strategy = S_ELEM;
	uint64_t chunk = 4096, runs = 1, value = 0xdeadbeefu, fill = 0, threads = 1;
	struct shard *shards = NULL;
	int have_fill = 0, sync_reads = 0, fd, i;
	union bpf_attr a;
	struct bpf_map_info info;
	uint32_t max_entries;
	uint64_t *bitmap = NULL;
	size_t bitmap_bytes;
	uint32_t *keys = NULL, *vals = NULL;

	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];
		const char *arg = (i + 1 < argc) ? argv[i + 1] : NULL;
		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			fprintf(stderr, "%s\n", usage);
			return 0;
		}
		if (strcmp(opt, "--sync") == 0) {
			sync_reads = 1;
			continue;
		}
		if (!arg)
			die("%s needs a value (%s)", opt, usage);
		if (strcmp(opt, "--pin") == 0)
			pin = arg;
		else if (strcmp(opt, "--strategy") == 0)
			strategy_s = arg;
		else if (strcmp(opt, "--chunk") == 0)
			chunk = parse_u64("--chunk", arg, MAX_CHUNK);
		else if (strcmp(opt, "--threads") == 0)
			threads = parse_u64("--threads", arg, 256);
		else if (strcmp(opt, "--runs") == 0)
			runs = parse_u64("--runs", arg, 1000000);
		else if (strcmp(opt, "--value") == 0)
			value = parse_u64("--value", arg, UINT32_MAX);
		else if (strcmp(opt, "--fill") == 0) {
			fill = parse_u64("--fill", arg, UINT32_MAX);
			have_fill = 1;
		} else
			die("unknown option '%s' (%s)", opt, usage);
		i++;
	}
	if (!pin)
		die("--pin is required (%s)", usage);
	if (!have_fill) {
		if (!strategy_s)
			die("--strategy is required (%s)", usage);
		if (strcmp(strategy_s, "elem") == 0)
			strategy = S_ELEM;
		else if (strcmp(strategy_s, "batch") == 0)
			strategy = S_BATCH;
		else if (strcmp(strategy_s, "batch-fixed-cursor") == 0)
			strategy = S_FIXED;
		else if (strcmp(strategy_s, "batch-sharded") == 0)
			strategy = S_SHARDED;
		else
			die("unknown --strategy '%s' (elem|batch|batch-fixed-cursor|batch-sharded)", strategy_s);
		if (threads < 1)
			die("--threads must be >= 1");
		if (chunk < 1)
			die("--chunk must be >= 1");
		if (runs < 1)
			die("--runs must be >= 1");
	}

	memset(&a, 0, sizeof(a));
	a.pathname = ptr_to_u64(pin);
	fd = (int)sys_bpf(BPF_OBJ_GET, &a);
	if (fd < 0)
		die("BPF_OBJ_GET %s: %s", pin, strerror(errno));

	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = fd;
	a.info.info_len = sizeof(info);
	a.info.info = ptr_to_u64(&info);
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0)
		die("BPF_OBJ_GET_INFO_BY_FD %s: %s", pin, strerror(errno));
	if (info.type != BPF_MAP_TYPE_HASH)
		die("%s: map type %" PRIu32 " is not BPF_MAP_TYPE_HASH", pin, info.type);
	if (info.key_size != 4 || info.value_size != 4)
		die("%s: key/value size %" PRIu32 "/%" PRIu32 ", want 4/4", pin, info.key_size,
		    info.value_size);
	max_entries = info.max_entries;

	if (have_fill) {
		do_fill(fd, max_entries, fill, (uint32_t)value);
		close(fd);
		return 0;
	}

	// Everything the loops touch is allocated here, once.
	bitmap_bytes = ((size_t)max_entries + 63) / 64 * sizeof(uint64_t);
	bitmap = malloc(bitmap_bytes ? bitmap_bytes : 8);
	if (strategy == S_SHARDED) {
		shards = calloc(threads, sizeof(*shards));
		if (!shards)
			die("out of memory");
		// Each shard's buffers for its share and an eighth more, faulted in
		// before the first timed read (as bpfbench's are after its warmup);
		// a shard that outgrows them reallocates.
		for (uint64_t t = 0; t < threads; t++) {
			uint64_t share = (max_entries + threads - 1) / threads;
			uint64_t cap = share + share / 8 + 2 * chunk;
			shards[t].keys = malloc(cap * sizeof(uint32_t));
			shards[t].vals = malloc(cap * sizeof(uint32_t));
			if (!shards[t].keys || !shards[t].vals)
				die("out of memory");
			fault_in(shards[t].keys, cap * sizeof(uint32_t));
			fault_in(shards[t].vals, cap * sizeof(uint32_t));
			shards[t].cap = cap;
		}
	} else if (strategy != S_ELEM) {
		keys = malloc((size_t)chunk * sizeof(*keys));
		vals = malloc((size_t)chunk * sizeof(*vals));
	}
	if (!bitmap || (strategy != S_ELEM && strategy != S_SHARDED && (!keys || !vals)))
		die("out of memory");
	if (strategy != S_ELEM && strategy != S_SHARDED) {
		// Fault the pages in before the first timed read.
		fault_in(keys, (size_t)chunk * sizeof(*keys));
		fault_in(vals, (size_t)chunk * sizeof(*vals));
	}

	for (uint64_t run = 1; run <= runs; run++) {
		struct verify s;
		struct calls c = { 0 };
		uint64_t t0, t1, overlap = 0, overlap_calls = 0;
		int cpu;

		memset(bitmap, 0, bitmap_bytes);
		if (sync_reads)
			sync_point("ready");
		t0 = now_ns();
		switch (strategy) {
		case S_ELEM:
			read_elem(fd, max_entries, (uint32_t)value, bitmap, &s, &c);
			break;
		case S_BATCH:
			read_batch(fd, max_entries, (uint32_t)value, bitmap, (uint32_t)chunk, keys,
				   vals, &s, &c);
			break;
		case S_FIXED:
			read_fixed(fd, max_entries, (uint32_t)value, bitmap, (uint32_t)chunk, keys,
				   vals, &s, &c);
			break;
		case S_SHARDED:
			read_sharded(fd, max_entries, (uint32_t)value, bitmap, (uint32_t)chunk, shards,
				     (int)threads, &s, &c, &overlap, &overlap_calls);
			break;
		}
		t1 = now_ns();
		// The CPU the read ended on (bpfbench peers --cpu pins it; sched_getcpu is a vDSO read).
		cpu = sched_getcpu();
		if (sync_reads)
			sync_point("done");

		printf("{\"impl\":\"c\",\"strategy\":\"%s\",\"chunk\":%" PRIu64 ",\"run\":%" PRIu64
		       ",\"wallNs\":%" PRIu64 ",\"entries\":%" PRIu64 ",\"distinct\":%" PRIu64
		       ",\"keySum\":%" PRIu32 ",\"checksum\":%" PRIu32 ",\"badValues\":%" PRIu64
		       ",\"badKeys\":%" PRIu64 ",",
		       strategy_s, chunk, run, t1 - t0, s.entries, s.distinct, s.key_sum,
		       s.checksum, s.bad_values, s.bad_keys);
		if (strategy == S_ELEM)
			printf("\"bpfCalls\":{\"GET_NEXT_KEY\":%" PRIu64 ",\"LOOKUP_ELEM\":%" PRIu64
			       "},",
			       c.get_next_key, c.lookup_elem);
		else
			printf("\"bpfCalls\":{\"LOOKUP_BATCH\":%" PRIu64 "},", c.lookup_batch);
		if (strategy == S_SHARDED) {
			printf("\"threads\":%" PRIu64 ",\"overlap\":{\"entries\":%" PRIu64
			       ",\"calls\":%" PRIu64 "},\"shardNs\":[",
			       threads, overlap, overlap_calls);
			for (uint64_t t = 0; t < threads; t++)
				printf("%s%" PRIu64, t ? "," : "", shards[t].ns);
			printf("],");
		}
		printf("\"cpu\":%d,\"allocatedBytes\":0,\"gcCount\":0,\"maxEntries\":%" PRIu32 "}\n",
		       cpu, max_entries);
		if (fflush(stdout) != 0)
			die("writing stdout: %s", strerror(errno));
	}

	for (uint64_t t = 0; shards && t < threads; t++) {
		free(shards[t].keys);
		free(shards[t].vals);
	}
	free(shards);
	free(bitmap);
	free(keys);
	free(vals);
	close(fd);
	return 0;
}
