/*
 * The CUDA driver API as gorgonia.org/cu v0.9.6 calls it, whatever the
 * toolkit's headers. A -tags cu build puts this folder first on cgo's
 * include path (the Makefile's CU_ENV), so every #include <cuda.h> of
 * gorgonia.org/cu lands here and gets the toolkit's header through
 * #include_next, then the fixes below.
 *
 * CUDA 11 and 12 need none. CUDA 13 changed the signatures of exactly five
 * calls that cu makes; the driver (libcuda.so.1) still exports the earlier
 * entry points, so each name is pointed back at its earlier entry point,
 * declared with the prototype cu was written for. (CGO_CFLAGS=-include
 * cannot do this: it reaches runtime/cgo's assembly too.)
 */
#ifndef NEURONE_CU_COMPAT_CUDA_H
#define NEURONE_CU_COMPAT_CUDA_H

#include_next <cuda.h>

#if CUDA_VERSION >= 13000

/* CUDA 13: cuCtxCreate is cuCtxCreate_v4, which takes a CUctxCreateParams*
 * before the flags. Earlier: cuCtxCreate_v2 (declared by CUDA 13's header
 * only for NVIDIA's own build). */
#undef cuCtxCreate
#define cuCtxCreate cuCtxCreate_v2
CUresult CUDAAPI cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev);

/* CUDA 13: cuMemAdvise takes a CUmemLocation where it took a CUdevice. */
#undef cuMemAdvise
CUresult CUDAAPI cuMemAdvise(CUdeviceptr devPtr, size_t count, CUmem_advise advice, CUdevice device);

/* CUDA 13: cuMemPrefetchAsync takes a CUmemLocation and flags where it
 * took a CUdevice. */
#undef cuMemPrefetchAsync
CUresult CUDAAPI cuMemPrefetchAsync(CUdeviceptr devPtr, size_t count, CUdevice dstDevice, CUstream hStream);

/* CUDA 13: cuGraphAddDependencies takes the edges' data
 * (const CUgraphEdgeData*) before the count. */
#undef cuGraphAddDependencies
CUresult CUDAAPI cuGraphAddDependencies(CUgraph hGraph, const CUgraphNode *from, const CUgraphNode *to, size_t numDependencies);

/* CUDA 13: cuGraphGetEdges returns the edges' data (CUgraphEdgeData*)
 * too, before the count. */
#undef cuGraphGetEdges
CUresult CUDAAPI cuGraphGetEdges(CUgraph hGraph, CUgraphNode *from, CUgraphNode *to, size_t *numEdges);

#endif /* CUDA_VERSION >= 13000 */

#endif /* NEURONE_CU_COMPAT_CUDA_H */
