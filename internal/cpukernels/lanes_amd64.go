//go:build !purego

package cpukernels

import "golang.org/x/sys/cpu"

// haveAVX says whether the AVX kernels of lanes_amd64.s run here: the CPU
// has AVX and the system saves its registers (cpu.X86.HasAVX checks both).
var haveAVX = cpu.X86.HasAVX

// haveAVX2 says whether the AVX2 kernels of relupool_amd64.s run here.
var haveAVX2 = cpu.X86.HasAVX2

//go:noescape
func sumLanesAVX(x *float32, n int, acc *[lanes]float64)

//go:noescape
func sumSquaredDevLanesAVX(x *float32, n int, mean float64, acc *[lanes]float64)

//go:noescape
func sumGradDevLanesAVX(dy, x *float32, n int, mean float64, acc *[2 * lanes]float64)

//go:noescape
func bnGradXAVX(out, x, dy *float32, n int, c *[4]float64)

//go:noescape
func addAVX(dst, src *float32, n int)

//go:noescape
func sumLanesAVX512(x *float32, n int, acc *[lanes]float64)

//go:noescape
func sumSquaredDevLanesAVX512(x *float32, n int, mean float64, acc *[lanes]float64)

//go:noescape
func sumGradDevLanesAVX512(dy, x *float32, n int, mean float64, acc *[2 * lanes]float64)

//go:noescape
func bnGradXAVX512(out, x, dy *float32, n int, c *[4]float64)

// sumLanes adds the elements of x up to a multiple of lanes into acc, as
// Sum's loop does, and returns the rest.
func sumLanes(x []float32, acc *[lanes]float64) []float32 {
	n := len(x) &^ (lanes - 1)
	switch {
	case n == 0 || !haveAVX:
		return x
	case haveAVX512:
		sumLanesAVX512(&x[0], n, acc)
	default:
		sumLanesAVX(&x[0], n, acc)
	}
	return x[n:]
}

// sumSquaredDevLanes is sumLanes for SumSquaredDev.
func sumSquaredDevLanes(x []float32, mean float64, acc *[lanes]float64) []float32 {
	n := len(x) &^ (lanes - 1)
	switch {
	case n == 0 || !haveAVX:
		return x
	case haveAVX512:
		sumSquaredDevLanesAVX512(&x[0], n, mean, acc)
	default:
		sumSquaredDevLanesAVX(&x[0], n, mean, acc)
	}
	return x[n:]
}

// sumGradDevLanes is sumLanes for SumGradDev: acc[:lanes] the lanes of
// Σdy, acc[lanes:] those of Σdy·(x − mean); x is at least as long as dy.
func sumGradDevLanes(dy, x []float32, mean float64, acc *[2 * lanes]float64) ([]float32, []float32) {
	n := len(dy) &^ (lanes - 1)
	if !haveAVX || n == 0 {
		return dy, x
	}
	x = x[:len(dy)]
	if haveAVX512 {
		sumGradDevLanesAVX512(&dy[0], &x[0], n, mean, acc)
	} else {
		sumGradDevLanesAVX(&dy[0], &x[0], n, mean, acc)
	}
	return dy[n:], x[n:]
}

// bnGradX writes out[i] = float32(k·((dy[i] − a) − (x[i] − mean)·b)) up to
// a multiple of 4 and returns how many it wrote; x and dy are at least as
// long as out.
func bnGradX(out, x, dy []float32, k, a, b, mean float64) int {
	n := len(out) &^ 3
	if !haveAVX || n == 0 {
		return 0
	}
	x, dy = x[:len(out)], dy[:len(out)]
	c := &[4]float64{k, a, b, mean}
	done := 0
	if haveAVX512 {
		done = len(out) &^ 15
		if done > 0 {
			bnGradXAVX512(&out[0], &x[0], &dy[0], done, c)
		}
	}
	if done < n {
		bnGradXAVX(&out[done], &x[done], &dy[done], n-done, c)
	}
	return n
}

// addLanes adds src to dst up to a multiple of 8 elements and returns how
// many it added; src is at least as long as dst.
func addLanes(dst, src []float32) int {
	n := len(dst) &^ 7
	if !haveAVX || n == 0 {
		return 0
	}
	src = src[:len(dst)]
	addAVX(&dst[0], &src[0], n)
	return n
}

//go:noescape
func reluPoolBiasAVX2(out *float32, route *uint8, top, bottom *float32, n int, b float32) (nan bool)

//go:noescape
func reluPoolAffineAVX2(out *float32, route *uint8, top, bottom *float32, n int, scale, shift float64) (nan bool)

// reluPoolLanes pools the windows of a row up to a multiple of 8 as
// reluPoolBiasRow (bias: z = x + b) or reluPoolAffineRow (z = x·scale +
// shift) does and returns how many it pooled: 0 when a window's first
// element is NaN, whose row the Go loop then pools whole.
func reluPoolLanes(out []float32, route []uint8, top, bottom []float32, b float32, scale, shift float64, bias bool) int {
	n := len(out) &^ 7
	if !haveAVX2 || n == 0 {
		return 0
	}
	route, top, bottom = route[:n], top[:2*n], bottom[:2*n]
	var nan bool
	switch {
	case bias:
		nan = reluPoolBiasAVX2(&out[0], &route[0], &top[0], &bottom[0], n, b)
	case haveAVX512:
		nan = reluPoolAffineAVX512(&out[0], &route[0], &top[0], &bottom[0], n, scale, shift)
	default:
		nan = reluPoolAffineAVX2(&out[0], &route[0], &top[0], &bottom[0], n, scale, shift)
	}
	if nan {
		return 0
	}
	return n
}

//go:noescape
func reluPoolAffineAVX512(out *float32, route *uint8, top, bottom *float32, n int, scale, shift float64) (nan bool)

//go:noescape
func routeAVX2(top, dy *float32, route *uint8, n, w int)

//go:noescape
func deinterleaveAVX2(even, odd, line *float32, n int)

// routeLanes writes the gradients of a row's windows up to a multiple of 8
// as routeRow does (all four elements of each: the routed one and zeros),
// the second line of the windows w elements after top's start, and
// returns how many windows it wrote.
func routeLanes(top, dy []float32, route []uint8, w int) int {
	n := len(dy) &^ 7
	if !haveAVX2 || n == 0 {
		return 0
	}
	_, _ = top[w+2*n-1], route[n-1] // in bounds: the windows' both lines
	routeAVX2(&top[0], &dy[0], &route[0], n, w)
	return n
}

// deinterleave sets even[j] = line[2j] and odd[j] = line[2j+1] up to a
// multiple of 8 of j < len(even) = len(odd), line holding 2·len(even),
// and returns how many it set.
func deinterleave(even, odd, line []float32) int {
	n := len(even) &^ 7
	if !haveAVX2 || n == 0 {
		return 0
	}
	_, _ = odd[n-1], line[2*n-1]
	deinterleaveAVX2(&even[0], &odd[0], &line[0], n)
	return n
}

// haveAVX512 says whether the AVX-512 kernels run here (the matrix
// products of gemm_amd64.s and the float64 reductions of lanes_amd64.s):
// the CPU has AVX-512 F and VL and the system saves the ZMM and mask
// registers (x/sys/cpu checks that too).
var haveAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

//go:noescape
func sgemm8NNAVX512(a, b *float32, ldb int, c *float32, ldc, k, n int)

//go:noescape
func sgemm3x8NTAVX512(a *float32, lda int, b *float32, ldb int, c *float32, ldc, k int)
