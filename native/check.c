// bpfbench's native check: the proofs src/harness/verification/verifier.ts makes of a
// read, made in C on each hand-over while its entries are still in cache
// (bb_step_check in read-loop.c calls it right after the step that filled
// the buffers). TypeScript then reads only the totals. A sharded read's
// threads each fold into a part of the check (bb_check_part), the bitmap
// shared and set atomically, and the parts are added up after the join
// (bb_check_merge).
//
// It is a second implementation of the same rules, on purpose: the
// TypeScript Verifier stays the reference (the js loop uses it), and
// test/bpf/native/native-check.test.ts feeds both the same reads, good and
// deliberately wrong, and requires the same verdict.
//
// What a correct read of a map bpfbench filled holds (src/harness/filling/pattern.ts
// and expectation.ts): every index 0..limit-1 (or those in `present`) once;
// a key carries its index in its first min(4, key_size) bytes, little-endian,
// and the byte pattern key_byte() after; a value is the constant (4-byte
// single-slot values) or value_byte() in every slot, or all zero for an
// index at or above `written` (an array's unwritten elements).
//
// The bitmap of keys seen is shared with the TypeScript Verifier (the same
// native memory), so a read checked partly here and partly there is still
// counted exactly.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

static inline uint32_t key_byte(uint32_t i, uint32_t j) {
	return (i * 131u + j * 7u + 0x3du) & 0xffu;
}

static inline uint32_t value_byte(uint32_t i, uint32_t slot, uint32_t j) {
	return (((i * 0x9e3779b1u) >> ((j & 3u) * 8u)) ^ (slot * 0x3bu) ^ (j * 0x11u) ^ 0xa5u) & 0xffu;
}

/** The order-independent checksum term of one (key, value word) pair (verdict.ts pairTerm). */
static inline uint32_t pair_term(uint32_t key, uint32_t word) {
	return ((key ^ 0x5bd1e995u) * 0x9e3779b1u) ^ word;
}

