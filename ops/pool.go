package ops

import (
	"fmt"
	"sync"

	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// poolGeometry is the shape rule of every pooling op: kernel windows,
// stride apart, wholly inside x (N×C×H×W).
func poolGeometry[O fmt.Stringer](op O, kernel, stride [2]int, x tensor.Shape) (cpukernels.Pool, error) {
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
	return shape4(x[0], x[1], g.OH, g.OW)
}

// pooled is the shape rule of a pooling of geometry g (err when x cannot
// be pooled): x pooled into N×C×OH×OW.
func pooled(g cpukernels.Pool, err error, x tensor.Shape) (tensor.Shape, error) {
	if err != nil {
		return nil, err
	}
	return pooledShape(g, x), nil
}

// shapes4 interns the 2-D and 4-D shapes the rules of the convolutions and
// poolings return, so that a rule run before each Do allocates only the
// first time it meets a shape (up to maxShapes4 shapes; later ones are
// made anew each time). Callers must not change the shape they get
// (shape rules' callers clone it before keeping it).
var shapes4 struct {
	sync.RWMutex
	m map[[4]int]tensor.Shape
}

const maxShapes4 = 1 << 12

// shape4 returns the interned shape a×b×c×d.
func shape4(a, b, c, d int) tensor.Shape { return interned([4]int{a, b, c, d}, 4) }

// shape2 returns the interned shape a×b.
func shape2(a, b int) tensor.Shape { return interned([4]int{a, b, -1, -1}, 2) }

// interned returns the shape of the first dims values of key (the rest
// -1, so that shapes of different lengths are different keys).
func interned(key [4]int, dims int) tensor.Shape {
	shapes4.RLock()
	s, ok := shapes4.m[key]
	shapes4.RUnlock()
	if ok {
		return s
	}
	shapes4.Lock()
	defer shapes4.Unlock()
	if s, ok = shapes4.m[key]; !ok {
		if shapes4.m == nil {
			shapes4.m = make(map[[4]int]tensor.Shape)
		}
		s = make(tensor.Shape, dims)
		copy(s, key[:dims])
		if len(shapes4.m) < maxShapes4 {
			shapes4.m[key] = s
		}
	}
	return s
}
