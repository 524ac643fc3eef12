package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AvgPool2DOp averages each KH×KW window of every channel of a batch x
// (N×C×H×W), windows SH rows and SW columns apart, without padding:
//
//	y[n,c,i,j] = (1/(KH·KW)) · Σ_{p<KH, q<KW} x[n, c, i·SH+p, j·SW+q]
//
// with the shape rule of MaxPool2DOp. A window as large as the image is
// global average pooling. Its gradient (AvgPool2DBackwardOp) spreads each
// dy[n,c,i,j] evenly over its window, adding where windows overlap.
type AvgPool2DOp struct {
	pure
	Kernel [2]int // KH, KW
	Stride [2]int // SH, SW
}

// AvgPool2D returns the node of the average pooling of x (N×C×H×W) with
// the given window and stride (rows, columns).
func AvgPool2D(x *G.Node, kernel, stride [2]int) (*G.Node, error) {
	return apply(AvgPool2DOp{Kernel: kernel, Stride: stride}, x)
}

func (op AvgPool2DOp) geometry(x tensor.Shape) (poolGeom, error) {
	return poolGeometry(op, op.Kernel, op.Stride, x)
}

// Arity is 1.
func (op AvgPool2DOp) Arity() int { return 1 }

// Type is Tensor4 a → Tensor4 a.
func (op AvgPool2DOp) Type() hm.Type { return fnType(4, 4) }

// InferShape returns N×C×OH×OW.
func (op AvgPool2DOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return poolShape(op, op.Kernel, op.Stride, ds)
}

// Do pools into a new tensor.
func (op AvgPool2DOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo pools into prealloc.
func (op AvgPool2DOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return poolDo(op, op.Kernel, op.Stride, p, vs, avgPool[float32], avgPool[float64])
}

// avgPool adds each window's elements in row-major order, then scales the
// sum by 1/(KH·KW).
func avgPool[T Float](g poolGeom, y, x []T) {
	scale := 1 / T(g.kh*g.kw)
	forChunks(g.planes, poolChunk, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			plane, out := x[c*g.h*g.w:(c+1)*g.h*g.w], y[c*g.oh*g.ow:(c+1)*g.oh*g.ow]
			for i := range g.oh {
				for j := range g.ow {
					top := i*g.sh*g.w + j*g.sw
					var s T
					for p := range g.kh {
						for _, v := range plane[top+p*g.w : top+p*g.w+g.kw] {
							s += v
						}
					}
					out[i*g.ow+j] = s * scale
				}
			}
		}
	})
}

// DiffWRT reports x differentiable.
func (op AvgPool2DOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns AvgPool2DBackward(dy), which knows x's height and width.
func (op AvgPool2DOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	x := in[0].Shape()
	if x.Dims() != 4 {
		return nil, fmt.Errorf("%w: %v needs N×C×H×W, got %v", ErrShape, op, x)
	}
	dx, err := apply(AvgPool2DBackwardOp{Pool: op, H: x[2], W: x[3]}, grad)
	return G.Nodes{dx}, err
}

func (op AvgPool2DOp) String() string {
	return fmt.Sprintf("AvgPool2D(%dx%d, stride %dx%d)", op.Kernel[0], op.Kernel[1], op.Stride[0], op.Stride[1])
}
func (op AvgPool2DOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op AvgPool2DOp) Hashcode() uint32      { return hashOf(op) }

// AvgPool2DBackwardOp computes an AvgPool2DOp's input gradient (N×C×H×W)
// from dy alone: the pooling is linear, so it needs no values of x, only
// its height and width.
type AvgPool2DBackwardOp struct {
	pure
	notDiffable
	Pool AvgPool2DOp
	H, W int // x's height and width
}

// geometry is the pooling's geometry, after checking dy against it.
func (op AvgPool2DBackwardOp) geometry(dy tensor.Shape) (poolGeom, tensor.Shape, error) {
	if dy.Dims() != 4 {
		return poolGeom{}, nil, fmt.Errorf("%w: %v needs an N×C×OH×OW gradient, got %v", ErrShape, op, dy.Clone())
	}
	x := tensor.Shape{dy[0], dy[1], op.H, op.W}
	g, err := op.Pool.geometry(x)
	if err != nil {
		return g, nil, err
	}
	if dy[2] != g.oh || dy[3] != g.ow {
		return g, nil, fmt.Errorf("%w: %v: gradient %v, want %v", ErrShape, op, dy.Clone(), g.yShape(x))
	}
	return g, x, nil
}

// Arity is 1.
func (op AvgPool2DBackwardOp) Arity() int { return 1 }

// Type is Tensor4 a → Tensor4 a.
func (op AvgPool2DBackwardOp) Type() hm.Type { return fnType(4, 4) }

// InferShape returns N×C×H×W.
func (op AvgPool2DBackwardOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 1, ds)
	if err != nil {
		return nil, err
	}
	_, x, err := op.geometry(s[0])
	return x, err
}

// Do computes dx into a new tensor.
func (op AvgPool2DBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes dx into prealloc.
func (op AvgPool2DBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	g, x, err := op.geometry(vs[0].Shape())
	if err != nil {
		return nil, err
	}
	out, err := output(op, p, vs[0].Dtype(), x)
	if err != nil {
		return nil, err
	}
	if vs[0].Dtype() == tensor.Float32 {
		avgPoolBackward(g, slice[float32](out), slice[float32](vs[0]))
	} else {
		avgPoolBackward(g, slice[float64](out), slice[float64](vs[0]))
	}
	return out, nil
}

func avgPoolBackward[T Float](g poolGeom, dx, dy []T) {
	scale := 1 / T(g.kh*g.kw)
	forChunks(g.planes, poolChunk, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			dplane, grad := dx[c*g.h*g.w:(c+1)*g.h*g.w], dy[c*g.oh*g.ow:(c+1)*g.oh*g.ow]
			clear(dplane)
			for i := range g.oh {
				for j := range g.ow {
					d := grad[i*g.ow+j] * scale
					top := i*g.sh*g.w + j*g.sw
					for p := range g.kh {
						row := dplane[top+p*g.w : top+p*g.w+g.kw]
						for q := range row {
							row[q] += d
						}
					}
				}
			}
		}
	})
}

func (op AvgPool2DBackwardOp) String() string {
	k, s := op.Pool.Kernel, op.Pool.Stride
	return fmt.Sprintf("AvgPool2DBackward(%dx%d, stride %dx%d, input %dx%d)", k[0], k[1], s[0], s[1], op.H, op.W)
}
func (op AvgPool2DBackwardOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op AvgPool2DBackwardOp) Hashcode() uint32      { return hashOf(op) }
