#pragma once
/// Keeps freed megabyte-sized blocks in the process instead of returning them to the kernel
/// at once (glibc's default). Decoding and tiling thousands of images allocates and frees
/// such buffers continually; with the default, page faults and zeroing cost more than the work.
/// Blocks up to 512 MiB come from the heap (a ×4 network's feature maps at HR size exceed 64 MiB),
/// and up to 1 GiB of freed memory stays mapped for the next image.
void msr_tune_allocator(void);

/// Line-buffered standard output, so the log of a run that is interrupted (Ctrl-C, a batch
/// system's time limit) keeps every line printed so far. (Swift 6 cannot name C's `stdout`.)
void msr_line_buffer_stdout(void);
