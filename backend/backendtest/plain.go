package backendtest

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/graph"
)

// PlainMLP builds the binary perceptron of spec as research code written
// against Gorgonia alone would: each layer act(G.Mul(h, W) ⊕ b), the bias
// added by G.BroadcastAdd, ReLU as G.Rectify, the sigmoid, tanh and the
// binary cross-entropy −mean(y⊙log p + (1−y)⊙log(1−p)) from G.Log, G.Sub,
// G.HadamardProd, G.Neg and G.Mean, differentiated by G.Grad. W is stored
// inputs×units (what G.Mul(h, W) wants), b as a vector. The last layer
// must be one sigmoid unit. The weights are drawn as graph.MLP draws them
// (same initialiser, same seed), in the other layout.
func PlainMLP(spec graph.MLPSpec) (*graph.Model, *graph.Objective, error) {
	last := len(spec.Layers) - 1
	if spec.Inputs <= 0 || spec.Batch <= 0 || last < 0 || spec.Layers[last] != (graph.LayerSpec{Units: 1, Activation: graph.Sigmoid}) {
		return nil, nil, fmt.Errorf("backendtest: PlainMLP needs inputs, a batch and layers ending in one sigmoid unit, got %+v", spec)
	}
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(spec.Batch, spec.Inputs), G.WithName("input"))
	m := &graph.Model{Graph: g, Input: x, Batch: spec.Batch}
	rng := rand.New(rand.NewPCG(spec.Seed, 0x6e6575726f6e65))
	h := x
	for i, ls := range spec.Layers {
		l, err := plainDense(h, ls, fmt.Sprintf("layer%d", i+1), rng)
		if err != nil {
			return nil, nil, err
		}
		m.Layers = append(m.Layers, l)
		h = l.Output
	}
	m.Logits, m.Output = m.Layers[last].Pre, h
	obj, err := PlainBCE(m)
	return m, obj, err
}

// plainDense adds the layer act(h·W ⊕ b).
func plainDense(h *G.Node, ls graph.LayerSpec, name string, rng *rand.Rand) (*graph.Layer, error) {
	init, err := graph.InitializerFor(ls.Activation)
	if err != nil {
		return nil, err
	}
	in, g := h.Shape()[1], h.Graph()
	w := make([]float32, in*ls.Units)
	init(w, in, ls.Units, rng)
	W := G.NewMatrix(g, tensor.Float32, G.WithShape(in, ls.Units), G.WithName(name+".weight"),
		G.WithValue(tensor.New(tensor.WithShape(in, ls.Units), tensor.WithBacking(w))))
	B := G.NewVector(g, tensor.Float32, G.WithShape(ls.Units), G.WithName(name+".bias"),
		G.WithValue(tensor.New(tensor.WithShape(ls.Units), tensor.Of(tensor.Float32))))
	prod, err := G.Mul(h, W)
	if err != nil {
		return nil, fmt.Errorf("backendtest: layer %s: %w", name, err)
	}
	pre, err := G.BroadcastAdd(prod, B, nil, []byte{0})
	if err != nil {
		return nil, fmt.Errorf("backendtest: layer %s: %w", name, err)
	}
	out := pre
	switch ls.Activation {
	case graph.ReLU:
		out, err = G.Rectify(pre)
	case graph.Sigmoid:
		out, err = G.Sigmoid(pre)
	case graph.Tanh:
		out, err = G.Tanh(pre)
	case graph.Linear:
	default:
		err = fmt.Errorf("activation %v is not one of Gorgonia's", ls.Activation)
	}
	if err != nil {
		return nil, fmt.Errorf("backendtest: layer %s: %w", name, err)
	}
	return &graph.Layer{Name: name, Kind: graph.KindDense, Activation: ls.Activation, W: W, B: B, Pre: pre, Output: out}, nil
}

// PlainBCE adds to m's graph the targets, the binary cross-entropy of m's output
// probabilities against them and the gradients of m's parameters.
func PlainBCE(m *graph.Model) (*graph.Objective, error) {
	y := graph.Targets(m)
	p := m.Output
	one := G.NewConstant(float32(1), G.WithName("one"))
	var err error
	node := func(n *G.Node, e error) *G.Node {
		if err == nil {
			err = e
		}
		return n
	}
	logP := node(G.Log(p))
	logQ := node(G.Log(node(G.Sub(one, p))))
	q := node(G.Sub(one, y))
	ll := node(G.Add(node(G.HadamardProd(y, logP)), node(G.HadamardProd(q, logQ))))
	loss := node(G.Neg(node(G.Mean(ll))))
	if err != nil {
		return nil, fmt.Errorf("backendtest: binary cross-entropy: %w", err)
	}
	params := m.Params()
	grads, err := graph.Grad(loss, params...)
	if err != nil {
		return nil, err
	}
	return &graph.Objective{Targets: y, Loss: loss, Params: params, Grads: grads}, nil
}
