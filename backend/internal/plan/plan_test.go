package plan

import (
	"errors"
	"maps"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/ops"
)

// relu is the activation predicate of the tests' bias+activation fusion.
func relu(n *G.Node) bool {
	_, ok := n.Op().(ops.ReLUOp)
	return ok
}

// musts returns a function that fails t on an error and returns the node.
func musts(t *testing.T) func(*G.Node, error) *G.Node {
	return func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

func weight(g *G.ExprGraph, name string, shape ...int) *G.Node {
	v := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(v))
}

// mlp6 plans the training of the benchmark perceptron at batch.
func mlp6(t *testing.T, batch int, fusions ...*Fusion) *Plan {
	t.Helper()
	spec, _, err := backendtest.MLP6Train(batch, 1, optim.NewSGD(0.01))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(spec, fusions...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Every node comes after its inputs, every step's inputs are leaves or
// computed by an earlier step, and each mode runs what its targets need:
// prediction neither the loss nor the targets, training all but the
// probabilities.
func TestOrderAndModes(t *testing.T) {
	p := mlp6(t, 4)
	seen := map[*G.Node]bool{}
	for _, n := range p.Order {
		for _, c := range p.Inputs(n) {
			if !seen[c] {
				t.Fatalf("%s comes before its input %s", n.Name(), c.Name())
			}
		}
		seen[n] = true
	}
	for m := range Modes {
		computed := map[*G.Node]bool{}
		for _, i := range p.InMode(Mode(m)) {
			s := p.Steps[i]
			for _, c := range s.In {
				if p.Kind(c) == Computed && !computed[c] {
					t.Errorf("%v: %s reads %s before it is computed", Mode(m), s.Node().Name(), c.Name())
				}
			}
			for _, n := range s.Nodes {
				computed[n] = true
			}
		}
	}
	images, targets := p.Spec.Inputs[0], p.Spec.Inputs[1]
	if p.Needs(Predict, p.Spec.Loss) || p.Needs(Predict, targets) || !p.Needs(Predict, images) {
		t.Error("prediction needs the loss or the targets, or not the images")
	}
	output := p.Spec.Outputs[0] // the probabilities: the loss reads the logits
	if p.Needs(Train, output) || len(p.InMode(Train)) != len(p.Steps)-1 {
		t.Errorf("training runs %d of %d steps, the output among them %v: want all but the output's", len(p.InMode(Train)), len(p.Steps), p.Needs(Train, output))
	}
	if p.Kind(images) != Input || p.Kind(p.Spec.Params[0]) != Param || p.Kind(p.Spec.Loss) != Computed {
		t.Error("wrong kinds of values")
	}
}

// In MLP6, the five ReLU layers' bias additions fuse with their ReLU
// (the sigmoid is not an activation of the predicate), each step reading
// the product and the bias and keeping the sum, which ReLU's gradient
// reads.
func TestBiasActivation(t *testing.T) {
	p := mlp6(t, 4, BiasActivation(relu))
	plain := mlp6(t, 4)
	fused := 0
	for _, s := range p.Steps {
		if s.Fusion == nil {
			continue
		}
		fused++
		bias, act := s.Nodes[0], s.Nodes[1]
		if _, ok := bias.Op().(ops.BiasAddOp); !ok || !relu(act) || s.Host != bias || s.Node() != act {
			t.Errorf("fused %v and %v, host %v", bias.Op(), act.Op(), s.Host.Op())
		}
		if !slices.Equal(s.In, p.Inputs(bias)) {
			t.Errorf("fused step reads %v, want the bias addition's inputs", s.In)
		}
		if !p.Kept(bias) || !p.Kept(act) {
			t.Error("the fused values are not kept, though the backward pass reads them")
		}
	}
	if fused != 5 || len(p.Steps) != len(plain.Steps)-5 {
		t.Errorf("%d fused steps, %d steps (unfused %d): want 5 and 5 fewer", fused, len(p.Steps), len(plain.Steps))
	}
}

// A bias addition whose sum a mode reads without the activation does not
// fuse, that mode would compute the activation for nothing, unless the
// fusion is PerMode. One read by nothing but its activation is not kept.
func TestFusionModes(t *testing.T) {
	must := musts(t)
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("x"))
	b, c := weight(g, "b", 3), weight(g, "c", 3)
	h := must(ops.BiasAdd(x, b))
	y := must(ops.ReLU(h))
	k := must(ops.BiasAdd(y, c))
	z := must(ops.ReLU(k))
	loss := must(ops.Sum(z))
	grads, err := graph.Grad(loss, b, c)
	if err != nil {
		t.Fatal(err)
	}
	spec := backend.Spec{Inputs: []*G.Node{x}, Loss: loss, Outputs: []*G.Node{h}, Params: []*G.Node{b, c}, Grads: grads,
		Optimizer: optim.NewSGD(0.1)}
	p, err := New(spec, BiasActivation(relu))
	if err != nil {
		t.Fatal(err)
	}
	var fused []*G.Node
	for _, s := range p.Steps {
		if s.Fusion != nil {
			fused = append(fused, s.Nodes...)
		}
	}
	if len(fused) != 2 || fused[0] != k || fused[1] != z {
		t.Fatalf("fused %v, want the second layer's bias addition and ReLU only", fused)
	}
	perMode := BiasActivation(relu)
	perMode.PerMode = true
	if p, err = New(spec, perMode); err != nil {
		t.Fatal(err)
	}
	first := p.Steps[0]
	if first.Fusion != perMode || first.Node() != y || !slices.Contains(p.InMode(Predict), 0) || p.Needs(Predict, y) {
		t.Errorf("per mode: the first step computes %v, in prediction %v; want the first layer fused, run by prediction, which needs only its sum",
			first.Nodes, slices.Contains(p.InMode(Predict), 0))
	}
	spec.Params, spec.Grads, spec.Loss = nil, nil, nil
	spec.Outputs = []*G.Node{z}
	if p, err = New(spec, BiasActivation(relu)); err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 2 || p.Kept(h) || p.Kept(k) || !p.Kept(z) {
		t.Errorf("prediction alone: %d steps, kept sums %v %v; want 2 steps keeping only the output", len(p.Steps), p.Kept(h), p.Kept(k))
	}
}

// A group runs where its earliest node stood and reads the union of its
// nodes' inputs; one whose node reads a value computed after the
// earliest is refused.
func TestGroup(t *testing.T) {
	must := musts(t)
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("x"))
	a := must(ops.ReLU(x))
	b := must(ops.Tanh(x))
	c := must(ops.Mul(a, b)) // computed after a and b
	d := must(ops.Add(c, a))
	spec := backend.Spec{Inputs: []*G.Node{x}, Outputs: []*G.Node{a, b, d}}
	group := func(nodes ...*G.Node) *Fusion {
		return &Fusion{Name: "test", Group: func(_ *Plan, n *G.Node) []*G.Node {
			if n == nodes[0] {
				return nodes
			}
			return nil
		}}
	}
	p, err := New(spec, group(b, a))
	if err != nil {
		t.Fatal(err)
	}
	s := p.Steps[0]
	if s.Fusion == nil || s.Host != a || !slices.Equal(s.Nodes, []*G.Node{b, a}) || !slices.Equal(s.In, []*G.Node{x}) {
		t.Errorf("step 0 computes %v at %v reading %v; want b and a at a, reading x", s.Nodes, s.Host, s.In)
	}
	if p, err = New(spec, group(a, d)); err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps {
		if s.Fusion != nil {
			t.Errorf("joined %v, though d reads c, computed after a", s.Nodes)
		}
	}
}

