package ops_test

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/gradcheck"
)

func tensorOf(v ...float64) *tensor.Dense {
	return tensor.New(tensor.WithShape(1, len(v)), tensor.WithBacking(v))
}

// lossAndGrad builds loss(z, y) on float64 nodes and returns its value and
// its gradient with respect to z.
func lossAndGrad(t *testing.T, loss func(z, y *G.Node) (*G.Node, error), z, y *G.Node) (float64, []float64) {
	t.Helper()
	l, err := loss(z, y)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(l, z)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := gradcheck.Eval([]*G.Node{l, grads[0]})
	if err != nil {
		t.Fatal(err)
	}
	return float64(*vals[0].(*G.F64)), vals[1].Data().([]float64)
}
