#include <stdio.h>
#include "msr_malloc.h"
#include <malloc.h>

void msr_tune_allocator(void) {
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 512 << 20);
    mallopt(M_TRIM_THRESHOLD, 1024 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
#endif
}

void msr_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
