package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2DFilterGradOp computes the gradient of a Conv2DOp's filters from
// (x, dy): dW = Σ_n dy[n] · col(x[n])ᵀ, one GEMM per image accumulating
// into dW. KH and KW are the filters' height and width, which x and dy do
// not determine.
type Conv2DFilterGradOp struct {
	pure
	notDiffable
	Conv   Conv2DOp
	KH, KW int
}

// geometry checks x and dy and returns the convolution's geometry.
func (op Conv2DFilterGradOp) geometry(x, dy tensor.Shape) (convGeom, error) {
	if x.Dims() != 4 || dy.Dims() != 4 {
		return convGeom{}, fmt.Errorf("%w: %v: input %v and gradient %v are not 4-D", ErrShape, op, x.Clone(), dy.Clone())
	}
	g, err := op.Conv.geometry(x, tensor.Shape{dy[1], x[1], op.KH, op.KW})
	if err != nil {
		return convGeom{}, err
	}
	if !dy.Eq(tensor.Shape(g.yShape())) {
		return convGeom{}, fmt.Errorf("%w: %v: gradient %v, want %v", ErrShape, op, dy.Clone(), g.yShape())
	}
	return g, nil
}

// Arity is 2.
func (op Conv2DFilterGradOp) Arity() int { return 2 }

// Type is Tensor4 a → Tensor4 a → Tensor4 a.
func (op Conv2DFilterGradOp) Type() hm.Type { return fnType(4, 4, 4) }

// InferShape returns F×C×KH×KW.
func (op Conv2DFilterGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return convInferShape(op, ds)
}

// Do computes dW into a new tensor.
func (op Conv2DFilterGradOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes dW into prealloc.
func (op Conv2DFilterGradOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return convDo(op, p, vs, convFilterGrad[float32], convFilterGrad[float64])
}

func (op Conv2DFilterGradOp) resultShape(g convGeom) [4]int { return [4]int(g.wShape()) }

// filterGradChunk is how many images' filter gradients convFilterGrad
// adds in sequence into one partial sum; the partial sums of the chunks,
// computed in parallel, are then added in chunk order. The chunks do not
// depend on the number of CPUs, so neither does the result.
const filterGradChunk = 8

func convFilterGrad[T Float](g convGeom, dw, x, dy []T) {
	if g.n == 0 {
		clear(dw)
		return
	}
	chunks := (g.n + filterGradChunk - 1) / filterGradChunk
	var partials *[]T
	if chunks > 1 {
		partials = getScratch[T](chunks * len(dw))
		defer putScratch(partials)
	}
	forChunks(g.n, filterGradChunk, func(c, lo, hi int) {
		out := dw
		if partials != nil {
			out = (*partials)[c*len(dw) : (c+1)*len(dw)]
		}
		col := getScratch[T](g.colRows() * g.colCols())
		defer putScratch(col)
		for n := lo; n < hi; n++ {
			im2col(g, *col, x[n*g.inSize():(n+1)*g.inSize()])
			beta := T(1)
			if n == lo {
				beta = 0
			}
			gemmInnerNT(g.f, g.colRows(), g.colCols(), dy[n*g.outSize():(n+1)*g.outSize()], g.colCols(), *col, g.colCols(), beta, out, g.colRows())
		}
	})
	if partials != nil {
		copy(dw, (*partials)[:len(dw)])
		for c := 1; c < chunks; c++ {
			for i, v := range (*partials)[c*len(dw) : (c+1)*len(dw)] {
				dw[i] += v
			}
		}
	}
}

func (op Conv2DFilterGradOp) String() string {
	return fmt.Sprintf("Conv2DFilterGrad(%dx%d, stride %dx%d, pad %dx%d)", op.KH, op.KW,
		op.Conv.Stride[0], op.Conv.Stride[1], op.Conv.Padding[0], op.Conv.Padding[1])
}
func (op Conv2DFilterGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op Conv2DFilterGradOp) Hashcode() uint32      { return hashOf(op) }

// Conv2DInputGradOp computes the gradient of a Conv2DOp's input from
// (w, dy): dx[n] = col2im(Wᵀ · dy[n]). H and W are the input's height and
// width, which a stride above 1 leaves undetermined by dy.
type Conv2DInputGradOp struct {
	pure
	notDiffable
	Conv Conv2DOp
	H, W int
}

// geometry checks w and dy and returns the convolution's geometry.
func (op Conv2DInputGradOp) geometry(w, dy tensor.Shape) (convGeom, error) {
	if w.Dims() != 4 || dy.Dims() != 4 {
		return convGeom{}, fmt.Errorf("%w: %v: filters %v and gradient %v are not 4-D", ErrShape, op, w.Clone(), dy.Clone())
	}
	g, err := op.Conv.geometry(tensor.Shape{dy[0], w[1], op.H, op.W}, w)
	if err != nil {
		return convGeom{}, err
	}
	if !dy.Eq(tensor.Shape(g.yShape())) {
		return convGeom{}, fmt.Errorf("%w: %v: gradient %v, want %v", ErrShape, op, dy.Clone(), g.yShape())
	}
	return g, nil
}

// Arity is 2.
func (op Conv2DInputGradOp) Arity() int { return 2 }

// Type is Tensor4 a → Tensor4 a → Tensor4 a.
func (op Conv2DInputGradOp) Type() hm.Type { return fnType(4, 4, 4) }

// InferShape returns N×C×H×W.
func (op Conv2DInputGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return convInferShape(op, ds)
}

// Do computes dx into a new tensor.
func (op Conv2DInputGradOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes dx into prealloc.
func (op Conv2DInputGradOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return convDo(op, p, vs, convInputGrad[float32], convInputGrad[float64])
}

func (op Conv2DInputGradOp) resultShape(g convGeom) [4]int { return [4]int(g.xShape()) }

func convInputGrad[T Float](g convGeom, dx, w, dy []T) {
	forChunks(g.n, 1, func(_, lo, hi int) {
		col := getScratch[T](g.colRows() * g.colCols())
		defer putScratch(col)
		for n := lo; n < hi; n++ {
			img := dx[n*g.inSize() : (n+1)*g.inSize()]
			clear(img)
			gemmColumns(true, g.colRows(), g.colCols(), g.f, w, g.colRows(), dy[n*g.outSize():(n+1)*g.outSize()], g.colCols(), 0, *col, g.colCols())
			col2im(g, img, *col)
		}
	})
}

func (op Conv2DInputGradOp) String() string {
	return fmt.Sprintf("Conv2DInputGrad(%dx%d, stride %dx%d, pad %dx%d)", op.H, op.W,
		op.Conv.Stride[0], op.Conv.Stride[1], op.Conv.Padding[0], op.Conv.Padding[1])
}
func (op Conv2DInputGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op Conv2DInputGradOp) Hashcode() uint32      { return hashOf(op) }
