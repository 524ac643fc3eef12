package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
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
	diffable
	Kernel [2]int // KH, KW
	Stride [2]int // SH, SW
}

// MaxPool2D returns the node of the max pooling of x (N×C×H×W) with the
// given window and stride (rows, columns).
func MaxPool2D(x *G.Node, kernel, stride [2]int) (*G.Node, error) {
	return apply(MaxPool2DOp{Kernel: kernel, Stride: stride}, x)
}

// Arity is 1.
func (op MaxPool2DOp) Arity() int { return 1 }

// Type is Tensor4 a → Tensor4 a.
func (op MaxPool2DOp) Type() hm.Type { return fnType(4, 4) }

func (op MaxPool2DOp) geometry(in shapes) (cpukernels.Pool, error) {
	return poolGeometry(op, op.Kernel, op.Stride, in[0])
}

// rule: N×C×H×W pooled into N×C×OH×OW.
func (op MaxPool2DOp) rule(in shapes) (tensor.Shape, error) {
	g, err := op.geometry(in)
	return pooled(g, err, in[0])
}

// UsePreallocDo pools into prealloc.
func (op MaxPool2DOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return geomDo(op, p, vs, maxPool[float32], maxPool[float64])
}

func maxPool[T cpukernels.Float](g cpukernels.Pool, y []T, in inputs[T]) {
	cpukernels.MaxPool(g, y, in[0])
}

// SymDiff returns MaxPool2DBackward(x, dy).
func (op MaxPool2DOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(MaxPool2DBackwardOp{Pool: op}, in[0], grad)
	return G.Nodes{dx}, err
}

func (op MaxPool2DOp) String() string {
	return fmt.Sprintf("MaxPool2D(%dx%d, stride %dx%d)", op.Kernel[0], op.Kernel[1], op.Stride[0], op.Stride[1])
}
