package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MaxPool2DOp takes the maximum of each KH×KW window of every channel of a
// batch x (N×C×H×W), windows SH rows and SW columns apart, without padding:
//
//	y[n,c,i,j] = max_{p<KH, q<KW} x[n, c, i·SH+p, j·SW+q]
//
// y is N×C×OH×OW with OH = ⌊(H − KH)/SH⌋ + 1 and OW likewise; rows and
// columns past the last whole window are ignored.
//
// Its gradient (MaxPool2DBackwardOp) routes each dy[n,c,i,j] to the
// element of its window that holds the maximum, the first in row-major
// order when several do (so a backend's result is the same bit for bit),
// and adds where windows overlap.
type MaxPool2DOp struct {
	pure
	Kernel [2]int // KH, KW
	Stride [2]int // SH, SW
}

// MaxPool2D returns the node of the max pooling of x (N×C×H×W) with the
// given window and stride (rows, columns).
func MaxPool2D(x *G.Node, kernel, stride [2]int) (*G.Node, error) {
	return apply(MaxPool2DOp{Kernel: kernel, Stride: stride}, x)
}

// poolGeom is the geometry of one pooling.
type poolGeom struct {
	planes         int // N·C
	h, w, oh, ow   int
	kh, kw, sh, sw int
}

// geometry is the one shape rule of the pooling and its gradient.
func (op MaxPool2DOp) geometry(x tensor.Shape) (poolGeom, error) {
	return poolGeometry(op, op.Kernel, op.Stride, x)
}

// poolGeometry is the shape rule of every pooling op: kernel windows,
// stride apart, wholly inside x (N×C×H×W).
func poolGeometry(op fmt.Stringer, kernel, stride [2]int, x tensor.Shape) (poolGeom, error) {
	if x.Dims() != 4 {
		return poolGeom{}, fmt.Errorf("%w: %v needs N×C×H×W, got %v", ErrShape, op, x.Clone())
	}
	g := poolGeom{planes: x[0] * x[1], h: x[2], w: x[3], kh: kernel[0], kw: kernel[1], sh: stride[0], sw: stride[1]}
	if g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.h < g.kh || g.w < g.kw {
		return poolGeom{}, fmt.Errorf("%w: %v cannot pool %v", ErrShape, op, x.Clone())
	}
	g.oh = (g.h-g.kh)/g.sh + 1
	g.ow = (g.w-g.kw)/g.sw + 1
	return g, nil
}

func (g poolGeom) yShape(x tensor.Shape) tensor.Shape { return tensor.Shape{x[0], x[1], g.oh, g.ow} }

// Arity is 1.
func (op MaxPool2DOp) Arity() int { return 1 }

// Type is Tensor4 a → Tensor4 a.
func (op MaxPool2DOp) Type() hm.Type { return fnType(4, 4) }

// InferShape returns N×C×OH×OW.
func (op MaxPool2DOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return poolShape(op, op.Kernel, op.Stride, ds)
}

// Do pools into a new tensor.
func (op MaxPool2DOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo pools into prealloc.
func (op MaxPool2DOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return poolDo(op, op.Kernel, op.Stride, p, vs, maxPool[float32], maxPool[float64])
}

// poolShape is the InferShape of a pooling op: N×C×OH×OW.
func poolShape(op fmt.Stringer, kernel, stride [2]int, ds []G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 1, ds)
	if err != nil {
		return nil, err
	}
	g, err := poolGeometry(op, kernel, stride, s[0])
	if err != nil {
		return nil, err
	}
	return g.yShape(s[0]), nil
}

// poolDo is the forward pass of a pooling op: it checks x, then calls the
// kernel for its dtype on the output (prealloc, or a new value).
func poolDo[O G.Op](op O, kernel, stride [2]int, p G.Value, vs []G.Value,
	k32 func(poolGeom, []float32, []float32), k64 func(poolGeom, []float64, []float64)) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	x := vs[0].Shape()
	g, err := poolGeometry(op, kernel, stride, x)
	if err != nil {
		return nil, err
	}
	out, err := output(op, p, vs[0].Dtype(), g.yShape(x))
	if err != nil {
		return nil, err
	}
	if vs[0].Dtype() == tensor.Float32 {
		k32(g, slice[float32](out), slice[float32](vs[0]))
	} else {
		k64(g, slice[float64](out), slice[float64](vs[0]))
	}
	return out, nil
}

// argmax returns the index in plane (H×W) of the first largest element of
// the window at output (i, j). NaNs are passed over unless the whole
// window is NaN.
func argmax[T Float](g poolGeom, plane []T, i, j int) int {
	top := (i*g.sh)*g.w + j*g.sw
	best := top
	for p := range g.kh {
		row := top + p*g.w
		for k := row; k < row+g.kw; k++ {
			if better(plane[k], plane[best]) {
				best = k
			}
		}
	}
	return best
}

// maxRow2x2 and routeRow2x2 are the forward and backward pass over one
// output row of 2×2 windows, the common case, the first at plane[top] and
// the others sw columns apart, in rows of w. They find each window's
// maximum without a branch (window maxima are as good as random, so a
// branch would be mispredicted half the time): the first of each row
// that is largest, then the first of those two, which is what argmax's
// scan in row-major order keeps.
func maxRow2x2[T Float](out, plane []T, top, sw, w int) {
	for j := range out {
		a := top + j*sw
		b := a + w
		up, down := pick(a, a+1, plane[a], plane[a+1]), pick(b, b+1, plane[b], plane[b+1])
		out[j] = plane[pick(up, down, plane[up], plane[down])]
	}
}

