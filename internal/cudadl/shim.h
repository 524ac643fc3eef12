// The C side of package cudadl: the CUDA driver, cuBLAS and NVRTC entry
// points, looked up with dlopen/dlsym at run time, and one small wrapper
// per entry point for Go to call.
//
// Types are declared here rather than taken from the toolkit's headers, so
// the package builds on machines without a CUDA toolkit. Handles are opaque
// pointers, device pointers 64-bit integers, results ints (CUresult,
// cublasStatus_t and nvrtcResult are all C enums).

#ifndef NEURONE_CUDADL_H
#define NEURONE_CUDADL_H

#include <stddef.h>
#include <stdint.h>

typedef int nrn_result;
typedef uint64_t nrn_dptr;
typedef void *nrn_handle;

// Loading: each returns NULL on success or a message (dlerror's, or the
// name of a missing symbol). A library is loaded once; later calls return
// NULL at once.
const char *nrn_load_driver(const char *path);
const char *nrn_load_cublas(const char *path);
const char *nrn_load_nvrtc(const char *path);

// The file each loaded library came from, as the dynamic loader found it;
// "" when not loaded.
const char *nrn_driver_path(void);
const char *nrn_cublas_path(void);
const char *nrn_nvrtc_path(void);

// Driver API.
nrn_result nrn_cuInit(void);
nrn_result nrn_cuDriverGetVersion(int *v);
nrn_result nrn_cuDeviceGetCount(int *n);
nrn_result nrn_cuDeviceGet(int *dev, int ordinal);
nrn_result nrn_cuDeviceGetName(char *name, int len, int dev);
nrn_result nrn_cuDeviceGetAttribute(int *v, int attr, int dev);
nrn_result nrn_cuDevicePrimaryCtxRetain(nrn_handle *ctx, int dev);
nrn_result nrn_cuDevicePrimaryCtxRelease(int dev);
nrn_result nrn_cuCtxSetCurrent(nrn_handle ctx);
nrn_result nrn_cuMemGetInfo(size_t *free_bytes, size_t *total_bytes);
nrn_result nrn_cuMemAlloc(nrn_dptr *p, size_t bytes);
nrn_result nrn_cuMemFree(nrn_dptr p);
nrn_result nrn_cuMemcpyHtoDAsync(nrn_dptr dst, const void *src, size_t bytes, nrn_handle stream);
nrn_result nrn_cuMemcpyDtoHAsync(void *dst, nrn_dptr src, size_t bytes, nrn_handle stream);
nrn_result nrn_cuMemcpyDtoDAsync(nrn_dptr dst, nrn_dptr src, size_t bytes, nrn_handle stream);
nrn_result nrn_cuMemsetD32Async(nrn_dptr dst, unsigned value, size_t n, nrn_handle stream);
nrn_result nrn_cuStreamCreate(nrn_handle *stream, unsigned flags);
nrn_result nrn_cuStreamDestroy(nrn_handle stream);
nrn_result nrn_cuStreamSynchronize(nrn_handle stream);
nrn_result nrn_cuModuleLoadData(nrn_handle *mod, const void *image);
nrn_result nrn_cuModuleUnload(nrn_handle mod);
nrn_result nrn_cuModuleGetFunction(nrn_handle *fn, nrn_handle mod, const char *name);
nrn_result nrn_cuLaunchKernel(nrn_handle fn, unsigned gx, unsigned gy, unsigned gz,
                              unsigned bx, unsigned by, unsigned bz, unsigned shmem,
                              nrn_handle stream, void **params);
nrn_result nrn_cuStreamBeginCapture(nrn_handle stream, int mode);
nrn_result nrn_cuStreamEndCapture(nrn_handle stream, nrn_handle *graph);
nrn_result nrn_cuGraphInstantiate(nrn_handle *exec, nrn_handle graph);
nrn_result nrn_cuGraphLaunch(nrn_handle exec, nrn_handle stream);
nrn_result nrn_cuGraphExecDestroy(nrn_handle exec);
nrn_result nrn_cuGraphDestroy(nrn_handle graph);
const char *nrn_cuErrorName(nrn_result r);
const char *nrn_cuErrorString(nrn_result r);

// cuBLAS (column-major, host pointer mode for alpha and beta).
nrn_result nrn_cublasCreate(nrn_handle *h);
nrn_result nrn_cublasDestroy(nrn_handle h);
nrn_result nrn_cublasSetStream(nrn_handle h, nrn_handle stream);
nrn_result nrn_cublasSetMathMode(nrn_handle h, int mode);
nrn_result nrn_cublasSetWorkspace(nrn_handle h, nrn_dptr ws, size_t bytes);
nrn_result nrn_cublasSgemm(nrn_handle h, int ta, int tb, int m, int n, int k, float alpha,
                           nrn_dptr a, int lda, nrn_dptr b, int ldb, float beta,
                           nrn_dptr c, int ldc);
nrn_result nrn_cublasSgemmStridedBatched(nrn_handle h, int ta, int tb, int m, int n, int k, float alpha,
                                         nrn_dptr a, int lda, long long sa, nrn_dptr b, int ldb,
                                         long long sb, float beta, nrn_dptr c, int ldc, long long sc,
                                         int batch);
nrn_result nrn_cublasSgemv(nrn_handle h, int trans, int m, int n, float alpha, nrn_dptr a,
                           int lda, nrn_dptr x, int incx, float beta, nrn_dptr y, int incy);
const char *nrn_cublasStatusString(nrn_result r);
// cublasGetProperty (MAJOR_VERSION 0, MINOR_VERSION 1, PATCH_LEVEL 2);
// CUBLAS_STATUS_NOT_SUPPORTED if the library lacks it.
nrn_result nrn_cublasGetProperty(int which, int *v);

// NVRTC.
nrn_result nrn_nvrtcVersion(int *major, int *minor);
nrn_result nrn_nvrtcCreateProgram(nrn_handle *prog, const char *src, const char *name);
nrn_result nrn_nvrtcCompileProgram(nrn_handle prog, int n, const char **options);
nrn_result nrn_nvrtcGetProgramLogSize(nrn_handle prog, size_t *n);
nrn_result nrn_nvrtcGetProgramLog(nrn_handle prog, char *log);
nrn_result nrn_nvrtcGetPTXSize(nrn_handle prog, size_t *n);
nrn_result nrn_nvrtcGetPTX(nrn_handle prog, char *ptx);
int nrn_nvrtcHasCUBIN(void); // nonzero if the library has nvrtcGetCUBIN (NVRTC 11.1 on)
nrn_result nrn_nvrtcGetCUBINSize(nrn_handle prog, size_t *n);
nrn_result nrn_nvrtcGetCUBIN(nrn_handle prog, char *cubin);
nrn_result nrn_nvrtcDestroyProgram(nrn_handle *prog);
nrn_result nrn_nvrtcSupportedArchs(int *archs, int *n); // -1 if the library lacks it
const char *nrn_nvrtcErrorString(nrn_result r);

#endif
