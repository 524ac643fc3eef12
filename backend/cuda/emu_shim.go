//go:build cgo

package cuda

// The C++ around kernelSource in the host build (emu_build.go).

// emuMaxArgs is the most arguments a kernel may take in the host build.
const emuMaxArgs = 32

const emuPrelude = `#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
struct nrn_dim3 { unsigned x, y, z; };
static nrn_dim3 blockIdx, blockDim, gridDim;
static __thread nrn_dim3 threadIdx;
static pthread_barrier_t nrn_sync; // the running block's threads
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static
#define __syncthreads() pthread_barrier_wait(&nrn_sync)
#define REDUCE_THREADS EMU_REDUCE_THREADS
`

const emuMain = `
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif
// The pool: EMU_MAX_THREADS workers wait at nrn_start for a block, the
// first blockDim.x of them run it, and all meet the launcher at nrn_end.
static pthread_barrier_t nrn_start, nrn_end;
static const char *nrn_kernel;
static int nrn_unknown;

static void *nrn_worker(void *arg) {
	unsigned tid = (unsigned)(uintptr_t)arg;
	for (;;) {
		pthread_barrier_wait(&nrn_start);
		if (tid < blockDim.x) {
			threadIdx.x = tid;
			threadIdx.y = threadIdx.z = 0;
			if (dispatch(nrn_kernel)) nrn_unknown = 1;
		}
		pthread_barrier_wait(&nrn_end);
	}
	return NULL;
}

// readArgs reads a launch's arguments: "p OFFSET" (an address in the
// device memory mem, -1 for NULL), "f BITS" or "i VALUE" each.
static int readArgs(char *mem, int narg) {
	for (int a = 0; a < narg; a++) {
		char kind;
		if (scanf(" %c", &kind) != 1) return 0;
		if (kind == 'p') {
			long long off;
			if (scanf("%lld", &off) != 1) return 0;
			ptrs[a] = off < 0 ? NULL : (void *)(mem + off);
		} else if (kind == 'f') {
			unsigned bits;
			if (scanf("%u", &bits) != 1) return 0;
			memcpy(&flts[a], &bits, 4);
		} else {
			unsigned long long v;
			if (scanf("%llu", &v) != 1) return 0;
			ints[a] = v;
		}
	}
	return 1;
}

// main maps the device memory, the file on descriptor 3, argv[1] bytes of
// address space, then runs the launches on its standard input, each
// "NAME GRID BLOCK NARGS" and its arguments, and answers each with a
// newline once it has run. It ends at the end of its input: when its
// parent closes the pipe or dies.
int main(int argc, char **argv) {
	if (argc != 2) { fprintf(stderr, "usage: %s BYTES, with the device memory on descriptor 3\n", argv[0]); return 2; }
	size_t size = strtoull(argv[1], NULL, 10);
	char *mem = (char *)mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, 3, 0);
	if (mem == MAP_FAILED) { perror("mapping the device memory"); return 3; }
	pthread_barrier_init(&nrn_start, NULL, EMU_MAX_THREADS + 1);
	pthread_barrier_init(&nrn_end, NULL, EMU_MAX_THREADS + 1);
	for (uintptr_t t = 0; t < EMU_MAX_THREADS; t++) {
		pthread_t th;
		if (pthread_create(&th, NULL, nrn_worker, (void *)t) != 0) return 3;
	}
	unsigned synced = 0; // the thread count nrn_sync is set up for
	char name[128];
	while (scanf("%127s", name) == 1) {
		unsigned grid, block;
		int narg;
		if (scanf("%u %u %d", &grid, &block, &narg) != 3 || narg < 0 || narg > EMU_MAX_ARGS || !readArgs(mem, narg)) {
			fprintf(stderr, "a malformed launch of %s\n", name);
			return 2;
		}
		gridDim.x = grid; gridDim.y = gridDim.z = 1;
		blockDim.x = block; blockDim.y = blockDim.z = 1;
		if (block < 1 || block > EMU_MAX_THREADS) { fprintf(stderr, "%s: a block of %u threads\n", name, block); return 1; }
		if (block != synced) {
			if (synced) pthread_barrier_destroy(&nrn_sync);
			pthread_barrier_init(&nrn_sync, NULL, block);
			synced = block;
		}
		nrn_kernel = name;
		for (unsigned b = 0; b < grid; b++) {
			blockIdx.x = b; blockIdx.y = blockIdx.z = 0;
			pthread_barrier_wait(&nrn_start);
			pthread_barrier_wait(&nrn_end);
			if (nrn_unknown) { fprintf(stderr, "unknown kernel %s\n", name); return 1; }
		}
		putchar('\n');
		fflush(stdout);
	}
	return 0;
}
`
