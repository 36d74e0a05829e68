// Reader processes: the isolation that lets MedSR read files with a library that may crash,
// hang or allocate without end on damaged input (libhdf5, see msr_h5_hdf5.c), without calling
// that library in this process. Nothing here knows HDF5: a reader runs a msr_reader_job.
//
// A "zygote" process, forked from this one at the first v7.3 read, runs the job's `start`
// (for HDF5: start the library and warm it on a file made in memory, so library start-up and
// symbol binding are paid once), closes every
// descriptor it inherited, and then only forks readers. A reader serves requests on its own
// socket, one file at a time, and is kept in a pool for the next file, so a file costs no
// process start. A reader whose job reported a problem retires after its answer; one that
// dies mid-answer costs that answer, which is asked once more of a fresh reader (so a reader
// left damaged by an earlier file cannot blame a good one); a fresh reader that dies too means
// the file crashes the library. A reader that is silent for `timeout_ms`, or grows beyond what the
// request can need, is killed. Readers retire after 256 files. The zygote exits when this
// process closes its socket (or dies), and readers die with the zygote.
#define _GNU_SOURCE
#include "msr_reader_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Set when built with a sanitizer or libFuzzer: their death callbacks (libFuzzer's writes the
   current input as a crash) must not run in the child, whose faults are expected. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

typedef msr_h5_stream stream;

