package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2DOp is the 2-D convolution of deep learning (a cross-correlation)
// of a batch of images x (N×C×H×W) with filters w (F×C×KH×KW):
//
//	y[n,f,i,j] = Σ_c Σ_p Σ_q x[n, c, i·SH+p−PH, j·SW+q−PW] · w[f,c,p,q]
//
// where x reads as 0 outside the image (zero padding). y is N×F×OH×OW with
// OH = ⌊(H + 2·PH − KH)/SH⌋ + 1 and OW likewise.
//
// The CPU kernel unrolls each image into a column matrix col(x[n]) of
// C·KH·KW rows and OH·OW columns (im2col) and multiplies the filters, seen
// as an F × C·KH·KW matrix, by it in one GEMM. The gradients are
//
//	dW    = Σ_n dy[n] · col(x[n])ᵀ     (Conv2DFilterGradOp)
//	dx[n] = col2im(Wᵀ · dy[n])         (Conv2DInputGradOp)
//
// where col2im adds each column entry back onto the pixel it was read from.
type Conv2DOp struct {
	pure
	Stride  [2]int // SH, SW: rows and columns, at least 1
	Padding [2]int // PH, PW: zero rows above and below, columns left and right
}

// Conv2D returns the node of the convolution of x (N×C×H×W) with w
// (F×C×KH×KW) at the given stride and padding (rows, columns).
func Conv2D(x, w *G.Node, stride, padding [2]int) (*G.Node, error) {
	return apply(Conv2DOp{Stride: stride, Padding: padding}, x, w)
}

// convGeom is the geometry of one convolution.
type convGeom struct {
	n, c, h, w     int // input images
	f, kh, kw      int // filters
	sh, sw, ph, pw int // stride and padding
	oh, ow         int // output images
}

func (g convGeom) inSize() int   { return g.c * g.h * g.w }
func (g convGeom) outSize() int  { return g.f * g.oh * g.ow }
func (g convGeom) colRows() int  { return g.c * g.kh * g.kw }
func (g convGeom) colCols() int  { return g.oh * g.ow }
func (g convGeom) xShape() []int { return []int{g.n, g.c, g.h, g.w} }
func (g convGeom) wShape() []int { return []int{g.f, g.c, g.kh, g.kw} }
func (g convGeom) yShape() []int { return []int{g.n, g.f, g.oh, g.ow} }

// geometry is the one shape rule of the convolution and its gradients:
// it checks x (N×C×H×W) against w (F×C×KH×KW) and the op's parameters.
func (op Conv2DOp) geometry(x, w tensor.Shape) (convGeom, error) {
	if x.Dims() != 4 || w.Dims() != 4 || x[1] != w[1] {
		return convGeom{}, fmt.Errorf("%w: %v: input %v and filters %v are not N×C×H×W and F×C×KH×KW", ErrShape, op, x.Clone(), w.Clone())
	}
	g := convGeom{n: x[0], c: x[1], h: x[2], w: x[3], f: w[0], kh: w[2], kw: w[3],
		sh: op.Stride[0], sw: op.Stride[1], ph: op.Padding[0], pw: op.Padding[1]}
	if g.sh < 1 || g.sw < 1 || g.ph < 0 || g.pw < 0 {
		return convGeom{}, fmt.Errorf("%w: %v: stride must be at least 1 and padding at least 0", ErrShape, op)
	}
	if g.kh < 1 || g.kw < 1 || g.h+2*g.ph < g.kh || g.w+2*g.pw < g.kw {
		return convGeom{}, fmt.Errorf("%w: %v: filters %v do not fit the padded input %v", ErrShape, op, w.Clone(), x.Clone())
	}
	g.oh = (g.h+2*g.ph-g.kh)/g.sh + 1
	g.ow = (g.w+2*g.pw-g.kw)/g.sw + 1
	return g, nil
}

// Arity is 2.
func (op Conv2DOp) Arity() int { return 2 }

// Type is Tensor4 a → Tensor4 a → Tensor4 a.
func (op Conv2DOp) Type() hm.Type { return fnType(4, 4, 4) }

// InferShape returns N×F×OH×OW.
func (op Conv2DOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) { return convInferShape(op, ds) }

// Do computes the convolution into a new tensor.
func (op Conv2DOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the convolution into prealloc.
func (op Conv2DOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return convDo(op, p, vs, convForward[float32], convForward[float64])
}

// resultShape is N×F×OH×OW.
func (op Conv2DOp) resultShape(g convGeom) [4]int { return [4]int(g.yShape()) }

// convKernel is one of the convolution's ops: Conv2DOp and its two
// gradients, each with a shape rule (geometry, from its two inputs) and a
// kernel computing its result from its two inputs.
type convKernel interface {
	G.Op
	geometry(a, b tensor.Shape) (convGeom, error)
	resultShape(g convGeom) [4]int // by value: no allocation through the generic call
}

// convInferShape is the InferShape of the convolution's ops.
func convInferShape[O convKernel](op O, ds []G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 2, ds)
	if err != nil {
		return nil, err
	}
	g, err := op.geometry(s[0], s[1])
	if err != nil {
		return nil, err
	}
	shape := op.resultShape(g)
	return append(tensor.Shape(nil), shape[:]...), nil
}

