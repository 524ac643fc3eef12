package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
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
func (op Conv2DFilterGradOp) geometry(in shapes) (cpukernels.Conv, error) {
	x, dy := in[0], in[1]
	if x.Dims() != 4 || dy.Dims() != 4 {
		return cpukernels.Conv{}, fmt.Errorf("%w: %v: input %v and gradient %v are not 4-D", ErrShape, op, x.Clone(), dy.Clone())
	}
	g, err := op.Conv.convGeometry(x, tensor.Shape{dy[1], x[1], op.KH, op.KW})
	if err != nil {
		return cpukernels.Conv{}, err
	}
	if !dy.Eq(yShape(g)) {
		return cpukernels.Conv{}, fmt.Errorf("%w: %v: gradient %v, want %v", ErrShape, op, dy.Clone(), yShape(g))
	}
	return g, nil
}

// Arity is 2.
func (op Conv2DFilterGradOp) Arity() int { return 2 }

// Type is Tensor4 a → Tensor4 a → Tensor4 a.
func (op Conv2DFilterGradOp) Type() hm.Type { return fnType(4, 4, 4) }

// rule: dW is F×C×KH×KW.
func (op Conv2DFilterGradOp) rule(in shapes) (tensor.Shape, error) { return convRule(op, in, wShape) }

// UsePreallocDo computes dW into prealloc.
func (op Conv2DFilterGradOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return geomDo(op, p, vs, convFilterGrad[float32], convFilterGrad[float64])
}

func convFilterGrad[T cpukernels.Float](g cpukernels.Conv, dw []T, in inputs[T]) {
	cpukernels.ConvFilterGrad(g, dw, in[0], in[1])
}

func (op Conv2DFilterGradOp) String() string {
	return fmt.Sprintf("Conv2DFilterGrad(%dx%d, stride %dx%d, pad %dx%d)", op.KH, op.KW,
		op.Conv.Stride[0], op.Conv.Stride[1], op.Conv.Padding[0], op.Conv.Padding[1])
}

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
func (op Conv2DInputGradOp) geometry(in shapes) (cpukernels.Conv, error) {
	w, dy := in[0], in[1]
	if w.Dims() != 4 || dy.Dims() != 4 {
		return cpukernels.Conv{}, fmt.Errorf("%w: %v: filters %v and gradient %v are not 4-D", ErrShape, op, w.Clone(), dy.Clone())
	}
	g, err := op.Conv.convGeometry(tensor.Shape{dy[0], w[1], op.H, op.W}, w)
	if err != nil {
		return cpukernels.Conv{}, err
	}
	if !dy.Eq(yShape(g)) {
		return cpukernels.Conv{}, fmt.Errorf("%w: %v: gradient %v, want %v", ErrShape, op, dy.Clone(), yShape(g))
	}
	return g, nil
}

// Arity is 2.
func (op Conv2DInputGradOp) Arity() int { return 2 }

// Type is Tensor4 a → Tensor4 a → Tensor4 a.
func (op Conv2DInputGradOp) Type() hm.Type { return fnType(4, 4, 4) }

// rule: dx is N×C×H×W.
func (op Conv2DInputGradOp) rule(in shapes) (tensor.Shape, error) { return convRule(op, in, xShape) }

// UsePreallocDo computes dx into prealloc.
func (op Conv2DInputGradOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return geomDo(op, p, vs, convInputGrad[float32], convInputGrad[float64])
}

func convInputGrad[T cpukernels.Float](g cpukernels.Conv, dx []T, in inputs[T]) {
	cpukernels.ConvInputGrad(g, dx, in[0], in[1])
}

func (op Conv2DInputGradOp) String() string {
	return fmt.Sprintf("Conv2DInputGrad(%dx%d, stride %dx%d, pad %dx%d)", op.H, op.W,
		op.Conv.Stride[0], op.Conv.Stride[1], op.Conv.Padding[0], op.Conv.Padding[1])
}
