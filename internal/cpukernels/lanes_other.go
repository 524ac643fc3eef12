//go:build !amd64 || purego

package cpukernels

// Without the AVX kernels (lanes_amd64.s), the Go loops do all the work.

var haveAVX, haveAVX2, haveAVX512 = false, false, false

func sumLanes(x []float32, _ *[lanes]float64) []float32 { return x }

func sumSquaredDevLanes(x []float32, _ float64, _ *[lanes]float64) []float32 { return x }

func sumGradDevLanes(dy, x []float32, _ float64, _ *[2 * lanes]float64) ([]float32, []float32) {
	return dy, x
}

func bnGradX(_, _, _ []float32, _, _, _, _ float64) int { return 0 }

func addLanes(_, _ []float32) int { return 0 }

func reluPoolLanes(_ []float32, _ []uint8, _, _ []float32, _ float32, _, _ float64, _ bool) int {
	return 0
}

func routeLanes(_, _ []float32, _ []uint8, _ int) int { return 0 }

func deinterleave(_, _, _ []float32) int { return 0 }

func sgemm8NNAVX512(_, _ *float32, _ int, _ *float32, _, _, _ int) { panic("no AVX-512 kernels") }

func sgemm3x8NTAVX512(_ *float32, _ int, _ *float32, _ int, _ *float32, _, _ int) {
	panic("no AVX-512 kernels")
}
