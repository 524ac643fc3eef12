package cpukernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLanesMatchGo checks that the AVX kernels (lanes_amd64.s) give the Go
// loops' results bit for bit: Sum, SumSquaredDev, SumGradDev, the batch
// normalisation gradient's map and addTo, over lengths 0 to 70 (every tail), at
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
	for i := range base {
		base[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4)))
		other[i] = float32(rng.NormFloat64())
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
	for _, data := range [][]float32{base, special} {
		for off := 0; off < 4; off++ {
			for n := 0; off+n <= 70; n++ {
				x, y := data[off:off+n], other[off:off+n]
				fast := compute(x, y)
				haveAVX = false
				slow := compute(x, y)
				haveAVX = true
				if !same(fast.sum, slow.sum) || !same(fast.sq, slow.sq) || !same(fast.gdA, slow.gdA) || !same(fast.gdB, slow.gdB) {
					t.Fatalf("offset %d, length %d: AVX %+v, Go %+v", off, n, fast, slow)
				}
				for i := range fast.dx {
					if !same32(fast.dx[i], slow.dx[i]) || !same32(fast.added[i], slow.added[i]) {
						t.Fatalf("offset %d, length %d, element %d: dx %v and sum %v by AVX, %v and %v by Go",
							off, n, i, fast.dx[i], fast.added[i], slow.dx[i], slow.added[i])
					}
				}
			}
		}
	}
}

// same32 reports whether a and b have the same bits, or are both NaN.
func same32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}
