package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
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
	diffable
	Stride  [2]int // SH, SW: rows and columns, at least 1
	Padding [2]int // PH, PW: zero rows above and below, columns left and right
}

// Conv2D returns the node of the convolution of x (N×C×H×W) with w
// (F×C×KH×KW) at the given stride and padding (rows, columns).
func Conv2D(x, w *G.Node, stride, padding [2]int) (*G.Node, error) {
	return apply(Conv2DOp{Stride: stride, Padding: padding}, x, w)
}

// convGeometry is the one shape rule of the convolution and its
// gradients: it checks x (N×C×H×W) against w (F×C×KH×KW) and the op's
// parameters.
func (op Conv2DOp) convGeometry(x, w tensor.Shape) (cpukernels.Conv, error) {
	if x.Dims() != 4 || w.Dims() != 4 || x[1] != w[1] {
		return cpukernels.Conv{}, fmt.Errorf("%w: %v: input %v and filters %v are not N×C×H×W and F×C×KH×KW", ErrShape, op, x.Clone(), w.Clone())
	}
	g := cpukernels.Conv{N: x[0], C: x[1], H: x[2], W: x[3], F: w[0], KH: w[2], KW: w[3],
		SH: op.Stride[0], SW: op.Stride[1], PH: op.Padding[0], PW: op.Padding[1]}
	if g.SH < 1 || g.SW < 1 || g.PH < 0 || g.PW < 0 {
		return cpukernels.Conv{}, fmt.Errorf("%w: %v: stride must be at least 1 and padding at least 0", ErrShape, op)
	}
	if g.KH < 1 || g.KW < 1 || g.H+2*g.PH < g.KH || g.W+2*g.PW < g.KW {
		return cpukernels.Conv{}, fmt.Errorf("%w: %v: filters %v do not fit the padded input %v", ErrShape, op, w.Clone(), x.Clone())
	}
	g.OH = (g.H+2*g.PH-g.KH)/g.SH + 1
	g.OW = (g.W+2*g.PW-g.KW)/g.SW + 1
	return g, nil
}

// The shapes of a convolution's tensors.
func xShape(g cpukernels.Conv) tensor.Shape { return shape4(g.N, g.C, g.H, g.W) }
func wShape(g cpukernels.Conv) tensor.Shape { return shape4(g.F, g.C, g.KH, g.KW) }
func yShape(g cpukernels.Conv) tensor.Shape { return shape4(g.N, g.F, g.OH, g.OW) }

// Arity is 2.
func (op Conv2DOp) Arity() int { return 2 }

// Type is Tensor4 a → Tensor4 a → Tensor4 a.
func (op Conv2DOp) Type() hm.Type { return fnType(4, 4, 4) }

func (op Conv2DOp) geometry(in shapes) (cpukernels.Conv, error) { return op.convGeometry(in[0], in[1]) }

// Geometry returns the kernels' description of the convolution of input
// x with filters w, for a backend that runs cpukernels.ConvForward's
// kind of kernel itself.
func (op Conv2DOp) Geometry(x, w tensor.Shape) (cpukernels.Conv, error) { return op.convGeometry(x, w) }

// rule: N×F×OH×OW.
func (op Conv2DOp) rule(in shapes) (tensor.Shape, error) { return convRule(op, in, yShape) }

// UsePreallocDo computes the convolution into prealloc.
func (op Conv2DOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return geomDo(op, p, vs, convForward[float32], convForward[float64])
}

func convForward[T cpukernels.Float](g cpukernels.Conv, y []T, in inputs[T]) {
	cpukernels.ConvForward(g, y, in[0], in[1])
}

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

// convRule is the shape rule of the convolution's ops: the shape result
// gives of the geometry of the convolution they run.
func convRule[O geometric[cpukernels.Conv]](op O, in shapes, result func(cpukernels.Conv) tensor.Shape) (tensor.Shape, error) {
	g, err := op.geometry(in)
	if err != nil {
		return nil, err
	}
	return result(g), nil
}
