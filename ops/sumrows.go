package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SumRowsOp sums a matrix (n×m) over its rows into a vector (m):
// y[j] = Σ_i x[i,j]. It is the bias gradient of BiasAddOp. Its own gradient
// is not needed by any model here, so it is not differentiable.
type SumRowsOp struct {
	pure
	notDiffable
}

// SumRows returns the node Σ_i x[i,:].
func SumRows(x *G.Node) (*G.Node, error) { return apply(SumRowsOp{}, x) }

// Arity is 1.
func (op SumRowsOp) Arity() int { return 1 }

// Type is Matrix a → Vector a.
func (op SumRowsOp) Type() hm.Type { return fnType(2, 1) }

// InferShape returns (m).
func (op SumRowsOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 1, ds)
	if err != nil {
		return nil, err
	}
	if s[0].Dims() != 2 {
		return nil, fmt.Errorf("%w: %v needs a matrix, got %v", ErrShape, op, s[0])
	}
	return tensor.Shape{s[0][1]}, nil
}

// Do computes the column sums.
func (op SumRowsOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the column sums into prealloc.
func (op SumRowsOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	x := vs[0].Shape()
	if x.Dims() != 2 {
		return nil, fmt.Errorf("%w: %v needs a matrix, got %v", ErrShape, op, x.Clone())
	}
	dt := vs[0].Dtype()
	out, err := output(op, p, dt, tensor.Shape{x[1]})
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		sumRows(slice[float32](out), slice[float32](vs[0]))
	} else {
		sumRows(slice[float64](out), slice[float64](vs[0]))
	}
	return out, nil
}

func sumRows[T Float](dst, x []T) {
	m := len(dst)
	clear(dst)
	for r := 0; r+m <= len(x); r += m {
		for j, v := range x[r : r+m] {
			dst[j] += v
		}
	}
}

func (op SumRowsOp) String() string        { return "SumRows" }
func (op SumRowsOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op SumRowsOp) Hashcode() uint32      { return hashOf(op) }
