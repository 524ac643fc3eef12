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
