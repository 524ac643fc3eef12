package cpukernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLanesMatchGo checks that the AVX kernels (lanes_amd64.s), and the
// AVX-512 ones where the CPU has them, give the Go loops' results bit for
// bit: Sum, SumSquaredDev, SumGradDev, the batch normalisation gradient's
// map and addTo, over lengths 0 to 70 (every tail), at
// every alignment, on values of many magnitudes with NaN and ±Inf among
// them. Where the AVX kernels do not run, both sides are the Go loops and
// the test says so.
func TestLanesMatchGo(t *testing.T) {
	if !haveAVX {
		t.Skip("no AVX kernels here (not amd64, purego, or a CPU without AVX): the Go loops run alone")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	base := make([]float32, 80)
	other := make([]float32, 80)
	// Magnitudes 10⁻⁸ to 10⁸: float32 values further apart than 2²⁹ do
	// not add exactly in float64, so that any change in the order of the
	// additions shows.
	for i := range base {
		base[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(17)-8)))
		other[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(17)-8)))
	}
	special := append([]float32(nil), base...)
	special[5], special[17], special[40] = float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))

	type result struct {
		sum, sq, gdA, gdB float64
		dx, added         []float32
	}
	compute := func(x, y []float32) result {
		var r result
		r.sum = Sum(x)
		r.sq = SumSquaredDev(x, 0.37)
		r.gdA, r.gdB = SumGradDev(y, x, -0.21)
		r.dx = make([]float32, len(x))
		g := Channels{N: 1, C: 1, Inner: len(x)}
		stats := []float32{0.37, 1.9}
		trainChannel(g, 1e-5, 0, r.dx, x, stats, []float32{1.3}, y)
		r.added = append([]float32(nil), y...)
		addTo(r.added, x)
		return r
	}
	same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) || (a != a && b != b) }
	for _, avx512 := range kernelChoices(haveAVX512) {
		restore := setAVX512(avx512)
		for _, data := range [][]float32{base, special} {
			for off := 0; off < 4; off++ {
				for n := 0; off+n <= 70; n++ {
					x, y := data[off:off+n], other[off:off+n]
					fast := compute(x, y)
					haveAVX = false
					slow := compute(x, y)
					haveAVX = true
					if !same(fast.sum, slow.sum) || !same(fast.sq, slow.sq) || !same(fast.gdA, slow.gdA) || !same(fast.gdB, slow.gdB) {
						t.Fatalf("AVX-512 %t, offset %d, length %d: AVX %+v, Go %+v", avx512, off, n, fast, slow)
					}
					for i := range fast.dx {
						if !same32(fast.dx[i], slow.dx[i]) || !same32(fast.added[i], slow.added[i]) {
							t.Fatalf("AVX-512 %t, offset %d, length %d, element %d: dx %v and sum %v by AVX, %v and %v by Go",
								avx512, off, n, i, fast.dx[i], fast.added[i], slow.dx[i], slow.added[i])
						}
					}
				}
			}
		}
		restore()
	}
}

// same32 reports whether a and b have the same bits, or are both NaN.
func same32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// TestReLUPoolLanesMatchGo checks that the AVX2 rows of ReLUPool
// (relupool_amd64.s) pool as the Go loops do, bit for bit and route for
// route: with a bias and with batch normalisation's affine map (on AVX-512
// too where the CPU has it), rows of 1
// to 40 windows, values drawn from few levels so that windows tie (the
// first largest wins), with zeros, -0, negatives, ±Inf and, in some rows,
// NaNs (which leave the row to the Go loop).
func TestReLUPoolLanesMatchGo(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2 kernels here (not amd64, purego, or a CPU without AVX2): the Go loops run alone")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	levels := []float32{0, float32(math.Copysign(0, -1)), -1, 1, 2, 0.5, 3, float32(math.Inf(1)), float32(math.Inf(-1)), 1e-30, -2}
	for w := 1; w <= 40; w++ {
		for trial := range 6 {
			top, bottom := make([]float32, 2*w), make([]float32, 2*w)
			for i := range top {
				top[i], bottom[i] = levels[rng.IntN(len(levels))], levels[rng.IntN(len(levels))]
				if trial%2 == 1 { // continuous values too
					top[i], bottom[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
				}
			}
			if trial >= 4 {
				nan := float32(math.NaN())
				// NaNs off the windows' first elements, which the
				// AVX2 rows pool themselves, then (trial 5) one on it
				// and a window all NaN, which leave the row to Go.
				top[2*rng.IntN(w)+1], bottom[2*rng.IntN(w)], bottom[2*rng.IntN(w)+1] = nan, nan, nan
				if trial == 5 {
					top[2*rng.IntN(w)] = nan
					j := rng.IntN(w)
					top[2*j], top[2*j+1], bottom[2*j], bottom[2*j+1] = nan, nan, nan, nan
				}
			}
			for _, c := range []struct{ bias, avx512 bool }{{true, false}, {false, false}, {false, true}} {
				if c.avx512 && !haveAVX512 {
					continue
				}
				bias := c.bias
				restore := setAVX512(c.avx512)
				pool := func() ([]float32, []uint8) {
					out, route := make([]float32, w), make([]uint8, w)
					if bias {
						reluPoolBiasRow(out, route, top, bottom, -0.5)
					} else {
						reluPoolAffineRow(out, route, top, bottom, 1.7, -0.3)
					}
					return out, route
				}
				fast, fastRoute := pool()
				haveAVX2 = false
				slow, slowRoute := pool()
				haveAVX2 = true
				restore()
				for j := range fast {
					if !same32(fast[j], slow[j]) || fastRoute[j] != slowRoute[j] {
						t.Fatalf("bias %t, AVX-512 %t, %d windows, trial %d, window %d: %v route %d by AVX2, %v route %d by Go",
							bias, c.avx512, w, trial, j, fast[j], fastRoute[j], slow[j], slowRoute[j])
					}
				}
			}
		}
	}
}
