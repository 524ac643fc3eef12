// Package cpukernels holds the CPU loops of Neurone's ops: the arithmetic
// that package ops runs in its Do methods and that the CPU backend runs
// directly when it fuses or splits the ops' work.
//
// # Overview
//
// Every kernel works on slices of one element type (float32 or float64,
// the Float constraint), never on Gorgonia nodes: ops checks the shapes
// and dtypes, picks the output, and hands the kernel the elements (Slice,
// Float32s) with the layout it checked (Channels, Pool, Conv). Sums are
// added in float64 in a fixed order, and work spread over cores (ForChunks)
// never changes which values are added in which order, so a kernel gives
// the same bits on one core or many, and an executor that calls the very
// loop an op runs (Elementwise, Sum, BatchNormBackward) gets the op's
// result bit for bit.
//
// The kernels are Go, except where a CPU instruction set pays and keeps
// those bits: on amd64 the float64 reductions of float32 data (Sum,
// SumSquaredDev, SumGradDev), batch normalisation's gradient map and a
// convolution's column sums (addTo) run in AVX (lanes_amd64.s), four
// 256-bit registers holding the 16 lanes that the Go loops keep (two
// 512-bit ones with AVX-512), each lane's operations the same and in the
// same order (TestLanesMatchGo); ReLUPool's rows run in AVX2, eight
// windows at a time, a map of rows under 16 windows gathered into one row
// first, batch normalisation's affine map on AVX-512 where there is one
// (relupool_amd64.s, TestReLUPoolLanesMatchGo). The results are the Go
// loops' exactly; no multiply-add is fused on either side. The build tag
// purego, another architecture or a CPU without AVX leaves the Go loops
// alone, and make test runs them so too.
//
// Matrix products are the BLAS's (Gemm), but for a convolution's three
// products in float32 on a CPU with AVX-512 (convgemm.go, gemm_amd64.s:
// TestConvGemmNN, TestConvGemmNT), which would otherwise run on whatever
// kernels the BLAS was held to (the machine's OPENBLAS_CORETYPE, Haswell
// here, gives AVX2's). Their order of summation is fixed too, but it is
// not the BLAS's: as
// between two BLAS kernels, the bits differ, within float32's rounding,
// between a CPU with AVX-512 and one without.
//
// A convolutional block (a convolution, a bias or a batch
// normalisation, ReLU, 2×2 max pooling) also runs image by image in
// cache, forward and backward (convpool.go), so that the convolution's
// output and its gradient need not go to memory; with the same bits as
// the kernels run one by one, where the products are these kernels or
// OpenBLAS's (gonum's products round by their operands' alignment).
//
// The package is internal: its users are ops and backend/cpu.
//
// # Concurrency
//
// Kernels may run their work on several goroutines and return when it is
// done; two kernels may run at once on disjoint outputs.
package cpukernels
