package bench

import (
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/ops"
)

// TestMLP6FLOPs checks the perceptron's FLOP counts three ways: the
// constants, stepFLOPs on the model as built, and the matrix products of
// its graph that a prediction and a training step run, those reachable
// from what each mode computes (the output; the loss, the gradients and
// the updates), as both backends choose what to run.
func TestMLP6FLOPs(t *testing.T) {
	const batch = 2
	m, obj := backendtest.BinaryMLP(t, backendtest.MLP6Spec(batch, 1))
	if forward, train := stepFLOPs(m); forward != MLP6ForwardFLOPs || train != MLP6TrainFLOPs {
		t.Errorf("stepFLOPs: %v forward, %v train; want %v and %v", forward, train, float64(MLP6ForwardFLOPs), float64(MLP6TrainFLOPs))
	}
	spec := backend.TrainSpec(m, obj, optim.NewSGD(0.01))
	train := append([]*G.Node{spec.Loss}, spec.Grads...)
	for _, u := range spec.Updates {
		train = append(train, u.Value)
	}
	for _, tt := range []struct {
		mode    string
		targets []*G.Node
		want    float64
	}{
		{"predict", spec.Outputs, MLP6ForwardFLOPs},
		{"train", train, MLP6TrainFLOPs},
	} {
		if got := matMulFLOPs(tt.targets) / batch; got != tt.want {
			t.Errorf("%s: the graph's products make %v FLOPs per sample, the count says %v", tt.mode, got, tt.want)
		}
	}
}

// matMulFLOPs returns the FLOPs of the matrix products needed to compute
// targets: 2·m·n·k for each.
func matMulFLOPs(targets []*G.Node) float64 {
	seen := map[*G.Node]bool{}
	var flops float64
	var visit func(n *G.Node)
	visit = func(n *G.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		var children []*G.Node // in argument order
		for it := n.Graph().From(n.ID()); it.Next(); {
			children = append(children, it.Node().(*G.Node))
		}
		if op, ok := n.Op().(ops.MatMulOp); ok {
			a := children[0].Shape()
			k := a[1]
			if op.TransA {
				k = a[0]
			}
			flops += 2 * float64(n.Shape().TotalSize()*k)
		}
		for _, c := range children {
			visit(c)
		}
	}
	for _, n := range targets {
		visit(n)
	}
	return flops
}

// The operands of the SGEMM rates hold no zeros, which a BLAS may skip.
func TestNonZero(t *testing.T) {
	for i, x := range nonZero(10000, 3) {
		if x == 0 || x < -1 || x > 1 || x > -0.5 && x < 0.5 {
			t.Fatalf("element %d: %v, want ±[0.5, 1)", i, x)
		}
	}
}
