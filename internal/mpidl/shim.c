#define _GNU_SOURCE // dladdr
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "shim.h"

typedef void *handle;

static void *lib;
static char lib_err[512];
static int (*p_Initialized)(int *);
static int (*p_Init_thread)(int *, char ***, int, int *);
static int (*p_Finalize)(void);
static int (*p_Comm_set_errhandler)(handle, handle);
static int (*p_Comm_rank)(handle, int *);
static int (*p_Comm_size)(handle, int *);
static int (*p_Allreduce)(const void *, void *, int, handle, handle, handle);
static int (*p_Bcast)(void *, int, handle, int, handle);
static int (*p_Barrier)(handle);
static int (*p_Abort)(handle, int);
static int (*p_Error_string)(int, char *, int *);
static int (*p_Get_library_version)(char *, int *);
static handle comm_world, type_float, type_byte, op_sum, errors_return;

// MPI_IN_PLACE in Open MPI's mpi.h.
#define IN_PLACE ((void *)1)
// MPI_MAX_LIBRARY_VERSION_STRING and MPI_MAX_ERROR_STRING in Open MPI 4.
#define MAX_TEXT 256

struct sym {
	const char *name;
	void **addr;
};

#define SYM(var, name) {name, (void **)&var}

// RTLD_GLOBAL: Open MPI opens its components (transports, the runtime)
// with dlopen, and they look up libmpi's and libopen-pal's symbols in the
// global scope.
const char *nrn_mpi_load(const char *path) {
	if (lib) {
		return NULL;
	}
	void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(lib_err, sizeof lib_err, "%s", e ? e : "dlopen failed");
		return lib_err;
	}
	struct sym syms[] = {
		SYM(p_Initialized, "MPI_Initialized"), SYM(p_Init_thread, "MPI_Init_thread"),
		SYM(p_Finalize, "MPI_Finalize"), SYM(p_Comm_set_errhandler, "MPI_Comm_set_errhandler"),
		SYM(p_Comm_rank, "MPI_Comm_rank"), SYM(p_Comm_size, "MPI_Comm_size"),
		SYM(p_Allreduce, "MPI_Allreduce"), SYM(p_Bcast, "MPI_Bcast"), SYM(p_Barrier, "MPI_Barrier"),
		SYM(p_Abort, "MPI_Abort"), SYM(p_Error_string, "MPI_Error_string"),
		SYM(p_Get_library_version, "MPI_Get_library_version"),
		SYM(comm_world, "ompi_mpi_comm_world"), SYM(type_float, "ompi_mpi_float"),
		SYM(type_byte, "ompi_mpi_byte"), SYM(op_sum, "ompi_mpi_op_sum"),
		SYM(errors_return, "ompi_mpi_errors_return"),
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		*syms[i].addr = dlsym(h, syms[i].name);
		if (!*syms[i].addr) {
			snprintf(lib_err, sizeof lib_err, "%s: symbol %s not found (not Open MPI?)", path, syms[i].name);
			dlclose(h);
			return lib_err;
		}
	}
	lib = h;
	return NULL;
}

const char *nrn_mpi_path(void) {
	Dl_info info;
	if (!lib || !dladdr((void *)p_Init_thread, &info) || !info.dli_fname) {
		return "";
	}
	return info.dli_fname;
}

int nrn_mpi_initialized(int *flag) { return p_Initialized(flag); }
int nrn_mpi_init_thread(int required, int *provided) { return p_Init_thread(NULL, NULL, required, provided); }
int nrn_mpi_finalize(void) { return p_Finalize(); }
int nrn_mpi_set_errors_return(void) { return p_Comm_set_errhandler(comm_world, errors_return); }
int nrn_mpi_rank(int *rank) { return p_Comm_rank(comm_world, rank); }
int nrn_mpi_size(int *size) { return p_Comm_size(comm_world, size); }
int nrn_mpi_allreduce_sum_float(float *buf, int count) {
	return p_Allreduce(IN_PLACE, buf, count, type_float, op_sum, comm_world);
}
int nrn_mpi_bcast_bytes(void *buf, int count, int root) { return p_Bcast(buf, count, type_byte, root, comm_world); }
int nrn_mpi_barrier(void) { return p_Barrier(comm_world); }
int nrn_mpi_abort(int code) { return p_Abort(comm_world, code); }

void nrn_mpi_error_string(int code, char *buf, int len) {
	char text[MAX_TEXT + 1];
	int n = 0;
	if (!lib || p_Error_string(code, text, &n) != 0) {
		snprintf(buf, len, "MPI error %d", code);
		return;
	}
	text[n < MAX_TEXT ? n : MAX_TEXT] = 0;
	snprintf(buf, len, "%s", text);
}

void nrn_mpi_version(char *buf, int len) {
	char text[MAX_TEXT + 1];
	int n = 0;
	if (!lib || p_Get_library_version(text, &n) != 0) {
		snprintf(buf, len, "unknown");
		return;
	}
	text[n < MAX_TEXT ? n : MAX_TEXT] = 0;
	snprintf(buf, len, "%s", text);
}
