// A reader of your own on bpfbench's map (docs/peers.md): a pinned u32 -> u32
// hash map read in batches with raw bpf(2), reported on bpfbench's protocol.
//   cc -O2 -o reader examples/readers/reader.c
//   bpfbench peers --impls c,exec:mine='./reader {pin} {entries} {chunk}'
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void mark(const char *what) /* a mark, then wait for bpfbench's go-ahead line */
{
	char line[8];
	printf("%s\n", what);
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return fprintf(stderr, "usage: reader PIN ENTRIES CHUNK\n"), 2;
	uint32_t n = strtoul(argv[2], 0, 0), chunk = strtoul(argv[3], 0, 0), in = 0, out = 0, sum = 0;
	uint32_t *keys = malloc(chunk * 4ul), *vals = malloc(chunk * 4ul);
	uint64_t *seen = calloc(n / 64 + 1, 8), entries = 0, distinct = 0;
	union bpf_attr a = { .pathname = (uintptr_t)argv[1] };
	int fd = syscall(__NR_bpf, BPF_OBJ_GET, &a, sizeof(a));
	if (fd < 0 || !keys || !vals || !seen)
		return perror(argv[1]), 1;
	mark("ready");
	for (int first = 1;; first = 0) {
		memset(&a, 0, sizeof(a));
		a.batch = (typeof(a.batch)){ .in_batch = first ? 0 : (uintptr_t)&in, .out_batch = (uintptr_t)&out,
					    .keys = (uintptr_t)keys, .values = (uintptr_t)vals, .count = chunk, .map_fd = fd };
		long r = syscall(__NR_bpf, BPF_MAP_LOOKUP_BATCH, &a, sizeof(a));
		if (r < 0 && errno != ENOENT)
			return perror("BPF_MAP_LOOKUP_BATCH"), 1;
		for (uint32_t i = 0; i < a.batch.count; i++, entries++) { /* ENOENT: count holds the last ones */
			uint32_t k = keys[i];
			sum += ((k ^ 0x5bd1e995u) * 0x9e3779b1u) ^ vals[i];
			if (k < n && !(seen[k / 64] >> (k % 64) & 1))
				seen[k / 64] |= 1ull << (k % 64), distinct++;
		}
		if (r < 0)
			break;
		in = out;
	}
	mark("done");
	printf("result entries=%llu distinct=%llu checksum=%u\n", (unsigned long long)entries, (unsigned long long)distinct, sum);
	return 0;
}
