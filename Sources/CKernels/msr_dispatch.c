// The run-time choice of a kernel's copy: what the CPU has, capped by msr_kernels_limit.
#include "msr_kernels.h"

#include <stdatomic.h>

static atomic_int limit = 2;

int msr_kernels_limit(int level) { return atomic_exchange_explicit(&limit, level, memory_order_relaxed); }

int msr_kernels_level(void) {
#if defined(__x86_64__)
    static atomic_int cached = -1;
    int known = atomic_load_explicit(&cached, memory_order_relaxed);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        if (known && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
            known = 2;
        atomic_store_explicit(&cached, known, memory_order_relaxed);
    }
    int most = atomic_load_explicit(&limit, memory_order_relaxed);
    return known < most ? known : most;
#else
    return 0;
#endif
}
