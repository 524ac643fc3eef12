package cuda

import (
	"fmt"
	"regexp"
	"strings"
)

// kernelSource is the CUDA C of every kernel the backend launches besides
// cuBLAS's: a prelude the families share, then each family's, from its
// file, in an order in which each calls only what comes before it. It is
// compiled once per process and device architecture with NVRTC (see
// kernelImage) and mirrors the CPU kernels in package ops, which are its
// reference in the conformance tests.
//
// Element-wise kernels walk their n elements with a grid-stride loop, so any
// grid size is correct; reductions that feed the loss run in one block and
// add in double precision in a fixed order, so a step's loss does not
// depend on the launch.
var kernelSource = strings.Join([]string{
	prelude,
	activationSource,
	biasSource,
	reduceSource,
	softmaxSource,
	stdSoftmaxSource,
	lossSource,
	optimizerSource,
	dropoutSource,
	batchNormSource,
	convSource,
	poolSource,
	elementwiseSource,
	shapeSource,
	axesSource,
	broadcastSource,
}, "")

// kernelNames are the kernels of kernelSource, which the backend looks up.
var kernelNames = kernelsOf(kernelSource)

// kernelsOf returns the names of the kernels that src defines.
func kernelsOf(src string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`extern "C" __global__ void (?:REDUCTION )?(\w+)\(`).FindAllStringSubmatch(src, -1) {
		names = append(names, m[1])
	}
	return names
}

// reduceThreads is REDUCE_THREADS of kernelSource: the threads of a
// reduction's block.
const reduceThreads = 1024

// defines returns a C #define PREFIX_NAME for each of names, its value the
// name's index: constants the CUDA C shares with Go, written from the Go
// ones so that the two cannot disagree.
func defines(prefix string, names []string) string {
	var b strings.Builder
	for i, name := range names {
		fmt.Fprintf(&b, "#define %s_%s %d\n", prefix, name, i)
	}
	return b.String()
}

// prelude is what every family may use: the grid-stride loop, and the sum
// over a reduction's block.
var prelude = fmt.Sprintf(`
// FOR_EACH(i, n) runs the statement after it for each index i < n that
// falls to this thread in a grid-stride loop; FOR_BLOCK(i, n) for those
// of a loop over the block's threads. The index is an int, so that the
// kernels' index arithmetic stays 32-bit (the GPU divides those faster),
// but it never steps past n: near n = 2^31 − 1, the last index plus the
// stride would overflow an int (undefined behaviour; in practice a
// negative index, written out of bounds). The first index and the stride
// are 64-bit, and each step compares the stride with the distance left.
#define STRIDED(i, first, n, stride) \
	for (int i = (first) < (long long)(n) ? (int)(first) : (n); i < (n); \
	     i = (long long)(n) - i > (stride) ? i + (int)(stride) : (n))
#define FOR_EACH(i, n) STRIDED(i, (long long)blockIdx.x * blockDim.x + threadIdx.x, n, (long long)blockDim.x * gridDim.x)
#define FOR_BLOCK(i, n) STRIDED(i, (long long)threadIdx.x, n, (long long)blockDim.x)

// block_sum adds v over the block in double precision; every thread gets
// the total, and may call block_sum again at once. blockDim.x must be
// REDUCE_THREADS (the tests' host build sets it to EMU_REDUCE_THREADS).
#ifndef REDUCE_THREADS
#define REDUCE_THREADS %d
#endif
// REDUCTION marks a reduction kernel: the compiler must fit it in registers
// for blocks of REDUCE_THREADS threads, else the launch would fail.
#define REDUCTION __launch_bounds__(REDUCE_THREADS)
__device__ double block_sum(double v) {
	__shared__ double part[REDUCE_THREADS];
	part[threadIdx.x] = v;
	__syncthreads();
	for (int s = REDUCE_THREADS / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
		__syncthreads();
	}
	double total = part[0];
	__syncthreads(); // before a next call overwrites part
	return total;
}

`, reduceThreads)
