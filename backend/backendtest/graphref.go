package backendtest

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/gradcheck"
	"github.com/neurone-dl/neurone/ops"
)

// againstReference compares a backend with m's graph evaluated in float64
// by the plain executor gradcheck.EvalMode (whose ops are checked by finite
// differences): loss, output and gradients in Evaluate, where dropout is
// the identity, then two training steps, where it masks with the step's
// mask, by the parameters after each SGD update and the state the step
// updates (m.Updates: batch normalisation's running statistics). batch(seed)
// draws the inputs and targets of a batch; dropout says that m has
// dropout, which the test then makes sure changes the training loss.
func againstReference(t *testing.T, b backend.Backend, m *graph.Model, obj *graph.Objective,
	batch func(seed uint64) (x, y []float32), dropout bool) {
	const lr = 0.1
	spec := backend.TrainSpec(m, obj, optim.NewSGD(lr))
	spec.Outputs = append(spec.Outputs, obj.Grads...)
	prog, err := b.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	x, y := batch(11)
	evaluationAgainstReference(t, prog, spec, m, obj, x, y)
	for step := 1; step <= 2; step++ {
		x, y := batch(uint64(20 + step))
		trainingAgainstReference(t, prog, spec, m, obj, x, y, step, lr, dropout)
	}
}

// reference evaluates targets in float64 with gradcheck.EvalMode on a copy
// of the part of their graph they depend on, the fed inputs taking the
// values in feeds and every other leaf its node's current value.
func reference(targets []*G.Node, feeds map[*G.Node][]float32, mode ops.Mode) ([][]float64, error) {
	g := G.NewGraph()
	copies := map[*G.Node]*G.Node{}
	var clone func(n *G.Node) (*G.Node, error)
	clone = func(n *G.Node) (*G.Node, error) {
		if c, ok := copies[n]; ok {
			return c, nil
		}
		children := n.Graph().From(n.ID())
		var kids []*G.Node
		for children.Next() {
			k, err := clone(children.Node().(*G.Node))
			if err != nil {
				return nil, err
			}
			kids = append(kids, k)
		}
		var c *G.Node
		var err error
		if len(kids) > 0 {
			c, err = G.ApplyOp(n.Op(), kids...)
		} else {
			c, err = leaf64(g, n, feeds[n])
		}
		if err != nil {
			return nil, fmt.Errorf("backendtest: copying %s: %w", n.Name(), err)
		}
		copies[n] = c
		return c, nil
	}
	var nodes []*G.Node
	for _, t := range targets {
		c, err := clone(t)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, c)
	}
	vals, err := gradcheck.EvalMode(nodes, mode)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(vals))
	for i, v := range vals {
		switch v := v.(type) {
		case *G.F64:
			out[i] = []float64{float64(*v)}
		default:
			out[i] = append([]float64(nil), v.Data().([]float64)...)
		}
	}
	return out, nil
}

// leaf64 is a float64 copy of the leaf n in g, holding fed if n is a fed
// input and n's value otherwise.
func leaf64(g *G.ExprGraph, n *G.Node, fed []float32) (*G.Node, error) {
	var data []float64
	switch {
	case fed != nil:
		data = toFloat64(fed)
	case n.Value() == nil:
		return nil, fmt.Errorf("no value")
	default:
		switch v := n.Value().Data().(type) {
		case []float32:
			data = toFloat64(v)
		case float32:
			data = []float64{float64(v)}
		case float64:
			data = []float64{v}
		default:
			return nil, fmt.Errorf("value of type %T", v)
		}
	}
	if n.IsScalar() {
		return G.NewScalar(g, tensor.Float64, G.WithName(n.Name()), G.WithValue(G.NewF64(data[0]))), nil
	}
	shape := n.Shape().Clone()
	return G.NewTensor(g, tensor.Float64, shape.Dims(), G.WithShape(shape...), G.WithName(n.Name()),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data)))), nil
}

// evaluationAgainstReference checks Evaluate's loss, output and gradients
// on the batch x, y against the reference.
func evaluationAgainstReference(t *testing.T, prog backend.Program, spec backend.Spec, m *graph.Model, obj *graph.Objective,
	x, y []float32) {
	t.Helper()
	targets := append([]*G.Node{obj.Loss, m.Output}, obj.Grads...)
	feeds := map[*G.Node][]float32{m.Input: x, obj.Targets: y}

	want, err := reference(targets, feeds, ops.Mode{})
	if err != nil {
		t.Fatal(err)
	}
	outs := make([][]float32, len(spec.Outputs))
	for i, o := range spec.Outputs {
		outs[i] = make([]float32, o.Shape().TotalSize())
	}
	loss, err := prog.Evaluate(outs, x, y)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr([]float32{loss}, want[0]); e > ForwardTol {
		t.Errorf("evaluation loss %v, reference %v", loss, want[0][0])
	}
	for i := range spec.Outputs {
		tol, what := GradTol, "gradient of "+obj.Params[max(i-1, 0)].Name()
		if i == 0 {
			tol, what = ForwardTol, "output"
		}
		if e := relErr(outs[i], want[i+1]); e > tol {
			t.Errorf("evaluation %s: relative error %.2g", what, e)
		}
	}
}

// trainingAgainstReference checks training step step on the batch x, y:
// its loss against the reference with that step's dropout mask (which
// must change the loss, if dropout), the parameters after the SGD update
// with learning rate lr, and the updated state.
func trainingAgainstReference(t *testing.T, prog backend.Program, spec backend.Spec, m *graph.Model, obj *graph.Objective,
	x, y []float32, step int, lr float64, dropout bool) {
	t.Helper()
	feeds := map[*G.Node][]float32{m.Input: x, obj.Targets: y}
	targets := append([]*G.Node{obj.Loss}, obj.Grads...)
	for _, u := range spec.Updates {
		targets = append(targets, u.Value)
	}
	ref, err := reference(targets, feeds, ops.Mode{Train: true, Step: uint64(step)})
	if err != nil {
		t.Fatal(err)
	}
	inference, err := reference([]*G.Node{obj.Loss}, feeds, ops.Mode{})
	if err != nil {
		t.Fatal(err)
	}
	if dropout && math.Abs(ref[0][0]-inference[0][0]) < 1e-6 {
		t.Fatalf("step %d: dropout changes nothing in the reference, so the test cannot see it", step)
	}
	before := make([][]float64, len(obj.Params))
	for i, p := range obj.Params {
		before[i] = toFloat64(p.Value().Data().([]float32))
	}
	loss, err := prog.Train(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr([]float32{loss}, ref[0]); e > ForwardTol {
		t.Errorf("training step %d: loss %v, reference with that step's dropout mask %v (without dropout %v)", step, loss, ref[0][0], inference[0][0])
	}
	if err := prog.Sync(); err != nil {
		t.Fatal(err)
	}
	for i, p := range obj.Params {
		exp := make([]float64, len(before[i]))
		for k := range exp {
			exp[k] = before[i][k] - lr*ref[i+1][k]
		}
		if e := relErr(p.Value().Data().([]float32), exp); e > ForwardTol {
			t.Errorf("training step %d: %s after the SGD update: relative error %.2g", step, p.Name(), e)
		}
	}
	for i, u := range spec.Updates {
		if e := relErr(u.Buffer.Value().Data().([]float32), ref[1+len(obj.Grads)+i]); e > ForwardTol {
			t.Errorf("training step %d: %s after the step: relative error %.2g", step, u.Buffer.Name(), e)
		}
	}
}
