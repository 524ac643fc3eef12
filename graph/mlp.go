package graph

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LayerSpec describes one layer of an MLP.
type LayerSpec struct {
	Units      int
	Activation Activation
	// BatchNorm puts batch normalisation between the layer's product and
	// its activation (the layer then has no bias, which it would cancel).
	BatchNorm bool `json:",omitempty"`
}

// denseLayers adds the dense layer of ls on top of h, named name, and the
// batch normalisation after it that ls asks for, named bnName; it returns
// them in order.
func denseLayers(h *G.Node, ls LayerSpec, name, bnName string, rng *rand.Rand) ([]*Layer, error) {
	if !ls.BatchNorm {
		l, err := Dense(h, ls.Units, ls.Activation, name, nil, rng)
		return []*Layer{l}, err
	}
	init, err := InitializerFor(ls.Activation)
	if err != nil {
		return nil, fmt.Errorf("graph: dense layer %s: %w", name, err)
	}
	l, err := dense(h, ls.Units, Linear, name, init, rng, false)
	if err != nil {
		return nil, err
	}
	bn, err := BatchNorm(l.Output, ls.Activation, bnName)
	return []*Layer{l, bn}, err
}

// MLPSpec describes a multi-layer perceptron.
type MLPSpec struct {
	Inputs int         // features per sample
	Layers []LayerSpec // hidden layers, then the output layer
	Batch  int         // samples per step; graphs have fixed shapes
	Seed   uint64      // weight initialisation and dropout seed
	// Dropout is the rate of a dropout layer after each hidden layer;
	// 0 leaves them out.
	Dropout float64
}

// Model is a network in a graph, with its input and learnable parameters.
type Model struct {
	Graph  *G.ExprGraph
	Input  *G.Node // Batch×Inputs for an MLP, Batch×Channels×Height×Width for a CNN
	Layers []*Layer
	Logits *G.Node // the last layer before its activation
	Output *G.Node // the last layer after its activation
	Batch  int
}

// Params returns the learnable parameters, weights and bias of each layer
// that has them, in order.
func (m *Model) Params() []*G.Node {
	var ps []*G.Node
	for _, l := range m.Layers {
		for _, p := range []*G.Node{l.W, l.B} {
			if p != nil {
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// Updates returns the state updates of every layer that has them
// (batch normalisation's running statistics), in order.
func (m *Model) Updates() []Update {
	var us []Update
	for _, l := range m.Layers {
		us = append(us, l.Updates...)
	}
	return us
}

// Buffers returns the nodes of the state the training updates (the
// Buffers of Updates): with Params, what a checkpoint must keep.
func (m *Model) Buffers() []*G.Node {
	var bs []*G.Node
	for _, u := range m.Updates() {
		bs = append(bs, u.Buffer)
	}
	return bs
}

// ParamCount returns the number of learnable values.
func (m *Model) ParamCount() int {
	n := 0
	for _, p := range m.Params() {
		n += p.Shape().TotalSize()
	}
	return n
}

// MLP builds the perceptron of spec in a new graph: layer i is named
// "layerN" (N from 1) and its parameters "layerN.weight" and "layerN.bias";
// a layer with BatchNorm is followed by the normalisation "bnN", and with
// Dropout each hidden layer by "dropoutN".
func MLP(spec MLPSpec) (*Model, error) {
	if spec.Inputs <= 0 || spec.Batch <= 0 || len(spec.Layers) == 0 {
		return nil, fmt.Errorf("graph: MLP needs inputs, a batch size and at least one layer (got %d inputs, batch %d, %d layers)",
			spec.Inputs, spec.Batch, len(spec.Layers))
	}
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(spec.Batch, spec.Inputs), G.WithName("input"))
	m := &Model{Graph: g, Input: x, Batch: spec.Batch}
	rng := rand.New(rand.NewPCG(spec.Seed, 0x6e6575726f6e65))
	// The dropout masks' seeds come from their own stream, so that the
	// weights are the same with and without dropout.
	drops := rand.New(rand.NewPCG(spec.Seed, 0x64726f706f7574))
	h := x
	for i, ls := range spec.Layers {
		layers, err := denseLayers(h, ls, fmt.Sprintf("layer%d", i+1), fmt.Sprintf("bn%d", i+1), rng)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, layers...)
		h = layers[len(layers)-1].Output
		if spec.Dropout > 0 && i < len(spec.Layers)-1 {
			d, err := Dropout(h, spec.Dropout, drops.Uint64(), fmt.Sprintf("dropout%d", i+1))
			if err != nil {
				return nil, err
			}
			m.Layers, h = append(m.Layers, d), d.Output
		}
	}
	last := m.Layers[len(m.Layers)-1]
	m.Logits, m.Output = last.Pre, last.Output
	return m, nil
}
