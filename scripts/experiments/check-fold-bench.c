// The serial verification of a sharded read, measured apart (issue 23): the
// native check's fold (native/check.c bb_check_fold, as bpfbench verifies
// after the join) against the C peer's account() (scripts/peers/c/peer.c,
// copied below), over the same N keys in random order (as buckets return
// them), each value 0xdeadbeef, 3 passes each. No kernel is involved.
//
//   clang -O2 -o /tmp/check-fold-bench scripts/experiments/check-fold-bench.c native/check.c
//   flock /tmp/bpfbench-cpu.lock nice -n -20 /tmp/check-fold-bench 104857600
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../native/check.h"
static uint64_t now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000000000ull+t.tv_nsec;}
struct verify { uint64_t entries, distinct, bad_values, bad_keys; uint32_t key_sum, checksum; };
static void account(struct verify *s, uint64_t *bitmap, uint32_t max_entries, uint32_t want, uint32_t k, uint32_t v){
	s->entries++; s->key_sum += k; s->checksum += ((k ^ 0x5bd1e995u) * 0x9e3779b1u) ^ v; s->bad_values += (v != want);
	if (k < max_entries) { uint64_t bit = 1ull << (k & 63); uint64_t w = bitmap[k >> 6]; s->distinct += !(w & bit); bitmap[k >> 6] = w | bit; } else s->bad_keys++; }
int main(int argc,char**argv){
	uint32_t n = argc>1?atoi(argv[1]):104857600;
	uint32_t *keys=malloc(n*4ull),*vals=malloc(n*4ull);
	for(uint32_t i=0;i<n;i++){keys[i]=i;vals[i]=0xdeadbeef;}
	uint64_t r=88172645463325252ull;
	for(uint32_t i=n-1;i>0;i--){r^=r<<13;r^=r>>7;r^=r<<17;uint32_t j=r%(i+1);uint32_t t=keys[i];keys[i]=keys[j];keys[j]=t;}
	uint64_t *bm=calloc((n+63)/64+1,8); uint32_t *bm32=calloc((n+31)/32+1,4);
	for(int rep=0;rep<3;rep++){
	memset(bm,0,((n+63)/64+1)*8); struct verify s={0}; uint64_t t0=now();
	for(uint32_t i=0;i<n;i++) account(&s,bm,n,0xdeadbeef,keys[i],vals[i]);
	uint64_t t1=now();
	memset(bm32,0,((n+31)/32+1)*4); struct bb_check c={0}; c.limit=n;c.written=n;c.bitmap=(uint64_t)(uintptr_t)bm32;c.key_size=4;c.value_size=4;c.value_slot=4;c.slots=1;c.constant=0xdeadbeef;c.has_constant=1;
	uint64_t t2=now();
	bb_check_fold(&c,(uint8_t*)keys,4,(uint8_t*)vals,4,n);
	uint64_t t3=now();
	printf("account %.1f ns/entry (distinct %lu)  bb_check_fold %.1f ns/entry (distinct %lu)\n",(t1-t0)/(double)n,s.distinct,(t3-t2)/(double)n,c.distinct);
	}
}
