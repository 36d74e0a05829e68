// Private to CKernels: the target attribute of every kernel's AVX-512 copy.
#ifndef MSR_ISA_H
#define MSR_ISA_H

#if defined(__x86_64__)
#define AVX512 "avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"
#endif

#endif
