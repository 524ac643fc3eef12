#define _GNU_SOURCE // dladdr
#include <dlfcn.h>
#include <stdio.h>
#include "shim.h"

static void *lib;
static char lib_err[512];
static int (*p_GetVersion)(int *);
static int (*p_GetUniqueId)(nrn_nccl_id *);
static int (*p_CommInitRank)(void **, int, nrn_nccl_id, int);
static int (*p_AllReduce)(const void *, void *, size_t, int, int, void *, void *);
static int (*p_Broadcast)(const void *, void *, size_t, int, int, void *, void *);
static int (*p_GroupStart)(void);
static int (*p_GroupEnd)(void);
static int (*p_CommDestroy)(void *);
static int (*p_CommAbort)(void *);
static int (*p_CommGetAsyncError)(void *, int *);
static const char *(*p_GetErrorString)(int);

// ncclFloat32 in nccl.h.
#define NCCL_FLOAT32 7

struct sym {
	const char *name;
	void **addr;
};

#define SYM(var, name) {name, (void **)&var}

const char *nrn_nccl_load(const char *path) {
	if (lib) {
		return NULL;
	}
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(lib_err, sizeof lib_err, "%s", e ? e : "dlopen failed");
		return lib_err;
	}
	struct sym syms[] = {
		SYM(p_GetVersion, "ncclGetVersion"), SYM(p_GetUniqueId, "ncclGetUniqueId"),
		SYM(p_CommInitRank, "ncclCommInitRank"), SYM(p_AllReduce, "ncclAllReduce"),
		SYM(p_Broadcast, "ncclBroadcast"), SYM(p_GroupStart, "ncclGroupStart"),
		SYM(p_GroupEnd, "ncclGroupEnd"), SYM(p_CommDestroy, "ncclCommDestroy"),
		SYM(p_CommAbort, "ncclCommAbort"), SYM(p_CommGetAsyncError, "ncclCommGetAsyncError"),
		SYM(p_GetErrorString, "ncclGetErrorString"),
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		*syms[i].addr = dlsym(h, syms[i].name);
		if (!*syms[i].addr) {
			snprintf(lib_err, sizeof lib_err, "%s: symbol %s not found", path, syms[i].name);
			dlclose(h);
			return lib_err;
		}
	}
	lib = h;
	return NULL;
}

const char *nrn_nccl_path(void) {
	Dl_info info;
	if (!lib || !dladdr((void *)p_GetVersion, &info) || !info.dli_fname) {
		return "";
	}
	return info.dli_fname;
}

int nrn_ncclGetVersion(int *version) { return p_GetVersion(version); }
int nrn_ncclGetUniqueId(nrn_nccl_id *id) { return p_GetUniqueId(id); }
int nrn_ncclCommInitRank(void **comm, int nranks, const nrn_nccl_id *id, int rank) {
	return p_CommInitRank(comm, nranks, *id, rank);
}
int nrn_ncclAllReduce(uint64_t buf, size_t count, int op, void *comm, void *stream) {
	return p_AllReduce((const void *)buf, (void *)buf, count, NCCL_FLOAT32, op, comm, stream);
}
int nrn_ncclBroadcast(uint64_t buf, size_t count, int root, void *comm, void *stream) {
	return p_Broadcast((const void *)buf, (void *)buf, count, NCCL_FLOAT32, root, comm, stream);
}
int nrn_ncclGroupStart(void) { return p_GroupStart(); }
int nrn_ncclGroupEnd(void) { return p_GroupEnd(); }
int nrn_ncclCommDestroy(void *comm) { return p_CommDestroy(comm); }
int nrn_ncclCommAbort(void *comm) { return p_CommAbort(comm); }
int nrn_ncclCommGetAsyncError(void *comm, int *result) { return p_CommGetAsyncError(comm, result); }
const char *nrn_ncclGetErrorString(int result) { return p_GetErrorString ? p_GetErrorString(result) : "NCCL not loaded"; }
