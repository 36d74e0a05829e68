// The wire format between a v7.3 reader process and its caller: see msr_h5_wire.h.
#define _GNU_SOURCE
#include "msr_h5_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef msr_h5_stream stream;
typedef msr_h5_entry entry;

// ---- writing an answer (in a reader) ------------------------------------------------------

/// Writes all of `data` (a socket, or any descriptor); 0, or -1 when the other side has gone.
int msr_h5_send_all(int fd, const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == ENOTSOCK) w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void write_all(stream *s, const void *data, size_t n) {
    if (!s->broken && msr_h5_send_all(s->fd, data, n) != 0) s->broken = 1;
}

static void flush_frame(stream *s) {
    if (s->used == 0) return;
    uint32_t n = (uint32_t)s->used;
    write_all(s, &n, sizeof n);
    write_all(s, s->frame, s->used);
    s->used = 0;
}

static void put(stream *s, const void *data, size_t n) {
    const char *p = data;
    while (n > 0 && !s->broken) {
        size_t room = sizeof s->frame - s->used, k = n < room ? n : room;
        memcpy(s->frame + s->used, p, k);
        s->used += k;
        p += k;
        n -= k;
        if (s->used == sizeof s->frame) flush_frame(s);
    }
}

void msr_h5_finish(stream *s) {
    flush_frame(s);
    uint32_t zero = 0;
    uint8_t retire = s->trouble != 0;
    write_all(s, &zero, sizeof zero);
    write_all(s, &retire, 1);
}

static void put_u32(stream *s, uint32_t v) { put(s, &v, sizeof v); }

void msr_h5_put_text(stream *s, const char *text) {
    size_t n = strlen(text);
    put_u32(s, (uint32_t)n);
    put(s, text, n);
}

void msr_h5_put_head(stream *s, char kind, const char *path) {
    put(s, &kind, 1);
    msr_h5_put_text(s, path);
}

void msr_h5_put_end(stream *s, int32_t status, const char *message) {
    if (status != 0) s->trouble = 1;
    msr_h5_put_head(s, 'E', "");
    put(s, &status, sizeof status);
    msr_h5_put_text(s, message);
}

/// An object that could not be described, and why.
void msr_h5_put_unusable(stream *s, const char *path, const char *why) {
    s->trouble = 1;
    msr_h5_put_head(s, 'U', path);
    msr_h5_put_text(s, why);
}

/// A dataset record: its description, then its data (state 1), nothing (state 0: not sent),
/// or why it could not be read (state 2).
void msr_h5_put_dataset(stream *s, const char *path, const msr_mat_info *info, uint8_t state, const void *data,
                        uint64_t bytes, const char *why) {
    msr_h5_put_head(s, 'D', path);
    put(s, info, sizeof *info);
    put(s, &state, 1);
    if (state == 1) {
        put(s, &bytes, sizeof bytes);
        put(s, data, bytes);
    } else if (state == 2) {
        s->trouble = 1;
        msr_h5_put_text(s, why);
    }
}

// ---- reading an answer (in the caller) ----------------------------------------------------

typedef struct {
    const char *at, *end;
    int bad;
} cursor;

static const char *take(cursor *r, uint64_t n) {
    if (r->bad || (uint64_t)(r->end - r->at) < n) { r->bad = 1; return NULL; }
    const char *p = r->at;
    r->at += n;
    return p;
}

static uint32_t take_u32(cursor *r) {
    const char *p = take(r, 4);
    uint32_t v = 0;
    if (p) memcpy(&v, p, 4);
    return v;
}

int msr_h5_parse(char *blob, size_t len, entry **out, size_t *count, char *err, size_t errlen) {
    cursor r = {blob, blob + len, 0};
    size_t n = 0, capacity = 0;
    entry *entries = NULL;
    int status = -1;
    while (!r.bad && status < 0) {
        entry e = {0};
        const char *kind = take(&r, 1);
        e.path_len = take_u32(&r);
        e.path = take(&r, e.path_len);
        if (r.bad) break;
        e.kind = *kind;
        if (e.kind == 'E') {
            const char *s = take(&r, 4);
            uint32_t mlen = take_u32(&r);
            const char *m = take(&r, mlen);
            if (r.bad) break;
            int32_t v;
            memcpy(&v, s, 4);
            status = v;
            if (v != 0) snprintf(err, errlen, "%.*s", (int)mlen, m);
            break;
        } else if (e.kind == 'G' || e.kind == 'U') {
            e.text_len = take_u32(&r);
            e.text = take(&r, e.text_len);
        } else if (e.kind == 'D') {
            const char *info = take(&r, sizeof e.info);
            const char *state = take(&r, 1);
            if (r.bad) break;
            memcpy(&e.info, info, sizeof e.info);
            e.state = (uint8_t)*state;
            if (e.state == 1) {
                const char *l = take(&r, 8);
                if (r.bad) break;
                memcpy(&e.text_len, l, 8);
                e.text = take(&r, e.text_len);
            } else if (e.state == 2) {
                e.text_len = take_u32(&r);
                e.text = take(&r, e.text_len);
            }
        } else {
            r.bad = 1;
        }
        if (r.bad) break;
        if (n == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            entry *bigger = realloc(entries, capacity * sizeof *entries);
            if (bigger == NULL) { r.bad = 1; break; }
            entries = bigger;
        }
        entries[n++] = e;
    }
    if (status < 0) {
        free(entries);
        /* The reader writes its end record last and exits; an answer without it means the
           reader died on the way: a fault inside libhdf5, or the memory cap. */
        return msr_h5_fail(err, errlen, "libhdf5 crashed on it; the file is damaged");
    }
    *out = entries;
    *count = n;
    return status;
}
