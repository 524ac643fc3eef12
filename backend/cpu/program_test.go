package cpu

import (
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/ops"
)

// TestReshapeAliases checks that flattening (and its gradient, reshaping
// back) costs no copy: the reshape's buffer is its input's memory, and a
// training step leaves it so.
func TestReshapeAliases(t *testing.T) {
	m, obj := backendtest.BinaryCNN(t, graph.DefaultCNNSpec(20, 20, 2))
	p, err := compile(backend.TrainSpec(m, obj, optim.NewSGD(0.1)))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	x := make([]float32, m.Input.Shape().TotalSize())
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	if _, err := p.Train(x, []float32{1, 0}); err != nil {
		t.Fatal(err)
	}
	reshapes := 0
	for _, s := range p.train {
		if _, ok := s.op.(ops.ReshapeOp); ok {
			reshapes++
			if !s.alias || !sameData(p.vals[s.in[0]], p.vals[s.out]) {
				t.Errorf("%v (node %s) does not share its input's memory", s.op, s.node.Name())
			}
		}
	}
	if reshapes != 2 {
		t.Errorf("%d reshapes in the training step, want the flatten and its gradient", reshapes)
	}
}
