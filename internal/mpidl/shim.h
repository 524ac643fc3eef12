// The C side of package mpidl: Open MPI's entry points and predefined
// handles, looked up with dlopen/dlsym at run time, and one small wrapper
// per entry point for Go to call.
//
// No MPI header is needed to build: Open MPI's handles (MPI_Comm,
// MPI_Datatype, MPI_Op, MPI_Errhandler) are pointers, and its predefined
// ones (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_ERRORS_RETURN) are the
// addresses of exported globals (ompi_mpi_comm_world, ...), which dlsym
// returns directly.

#ifndef NEURONE_MPIDL_H
#define NEURONE_MPIDL_H

#include <stddef.h>

// nrn_mpi_load opens path and resolves the entry points and predefined
// handles; NULL on success, a message otherwise. Loaded once.
const char *nrn_mpi_load(const char *path);
// nrn_mpi_path is the file the library came from, "" when not loaded.
const char *nrn_mpi_path(void);

int nrn_mpi_initialized(int *flag);
int nrn_mpi_init_thread(int required, int *provided);
int nrn_mpi_finalize(void);
int nrn_mpi_set_errors_return(void);
int nrn_mpi_rank(int *rank);
int nrn_mpi_size(int *size);
int nrn_mpi_allreduce_sum_float(float *buf, int count);
int nrn_mpi_bcast_bytes(void *buf, int count, int root);
int nrn_mpi_barrier(void);
int nrn_mpi_abort(int code);
// nrn_mpi_error_string writes the library's text for code into buf.
void nrn_mpi_error_string(int code, char *buf, int len);
// nrn_mpi_version writes MPI_Get_library_version's text into buf.
void nrn_mpi_version(char *buf, int len);

#endif