func TestErrors(t *testing.T) {
	must := musts(t)
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("x"))
	free := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("free"))
	y := must(ops.Add(x, free))
	buf := weight(g, "running", 2, 3)
	for name, spec := range map[string]backend.Spec{
		"nil target":      {Inputs: []*G.Node{x}, Outputs: []*G.Node{nil}},
		"leaf no value":   {Inputs: []*G.Node{x}, Outputs: []*G.Node{y}},
		"update not read": {Inputs: []*G.Node{x, free}, Loss: must(ops.Sum(y)), Updates: []graph.Update{{Buffer: buf, Value: y}}},
	} {
		if _, err := New(spec); !errors.Is(err, backend.ErrSpec) {
			t.Errorf("%s: New = %v, want ErrSpec", name, err)
		}
	}
}

// No buffer is written while a value in it may still be read, in any
// mode: for every step, the buffers it reads were last written with the
// values it reads. At batch 512 activations and weight gradients have the
// same size, so they compete for the same buffers; outputs and gradients
// keep their own.
func TestShareBuffers(t *testing.T) {
	p := mlp6(t, 512, BiasActivation(relu))
	b := p.ShareBuffers()
	shared := 0
	for _, s := range p.Steps {
		for _, n := range s.Nodes {
			if at, ok := b.Of[n]; ok && b.List[at].Node != n {
				shared++
			}
		}
	}
	if shared == 0 {
		t.Fatal("no value shares a buffer: the check below proves nothing")
	}
	for m := range Modes {
		holds := map[int]*G.Node{}
		for _, i := range p.InMode(Mode(m)) {
			s := p.Steps[i]
			for _, c := range s.In {
				if w, ok := holds[b.Of[c]]; ok && w != c {
					t.Fatalf("%v: %s reads %s, but %s overwrote it", Mode(m), s.Node().Name(), c.Name(), w.Name())
				}
			}
			for _, n := range s.Nodes {
				if at, ok := b.Of[n]; ok {
					holds[at] = n
				}
			}
		}
	}
	for _, n := range append(slices.Clone(p.Spec.Grads), p.Spec.Loss) {
		if b.List[b.Of[n]].Node != n {
			t.Errorf("%s shares a buffer, though the caller reads it", n.Name())
		}
	}
}

