#include <cblas.h>

/* OpenBLAS's own (not in cblas.h): stops its worker threads; the next threaded call starts them again. */
int blas_thread_shutdown_(void);
