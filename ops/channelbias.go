package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ChannelBiasAddOp adds one bias per channel to a batch of feature maps x
// (N×C×H×W): y[n,c,i,j] = x[n,c,i,j] + b[c], the bias of a convolution.
// Its gradients are dx = dy and db = SumChannels(dy).
type ChannelBiasAddOp struct{ pure }

// ChannelBiasAdd returns the node x + b, b[c] added to channel c of x.
func ChannelBiasAdd(x, b *G.Node) (*G.Node, error) { return apply(ChannelBiasAddOp{}, x, b) }

// Arity is 2.
func (op ChannelBiasAddOp) Arity() int { return 2 }

// Type is Tensor4 a → Vector a → Tensor4 a.
func (op ChannelBiasAddOp) Type() hm.Type { return fnType(4, 1, 4) }

// check is the shape rule: one bias per channel of a 4-D x.
func (op ChannelBiasAddOp) check(x, b tensor.Shape) error {
	if x.Dims() != 4 || b.Dims() != 1 || x[1] != b[0] {
		return fmt.Errorf("%w: %v: cannot add a bias of shape %v to the channels of %v", ErrShape, op, b.Clone(), x.Clone())
	}
	return nil
}

// InferShape returns the shape of x.
func (op ChannelBiasAddOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 2, ds)
	if err != nil {
		return nil, err
	}
	if err := op.check(s[0], s[1]); err != nil {
		return nil, err
	}
	return s[0].Clone(), nil
}

// Do computes x + b.
func (op ChannelBiasAddOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes x + b into prealloc.
func (op ChannelBiasAddOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	x := vs[0].Shape()
	if err := op.check(x, vs[1].Shape()); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, vs...)
	if err != nil {
		return nil, err
	}
	out, err := output(op, p, dt, x)
	if err != nil {
		return nil, err
	}
	plane := x[2] * x[3]
	if dt == tensor.Float32 {
		channelBiasAdd(plane, slice[float32](out), slice[float32](vs[0]), slice[float32](vs[1]))
	} else {
		channelBiasAdd(plane, slice[float64](out), slice[float64](vs[0]), slice[float64](vs[1]))
	}
	return out, nil
}

// channelBiasAdd adds b[c] to each plane of plane elements, the planes
// cycling through the channels.
func channelBiasAdd[T Float](plane int, dst, x, b []T) {
	for k := 0; k*plane < len(dst); k++ {
		v := b[k%len(b)]
		lo := k * plane
		for i, xv := range x[lo : lo+plane] {
			dst[lo+i] = xv + v
		}
	}
}

// DiffWRT reports both inputs differentiable.
func (op ChannelBiasAddOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns dy for x and SumChannels(dy) for b.
func (op ChannelBiasAddOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	db, err := apply(SumChannelsOp{}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{grad, db}, nil
}

func (op ChannelBiasAddOp) String() string        { return "ChannelBiasAdd" }
func (op ChannelBiasAddOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op ChannelBiasAddOp) Hashcode() uint32      { return hashOf(op) }

// SumChannelsOp sums a batch of feature maps (N×C×H×W) over everything but
// the channel: y[c] = Σ_n Σ_i Σ_j x[n,c,i,j]. It is the bias gradient of
// ChannelBiasAddOp and is not itself differentiable.
type SumChannelsOp struct {
	pure
	notDiffable
}

// Arity is 1.
func (op SumChannelsOp) Arity() int { return 1 }

// Type is Tensor4 a → Vector a.
func (op SumChannelsOp) Type() hm.Type { return fnType(4, 1) }

// InferShape returns (C).
func (op SumChannelsOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 1, ds)
	if err != nil {
		return nil, err
	}
	if s[0].Dims() != 4 {
		return nil, fmt.Errorf("%w: %v needs N×C×H×W, got %v", ErrShape, op, s[0])
	}
	return tensor.Shape{s[0][1]}, nil
}

// Do computes the channel sums.
func (op SumChannelsOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the channel sums into prealloc.
func (op SumChannelsOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	x := vs[0].Shape()
	if x.Dims() != 4 {
		return nil, fmt.Errorf("%w: %v needs N×C×H×W, got %v", ErrShape, op, x.Clone())
	}
	dt := vs[0].Dtype()
	out, err := output(op, p, dt, tensor.Shape{x[1]})
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		sumChannels(x[2]*x[3], slice[float32](out), slice[float32](vs[0]))
	} else {
		sumChannels(x[2]*x[3], slice[float64](out), slice[float64](vs[0]))
	}
	return out, nil
}

// sumChannels adds each channel's values in float64 (sum), a channel per
// chunk.
func sumChannels[T Float](plane int, dst, x []T) {
	if len(dst) == 0 || plane == 0 {
		clear(dst)
		return
	}
	g := bnGeom{n: len(x) / (plane * len(dst)), c: len(dst), inner: plane}
	forChunks(g.c, 1, func(c, _, _ int) {
		var s float64
		bnChannel(g, c, func(lo, hi int) { s += sum(x[lo:hi]) })
		dst[c] = T(s)
	})
}

func (op SumChannelsOp) String() string        { return "SumChannels" }
func (op SumChannelsOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op SumChannelsOp) Hashcode() uint32      { return hashOf(op) }
