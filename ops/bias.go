package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// The biases of dense layers and convolutions.
type (
	// BiasAddOp adds a bias vector b (m) to every row of a batch x
	// (n×m): y[i,j] = x[i,j] + b[j]. Its gradients are dx = dy and
	// db = SumRows(dy).
	BiasAddOp struct{ fixed[biasAdd] }

	// ChannelBiasAddOp adds one bias per channel to a batch of feature
	// maps x (N×C×H×W): y[n,c,i,j] = x[n,c,i,j] + b[c], the bias of a
	// convolution. Its gradients are dx = dy and db = SumChannels(dy).
	ChannelBiasAddOp struct{ fixed[channelBiasAdd] }
)

// BiasAdd returns the node x + b, b added to each row of x.
func BiasAdd(x, b *G.Node) (*G.Node, error) { return apply(BiasAddOp{}, x, b) }

// ChannelBiasAdd returns the node x + b, b[c] added to channel c of x.
func ChannelBiasAdd(x, b *G.Node) (*G.Node, error) { return apply(ChannelBiasAddOp{}, x, b) }

type (
	biasAdd        struct{}
	channelBiasAdd struct{}
)

func (biasAdd) spec() spec {
	return spec{name: "BiasAdd", arity: 2, typ: matrixVectorMatrix, rule: biasAddRule, run: biasAddRun, grad: biasGrad[SumRowsOp]}
}

func (channelBiasAdd) spec() spec {
	return spec{name: "ChannelBiasAdd", arity: 2, typ: mapsVectorMaps, rule: channelBiasAddRule, run: channelBiasAddRun,
		grad: biasGrad[SumChannelsOp]}
}

func matrixVectorMatrix() hm.Type { return fnType(2, 1, 2) }
func mapsVectorMaps() hm.Type     { return fnType(4, 1, 4) }

// biasAddRule: a bias as long as the rows of x.
func biasAddRule(in shapes) (tensor.Shape, error) {
	x, b := in[0], in[1]
	if x.Dims() != 2 || b.Dims() != 1 || x[1] != b[0] {
		return nil, fmt.Errorf("%w: BiasAdd: cannot add a bias of shape %v to rows of %v", ErrShape, b.Clone(), x.Clone())
	}
	return x, nil
}

// channelBiasAddRule: one bias per channel of a 4-D x.
func channelBiasAddRule(in shapes) (tensor.Shape, error) {
	x, b := in[0], in[1]
	if x.Dims() != 4 || b.Dims() != 1 || x[1] != b[0] {
		return nil, fmt.Errorf("%w: ChannelBiasAdd: cannot add a bias of shape %v to the channels of %v", ErrShape, b.Clone(), x.Clone())
	}
	return x, nil
}

func biasAddRun(op ruled, p G.Value, vs []G.Value) (G.Value, error) {
	out, dt, err := prepare(op, p, vs, 2)
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		cpukernels.BiasAdd(f32(out), f32(vs[0]), f32(vs[1]))
	} else {
		cpukernels.BiasAdd(f64(out), f64(vs[0]), f64(vs[1]))
	}
	return out, nil
}

func channelBiasAddRun(op ruled, p G.Value, vs []G.Value) (G.Value, error) {
	out, dt, err := prepare(op, p, vs, 2)
	if err != nil {
		return nil, err
	}
	x := vs[0].Shape()
	if plane := x[2] * x[3]; dt == tensor.Float32 {
		cpukernels.ChannelBiasAdd(plane, f32(out), f32(vs[0]), f32(vs[1]))
	} else {
		cpukernels.ChannelBiasAdd(plane, f64(out), f64(vs[0]), f64(vs[1]))
	}
	return out, nil
}

// biasGrad is the gradient of a bias: dy for x and S(dy) for b.
func biasGrad[S G.Op](_ G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	var sum S
	db, err := apply(sum, dy)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dy, db}, nil
}
