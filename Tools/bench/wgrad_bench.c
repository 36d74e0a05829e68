// The direct convolution's weight gradient (msr_conv_weight_grad) on one thread: GFLOP/s and the
// largest error against a double-precision sum, for one layer shape.
//
//   clang -O3 -ISources/CKernels/include Tools/bench/wgrad_bench.c Sources/CKernels/msr_conv.c Sources/CKernels/msr_dispatch.c -lm -o /tmp/wgrad
//   /tmp/wgrad [SIDE [BATCH [CIN [COUT [K]]]]]     (default: 24 4 64 64 3, an SRResNet block at batch 4 of 24²)
//
// Best of 20 calls over all jobs; MEDSR_KERNEL_LEVEL is not read here (msr_kernels_limit can cap
// the copy). Examples: `48 4 64 256 3` (SRResNet's second upsampling conv), `96 4 64 1 9` (its last).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include "msr_kernels.h"
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  long cin=64,cout=64,k=3,rows=24,cols=24,batch=4,pad=1;
  if(argc>1){rows=cols=atol(argv[1]);} if(argc>2) batch=atol(argv[2]); if(argc>3){cin=atol(argv[3]);} if(argc>4){cout=atol(argv[4]);} if(argc>5){k=atol(argv[5]);pad=k/2;}
  long pr=rows+2*pad,pc=cols+2*pad,oh=pr-k+1,ow=pc-k+1;
  long size=msr_conv_padded_size(cin,rows,cols,pad,k);
  long pstride=(oh*pc+15)&~15, gbatch=cout*pstride;
  float*x=aligned_alloc(64,((batch*cin*rows*cols*4)+63)/64*64), *padded=aligned_alloc(64,(batch*size*4+63)/64*64);
  float*g=aligned_alloc(64,((batch*cout*oh*ow*4)+63)/64*64), *spread=aligned_alloc(64,(batch*gbatch*4+63)/64*64);
  float*dw=calloc(cout*cin*k*k,4); double*ref=calloc(cout*cin*k*k,8);
  srand(1);
  for(long i=0;i<batch*cin*rows*cols;i++)x[i]=rand()/(float)RAND_MAX-0.5f;
  for(long i=0;i<batch*cout*oh*ow;i++)g[i]=rand()/(float)RAND_MAX-0.5f;
  for(long b=0;b<batch;b++){ msr_conv_pad(x+b*rows*cols,cin,batch*rows*cols,rows,cols,pad,padded+b*size); msr_conv_clear_slack(padded+b*size,cin,rows,cols,pad,k);
    msr_conv_spread(g+b*oh*ow,cout,batch*oh*ow,oh,ow,pc,pstride,spread+b*gbatch);}
  // reference in double: dw[o][c][ky][kx] = sum_b,y,x g[o][b][y][x] * xpad[c][b][y+ky][x+kx]
  for(long o=0;o<cout;o++)for(long c=0;c<cin;c++)for(long ky=0;ky<k;ky++)for(long kx=0;kx<k;kx++){double s=0;
    for(long b=0;b<batch;b++)for(long y=0;y<oh;y++)for(long xx=0;xx<ow;xx++){long iy=y+ky-pad,ix=xx+kx-pad; if(iy<0||ix<0||iy>=rows||ix>=cols)continue;
      s+=(double)g[(o*batch+b)*oh*ow+y*ow+xx]*x[(c*batch+b)*rows*cols+iy*cols+ix];}
    ref[((o*cin+c)*k+ky)*k+kx]=s;}
  long jobs=msr_conv_weight_jobs(cin,cout);
  double best=1e9;
  for(int r=0;r<20;r++){ memset(dw,0,cout*cin*k*k*4); double t=now();
    msr_conv_weight_grad(spread,pstride,gbatch,batch,padded,size,pr*pc,pc,k,cin,cout,0,jobs,dw);
    t=now()-t; if(t<best)best=t;}
  double err=0,mx=0; for(long i=0;i<cout*cin*k*k;i++){double e=fabs(dw[i]-ref[i]); if(e>err)err=e; if(fabs(ref[i])>mx)mx=fabs(ref[i]);}
  double flops=2.0*cout*cin*k*k*batch*oh*ow;
  printf("%ldx%ld b%ld %ld->%ld k%ld: %.3f ms  %.1f GFLOP/s  max err %.2e (max %.2e)\n",rows,cols,batch,cin,cout,k,best*1e3,flops/best/1e9,err,mx);
}