static inline uint32_t le32(const uint8_t *b) {
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline int bit_set(const uint32_t *bits, uint64_t i) {
	return (bits[i >> 5] >> (i & 31)) & 1u;
}

static inline void note_bad(struct bb_check *c, uint64_t index, uint32_t why) {
	if (c->n_bad < BB_CHECK_EXAMPLES) {
		c->bad_index[c->n_bad] = index;
		c->bad_why[c->n_bad] = why;
	}
	c->n_bad++;
}

/**
 * Counts one entry: its index, the value word the checksum takes, whether key
 * tail and value matched. `shared`: other threads fold into the same bitmap
 * at once (the shards of a sharded read, each with a check of its own), so a
 * bit is set with an atomic OR whose old word says whether it was a repeat:
 * still exact, whichever thread comes second.
 */
static inline __attribute__((always_inline)) void seen(struct bb_check *c, uint64_t index, uint32_t word, int key_ok, int value_ok, const int shared) {
	uint32_t *bitmap = (uint32_t *)(uintptr_t)c->bitmap;
	const uint32_t *present = (const uint32_t *)(uintptr_t)c->present;
	c->entries++;
	if (index < c->limit && key_ok && (!present || bit_set(present, index))) {
		const uint32_t bit = 1u << (index & 31);
		const uint32_t w = shared ? __atomic_fetch_or(&bitmap[index >> 5], bit, __ATOMIC_RELAXED) : bitmap[index >> 5];
		if (w & bit) {
			note_bad(c, index, BB_BAD_REPEAT);
		} else {
			if (!shared) bitmap[index >> 5] = w | bit;
			c->distinct++;
		}
	} else {
		c->bad_keys++;
		note_bad(c, index, BB_BAD_KEY);
	}
	c->key_sum += (uint32_t)index;
	c->checksum += pair_term((uint32_t)index, word);
	if (!value_ok) {
		c->bad_values++;
		note_bad(c, index, BB_BAD_VALUE);
	}
}

/** The u32 → u32 shape (4-byte keys, one 4-byte value): key is the index, value word the value. */
static inline __attribute__((always_inline)) void fold_u32(struct bb_check *c, const uint8_t *keys, uint64_t key_step, const uint8_t *values, uint64_t value_step, uint64_t n, const int shared) {
	for (uint64_t e = 0; e < n; e++) {
		const uint32_t key = le32(keys + e * key_step);
		const uint32_t word = le32(values + e * value_step);
		// As Verifier.add: the constant for every key; else the pattern's word, zero at and above `written`.
		uint32_t want;
		if (c->has_constant) want = c->constant;
		else if (key >= c->written) want = 0;
		else {
			want = 0;
			for (uint32_t j = 0; j < 4; j++) want |= value_byte(key, 0, j) << (8 * j);
		}
		seen(c, key, word, 1, word == want, shared);
	}
}

/** Any shape, by the pattern. */
static inline __attribute__((always_inline)) void fold_pattern(struct bb_check *c, const uint8_t *keys, uint64_t key_step, const uint8_t *values, uint64_t value_step, uint64_t n, const int shared) {
	const uint32_t ks = c->key_size, vs = c->value_size, slot = c->value_slot, slots = c->slots;
	const uint32_t ib = ks < 4 ? ks : 4, wb = vs < 4 ? vs : 4;
	for (uint64_t e = 0; e < n; e++) {
		const uint8_t *k = keys + e * key_step, *v = values + e * value_step;
		uint64_t index = 0;
		for (uint32_t j = 0; j < ib; j++) index |= (uint64_t)k[j] << (8 * j);
		const uint32_t i = (uint32_t)index;
		int key_ok = 1;
		for (uint32_t j = ib; j < ks && key_ok; j++) key_ok = k[j] == key_byte(i, j);
		const int zero = index >= c->written;
		int value_ok = 1;
		if (c->has_constant && !zero) {
			value_ok = le32(v) == c->constant;
		} else {
			for (uint32_t s = 0; s < slots && value_ok; s++)
				for (uint32_t j = 0; j < vs && value_ok; j++) value_ok = v[(uint64_t)s * slot + j] == (zero ? 0 : value_byte(i, s, j));
		}
		uint32_t word = 0;
		for (uint32_t j = 0; j < wb; j++) word |= (uint32_t)v[j] << (8 * j);
		// word0 is taken as an i32 of its bytes: a short value's word is its bytes, zero-extended (pattern.ts word0).
		seen(c, index, word, key_ok, value_ok, shared);
	}
}

static inline __attribute__((always_inline)) void fold(struct bb_check *c, const uint8_t *keys, uint64_t key_step, const uint8_t *values, uint64_t value_step, uint64_t n, const int shared) {
	// The same split as the TypeScript loops' hand-over (strategies/loop.ts entriesPut): 4-byte keys and 4-byte values in user space.
	if (c->key_size == 4 && (uint64_t)c->value_slot * c->slots == 4) fold_u32(c, keys, key_step, values, value_step, n, shared);
	else fold_pattern(c, keys, key_step, values, value_step, n, shared);
}

void bb_check_fold(struct bb_check *c, const uint8_t *keys, uint64_t key_step, const uint8_t *values, uint64_t value_step, uint64_t n) {
	fold(c, keys, key_step, values, value_step, n, 0);
}

void bb_check_fold_shared(struct bb_check *c, const uint8_t *keys, uint64_t key_step, const uint8_t *values, uint64_t value_step, uint64_t n) {
	fold(c, keys, key_step, values, value_step, n, 1);
}

/** Tests, and a check fed from memory TypeScript filled: folds `n` packed entries. */
void bb_check_entries(uintptr_t check, uintptr_t keys, uintptr_t values, uint64_t n) {
	struct bb_check *c = (struct bb_check *)check;
	bb_check_fold(c, (const uint8_t *)keys, c->key_size, (const uint8_t *)values, (uint64_t)c->value_slot * c->slots, n);
}

/** Starts a new read: the totals and the bitmap cleared. */
void bb_check_reset(uintptr_t check) {
	struct bb_check *c = (struct bb_check *)check;
	uint32_t *bitmap = (uint32_t *)(uintptr_t)c->bitmap;
	for (uint64_t w = 0; w < (c->limit + 31) / 32; w++) bitmap[w] = 0;
	c->entries = c->distinct = c->bad_keys = c->bad_values = c->n_bad = 0;
	c->key_sum = c->checksum = 0;
}

/**
 * Starts `part`, one shard's share of `parent`'s read: the parent's inputs
 * (its expectation, bitmap and present set), totals of its own. The shards
 * fold into their parts at once (bb_check_fold_shared), then each part is
 * added to the parent (bb_check_merge).
 */
void bb_check_part(uintptr_t part, uintptr_t parent) {
	struct bb_check *p = (struct bb_check *)part;
	const struct bb_check *c = (const struct bb_check *)parent;
	memcpy(p, c, offsetof(struct bb_check, entries));
	p->entries = p->distinct = p->bad_keys = p->bad_values = p->n_bad = 0;
	p->key_sum = p->checksum = 0;
}

/** Adds a part's totals to its parent's; its wrong entries follow the parent's (the first BB_CHECK_EXAMPLES kept). */
void bb_check_merge(uintptr_t parent, uintptr_t part) {
	struct bb_check *c = (struct bb_check *)parent;
	const struct bb_check *p = (const struct bb_check *)part;
	for (uint64_t i = 0; i < p->n_bad && i < BB_CHECK_EXAMPLES; i++) {
		if (c->n_bad + i >= BB_CHECK_EXAMPLES) break;
		c->bad_index[c->n_bad + i] = p->bad_index[i];
		c->bad_why[c->n_bad + i] = p->bad_why[i];
	}
	c->n_bad += p->n_bad;
	c->entries += p->entries;
	c->distinct += p->distinct;
	c->bad_keys += p->bad_keys;
	c->bad_values += p->bad_values;
	c->key_sum += p->key_sum;
	c->checksum += p->checksum;
}

#define FIELD(f) {"check." #f, offsetof(struct bb_check, f)}
static const struct {
	const char *name;
	long value;
} table[] = {
	FIELD(limit), FIELD(written), FIELD(bitmap), FIELD(present), FIELD(key_size), FIELD(value_size), FIELD(value_slot),
	FIELD(slots), FIELD(constant), FIELD(has_constant), FIELD(entries), FIELD(distinct), FIELD(bad_keys), FIELD(bad_values),
	FIELD(key_sum), FIELD(checksum), FIELD(n_bad), FIELD(bad_index), FIELD(bad_why),
	{"check.SIZE", sizeof(struct bb_check)},
	{"check.EXAMPLES", BB_CHECK_EXAMPLES},
	{"check.BAD_KEY", BB_BAD_KEY},
	{"check.BAD_REPEAT", BB_BAD_REPEAT},
	{"check.BAD_VALUE", BB_BAD_VALUE},
};

long bb_check_table(int i) {
	return i >= 0 && i < (int)(sizeof table / sizeof table[0]) ? table[i].value : -1;
}

const char *bb_check_table_name(int i) {
	return i >= 0 && i < (int)(sizeof table / sizeof table[0]) ? table[i].name : NULL;
}