// A value read twice by its last reader (a in a·a) frees its buffer once:
// c and d, both live until c + d, must not both take it.
func TestBufferReadTwice(t *testing.T) {
	must := musts(t)
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 4), G.WithName("x"))
	a := must(ops.ReLU(x))
	sq := must(ops.Mul(a, a))
	c, d := must(ops.ReLU(sq)), must(ops.Tanh(sq))
	e := must(ops.Add(c, d))
	p, err := New(backend.Spec{Inputs: []*G.Node{x}, Outputs: []*G.Node{e}})
	if err != nil {
		t.Fatal(err)
	}
	b := p.ShareBuffers()
	if b.Of[c] == b.Of[d] {
		t.Errorf("c and d share buffer %d", b.Of[c])
	}
	if b.Of[c] != b.Of[a] && b.Of[d] != b.Of[a] {
		t.Error("neither c nor d reuses a's buffer")
	}
	if last := p.LastReads(Predict); last[sq] != 3 || last[a] != 1 {
		t.Errorf("last reads of a·a %d and a %d, want 3 and 1", last[sq], last[a])
	}
}

// With StandardOps, the perceptron written with Gorgonia's standard ops
// plans as the project's ops: its 17 products as MatMulOp, its 6 bias
// additions as BiasAddOp reading the bias itself (no Repeat of it is
// planned: only the 2 of the loss's mean remain), and BiasRectify joins
// each of the 5 hidden layers' bias, mask and product. Without it, the
// plan holds Gorgonia's ops as they are.
func TestStandardOps(t *testing.T) {
	m, obj, err := backendtest.PlainMLP(backendtest.MLP6Spec(4, 1))
	if err != nil {
		t.Fatal(err)
	}
	spec := backend.TrainSpec(m, obj, optim.NewSGD(0.01))
	for _, standard := range []bool{true, false} {
		fusions := []*Fusion{BiasRectify(func(*G.Node) bool { return true })}
		if standard {
			fusions = append(fusions, StandardOps)
		}
		p, err := New(spec, fusions...)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, n := range p.Order {
			switch op := p.Op(n).(type) {
			case ops.MatMulOp:
				count["products"]++
			case ops.BiasAddOp:
				count["biases"]++
				if in := p.Inputs(n); p.Kind(in[1]) != Param || in[1].Dims() != 1 {
					t.Errorf("%s reads %v, not the bias", n.Name(), in[1])
				}
			default:
				if op != nil && op.String() == "Repeat0" {
					count["repeats"]++
				}
			}
		}
		for _, s := range p.Steps {
			if s.Fusion != nil && len(s.Nodes) == 3 {
				count["bias+rectify"]++
			}
		}
		want := map[string]int{"products": 17, "biases": 6, "repeats": 1, "bias+rectify": 5}
		if !standard {
			want = map[string]int{"repeats": 7}
		}
		if !maps.Equal(count, want) {
			t.Errorf("standard ops %v: planned %v, want %v", standard, count, want)
		}
	}
}
