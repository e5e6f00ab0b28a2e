#ifndef CMALLOCINFO_SHIM_H
#define CMALLOCINFO_SHIM_H

/* glibc's allocator statistics, which Swift's Glibc module does not import (malloc.h is not part of it). */

#include <stddef.h>

#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>

/* Under ThreadSanitizer or AddressSanitizer (make test-sanitize-*) malloc is the sanitizer's allocator, which glibc's
   statistics do not see; the sanitizer runtime then defines this. A weak reference: null in a normal build. */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

/* Bytes allocated and not freed: in-use bytes of the arenas (uordblks) plus mmap-served blocks (hblkhd). */
static inline size_t cmallocinfo_used_bytes(void) {
    if (__sanitizer_get_current_allocated_bytes) return __sanitizer_get_current_allocated_bytes();
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
#else
    return 0;
#endif
}
#else
static inline size_t cmallocinfo_used_bytes(void) { return 0; }
#endif

/* No fastbins (M_MXFAST 0): glibc parks freed chunks of up to 128 bytes in per-size "fast" lists that are never
   merged with their neighbours, and a keyspace whose small values are freed and reallocated at another size (a
   collection's packed block put back at rest) kept about one such orphan per key. Without fastbins they go through
   the ordinary bins, are coalesced and reused (the per-thread tcache still serves the fast path). */
static inline void cmallocinfo_disable_fastbins(void) {
#if defined(__GLIBC__)
    mallopt(M_MXFAST, 0);
#endif
}

/* `%.17g` of a double into buf (Redis 7.0's addReplyDouble format) without Swift's variadic-argument boxing. */
#include <stdio.h>
static inline int cmallocinfo_format_g17(char *buf, size_t n, double d) { return snprintf(buf, n, "%.17g", d); }

/* The calling thread's kernel id (for a per-thread nice value); Swift does not import the SYS_gettid macro. */
#if defined(__linux__)
#include <unistd.h>
#include <sys/syscall.h>
static inline long cmallocinfo_thread_id(void) { return syscall(SYS_gettid); }
#else
static inline long cmallocinfo_thread_id(void) { return 0; }
#endif

/* epoll and eventfd for the client event loops (EpollLoop); Swift's Glibc module imports neither header. */
#if defined(__linux__)
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif

#endif
