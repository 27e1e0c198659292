// Why batch-delete-sharded does not scale (docs/performance.md, "Sharded
// reads"): a standalone probe of LOOKUP_BATCH and LOOKUP_AND_DELETE_BATCH
// walks of a u32 -> u32 hash map on 1 and on N threads over bucket ranges,
// as bpfbench's shards walk them (native/read-loop.c, shard_walk). Per
// thread it reports its wall time, its CPU time (CLOCK_THREAD_CPUTIME_ID),
// its calls and the time inside them (clock around each syscall), so a
// thread that waits for a CPU (wall > CPU), a call that gets slower when
// another thread runs (contention), and work that is serialized tell
// themselves apart. Modes run in alternation, the map refilled before each.
//
//   cc -O2 -pthread -o /tmp/drain-probe scripts/experiments/drain-probe.c
//   flock /tmp/bpfbench-cpu.lock nice -n -20 /tmp/drain-probe ENTRIES CHUNK ROUNDS [no_prealloc] [pin] [only=lookup|drain|drain1|drain2]
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t cpu_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static long sys_bpf(int cmd, union bpf_attr *a) { return syscall(SYS_bpf, cmd, a, sizeof *a); }

static int fd;
static uint32_t entries, buckets, chunk;
static int pin;

struct shard {
	int cmd, cpu;
	uint32_t start, end;
	uint64_t wall, cpu_time, in_calls, calls, got;
	int err;
};

static void *walk(void *arg) {
	struct shard *s = arg;
	if (pin) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(s->cpu, &set);
		sched_setaffinity(0, sizeof set, &set);
	}
	uint32_t *keys = malloc((size_t)chunk * 4), *vals = malloc((size_t)chunk * 4);
	memset(keys, 0, (size_t)chunk * 4);
	memset(vals, 0, (size_t)chunk * 4);
	uint32_t in = s->start, out = 0;
	const uint64_t c0 = cpu_ns(), t0 = now();
	for (int first = 1;; first = 0) {
		union bpf_attr a;
		memset(&a, 0, sizeof a);
		a.batch.map_fd = (uint32_t)fd;
		a.batch.in_batch = first && s->start == 0 ? 0 : (uint64_t)(uintptr_t)&in;
		a.batch.out_batch = (uint64_t)(uintptr_t)&out;
		a.batch.keys = (uint64_t)(uintptr_t)keys;
		a.batch.values = (uint64_t)(uintptr_t)vals;
		a.batch.count = chunk;
		const uint64_t c = now();
		long r = sys_bpf(s->cmd, &a);
		s->in_calls += now() - c;
		s->calls++;
		if (r < 0 && errno != ENOENT) {
			s->err = errno;
			break;
		}
		s->got += a.batch.count;
		if (r < 0 || out >= s->end) break;
		in = out;
	}
	s->wall = now() - t0;
	s->cpu_time = cpu_ns() - c0;
	free(keys);
	free(vals);
	return NULL;
}

static void fill(void) {
	const uint32_t step = 65536;
	uint32_t *k = malloc(step * 4), *v = malloc(step * 4);
	for (uint32_t at = 0; at < entries; at += step) {
		uint32_t n = entries - at < step ? entries - at : step;
		for (uint32_t i = 0; i < n; i++) k[i] = at + i, v[i] = (at + i) ^ 0x5a5a5a5a;
		union bpf_attr a;
		memset(&a, 0, sizeof a);
		a.batch.map_fd = (uint32_t)fd;
		a.batch.keys = (uint64_t)(uintptr_t)k;
		a.batch.values = (uint64_t)(uintptr_t)v;
		a.batch.count = n;
		if (sys_bpf(BPF_MAP_UPDATE_BATCH, &a) < 0) perror("update batch"), exit(1);
	}
	free(k);
	free(v);
}

static void run(const char *what, int cmd, int threads) {
	struct shard s[16];
	pthread_t t[16];
	const uint64_t t0 = now();
	for (int i = 0; i < threads; i++) {
		memset(&s[i], 0, sizeof s[i]);
		s[i].cmd = cmd;
		s[i].cpu = i;
		s[i].start = (uint32_t)((uint64_t)buckets * i / threads);
		s[i].end = (uint32_t)((uint64_t)buckets * (i + 1) / threads);
		pthread_create(&t[i], NULL, walk, &s[i]);
	}
	uint64_t got = 0;
	for (int i = 0; i < threads; i++) pthread_join(t[i], NULL), got += s[i].got;
	const uint64_t wall = now() - t0;
	printf("%-6s t=%d wall %7.1f ms %6.1f ns/entry got %u", what, threads, wall / 1e6, (double)wall / got, (unsigned)got);
	for (int i = 0; i < threads; i++)
		printf(" | th%d wall %6.1f cpu %6.1f ms, %4lu calls, %6.1f us/call in bpf(2)%s", i, s[i].wall / 1e6, s[i].cpu_time / 1e6,
		       (unsigned long)s[i].calls, s[i].in_calls / 1e3 / s[i].calls, s[i].err ? " ERR" : "");
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv) {
	if (argc < 4) return fprintf(stderr, "usage: %s ENTRIES CHUNK ROUNDS [no_prealloc] [pin] [only=lookup|drain|drain1|drain2]\n", argv[0]), 2;
	entries = (uint32_t)strtoul(argv[1], 0, 0);
	chunk = (uint32_t)strtoul(argv[2], 0, 0);
	const int rounds = atoi(argv[3]);
	uint32_t flags = 0;
	int only = 0; // lookup: 'l', drains: 'd', the drain on 1 or 2 threads alone: '1', '2'
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "only=lookup")) only = 'l';
		if (!strcmp(argv[i], "only=drain")) only = 'd';
		if (!strcmp(argv[i], "only=drain1")) only = '1';
		if (!strcmp(argv[i], "only=drain2")) only = '2';
		if (!strcmp(argv[i], "no_prealloc")) flags |= BPF_F_NO_PREALLOC;
		if (!strcmp(argv[i], "pin")) pin = 1;
	}
	buckets = 1;
	while (buckets < entries) buckets <<= 1;
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = BPF_MAP_TYPE_HASH;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = entries;
	a.map_flags = flags;
	fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0) return perror("map create"), 1;
	printf("entries %u buckets %u chunk %u %s%s\n", entries, buckets, chunk, flags ? "no_prealloc" : "prealloc", pin ? " pinned" : "");
	for (int r = 0; r < rounds; r++) {
		if (!only || only == 'l') {
			fill();
			run("lookup", BPF_MAP_LOOKUP_BATCH, 1);
			run("lookup", BPF_MAP_LOOKUP_BATCH, 2);
		}
		for (int t = 1; t <= 2; t++) {
			if (only && only != 'd' && only != '0' + t) continue;
			fill();
			run("drain", BPF_MAP_LOOKUP_AND_DELETE_BATCH, t);
		}
	}
	return 0;
}
