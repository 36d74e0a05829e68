// Numeric kernels in C, for the one reason Swift cannot match: per-function instruction sets.
// Each kernel is compiled three times — for baseline x86-64, for AVX2 + FMA and for AVX-512 —
// and the best copy the CPU runs is chosen at run time (other architectures get the portable
// copy).
#ifndef MSR_KERNELS_H
#define MSR_KERNELS_H

#include <stddef.h>

// The kernels by family, one header and one source file each.
#include "msr_conv.h"         // depthwise and direct convolution, weight gradient (MedNN)
#include "msr_elementwise.h"  // tanh (MedNN)
#include "msr_match.h"        // template matching (MedRegistration)
#include "msr_optim.h"        // Adam (MedNN)
#include "msr_resample.h"     // Pillow's row sums, transposes (MedImage, MedIO)
#include "msr_ssim.h"         // SSIM (MedMetrics)
#include "msr_restore.h"      // restoration baselines: non-local means, median (MedImage)

#ifdef __cplusplus
extern "C" {
#endif

/// The copy of the kernels that runs: 0 portable, 1 AVX2 + FMA, 2 AVX-512 (F, DQ, BW, VL),
/// the best this CPU has up to the cap.
int msr_kernels_level(void);

/// The CPU's spin-wait hint (`pause` on x86), for threads waiting on a flag.
static inline void msr_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Caps the level (2 by default; tests run the lower copies with it). Returns the old cap.
int msr_kernels_limit(int level);

#ifdef __cplusplus
}
#endif
#endif
