#define _GNU_SOURCE // dladdr
#include <dlfcn.h>
#include <stdio.h>
#include "shim.h"

// A symbol to look up: its name, where its address goes, and whether the
// library is unusable without it.
struct sym {
	const char *name;
	void **addr;
	int required;
};

// load opens path and resolves syms; on failure it returns a message in
// buf (or dlerror's) and leaves *handle NULL.
static const char *load(void **handle, const char *path, struct sym *syms, int n, char *buf, size_t len) {
	if (*handle) {
		return NULL;
	}
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(buf, len, "%s", e ? e : "dlopen failed");
		return buf;
	}
	for (int i = 0; i < n; i++) {
		*syms[i].addr = dlsym(h, syms[i].name);
		if (!*syms[i].addr && syms[i].required) {
			snprintf(buf, len, "%s: symbol %s not found", path, syms[i].name);
			dlclose(h);
			return buf;
		}
	}
	*handle = h;
	return NULL;
}

#define SYM(var, name, req) {name, (void **)&var, req}

// path_of returns the file that symbol sym was loaded from, or "".
static const char *path_of(void *sym) {
	Dl_info info;
	if (!sym || !dladdr(sym, &info) || !info.dli_fname) {
		return "";
	}
	return info.dli_fname;
}

/* ---- driver ---- */

static void *driver;
static char driver_err[512];
static nrn_result (*p_cuInit)(unsigned);
static nrn_result (*p_cuDriverGetVersion)(int *);
static nrn_result (*p_cuDeviceGetCount)(int *);
static nrn_result (*p_cuDeviceGet)(int *, int);
static nrn_result (*p_cuDeviceGetName)(char *, int, int);
static nrn_result (*p_cuDeviceGetAttribute)(int *, int, int);
static nrn_result (*p_cuDevicePrimaryCtxRetain)(nrn_handle *, int);
static nrn_result (*p_cuDevicePrimaryCtxRelease)(int);
static nrn_result (*p_cuCtxSetCurrent)(nrn_handle);
static nrn_result (*p_cuMemGetInfo)(size_t *, size_t *);
static nrn_result (*p_cuMemAlloc)(nrn_dptr *, size_t);
static nrn_result (*p_cuMemFree)(nrn_dptr);
static nrn_result (*p_cuMemcpyHtoDAsync)(nrn_dptr, const void *, size_t, nrn_handle);
static nrn_result (*p_cuMemcpyDtoHAsync)(void *, nrn_dptr, size_t, nrn_handle);
static nrn_result (*p_cuMemcpyDtoDAsync)(nrn_dptr, nrn_dptr, size_t, nrn_handle);
static nrn_result (*p_cuMemsetD32Async)(nrn_dptr, unsigned, size_t, nrn_handle);
static nrn_result (*p_cuStreamCreate)(nrn_handle *, unsigned);
static nrn_result (*p_cuStreamDestroy)(nrn_handle);
static nrn_result (*p_cuStreamSynchronize)(nrn_handle);
static nrn_result (*p_cuModuleLoadData)(nrn_handle *, const void *);
static nrn_result (*p_cuModuleUnload)(nrn_handle);
static nrn_result (*p_cuModuleGetFunction)(nrn_handle *, nrn_handle, const char *);
static nrn_result (*p_cuLaunchKernel)(nrn_handle, unsigned, unsigned, unsigned, unsigned, unsigned,
                                      unsigned, unsigned, nrn_handle, void **, void **);
static nrn_result (*p_cuStreamBeginCapture)(nrn_handle, int);
static nrn_result (*p_cuStreamEndCapture)(nrn_handle, nrn_handle *);
static nrn_result (*p_cuGraphInstantiate)(nrn_handle *, nrn_handle, unsigned long long);
static nrn_result (*p_cuGraphLaunch)(nrn_handle, nrn_handle);
static nrn_result (*p_cuGraphExecDestroy)(nrn_handle);
static nrn_result (*p_cuGraphDestroy)(nrn_handle);
static nrn_result (*p_cuGetErrorName)(nrn_result, const char **);
static nrn_result (*p_cuGetErrorString)(nrn_result, const char **);

