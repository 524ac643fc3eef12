package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// The gradients of the biases of bias.go: sums of dy. Their own gradients
// are not needed by any model here, so they are not differentiable.
type (
	// SumRowsOp sums a matrix (n×m) over its rows into a vector (m):
	// y[j] = Σ_i x[i,j]. It is the bias gradient of BiasAddOp.
	SumRowsOp struct{ fixed[sumRows] }

	// SumChannelsOp sums a batch of feature maps (N×C×H×W) over
	// everything but the channel: y[c] = Σ_n Σ_i Σ_j x[n,c,i,j], added in
	// float64. It is the bias gradient of ChannelBiasAddOp.
	SumChannelsOp struct{ fixed[sumChannels] }
)

// SumRows returns the node Σ_i x[i,:].
func SumRows(x *G.Node) (*G.Node, error) { return apply(SumRowsOp{}, x) }

type (
	sumRows     struct{}
	sumChannels struct{}
)

func (sumRows) spec() spec {
	return spec{name: "SumRows", arity: 1, typ: matrixToVector, rule: sumRowsRule, run: sumRowsRun}
}

func (sumChannels) spec() spec {
	return spec{name: "SumChannels", arity: 1, typ: mapsToVector, rule: sumChannelsRule, run: sumChannelsRun}
}

func matrixToVector() hm.Type { return fnType(2, 1) }
func mapsToVector() hm.Type   { return fnType(4, 1) }

// sumRowsRule: a matrix, summed into a vector as long as its rows.
func sumRowsRule(in shapes) (tensor.Shape, error) {
	if in[0].Dims() != 2 {
		return nil, fmt.Errorf("%w: SumRows needs a matrix, got %v", ErrShape, in[0].Clone())
	}
	return in[0][1:2], nil // (m), without allocating: callers clone what they keep
}

// sumChannelsRule: N×C×H×W maps, summed into C values.
func sumChannelsRule(in shapes) (tensor.Shape, error) {
	if in[0].Dims() != 4 {
		return nil, fmt.Errorf("%w: SumChannels needs N×C×H×W, got %v", ErrShape, in[0].Clone())
	}
	return in[0][1:2], nil // (C), without allocating
}

func sumRowsRun(op ruled, p G.Value, vs []G.Value) (G.Value, error) {
	out, dt, err := prepare(op, p, vs, 1)
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		cpukernels.SumRows(f32(out), f32(vs[0]))
	} else {
		cpukernels.SumRows(f64(out), f64(vs[0]))
	}
	return out, nil
}

func sumChannelsRun(op ruled, p G.Value, vs []G.Value) (G.Value, error) {
	out, dt, err := prepare(op, p, vs, 1)
	if err != nil {
		return nil, err
	}
	x := vs[0].Shape()
	if plane := x[2] * x[3]; dt == tensor.Float32 {
		cpukernels.SumChannels(plane, f32(out), f32(vs[0]))
	} else {
		cpukernels.SumChannels(plane, f64(out), f64(vs[0]))
	}
	return out, nil
}
