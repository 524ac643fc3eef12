package ops

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// poolGeometry is the shape rule of every pooling op: kernel windows,
// stride apart, wholly inside x (N×C×H×W).
func poolGeometry(op fmt.Stringer, kernel, stride [2]int, x tensor.Shape) (cpukernels.Pool, error) {
	if x.Dims() != 4 {
		return cpukernels.Pool{}, fmt.Errorf("%w: %v needs N×C×H×W, got %v", ErrShape, op, x.Clone())
	}
	g := cpukernels.Pool{Planes: x[0] * x[1], H: x[2], W: x[3], KH: kernel[0], KW: kernel[1], SH: stride[0], SW: stride[1]}
	if g.KH < 1 || g.KW < 1 || g.SH < 1 || g.SW < 1 || g.H < g.KH || g.W < g.KW {
		return cpukernels.Pool{}, fmt.Errorf("%w: %v cannot pool %v", ErrShape, op, x.Clone())
	}
	g.OH = (g.H-g.KH)/g.SH + 1
	g.OW = (g.W-g.KW)/g.SW + 1
	return g, nil
}

// pooledShape is N×C×OH×OW, the shape of the pooling g of x.
func pooledShape(g cpukernels.Pool, x tensor.Shape) tensor.Shape {
	return tensor.Shape{x[0], x[1], g.OH, g.OW}
}

// pooled is the shape rule of a pooling of geometry g (err when x cannot
// be pooled): x pooled into N×C×OH×OW.
func pooled(g cpukernels.Pool, err error, x tensor.Shape) (tensor.Shape, error) {
	if err != nil {
		return nil, err
	}
	return pooledShape(g, x), nil
}
