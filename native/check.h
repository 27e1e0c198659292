// The native check's state (native/check.c), in memory TypeScript allocated
// (src/bpf/native/native-check.ts names every offset once and checks it against
// bb_check_table() at load time).
#ifndef BPFBENCH_CHECK_H
#define BPFBENCH_CHECK_H
#include <stdint.h>

#define BB_CHECK_EXAMPLES 8
// Why an entry was wrong (bad_why).
enum { BB_BAD_KEY = 1, BB_BAD_REPEAT = 2, BB_BAD_VALUE = 3 };

struct bb_check {
	// Inputs, written by TypeScript from the read's expectation.
	uint64_t limit; // indices 0..limit-1 are the keys a correct read holds
	uint64_t written; // indices at and above hold zero values (arrays); else limit
	uint64_t bitmap; // address: bit i set once index i was seen, (limit + 31) / 32 words
	uint64_t present; // address of a bitmap of the indices the map holds (LRU), or 0: all
	uint32_t key_size;
	uint32_t value_size;
	uint32_t value_slot; // bytes per CPU slot in user space
	uint32_t slots; // value slots per entry (possible CPUs for per-CPU maps, else 1)
	uint32_t constant; // every value (the published experiment's 0xdeadbeef) when has_constant
	uint32_t has_constant;
	// Totals since bb_check_reset.
	uint64_t entries;
	uint64_t distinct;
	uint64_t bad_keys;
	uint64_t bad_values;
	uint32_t key_sum; // mod 2^32
	uint32_t checksum; // mod 2^32, the sum of pair terms
	uint64_t n_bad; // wrong entries seen (repeats, bad keys, bad values)
	uint64_t bad_index[BB_CHECK_EXAMPLES]; // the first ones: the index the key carried…
	uint32_t bad_why[BB_CHECK_EXAMPLES]; // …and why (BB_BAD_*)
};

void bb_check_fold(struct bb_check *c, const uint8_t *keys, uint64_t key_step, const uint8_t *values, uint64_t value_step, uint64_t n);
// The same, while other threads fold into the same bitmap (each into a check of its own: see bb_check_part).
void bb_check_fold_shared(struct bb_check *c, const uint8_t *keys, uint64_t key_step, const uint8_t *values, uint64_t value_step, uint64_t n);

#endif
