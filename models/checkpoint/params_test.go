package checkpoint_test

import (
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/models/checkpoint"
)

func paramNode(g *G.ExprGraph, name string, data []float32, shape ...int) *G.Node {
	return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))))
}

func TestParamsRoundTrip(t *testing.T) {
	t.Parallel()
	g := G.NewGraph()
	w := paramNode(g, "l.weight", []float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := paramNode(g, "l.bias", []float32{7, 8}, 2)
	ts, err := checkpoint.FromParams([]*G.Node{w, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Name != "l.weight" || !slices.Equal(ts[0].Shape, []int{2, 3}) || !slices.Equal(ts[1].Data, []float32{7, 8}) {
		t.Fatalf("FromParams = %+v", ts)
	}

	g2 := G.NewGraph()
	w2 := paramNode(g2, "l.weight", make([]float32, 6), 2, 3)
	b2 := paramNode(g2, "l.bias", make([]float32, 2), 2)
	extra := checkpoint.Tensor{Name: "optimizer.l.bias.0", Shape: []int{2}, Data: []float32{9, 9}}
	if err := checkpoint.ToParams([]*G.Node{w2, b2}, append(ts, extra)); err != nil {
		t.Fatal(err)
	}
	if got := w2.Value().Data().([]float32); !slices.Equal(got, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("weight after ToParams: %v", got)
	}
	if got := b2.Value().Data().([]float32); !slices.Equal(got, []float32{7, 8}) {
		t.Errorf("bias after ToParams: %v", got)
	}
}

// A missing or misshapen tensor is an error naming it, and no parameter
// changes.
func TestToParamsRefusesMismatches(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		ts   []checkpoint.Tensor
		want string
	}{
		{"missing bias", []checkpoint.Tensor{{Name: "l.weight", Shape: []int{2, 3}, Data: make([]float32, 6)}}, "no tensor for parameter l.bias"},
		{"transposed weight", []checkpoint.Tensor{
			{Name: "l.weight", Shape: []int{3, 2}, Data: make([]float32, 6)},
			{Name: "l.bias", Shape: []int{2}, Data: make([]float32, 2)}}, "tensor l.weight has shape [3 2]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := G.NewGraph()
			w := paramNode(g, "l.weight", []float32{1, 1, 1, 1, 1, 1}, 2, 3)
			b := paramNode(g, "l.bias", []float32{1, 1}, 2)
			err := checkpoint.ToParams([]*G.Node{b, w}, c.ts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ToParams = %v, want an error saying %q", err, c.want)
			}
			for _, n := range []*G.Node{w, b} {
				if v := n.Value().Data().([]float32); slices.ContainsFunc(v, func(x float32) bool { return x != 1 }) {
					t.Errorf("%s changed to %v by a failed ToParams", n.Name(), v)
				}
			}
		})
	}
}
