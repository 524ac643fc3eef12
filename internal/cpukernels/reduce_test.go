package cpukernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The four-way reductions agree with a plain float64 loop at every length
// around the unrolling's multiple, the tail included, to within the
// rounding of a different order of addition.
func TestReductionsMatchPlainLoops(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 1001} {
		x, dy := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], dy[i] = float32(rng.NormFloat64()+3), float32(rng.NormFloat64())
		}
		const mean = 2.75
		var s, sq, sdy, sdyd, scale float64
		for i := range x {
			s += float64(x[i])
			sq += (float64(x[i]) - mean) * (float64(x[i]) - mean)
			sdy += float64(dy[i])
			sdyd += float64(dy[i]) * (float64(x[i]) - mean)
			scale += math.Abs(float64(x[i])) + math.Abs(float64(dy[i]))*math.Abs(float64(x[i])-mean)
		}
		tol := 1e-14 * (scale + 1)
		a, b := SumGradDev(dy, x, mean)
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"sum", Sum(x), s}, {"sum of squared deviations", SumSquaredDev(x, mean), sq},
			{"Σdy", a, sdy}, {"Σdy·(x−mean)", b, sdyd}} {
			if !(math.Abs(c.got-c.want) <= tol) {
				t.Errorf("n=%d: %s %v, plain loop %v", n, c.name, c.got, c.want)
			}
		}
	}
}

// BatchNormStats combines the runs' moments without cancellation: on
// float64 values far from zero (mean 10⁴, spread 1; E[x²] − μ² would be
// off by about 10⁻⁸), in layouts of runs of one value (N×C features) to
// whole maps, its mean and variance agree with a two-pass reference; and
// RunStats of a single value takes a shortcut with Sum's and
// SumSquaredDev's very bits.
func TestBatchNormStatsAccurate(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, g := range []Channels{{N: 64, C: 5, Inner: 1}, {N: 3, C: 2, Inner: 17}, {N: 8, C: 4, Inner: 625}} {
		x := make([]float64, g.N*g.C*g.Inner)
		for i := range x {
			x[i] = 1e4 + rng.NormFloat64()
		}
		got := make([]float64, 2*g.C)
		BatchNormStats(g, got, x)
		for c := range g.C {
			var s, q float64
			g.each(c, func(lo, hi int) {
				for _, v := range x[lo:hi] {
					s += v
				}
			})
			mean := s / float64(g.count())
			g.each(c, func(lo, hi int) {
				for _, v := range x[lo:hi] {
					q += (v - mean) * (v - mean)
				}
			})
			variance := q / float64(g.count())
			if math.Abs(got[c]-mean) > 1e-14*mean || math.Abs(got[g.C+c]-variance) > 1e-10*variance {
				t.Errorf("%+v channel %d: mean %v, variance %v; want %v, %v", g, c, got[c], got[g.C+c], mean, variance)
			}
		}
	}
	for _, v := range []float32{0, float32(math.Copysign(0, -1)), 1.5, float32(math.Inf(-1)), nan()} {
		s, q := RunStats([]float32{v})
		ws := Sum([]float32{v})
		wq := SumSquaredDev([]float32{v}, ws)
		if math.Float64bits(s) != math.Float64bits(ws) || math.Float64bits(q) != math.Float64bits(wq) {
			t.Errorf("RunStats(%v) = %v, %v; want %v, %v", v, s, q, ws, wq)
		}
	}
}
