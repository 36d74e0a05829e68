// Reader-process jobs for testing the isolation in CMatio/msr_reader_pool.c alone, without HDF5.
#ifndef READER_POOL_JOBS_H
#define READER_POOL_JOBS_H
#include <msr_reader_pool.h>

/// Answers with one group record whose names are the request's path, then an OK end record.
extern const msr_reader_job msr_test_echo_job;
/// Crashes (SIGSEGV) when the path ends in "crash", hangs when it ends in "hang", allocates
/// and touches memory without end when it ends in "grow"; answers like the echo job otherwise.
extern const msr_reader_job msr_test_hostile_job;

/// msr_reader_ask for a job, the answer parsed: 0 and the first record's text in `text`, or 2
/// with the reader pool's message in `err`.
int msr_test_ask(const msr_reader_job *job, const char *path, int timeout_ms, char *text, size_t textlen,
                 char *err, size_t errlen);
#endif
