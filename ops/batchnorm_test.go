package ops_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/gradcheck"
	"github.com/neurone-dl/neurone/ops"
)

// TestBatchNormValues works a 2×2×1×2 batch (2 channels of 4 values) by
// hand: training normalises each channel with its own statistics,
// inference with the running ones, and the running statistics move by
// the momentum towards the batch's mean and unbiased variance.
func TestBatchNormValues(t *testing.T) {
	t.Parallel()
	// Channel 0: 1, 3, 5, 7 (mean 4, variance 5); channel 1: 2, 2, 2, 6
	// (mean 3, variance 3).
	x := []float64{1, 3, 2, 2, 5, 7, 2, 6}
	g := G.NewGraph()
	vec := func(name string, v ...float64) *G.Node {
		return G.NewVector(g, G.Float64, G.WithShape(2), G.WithName(name), G.WithValue(tensor.New(tensor.WithBacking(v))))
	}
	xn := G.NewTensor(g, G.Float64, 4, G.WithShape(2, 2, 1, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2, 1, 2), tensor.WithBacking(x))))
	gamma, beta := vec("gamma", 2, 1), vec("beta", 0, -1)
	rmean, rvar := vec("mean", 1, 0), vec("var", 4, 1)
	stats, err := ops.BatchNormStats(xn)
	if err != nil {
		t.Fatal(err)
	}
	y, err := ops.BatchNorm(xn, stats, gamma, beta, rmean, rvar, 1e-12)
	if err != nil {
		t.Fatal(err)
	}
	newMean, err := ops.BatchNormRunning(xn, stats, rmean, 0.1, false)
	if err != nil {
		t.Fatal(err)
	}
	newVar, err := ops.BatchNormRunning(xn, stats, rvar, 0.1, true)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got []float64, want ...float64) {
		t.Helper()
		for i, w := range want {
			if !scalar.EqualWithinAbs(got[i], w, 1e-5) {
				t.Errorf("%s = %v, want %v", what, got, want)
				return
			}
		}
	}
	train, err := gradcheck.EvalMode([]*G.Node{y, newMean, newVar}, ops.Mode{Train: true, Step: 1})
	if err != nil {
		t.Fatal(err)
	}
	s0, s1 := 2/math.Sqrt(5), 1/math.Sqrt(3)
	check("training output", train[0].Data().([]float64), -3*s0, -1*s0, -1*s1-1, -1*s1-1, 1*s0, 3*s0, -1*s1-1, 3*s1-1)
	check("running mean", train[1].Data().([]float64), 0.9*1+0.1*4, 0.9*0+0.1*3)
	check("running variance", train[2].Data().([]float64), 0.9*4+0.1*5*4/3, 0.9*1+0.1*3*4/3)
	infer, err := gradcheck.Eval([]*G.Node{y})
	if err != nil {
		t.Fatal(err)
	}
	check("inference output", infer[0].Data().([]float64), 0, 2, 1, 1, 4, 6, 1, 5)
}
