// The few libc functions the kernel boundary calls, bound once through koffi.
// Every parameter is an integer (pointers as uintptr_t Numbers): koffi's
// fast path.
import koffi from 'koffi';

/** libc, loaded once: every binding of it goes through here. */
export const libc = koffi.load('libc.so.6');

/** The koffi version bpfbench runs on (results' context). */
export const koffiVersion = (): string => (koffi as unknown as { version?: string }).version ?? 'unknown';

type Fn<A extends number[]> = (...args: A) => number;

/**
 * libc's syscall(), declared with four integer parameters instead of
 * variadic: on x86_64 and arm64 glibc's syscall() only moves registers, so
 * this is the same call, and koffi can take its fast path.
 */
export const syscall4 = libc.func('int syscall(long nr, long a, uintptr_t b, long c)') as Fn<[number, number, number, number]>;
export const close = libc.func('int close(int fd)') as Fn<[number]>;
export const mmap = libc.func('uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, long off)') as Fn<[number, number, number, number, number, number]>;
export const munmap = libc.func('int munmap(uintptr_t addr, size_t len)') as Fn<[number, number]>;
export const vsnprintf = libc.func('int vsnprintf(uintptr_t buf, size_t n, uintptr_t fmt, uintptr_t ap)') as Fn<[number, number, number, number]>;

export const PROT_READ = 1;
export const MAP_SHARED = 1;
/** mmap's MAP_FAILED, as koffi returns it for uintptr_t. */
export const MAP_FAILED = 2 ** 64 - 1;
export const PAGE_SIZE = 4096;
