// Counting the bpf(2) calls libbpf makes inside this process.
//
// libbpf issues every bpf(2) as syscall(__NR_bpf, cmd, attr, size), a call
// to libc's syscall() through its own GOT (global offset table). The calls
// happen inside bpf_object__load, out of bpfbench's sight; to count them,
// bb_count_libbpf() points libbpf.so's GOT slot(s) for `syscall` at
// counting_syscall below, which counts bpf(2) by command and calls libc's
// syscall() with the same arguments. Only libbpf's own slot changes: libc,
// koffi's binding of syscall() (the TypeScript calls, counted there) and this
// library's loops (which count their own) are untouched. The slot may sit in
// RELRO (read-only after relocation): it is made writable for the one store
// and read-only again.
//
// src/bpf/syscall/call-account.ts reads the counts (bb_libbpf_calls) at each phase
// change; bb_count_libbpf() is called once, when libbpf is first loaded.
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CMD_SLOTS 64

static uint64_t libbpf_calls[CMD_SLOTS];

/** syscall() as libbpf calls it: up to six integer arguments (x86_64 and arm64 pass them in registers). */
static long counting_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
	if (nr == SYS_bpf) __atomic_fetch_add(&libbpf_calls[(unsigned long)a < CMD_SLOTS ? a : CMD_SLOTS - 1], 1, __ATOMIC_RELAXED);
	return syscall(nr, a, b, c, d, e, f);
}

/** The counts by command (a static array: its address is stable for the process). */
uint64_t *bb_libbpf_calls(void)
{
	return libbpf_calls;
}

#if defined(__x86_64__)
#define R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define R_GLOB_DAT R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#define R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define R_GLOB_DAT R_AARCH64_GLOB_DAT
#else
#error "libbpf-count.c: x86_64 and arm64 only"
#endif

struct hook {
	int patched; // GOT slots now pointing at counting_syscall
	int err; // errno of a failed mprotect, else 0
	int found; // a libbpf.so was among the loaded objects
};

// A dynamic-section pointer: glibc relocates some d_ptr entries in place
// (then they are absolute), others stay offsets from the load address.
static uintptr_t dyn_ptr(uintptr_t base, uintptr_t p)
{
	return p < base ? base + p : p;
}

static int in_relro(const struct dl_phdr_info *info, uintptr_t addr)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_GNU_RELRO && addr >= start && addr < start + ph->p_memsz) return 1;
	}
	return 0;
}

static void patch_slot(const struct dl_phdr_info *info, uintptr_t slot, struct hook *h)
{
	void **p = (void **)slot;
	if (*p == (void *)counting_syscall) {
		h->patched++;
		return;
	}
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start = slot & ~(uintptr_t)(page - 1);
	int relro = in_relro(info, slot);
	if (relro && mprotect((void *)start, page, PROT_READ | PROT_WRITE) != 0) {
		h->err = errno;
		return;
	}
	__atomic_store_n(p, (void *)counting_syscall, __ATOMIC_SEQ_CST);
	if (relro) mprotect((void *)start, page, PROT_READ);
	h->patched++;
}

static void patch_relocs(const struct dl_phdr_info *info, const ElfW(Rela) *rel, size_t bytes, const ElfW(Sym) *symtab, const char *strtab, struct hook *h)
{
	for (size_t i = 0; i < bytes / sizeof *rel; i++) {
		unsigned long type = ELF64_R_TYPE(rel[i].r_info);
		unsigned long sym = ELF64_R_SYM(rel[i].r_info);
		if ((type != R_JUMP_SLOT && type != R_GLOB_DAT) || sym == 0) continue;
		if (strcmp(strtab + symtab[sym].st_name, "syscall") == 0) patch_slot(info, info->dlpi_addr + rel[i].r_offset, h);
	}
}

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct hook *h = data;
	const char *name = info->dlpi_name;
	const char *base = name ? strrchr(name, '/') : NULL;
	base = base ? base + 1 : name;
	if (!base || strncmp(base, "libbpf.so", 9) != 0) return 0;
	h->found = 1;
	const ElfW(Dyn) *dyn = NULL;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC) dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	if (!dyn) return 0;
	uintptr_t symtab = 0, strtab = 0, jmprel = 0, rela = 0;
	size_t pltrelsz = 0, relasz = 0;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = dyn_ptr(info->dlpi_addr, dyn->d_un.d_ptr); break;
		case DT_STRTAB: strtab = dyn_ptr(info->dlpi_addr, dyn->d_un.d_ptr); break;
		case DT_JMPREL: jmprel = dyn_ptr(info->dlpi_addr, dyn->d_un.d_ptr); break;
		case DT_PLTRELSZ: pltrelsz = dyn->d_un.d_val; break;
		case DT_RELA: rela = dyn_ptr(info->dlpi_addr, dyn->d_un.d_ptr); break;
		case DT_RELASZ: relasz = dyn->d_un.d_val; break;
		}
	}
	if (!symtab || !strtab) return 0;
	if (jmprel) patch_relocs(info, (const ElfW(Rela) *)jmprel, pltrelsz, (const ElfW(Sym) *)symtab, (const char *)strtab, h);
	if (rela) patch_relocs(info, (const ElfW(Rela) *)rela, relasz, (const ElfW(Sym) *)symtab, (const char *)strtab, h);
	return 0;
}

/**
 * Points every loaded libbpf.so's GOT slot for syscall() at the counting
 * wrapper (idempotent). Returns the slots that now count (> 0), 0 when no
 * libbpf.so is loaded or it has no such slot, or -errno when one could not
 * be made writable.
 */
long bb_count_libbpf(void)
{
	struct hook h = { 0, 0, 0 };
	dl_iterate_phdr(visit, &h);
	if (h.err) return -h.err;
	return h.patched;
}