// convDo is the UsePreallocDo of the convolution's ops: it checks the
// inputs, then runs the kernel for their dtype into prealloc (allocated
// when nil).
func convDo[O convKernel](op O, p G.Value, vs []G.Value, k32 func(g convGeom, out, a, b []float32), k64 func(g convGeom, out, a, b []float64)) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	g, err := op.geometry(vs[0].Shape(), vs[1].Shape())
	if err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, vs...)
	if err != nil {
		return nil, err
	}
	shape := op.resultShape(g)
	out, err := output(op, p, dt, shape[:])
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		k32(g, slice[float32](out), slice[float32](vs[0]), slice[float32](vs[1]))
	} else {
		k64(g, slice[float64](out), slice[float64](vs[0]), slice[float64](vs[1]))
	}
	return out, nil
}

// convForward computes y[n] = W · col(x[n]) for each image, images in
// parallel.
func convForward[T Float](g convGeom, y, x, w []T) {
	forChunks(g.n, 1, func(_, lo, hi int) {
		col := getScratch[T](g.colRows() * g.colCols())
		defer putScratch(col)
		for n := lo; n < hi; n++ {
			im2col(g, *col, x[n*g.inSize():(n+1)*g.inSize()])
			gemmColumns(false, g.f, g.colCols(), g.colRows(), w, g.colRows(), *col, g.colCols(), 0, y[n*g.outSize():(n+1)*g.outSize()], g.colCols())
		}
	})
}

// DiffWRT reports both inputs differentiable.
func (op Conv2DOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns Conv2DInputGrad(w, dy) for x and Conv2DFilterGrad(x, dy)
// for w.
func (op Conv2DOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	x, w := in[0].Shape(), in[1].Shape()
	dx, err := apply(Conv2DInputGradOp{Conv: op, H: x[2], W: x[3]}, in[1], grad)
	if err != nil {
		return nil, err
	}
	dw, err := apply(Conv2DFilterGradOp{Conv: op, KH: w[2], KW: w[3]}, in[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw}, nil
}

func (op Conv2DOp) String() string {
	return fmt.Sprintf("Conv2D(stride %dx%d, pad %dx%d)", op.Stride[0], op.Stride[1], op.Padding[0], op.Padding[1])
}
func (op Conv2DOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op Conv2DOp) Hashcode() uint32      { return hashOf(op) }

// colRange returns the output columns j whose input column j·SW+q−PW of
// kernel column q lies inside the image: lo ≤ j < hi.
func colRange(g convGeom, q int) (lo, hi int) {
	// j·SW + q − PW ≥ 0  ⇔  j ≥ ⌈(PW − q)/SW⌉
	lo = max(0, (g.pw-q+g.sw-1)/g.sw)
	// j·SW + q − PW ≤ W − 1  ⇔  j ≤ ⌊(W − 1 + PW − q)/SW⌋
	if last := g.w - 1 + g.pw - q; last >= 0 {
		hi = min(g.ow, last/g.sw+1)
	}
	return lo, max(lo, hi)
}

// im2col writes the column matrix of one image x (C×H×W) into col: row
// (c,p,q), column (i,j) holds x[c, i·SH+p−PH, j·SW+q−PW], 0 in the padding.
func im2col[T Float](g convGeom, col, x []T) { walkColumns(g, col, x, true) }

// col2im is the adjoint of im2col: it adds each entry of col to the pixel
// of dx (C×H×W) it was read from; padding entries are dropped.
func col2im[T Float](g convGeom, dx, col []T) { walkColumns(g, col, dx, false) }

// walkColumns pairs each row segment of the column matrix col with the
// image row of img it reads: gather copies the image into col (im2col),
// otherwise col is added onto the image (col2im).
func walkColumns[T Float](g convGeom, col, img []T, gather bool) {
	cols := g.colCols()
	for c := range g.c {
		plane := img[c*g.h*g.w : (c+1)*g.h*g.w]
		for p := range g.kh {
			for q := range g.kw {
				r := (c*g.kh+p)*g.kw + q
				lo, hi := colRange(g, q)
				for i := range g.oh {
					row := col[r*cols+i*g.ow : r*cols+(i+1)*g.ow]
					y := i*g.sh + p - g.ph
					inside := y >= 0 && y < g.h
					switch {
					case gather && !inside:
						clear(row)
					case gather:
						gatherRow(row, plane[y*g.w:(y+1)*g.w], lo, hi, q-g.pw, g.sw)
					case inside:
						scatterRow(plane[y*g.w:(y+1)*g.w], row, lo, hi, q-g.pw, g.sw)
					}
				}
			}
		}
	}
}

// gatherRow sets row[j] = line[j·stride+offset] for lo ≤ j < hi and 0
// elsewhere.
func gatherRow[T Float](row, line []T, lo, hi, offset, stride int) {
	clear(row[:lo])
	clear(row[hi:])
	if stride == 1 {
		copy(row[lo:hi], line[lo+offset:])
		return
	}
	for j := lo; j < hi; j++ {
		row[j] = line[j*stride+offset]
	}
}

// scatterRow adds row[j] to line[j·stride+offset] for lo ≤ j < hi.
func scatterRow[T Float](line, row []T, lo, hi, offset, stride int) {
	for j := lo; j < hi; j++ {
		line[j*stride+offset] += row[j]
	}
}