func routeRow2x2[T Float](dplane, grad, plane []T, top, sw, w int) {
	for j, d := range grad {
		a := top + j*sw
		b := a + w
		up, down := pick(a, a+1, plane[a], plane[a+1]), pick(b, b+1, plane[b], plane[b+1])
		dplane[pick(up, down, plane[up], plane[down])] += d
	}
}

// better reports whether v replaces the maximum so far, m: when it is
// larger, or when m is NaN and v is not.
func better[T Float](v, m T) bool { return v > m || (m != m && v == v) }

// pick returns b if better(vb, va), else a, computed without a branch.
func pick[T Float](a, b int, va, vb T) int {
	take := b2i(vb > va) | b2i(va != va)&b2i(vb == vb)
	return a + (b-a)*take
}

func maxPool[T Float](g poolGeom, y, x []T) {
	forChunks(g.planes, poolChunk, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			plane, out := x[c*g.h*g.w:(c+1)*g.h*g.w], y[c*g.oh*g.ow:(c+1)*g.oh*g.ow]
			for i := range g.oh {
				row := out[i*g.ow : (i+1)*g.ow]
				if g.kh == 2 && g.kw == 2 {
					maxRow2x2(row, plane, i*g.sh*g.w, g.sw, g.w)
					continue
				}
				for j := range row {
					row[j] = plane[argmax(g, plane, i, j)]
				}
			}
		}
	})
}

// poolChunk is how many planes one goroutine of the pooling kernels takes
// at a time.
const poolChunk = 8

// DiffWRT reports x differentiable.
func (op MaxPool2DOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns MaxPool2DBackward(x, dy).
func (op MaxPool2DOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(MaxPool2DBackwardOp{Pool: op}, in[0], grad)
	return G.Nodes{dx}, err
}

func (op MaxPool2DOp) String() string {
	return fmt.Sprintf("MaxPool2D(%dx%d, stride %dx%d)", op.Kernel[0], op.Kernel[1], op.Stride[0], op.Stride[1])
}
func (op MaxPool2DOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op MaxPool2DOp) Hashcode() uint32      { return hashOf(op) }

// MaxPool2DBackwardOp computes a MaxPool2DOp's input gradient from
// (x, dy): it finds each window's maximum again, rather than keeping
// indices from the forward pass, so it needs no state between the two.
type MaxPool2DBackwardOp struct {
	pure
	notDiffable
	Pool MaxPool2DOp
}

// check returns the pooling's geometry after checking dy against x.
func (op MaxPool2DBackwardOp) check(x, dy tensor.Shape) (poolGeom, error) {
	g, err := op.Pool.geometry(x)
	if err != nil {
		return g, err
	}
	if dy.Dims() != 4 || dy[0] != x[0] || dy[1] != x[1] || dy[2] != g.oh || dy[3] != g.ow {
		return g, fmt.Errorf("%w: %v: gradient %v, want %v", ErrShape, op, dy.Clone(), g.yShape(x))
	}
	return g, nil
}

// Arity is 2.
func (op MaxPool2DBackwardOp) Arity() int { return 2 }

// Type is Tensor4 a → Tensor4 a → Tensor4 a.
func (op MaxPool2DBackwardOp) Type() hm.Type { return fnType(4, 4, 4) }

// InferShape returns the shape of x.
func (op MaxPool2DBackwardOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 2, ds)
	if err != nil {
		return nil, err
	}
	if _, err := op.check(s[0], s[1]); err != nil {
		return nil, err
	}
	return s[0].Clone(), nil
}

// Do computes dx into a new tensor.
func (op MaxPool2DBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes dx into prealloc.
func (op MaxPool2DBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	x := vs[0].Shape()
	g, err := op.check(x, vs[1].Shape())
	if err != nil {
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
	if dt == tensor.Float32 {
		maxPoolBackward(g, slice[float32](out), slice[float32](vs[0]), slice[float32](vs[1]))
	} else {
		maxPoolBackward(g, slice[float64](out), slice[float64](vs[0]), slice[float64](vs[1]))
	}
	return out, nil
}

func maxPoolBackward[T Float](g poolGeom, dx, x, dy []T) {
	forChunks(g.planes, poolChunk, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			plane, dplane := x[c*g.h*g.w:(c+1)*g.h*g.w], dx[c*g.h*g.w:(c+1)*g.h*g.w]
			grad := dy[c*g.oh*g.ow : (c+1)*g.oh*g.ow]
			clear(dplane)
			for i := range g.oh {
				row := grad[i*g.ow : (i+1)*g.ow]
				if g.kh == 2 && g.kw == 2 {
					routeRow2x2(dplane, row, plane, i*g.sh*g.w, g.sw, g.w)
					continue
				}
				for j, d := range row {
					dplane[argmax(g, plane, i, j)] += d
				}
			}
		}
	})
}

func (op MaxPool2DBackwardOp) String() string {
	return "MaxPool2DBackward" + op.Pool.String()[len("MaxPool2D"):]
}
func (op MaxPool2DBackwardOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op MaxPool2DBackwardOp) Hashcode() uint32      { return hashOf(op) }
