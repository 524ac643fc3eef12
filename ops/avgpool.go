package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
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
	diffable
	Kernel [2]int // KH, KW
	Stride [2]int // SH, SW
}

// AvgPool2D returns the node of the average pooling of x (N×C×H×W) with
// the given window and stride (rows, columns).
func AvgPool2D(x *G.Node, kernel, stride [2]int) (*G.Node, error) {
	return apply(AvgPool2DOp{Kernel: kernel, Stride: stride}, x)
}

// Arity is 1.
func (op AvgPool2DOp) Arity() int { return 1 }

// Type is Tensor4 a → Tensor4 a.
func (op AvgPool2DOp) Type() hm.Type { return fnType(4, 4) }

func (op AvgPool2DOp) geometry(in shapes) (cpukernels.Pool, error) {
	return poolGeometry(op, op.Kernel, op.Stride, in[0])
}

// rule: N×C×H×W pooled into N×C×OH×OW.
func (op AvgPool2DOp) rule(in shapes) (tensor.Shape, error) {
	g, err := op.geometry(in)
	return pooled(g, err, in[0])
}

// UsePreallocDo pools into prealloc.
func (op AvgPool2DOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return geomDo(op, p, vs, avgPool[float32], avgPool[float64])
}

func avgPool[T cpukernels.Float](g cpukernels.Pool, y []T, in inputs[T]) {
	cpukernels.AvgPool(g, y, in[0])
}

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
