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
// kernelPTX) and mirrors the CPU kernels in package ops, which are its
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
	lossSource,
	optimizerSource,
	dropoutSource,
	batchNormSource,
	convSource,
	legacySource,
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
#define FOR_EACH(i, n) \
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += blockDim.x * gridDim.x)

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

// legacySource holds the kernels of the families that have no file of
// their own yet.
const legacySource = `
// pool_argmax is the index in a plane of the first largest element of the
// window at output (i, j); NaNs are passed over unless the whole window is
// NaN, as ops.MaxPool2DOp.
__device__ int pool_argmax(const float *plane, int i, int j, int W, int KH, int KW, int SH, int SW) {
	int top = (i * SH) * W + j * SW, best = top;
	for (int p = 0; p < KH; p++) {
		for (int q = 0; q < KW; q++) {
			int k = top + p * W + q;
			float v = plane[k], m = plane[best];
			if (v > m || (m != m && v == v)) best = k;
		}
	}
	return best;
}

#define POOL_PARAMS int H, int W, int KH, int KW, int SH, int SW, int OH, int OW

// maxpool: total = planes·OH·OW outputs.
extern "C" __global__ void maxpool(float *y, const float *x, int total, POOL_PARAMS) {
	FOR_EACH(t, total) {
		int j = t % OW, i = (t / OW) % OH, plane = t / (OW * OH);
		const float *xp = x + (long long)plane * H * W;
		y[t] = xp[pool_argmax(xp, i, j, W, KH, KW, SH, SW)];
	}
}

// maxpool_backward routes each window's gradient to its maximum: one thread
// per input element adds dy of the windows whose maximum it is, in a fixed
// order. total = planes·H·W.
extern "C" __global__ void maxpool_backward(float *dx, const float *x, const float *dy, int total, POOL_PARAMS) {
	FOR_EACH(t, total) {
		int w = t % W, h = (t / W) % H, plane = t / (W * H);
		const float *xp = x + (long long)plane * H * W;
		const float *dp = dy + (long long)plane * OH * OW;
		int i0 = h >= KH ? (h - KH) / SH + 1 : 0, j0 = w >= KW ? (w - KW) / SW + 1 : 0;
		float s = 0.0f;
		for (int i = i0; i < OH && i * SH <= h; i++) {
			for (int j = j0; j < OW && j * SW <= w; j++) {
				if (pool_argmax(xp, i, j, W, KH, KW, SH, SW) == h * W + w) s += dp[i * OW + j];
			}
		}
		dx[t] = s;
	}
}

// avgpool: total = planes·OH·OW outputs, each its window's sum in
// row-major order times 1/(KH·KW), as ops.AvgPool2DOp.
extern "C" __global__ void avgpool(float *y, const float *x, int total, POOL_PARAMS) {
	float scale = 1.0f / (KH * KW);
	FOR_EACH(t, total) {
		int j = t % OW, i = (t / OW) % OH, plane = t / (OW * OH);
		const float *xp = x + (long long)plane * H * W + (i * SH) * W + j * SW;
		float s = 0.0f;
		for (int p = 0; p < KH; p++) {
			for (int q = 0; q < KW; q++) s += xp[p * W + q];
		}
		y[t] = s * scale;
	}
}

// avgpool_backward gives each input element the gradients of the windows
// that hold it, each times 1/(KH·KW): one thread per input element, adding
// in a fixed order. total = planes·H·W.
extern "C" __global__ void avgpool_backward(float *dx, const float *dy, int total, POOL_PARAMS) {
	float scale = 1.0f / (KH * KW);
	FOR_EACH(t, total) {
		int w = t % W, h = (t / W) % H, plane = t / (W * H);
		const float *dp = dy + (long long)plane * OH * OW;
		int i0 = h >= KH ? (h - KH) / SH + 1 : 0, j0 = w >= KW ? (w - KW) / SW + 1 : 0;
		float s = 0.0f;
		for (int i = i0; i < OH && i * SH <= h; i++) {
			for (int j = j0; j < OW && j * SW <= w; j++) s += dp[i * OW + j] * scale;
		}
		dx[t] = s;
	}
}

`
