#pragma once
/// Keeps freed megabyte-sized blocks in the process instead of returning them to the kernel
/// at once (glibc's default). Decoding and tiling thousands of images allocates and frees
/// such buffers continually; with the default, page faults and zeroing cost more than the work.
void msr_tune_allocator(void);