/// Field `field` of /proc/<pid>/statm (0: address space, 1: resident) in bytes, 0 when
/// unknown; pid 0 is this process.
static uint64_t statm_bytes(pid_t pid, int field) {
    char path[64];
    if (pid) snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    else snprintf(path, sizeof path, "/proc/self/statm");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char text[128];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return 0;
    text[n] = 0;
    char *at = text;
    for (int i = 0; i < field; i++) strtoull(at, &at, 10);
    return (uint64_t)strtoull(at, NULL, 10) * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t resident_bytes(pid_t pid) { return statm_bytes(pid, 1); }

/// In a reader: address space beyond what it has mapped now is capped at `allowance` for this
/// request (the soft limit only, so the next request can set its own), so a file that makes
/// libhdf5 allocate without end (fuzzing found one that took 24 GB) fails in the reader
/// instead of exhausting the machine.
static void limit_memory(uint64_t allowance) {
    uint64_t mapped = statm_bytes(0, 0);
    if (mapped == 0) return;
    struct rlimit now;
    if (getrlimit(RLIMIT_AS, &now) != 0) return;
    rlim_t want = mapped > UINT64_MAX - allowance ? RLIM_INFINITY : (rlim_t)(mapped + allowance);
    if (now.rlim_max != RLIM_INFINITY && want > now.rlim_max) want = now.rlim_max;
    struct rlimit cap = {want, now.rlim_max};
    setrlimit(RLIMIT_AS, &cap);
}

/// The child holds one dataset in memory at a time, and HDF5 may hold as much again (a
/// decompressed chunk); its other needs (chunk cache, metadata) fit in 128 MiB.
static uint64_t allowance_for(uint64_t data) {
    if (data > (1ull << 40)) data = 1ull << 40;
    return 2 * data + (128ull << 20);
}

typedef struct {
    uint64_t max_bytes, inline_max;
    uint32_t path_len, dataset_len;  ///< dataset_len 0: a snapshot
} request;

enum { MAX_PATH_BYTES = 8192, POOL = 16, FILES_PER_READER = 256 };

static int read_all(int fd, void *data, size_t n) {
    char *p = data;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/// A reader: answers requests on `fd` until the other side closes it or a file troubles HDF5.
static void serve(const msr_reader_job *job, int fd) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  /* dies with the zygote */
    stream *out = malloc(sizeof *out);
    char *names = malloc(2 * MAX_PATH_BYTES + 2);
    if (out == NULL || names == NULL) _exit(1);
    for (;;) {
        request r;
        if (read_all(fd, &r, sizeof r) != 0) _exit(0);
        if (r.path_len == 0 || r.path_len >= MAX_PATH_BYTES || r.dataset_len >= MAX_PATH_BYTES) _exit(5);
        if (read_all(fd, names, r.path_len + r.dataset_len) != 0) _exit(0);
        char path[MAX_PATH_BYTES], dataset[MAX_PATH_BYTES];
        memcpy(path, names, r.path_len);
        path[r.path_len] = 0;
        memcpy(dataset, names + r.path_len, r.dataset_len);
        dataset[r.dataset_len] = 0;
        limit_memory(allowance_for(r.dataset_len ? r.max_bytes : r.inline_max));
        out->fd = fd;
        out->broken = out->trouble = 0;
        out->used = 0;
        job->answer(path, r.dataset_len ? dataset : NULL, r.max_bytes, r.inline_max, out);
        msr_h5_finish(out);
        if (out->broken || out->trouble) _exit(0);
    }
}

static void zygote_main(const msr_reader_job *job, int sock) {
    if (sock != 3) {
        dup2(sock, 3);
        sock = 3;
    }
    close_range(4, ~0u, 0);
    int quiet = open("/dev/null", O_RDWR);
    if (quiet >= 0) {
        dup2(quiet, 0);
        dup2(quiet, 1);
        dup2(quiet, 2);
        if (quiet > 3) close(quiet);
    }
    /* Faults end a reader quietly; the caller reports them. (The Swift runtime's crash
       handler would print a backtrace; a sanitizer's or libFuzzer's death callback would
       report, or save the input as a crash, for a fault that is expected here.) */
    int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGPIPE, SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) signal(faults[i], SIG_DFL);
    signal(SIGCHLD, SIG_IGN);  /* readers are reaped by the kernel */
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(NULL);
    job->start();
    for (;;) {
        char byte;
        struct iovec iov = {&byte, 1};
        union {
            struct cmsghdr header;
            char space[CMSG_SPACE(sizeof(int))];
        } control;
        struct msghdr message = {0};
        message.msg_iov = &iov;
        message.msg_iovlen = 1;
        message.msg_control = control.space;
        message.msg_controllen = sizeof control.space;
        ssize_t n = recvmsg(sock, &message, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(0);  /* the caller has gone */
        struct cmsghdr *c = CMSG_FIRSTHDR(&message);
        int fd = -1;
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(c), sizeof fd);
        pid_t pid = fd >= 0 ? fork() : -1;
        if (pid == 0) {
            close(sock);
            serve(job, fd);
            _exit(0);
        }
        if (fd >= 0) close(fd);
        while (send(sock, &pid, sizeof pid, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
    }
}

typedef struct {
    pid_t pid;
    int sock;
    int served;
    int family;  ///< index into families
} reader;

/// One zygote and its pooled readers per job.
typedef struct {
    const msr_reader_job *job;
    int zygote_socket;
    pid_t zygote_pid;
    reader pool[POOL];
    int pooled;
} family;

enum { MAX_JOBS = 8 };
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static family families[MAX_JOBS];
static int family_count;

/// The family of `job`, made on first use; NULL when the table is full. Call with pool_lock held.
static family *family_of(const msr_reader_job *job) {
    for (int i = 0; i < family_count; i++)
        if (families[i].job == job) return &families[i];
    if (family_count == MAX_JOBS) return NULL;
    family *f = &families[family_count++];
    *f = (family){.job = job, .zygote_socket = -1, .zygote_pid = -1};
    return f;
}

static void stop_zygote(family *f) {
    if (f->zygote_socket >= 0) close(f->zygote_socket);
    if (f->zygote_pid > 0) {
        kill(f->zygote_pid, SIGKILL);
        while (waitpid(f->zygote_pid, NULL, 0) < 0 && errno == EINTR) {}
    }
    f->zygote_socket = -1;
    f->zygote_pid = -1;
}

static int start_zygote(family *f) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(pair[0]);
        close(pair[1]);
        return -1;
    }
    if (pid == 0) {
        close(pair[0]);
        zygote_main(f->job, pair[1]);
        _exit(0);
    }
    close(pair[1]);
    f->zygote_socket = pair[0];
    f->zygote_pid = pid;
    return 0;
}