// The versioned names (_v2) are the ones cuda.h maps the plain names to
// since CUDA 4 to 11, and which every later driver still exports.
const char *nrn_load_driver(const char *path) {
	struct sym syms[] = {
		SYM(p_cuInit, "cuInit", 1),
		SYM(p_cuDriverGetVersion, "cuDriverGetVersion", 1),
		SYM(p_cuDeviceGetCount, "cuDeviceGetCount", 1),
		SYM(p_cuDeviceGet, "cuDeviceGet", 1),
		SYM(p_cuDeviceGetName, "cuDeviceGetName", 1),
		SYM(p_cuDeviceGetAttribute, "cuDeviceGetAttribute", 1),
		SYM(p_cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", 1),
		SYM(p_cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", 1),
		SYM(p_cuCtxSetCurrent, "cuCtxSetCurrent", 1),
		SYM(p_cuMemGetInfo, "cuMemGetInfo_v2", 1),
		SYM(p_cuMemAlloc, "cuMemAlloc_v2", 1),
		SYM(p_cuMemFree, "cuMemFree_v2", 1),
		SYM(p_cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", 1),
		SYM(p_cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", 1),
		SYM(p_cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2", 1),
		SYM(p_cuMemsetD32Async, "cuMemsetD32Async", 1),
		SYM(p_cuStreamCreate, "cuStreamCreate", 1),
		SYM(p_cuStreamDestroy, "cuStreamDestroy_v2", 1),
		SYM(p_cuStreamSynchronize, "cuStreamSynchronize", 1),
		SYM(p_cuModuleLoadData, "cuModuleLoadData", 1),
		SYM(p_cuModuleUnload, "cuModuleUnload", 1),
		SYM(p_cuModuleGetFunction, "cuModuleGetFunction", 1),
		SYM(p_cuLaunchKernel, "cuLaunchKernel", 1),
		SYM(p_cuStreamBeginCapture, "cuStreamBeginCapture_v2", 0),
		SYM(p_cuStreamEndCapture, "cuStreamEndCapture", 0),
		SYM(p_cuGraphInstantiate, "cuGraphInstantiateWithFlags", 0),
		SYM(p_cuGraphLaunch, "cuGraphLaunch", 0),
		SYM(p_cuGraphExecDestroy, "cuGraphExecDestroy", 0),
		SYM(p_cuGraphDestroy, "cuGraphDestroy", 0),
		SYM(p_cuGetErrorName, "cuGetErrorName", 1),
		SYM(p_cuGetErrorString, "cuGetErrorString", 1),
	};
	return load(&driver, path, syms, sizeof syms / sizeof syms[0], driver_err, sizeof driver_err);
}

// NRN_MISSING is returned for an optional entry point the library lacks
// (CUDA_ERROR_NOT_SUPPORTED).
#define NRN_MISSING 801

const char *nrn_driver_path(void) { return path_of((void *)p_cuInit); }

nrn_result nrn_cuInit(void) { return p_cuInit(0); }
nrn_result nrn_cuDriverGetVersion(int *v) { return p_cuDriverGetVersion(v); }
nrn_result nrn_cuDeviceGetCount(int *n) { return p_cuDeviceGetCount(n); }
nrn_result nrn_cuDeviceGet(int *dev, int ordinal) { return p_cuDeviceGet(dev, ordinal); }
nrn_result nrn_cuDeviceGetName(char *name, int len, int dev) { return p_cuDeviceGetName(name, len, dev); }
nrn_result nrn_cuDeviceGetAttribute(int *v, int attr, int dev) { return p_cuDeviceGetAttribute(v, attr, dev); }
nrn_result nrn_cuDevicePrimaryCtxRetain(nrn_handle *ctx, int dev) { return p_cuDevicePrimaryCtxRetain(ctx, dev); }
nrn_result nrn_cuDevicePrimaryCtxRelease(int dev) { return p_cuDevicePrimaryCtxRelease(dev); }
nrn_result nrn_cuCtxSetCurrent(nrn_handle ctx) { return p_cuCtxSetCurrent(ctx); }
nrn_result nrn_cuMemGetInfo(size_t *f, size_t *t) { return p_cuMemGetInfo(f, t); }
nrn_result nrn_cuMemAlloc(nrn_dptr *p, size_t bytes) { return p_cuMemAlloc(p, bytes); }
nrn_result nrn_cuMemFree(nrn_dptr p) { return p_cuMemFree(p); }
nrn_result nrn_cuMemcpyHtoDAsync(nrn_dptr dst, const void *src, size_t n, nrn_handle s) { return p_cuMemcpyHtoDAsync(dst, src, n, s); }
nrn_result nrn_cuMemcpyDtoHAsync(void *dst, nrn_dptr src, size_t n, nrn_handle s) { return p_cuMemcpyDtoHAsync(dst, src, n, s); }
nrn_result nrn_cuMemcpyDtoDAsync(nrn_dptr dst, nrn_dptr src, size_t n, nrn_handle s) { return p_cuMemcpyDtoDAsync(dst, src, n, s); }
nrn_result nrn_cuMemsetD32Async(nrn_dptr dst, unsigned v, size_t n, nrn_handle s) { return p_cuMemsetD32Async(dst, v, n, s); }
nrn_result nrn_cuStreamCreate(nrn_handle *s, unsigned flags) { return p_cuStreamCreate(s, flags); }
nrn_result nrn_cuStreamDestroy(nrn_handle s) { return p_cuStreamDestroy(s); }
nrn_result nrn_cuStreamSynchronize(nrn_handle s) { return p_cuStreamSynchronize(s); }
nrn_result nrn_cuModuleLoadData(nrn_handle *m, const void *image) { return p_cuModuleLoadData(m, image); }
nrn_result nrn_cuModuleUnload(nrn_handle m) { return p_cuModuleUnload(m); }
nrn_result nrn_cuModuleGetFunction(nrn_handle *f, nrn_handle m, const char *name) { return p_cuModuleGetFunction(f, m, name); }
nrn_result nrn_cuLaunchKernel(nrn_handle f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                              unsigned bz, unsigned shmem, nrn_handle s, void **params) {
	return p_cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shmem, s, params, NULL);
}
nrn_result nrn_cuStreamBeginCapture(nrn_handle s, int mode) {
	return p_cuStreamBeginCapture ? p_cuStreamBeginCapture(s, mode) : NRN_MISSING;
}
nrn_result nrn_cuStreamEndCapture(nrn_handle s, nrn_handle *g) {
	return p_cuStreamEndCapture ? p_cuStreamEndCapture(s, g) : NRN_MISSING;
}
nrn_result nrn_cuGraphInstantiate(nrn_handle *exec, nrn_handle g) {
	return p_cuGraphInstantiate ? p_cuGraphInstantiate(exec, g, 0) : NRN_MISSING;
}
nrn_result nrn_cuGraphLaunch(nrn_handle exec, nrn_handle s) {
	return p_cuGraphLaunch ? p_cuGraphLaunch(exec, s) : NRN_MISSING;
}
nrn_result nrn_cuGraphExecDestroy(nrn_handle exec) {
	return p_cuGraphExecDestroy ? p_cuGraphExecDestroy(exec) : NRN_MISSING;
}
nrn_result nrn_cuGraphDestroy(nrn_handle g) { return p_cuGraphDestroy ? p_cuGraphDestroy(g) : NRN_MISSING; }
const char *nrn_cuErrorName(nrn_result r) {
	const char *s = NULL;
	if (!p_cuGetErrorName || p_cuGetErrorName(r, &s) != 0 || !s) {
		return "";
	}
	return s;
}
const char *nrn_cuErrorString(nrn_result r) {
	const char *s = NULL;
	if (!p_cuGetErrorString || p_cuGetErrorString(r, &s) != 0 || !s) {
		return "";
	}
	return s;
}

/* ---- cuBLAS ---- */

static void *cublas;
static char cublas_err[512];
static nrn_result (*p_cublasCreate)(nrn_handle *);
static nrn_result (*p_cublasDestroy)(nrn_handle);
static nrn_result (*p_cublasSetStream)(nrn_handle, nrn_handle);
static nrn_result (*p_cublasSetMathMode)(nrn_handle, int);
static nrn_result (*p_cublasSetWorkspace)(nrn_handle, void *, size_t);
static nrn_result (*p_cublasSgemm)(nrn_handle, int, int, int, int, int, const float *, const float *, int,
                                   const float *, int, const float *, float *, int);
static nrn_result (*p_cublasSgemmStridedBatched)(nrn_handle, int, int, int, int, int, const float *, const float *,
                                                 int, long long, const float *, int, long long, const float *,
                                                 float *, int, long long, int);
static nrn_result (*p_cublasSgemv)(nrn_handle, int, int, int, const float *, const float *, int, const float *,
                                   int, const float *, float *, int);
static const char *(*p_cublasGetStatusString)(nrn_result);
static nrn_result (*p_cublasGetProperty)(int, int *);

const char *nrn_load_cublas(const char *path) {
	struct sym syms[] = {
		SYM(p_cublasCreate, "cublasCreate_v2", 1),
		SYM(p_cublasDestroy, "cublasDestroy_v2", 1),
		SYM(p_cublasSetStream, "cublasSetStream_v2", 1),
		SYM(p_cublasSetMathMode, "cublasSetMathMode", 1),
		SYM(p_cublasSetWorkspace, "cublasSetWorkspace_v2", 0),
		SYM(p_cublasSgemm, "cublasSgemm_v2", 1),
		SYM(p_cublasSgemmStridedBatched, "cublasSgemmStridedBatched", 1),
		SYM(p_cublasSgemv, "cublasSgemv_v2", 1),
		SYM(p_cublasGetStatusString, "cublasGetStatusString", 0),
		SYM(p_cublasGetProperty, "cublasGetProperty", 0),
	};
	return load(&cublas, path, syms, sizeof syms / sizeof syms[0], cublas_err, sizeof cublas_err);
}

#define CUBLAS_NOT_SUPPORTED 15

const char *nrn_cublas_path(void) { return path_of((void *)p_cublasCreate); }
nrn_result nrn_cublasGetProperty(int which, int *v) {
	return p_cublasGetProperty ? p_cublasGetProperty(which, v) : CUBLAS_NOT_SUPPORTED;
}

nrn_result nrn_cublasCreate(nrn_handle *h) { return p_cublasCreate(h); }
nrn_result nrn_cublasDestroy(nrn_handle h) { return p_cublasDestroy(h); }
nrn_result nrn_cublasSetStream(nrn_handle h, nrn_handle s) { return p_cublasSetStream(h, s); }
nrn_result nrn_cublasSetMathMode(nrn_handle h, int mode) { return p_cublasSetMathMode(h, mode); }
nrn_result nrn_cublasSetWorkspace(nrn_handle h, nrn_dptr ws, size_t bytes) {
	return p_cublasSetWorkspace ? p_cublasSetWorkspace(h, (void *)ws, bytes) : CUBLAS_NOT_SUPPORTED;
}
nrn_result nrn_cublasSgemm(nrn_handle h, int ta, int tb, int m, int n, int k, float alpha, nrn_dptr a, int lda,
                           nrn_dptr b, int ldb, float beta, nrn_dptr c, int ldc) {
	return p_cublasSgemm(h, ta, tb, m, n, k, &alpha, (const float *)a, lda, (const float *)b, ldb, &beta,
	                     (float *)c, ldc);
}
nrn_result nrn_cublasSgemmStridedBatched(nrn_handle h, int ta, int tb, int m, int n, int k, float alpha,
                                         nrn_dptr a, int lda, long long sa, nrn_dptr b, int ldb,
                                         long long sb, float beta, nrn_dptr c, int ldc, long long sc,
                                         int batch) {
	return p_cublasSgemmStridedBatched(h, ta, tb, m, n, k, &alpha, (const float *)a, lda, sa, (const float *)b, ldb,
	                                   sb, &beta, (float *)c, ldc, sc, batch);
}
nrn_result nrn_cublasSgemv(nrn_handle h, int trans, int m, int n, float alpha, nrn_dptr a, int lda, nrn_dptr x,
                           int incx, float beta, nrn_dptr y, int incy) {
	return p_cublasSgemv(h, trans, m, n, &alpha, (const float *)a, lda, (const float *)x, incx, &beta, (float *)y,
	                     incy);
}
const char *nrn_cublasStatusString(nrn_result r) {
	return p_cublasGetStatusString ? p_cublasGetStatusString(r) : "";
}

/* ---- NVRTC ---- */

static void *nvrtc;
static char nvrtc_err[512];
static nrn_result (*p_nvrtcVersion)(int *, int *);
static nrn_result (*p_nvrtcCreateProgram)(nrn_handle *, const char *, const char *, int, const char *const *,
                                          const char *const *);
static nrn_result (*p_nvrtcCompileProgram)(nrn_handle, int, const char *const *);
static nrn_result (*p_nvrtcGetProgramLogSize)(nrn_handle, size_t *);
static nrn_result (*p_nvrtcGetProgramLog)(nrn_handle, char *);
static nrn_result (*p_nvrtcGetPTXSize)(nrn_handle, size_t *);
static nrn_result (*p_nvrtcGetPTX)(nrn_handle, char *);
static nrn_result (*p_nvrtcGetCUBINSize)(nrn_handle, size_t *);
static nrn_result (*p_nvrtcGetCUBIN)(nrn_handle, char *);
static nrn_result (*p_nvrtcDestroyProgram)(nrn_handle *);
static nrn_result (*p_nvrtcGetNumSupportedArchs)(int *);
static nrn_result (*p_nvrtcGetSupportedArchs)(int *);
static const char *(*p_nvrtcGetErrorString)(nrn_result);

const char *nrn_load_nvrtc(const char *path) {
	struct sym syms[] = {
		SYM(p_nvrtcVersion, "nvrtcVersion", 1),
		SYM(p_nvrtcCreateProgram, "nvrtcCreateProgram", 1),
		SYM(p_nvrtcCompileProgram, "nvrtcCompileProgram", 1),
		SYM(p_nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize", 1),
		SYM(p_nvrtcGetProgramLog, "nvrtcGetProgramLog", 1),
		SYM(p_nvrtcGetPTXSize, "nvrtcGetPTXSize", 1),
		SYM(p_nvrtcGetPTX, "nvrtcGetPTX", 1),
		SYM(p_nvrtcGetCUBINSize, "nvrtcGetCUBINSize", 0),
		SYM(p_nvrtcGetCUBIN, "nvrtcGetCUBIN", 0),
		SYM(p_nvrtcDestroyProgram, "nvrtcDestroyProgram", 1),
		SYM(p_nvrtcGetNumSupportedArchs, "nvrtcGetNumSupportedArchs", 0),
		SYM(p_nvrtcGetSupportedArchs, "nvrtcGetSupportedArchs", 0),
		SYM(p_nvrtcGetErrorString, "nvrtcGetErrorString", 1),
	};
	return load(&nvrtc, path, syms, sizeof syms / sizeof syms[0], nvrtc_err, sizeof nvrtc_err);
}

const char *nrn_nvrtc_path(void) { return path_of((void *)p_nvrtcVersion); }

nrn_result nrn_nvrtcVersion(int *major, int *minor) { return p_nvrtcVersion(major, minor); }
nrn_result nrn_nvrtcCreateProgram(nrn_handle *prog, const char *src, const char *name) {
	return p_nvrtcCreateProgram(prog, src, name, 0, NULL, NULL);
}
nrn_result nrn_nvrtcCompileProgram(nrn_handle prog, int n, const char **options) {
	return p_nvrtcCompileProgram(prog, n, (const char *const *)options);
}
nrn_result nrn_nvrtcGetProgramLogSize(nrn_handle prog, size_t *n) { return p_nvrtcGetProgramLogSize(prog, n); }
nrn_result nrn_nvrtcGetProgramLog(nrn_handle prog, char *log) { return p_nvrtcGetProgramLog(prog, log); }
nrn_result nrn_nvrtcGetPTXSize(nrn_handle prog, size_t *n) { return p_nvrtcGetPTXSize(prog, n); }
nrn_result nrn_nvrtcGetPTX(nrn_handle prog, char *ptx) { return p_nvrtcGetPTX(prog, ptx); }
int nrn_nvrtcHasCUBIN(void) { return p_nvrtcGetCUBINSize && p_nvrtcGetCUBIN; }
nrn_result nrn_nvrtcGetCUBINSize(nrn_handle prog, size_t *n) { return p_nvrtcGetCUBINSize(prog, n); }
nrn_result nrn_nvrtcGetCUBIN(nrn_handle prog, char *cubin) { return p_nvrtcGetCUBIN(prog, cubin); }
nrn_result nrn_nvrtcDestroyProgram(nrn_handle *prog) { return p_nvrtcDestroyProgram(prog); }
nrn_result nrn_nvrtcSupportedArchs(int *archs, int *n) {
	if (!p_nvrtcGetNumSupportedArchs || !p_nvrtcGetSupportedArchs) {
		return -1;
	}
	if (!archs) {
		return p_nvrtcGetNumSupportedArchs(n);
	}
	return p_nvrtcGetSupportedArchs(archs);
}
const char *nrn_nvrtcErrorString(nrn_result r) { return p_nvrtcGetErrorString(r); }
