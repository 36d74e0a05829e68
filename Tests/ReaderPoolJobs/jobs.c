// Jobs that misbehave the ways libhdf5 does on damaged files (crash, hang, allocate without end),
// for testing the reader pool alone.
#define _GNU_SOURCE
#include "reader_pool_jobs.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void nothing(void) {}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

static void echo(const char *path, const char *dataset, uint64_t max_bytes, uint64_t inline_max, msr_h5_stream *out) {
    (void)dataset; (void)max_bytes; (void)inline_max;
    msr_h5_put_head(out, 'G', "");
    msr_h5_put_text(out, path);
    msr_h5_put_end(out, 0, "");
}

static void hostile(const char *path, const char *dataset, uint64_t max_bytes, uint64_t inline_max, msr_h5_stream *out) {
    if (ends_with(path, "crash")) raise(SIGSEGV);
    if (ends_with(path, "hang")) for (;;) pause();
    if (ends_with(path, "grow")) {
        for (;;) {
            char *p = malloc(64u << 20);
            if (p == NULL) _exit(3);  /* the address-space cap stopped it */
            memset(p, 1, 64u << 20);
        }
    }
    echo(path, dataset, max_bytes, inline_max, out);
}

const msr_reader_job msr_test_echo_job = {"the echo job", nothing, echo};
const msr_reader_job msr_test_hostile_job = {"the hostile job", nothing, hostile};

int msr_test_ask(const msr_reader_job *job, const char *path, int timeout_ms, char *text, size_t textlen,
                 char *err, size_t errlen) {
    char *blob = NULL;
    size_t len = 0;
    int status = msr_reader_ask(job, path, NULL, 1 << 20, 1 << 20, timeout_ms, &blob, &len, err, errlen);
    if (status != 0) return status;
    msr_h5_entry *entries = NULL;
    size_t count = 0;
    status = msr_h5_parse(blob, len, &entries, &count, err, errlen);
    if (status == 0 && count > 0) snprintf(text, textlen, "%.*s", (int)entries[0].text_len, entries[0].text);
    free(entries);
    free(blob);
    return status;
}