/// Asks the zygote for a new reader; call with pool_lock held.
static int spawn_reader(family *f, reader *out) {
    for (int attempt = 0; attempt < 2; attempt++) {
        if (f->zygote_socket < 0 && start_zygote(f) != 0) return -1;
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return -1;
        char byte = 'R';
        struct iovec iov = {&byte, 1};
        union {
            struct cmsghdr header;
            char space[CMSG_SPACE(sizeof(int))];
        } control;
        memset(&control, 0, sizeof control);
        struct msghdr message = {0};
        message.msg_iov = &iov;
        message.msg_iovlen = 1;
        message.msg_control = control.space;
        message.msg_controllen = sizeof control.space;
        struct cmsghdr *c = CMSG_FIRSTHDR(&message);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pair[1], sizeof(int));
        ssize_t sent, got = -1;
        pid_t pid = -1;
        while ((sent = sendmsg(f->zygote_socket, &message, MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
        if (sent >= 0) {
            /* The zygote answers at once; one that does not within 10 s is replaced. */
            struct pollfd z = {f->zygote_socket, POLLIN, 0};
            int ready;
            while ((ready = poll(&z, 1, 10000)) < 0 && errno == EINTR) {}
            if (ready > 0)
                while ((got = recv(f->zygote_socket, &pid, sizeof pid, 0)) < 0 && errno == EINTR) {}
        }
        close(pair[1]);
        if (sent >= 0 && got == (ssize_t)sizeof pid && pid > 0) {
            *out = (reader){pid, pair[0], 0, (int)(f - families)};
            return 0;
        }
        close(pair[0]);
        if (sent >= 0 && got == (ssize_t)sizeof pid) return -1;  /* the zygote could not fork */
        stop_zygote(f);  /* gone or confused: a new one on the next attempt */
    }
    return -1;
}

/// A pooled reader, or a new one (always a new one when `fresh`).
static int take_reader(const msr_reader_job *job, reader *out, int fresh) {
    pthread_mutex_lock(&pool_lock);
    int status = 0;
    family *f = family_of(job);
    if (f == NULL) status = -1;
    else if (f->pooled > 0 && !fresh) *out = f->pool[--f->pooled];
    else status = spawn_reader(f, out);
    pthread_mutex_unlock(&pool_lock);
    return status;
}

/// Back to the pool, or ended: a reader that was killed or retires is closed (it exits on EOF).
static void release_reader(reader *r, int keep, int kill_it) {
    if (kill_it) kill(r->pid, SIGKILL);
    if (keep && !kill_it && r->served < FILES_PER_READER) {
        pthread_mutex_lock(&pool_lock);
        family *f = &families[r->family];
        if (f->pooled < POOL) {
            f->pool[f->pooled++] = *r;
            pthread_mutex_unlock(&pool_lock);
            return;
        }
        pthread_mutex_unlock(&pool_lock);
    }
    close(r->sock);
}

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

typedef struct {
    reader *r;
    int timeout_ms;
    int64_t deadline, checked;
    uint64_t ceiling;
    const char *problem;  ///< set when the reader must be killed
    int library_fault;    ///< the problem is the library's doing (memory, silence), not a limit of ours
} watch;

/// Reads exactly n bytes from the reader, watching its silence and size. 0, or -1 when the
/// reader has gone (or w->problem is set).
static int receive(watch *w, void *data, size_t n) {
    char *p = data;
    while (n > 0) {
        struct pollfd f = {w->r->sock, POLLIN, 0};
        int64_t left = w->deadline - now_ms();
        int ready = left > 0 ? poll(&f, 1, (int)(left > 50 ? 50 : left)) : 0;
        if (now_ms() - w->checked >= 50) {
            w->checked = now_ms();
            if (resident_bytes(w->r->pid) > w->ceiling) {
                w->problem = "took more memory on it than its data can need";
                w->library_fault = 1;
                return -1;
            }
        }
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) {
            if (now_ms() >= w->deadline) {
                w->problem = "hung on it (no answer within the time limit)";
                w->library_fault = 1;
                return -1;
            }
            continue;
        }
        ssize_t got = read(w->r->sock, p, n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        p += got;
        n -= (size_t)got;
        w->deadline = now_ms() + w->timeout_ms;  /* the limit is on silence, not on the whole read */
    }
    return 0;
}

/// "<library> <what>; the file is damaged" (a reader that could not start is not the file's fault).
static int damaged(const msr_reader_job *job, const char *what, char *err, size_t errlen) {
    if (err && errlen) {
        if (strncmp(what, "could not", 9) == 0) snprintf(err, errlen, "%s %s", job->library, what);
        else snprintf(err, errlen, "%s %s; the file is damaged", job->library, what);
    }
    return 2;
}

int msr_reader_ask(const msr_reader_job *job, const char *path, const char *dataset, uint64_t max_bytes,
                   uint64_t inline_max, int timeout_ms, char **blob, size_t *blob_len, char *err, size_t errlen) {
    request q = {max_bytes, inline_max, (uint32_t)strlen(path), dataset ? (uint32_t)strlen(dataset) : 0};
    if (q.path_len == 0 || q.path_len >= MAX_PATH_BYTES || q.dataset_len >= MAX_PATH_BYTES)
        return msr_h5_fail(err, errlen, "the path is too long");
    /* Metadata is bounded by the reader's own limits; data by max_bytes. */
    size_t cap = (size_t)(max_bytes > (1ull << 40) ? (1ull << 40) : max_bytes) + (64u << 20);
    uint64_t allowance = allowance_for(dataset ? max_bytes : inline_max);
    for (int attempt = 0; attempt < 2; attempt++) {
        reader r;
        if (take_reader(job, &r, attempt > 0) != 0) return damaged(job, "could not be started in a reader process", err, errlen);
        int fresh = r.served == 0;
        r.served++;
        /* The reader's growth beyond the allowance is stopped by RLIMIT_AS in the reader and,
           where an allocator reserved its address space up front (sanitizers), here. */
        watch w = {&r, timeout_ms, now_ms() + timeout_ms, 0, resident_bytes(r.pid) + allowance, NULL, 0};
        int sent = msr_h5_send_all(r.sock, &q, sizeof q) == 0 && msr_h5_send_all(r.sock, path, q.path_len) == 0 &&
                   (!dataset || msr_h5_send_all(r.sock, dataset, q.dataset_len) == 0);
        size_t used = 0, capacity = 1 << 16;
        char *buf = sent ? malloc(capacity) : NULL;
        int complete = 0;
        uint8_t retire = 1;
        while (buf && !complete) {
            uint32_t n;
            if (receive(&w, &n, sizeof n) != 0) break;
            if (n == 0) {
                complete = receive(&w, &retire, 1) == 0;
                break;
            }
            if (used + n > cap) {
                w.problem = "the file's description is larger than the limit";
                break;
            }
            if (used + n > capacity) {
                size_t grown = capacity;
                while (grown < used + n) grown *= 2;
                char *bigger = realloc(buf, grown > cap ? cap : grown);
                if (bigger == NULL) { w.problem = "out of memory"; break; }
                buf = bigger;
                capacity = grown > cap ? cap : grown;
            }
            if (receive(&w, buf + used, n) != 0) break;
            used += n;
        }
        if (complete) {
            release_reader(&r, !retire, 0);
            *blob = buf;
            *blob_len = used;
            return 0;
        }
        free(buf);
        release_reader(&r, 0, 1);
        if (w.problem) return w.library_fault ? damaged(job, w.problem, err, errlen) : msr_h5_fail(err, errlen, w.problem);
        /* The reader died: retry once on a fresh reader unless this one was fresh. */
        if (fresh) return damaged(job, "crashed on it", err, errlen);
    }
    return damaged(job, "crashed on it", err, errlen);
}
