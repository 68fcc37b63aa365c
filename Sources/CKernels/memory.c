#include "vlm_kernels.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void vlm_release_free_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

#include <stdatomic.h>

long vlm_atomic_next(long *counter) { return atomic_fetch_add_explicit((_Atomic long *)counter, 1, memory_order_relaxed); }
