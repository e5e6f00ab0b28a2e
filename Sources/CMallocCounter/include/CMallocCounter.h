#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H

/// Counting of heap allocations made by the calling thread, for tests that pin allocation-free fast paths.
/// Linking this target into a process replaces malloc, calloc, realloc and the aligned allocators with thin
/// wrappers around glibc's own (`__libc_malloc`, ...): they add one to a thread-local counter while counting is
/// on for the thread, and otherwise only forward. It is linked into the test executable only, never the server.

/// Starts counting the calling thread's allocations from zero.
void mallocCounterStart(void);
/// Stops counting and returns the number of allocations since `mallocCounterStart`.
long mallocCounterStop(void);

#endif
