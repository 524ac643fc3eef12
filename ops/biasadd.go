package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BiasAddOp adds a bias vector b (m) to every row of a batch x (n×m):
// y[i,j] = x[i,j] + b[j]. Its gradients are dx = dy and db = SumRows(dy).
type BiasAddOp struct{ pure }

// BiasAdd returns the node x + b, b added to each row of x.
func BiasAdd(x, b *G.Node) (*G.Node, error) { return apply(BiasAddOp{}, x, b) }

// Arity is 2.
func (op BiasAddOp) Arity() int { return 2 }

// Type is Matrix a → Vector a → Matrix a.
func (op BiasAddOp) Type() hm.Type { return fnType(2, 1, 2) }

// InferShape returns the shape of x.
func (op BiasAddOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 2, ds)
	if err != nil {
		return nil, err
	}
	if err := op.check(s[0], s[1]); err != nil {
		return nil, err
	}
	return s[0].Clone(), nil
}

// check is the shape rule: a bias as long as the rows of x.
func (op BiasAddOp) check(x, b tensor.Shape) error {
	if x.Dims() != 2 || b.Dims() != 1 || x[1] != b[0] {
		return fmt.Errorf("%w: %v: cannot add a bias of shape %v to rows of %v", ErrShape, op, b.Clone(), x.Clone())
	}
	return nil
}

// Do computes x + b.
func (op BiasAddOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes x + b into prealloc.
func (op BiasAddOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	x, b := vs[0].Shape(), vs[1].Shape()
	if err := op.check(x, b); err != nil {
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
		biasAdd(slice[float32](out), slice[float32](vs[0]), slice[float32](vs[1]))
	} else {
		biasAdd(slice[float64](out), slice[float64](vs[0]), slice[float64](vs[1]))
	}
	return out, nil
}

func biasAdd[T Float](dst, x, b []T) {
	m := len(b)
	for r := 0; r+m <= len(dst); r += m {
		d, xr := dst[r:r+m], x[r:r+m]
		for j, v := range b {
			d[j] = xr[j] + v
		}
	}
}

// DiffWRT reports both inputs differentiable.
func (op BiasAddOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns dy for x and SumRows(dy) for b.
func (op BiasAddOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	db, err := SumRows(grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{grad, db}, nil
}

func (op BiasAddOp) String() string        { return "BiasAdd" }
func (op BiasAddOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op BiasAddOp) Hashcode() uint32      { return hashOf(op) }
