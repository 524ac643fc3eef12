package ops_test

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/gradcheck"
	"github.com/neurone-dl/neurone/ops"
)

// matrix64 is a float64 matrix node of g holding data.
func matrix64(g *G.ExprGraph, name string, rows, cols int, data ...float64) *G.Node {
	return G.NewMatrix(g, G.Float64, G.WithShape(rows, cols), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(data))))
}

// TestSoftmaxCrossEntropyValues checks the loss and its gradient against
// −Σ y·log softmax(z) written out, and where that formula overflows.
func TestSoftmaxCrossEntropyValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		z, y []float64 // one row
		loss float64
	}{
		{"uniform logits", []float64{0, 0, 0}, []float64{1, 0, 0}, math.Log(3)},
		{"right and confident", []float64{1000, 0}, []float64{1, 0}, 0},
		{"wrong and confident", []float64{1000, 0}, []float64{0, 1}, 1000},
		{"very negative logits", []float64{-1000, -1001}, []float64{0, 1}, math.Log1p(math.E)},
		{"smoothed target", []float64{2, -1, 0.5}, []float64{0.8, 0.1, 0.1}, math.NaN()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := c.loss
			m := math.Inf(-1)
			for _, v := range c.z {
				m = math.Max(m, v)
			}
			var sum float64
			for _, v := range c.z {
				sum += math.Exp(v - m)
			}
			wantGrad := make([]float64, len(c.z))
			for i, v := range c.z {
				wantGrad[i] = math.Exp(v-m)/sum - c.y[i] // the targets add up to 1
			}
			if math.IsNaN(want) {
				want = 0
				for i, v := range c.z {
					want -= c.y[i] * math.Log(math.Exp(v-m)/sum)
				}
			}
			g := G.NewGraph()
			// Two copies of the row: the loss is a mean over rows.
			z := matrix64(g, "z", 2, len(c.z), append(append([]float64{}, c.z...), c.z...)...)
			y := matrix64(g, "y", 2, len(c.y), append(append([]float64{}, c.y...), c.y...)...)
			loss, grad := lossAndGrad(t, ops.SoftmaxCrossEntropy, z, y)
			if !scalar.EqualWithinAbsOrRel(loss, want, 1e-12, 1e-12) {
				t.Errorf("loss %v, want %v", loss, want)
			}
			for i, w := range wantGrad {
				for r := range 2 {
					if got := grad[r*len(c.z)+i]; !scalar.EqualWithinAbs(got, w/2, 1e-12) {
						t.Errorf("gradient row %d class %d: %v, want %v", r, i, got, w/2)
					}
				}
			}
		})
	}
}

// TestSoftmaxRows checks that every row of a softmax is a distribution, in
// float32 too, with logits that would overflow exp.
func TestSoftmaxRows(t *testing.T) {
	t.Parallel()
	g := G.NewGraph()
	data := []float32{1000, 999, -5, 0, 0, 0, -1e30, 3, 88.8}
	x := G.NewMatrix(g, G.Float32, G.WithShape(3, 3), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(3, 3), tensor.WithBacking(data))))
	y, err := ops.Softmax(x)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := gradcheck.Eval([]*G.Node{y})
	if err != nil {
		t.Fatal(err)
	}
	got := vals[0].Data().([]float32)
	want := []float64{1 / (1 + math.Exp(-1)), math.Exp(-1) / (1 + math.Exp(-1)), 0, 1.0 / 3, 1.0 / 3, 1.0 / 3,
		0, math.Exp(3-88.8) / (1 + math.Exp(3-88.8)), 1 / (1 + math.Exp(3-88.8))}
	for i, w := range want {
		if !scalar.EqualWithinAbs(float64(got[i]), w, 1e-7) {
			t.Errorf("element %d: %v, want %v", i, got[i], w)
		}
	}
}

func TestSoftmaxShapeErrors(t *testing.T) {
	t.Parallel()
	g := G.NewGraph()
	z := G.NewMatrix(g, G.Float64, G.WithShape(4, 3), G.WithName("z"))
	y := G.NewMatrix(g, G.Float64, G.WithShape(4, 2), G.WithName("y"))
	if _, err := ops.SoftmaxCrossEntropy(z, y); !errors.Is(err, ops.ErrShape) {
		t.Errorf("logits 4×3 against targets 4×2: %v, want a shape error", err)
	}
	s := G.NewScalar(g, G.Float64, G.WithName("s"))
	if _, err := ops.Softmax(s); !errors.Is(err, ops.ErrShape) {
		t.Errorf("softmax of a scalar: %v, want a shape error", err)
	}
	if _, err := ops.SoftmaxCrossEntropy(s, s); !errors.Is(err, ops.ErrShape) {
		t.Errorf("cross-entropy of scalars: %v, want a shape error", err)
	}
}
