// The C side of package nccldl: NCCL's entry points, looked up with
// dlopen/dlsym at run time, and one small wrapper per entry point for Go
// to call. No NCCL header is needed: communicators and streams are opaque
// pointers, device addresses 64-bit integers, results ints, and the
// unique id 128 bytes (NCCL_UNIQUE_ID_BYTES).

#ifndef NEURONE_NCCLDL_H
#define NEURONE_NCCLDL_H

#include <stdint.h>
#include <stddef.h>

#define NRN_NCCL_ID_BYTES 128

typedef struct {
	char internal[NRN_NCCL_ID_BYTES];
} nrn_nccl_id;

const char *nrn_nccl_load(const char *path);
const char *nrn_nccl_path(void);

int nrn_ncclGetVersion(int *version);
int nrn_ncclGetUniqueId(nrn_nccl_id *id);
int nrn_ncclCommInitRank(void **comm, int nranks, const nrn_nccl_id *id, int rank);
// nrn_ncclAllReduce reduces count floats in place at buf (ncclFloat32)
// with op (ncclSum 0, ncclAvg 4) on stream.
int nrn_ncclAllReduce(uint64_t buf, size_t count, int op, void *comm, void *stream);
int nrn_ncclBroadcast(uint64_t buf, size_t count, int root, void *comm, void *stream);
int nrn_ncclGroupStart(void);
int nrn_ncclGroupEnd(void);
int nrn_ncclCommDestroy(void *comm);
int nrn_ncclCommAbort(void *comm);
int nrn_ncclCommGetAsyncError(void *comm, int *result);
const char *nrn_ncclGetErrorString(int result);

#endif
