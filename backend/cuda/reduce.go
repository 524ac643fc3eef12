package cuda

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/ops"
)

// Reductions and reshapes: the sum of a whole tensor and its gradient,
// which spreads a scalar over a tensor, and reshapes (a copy into the
// reshaped value's buffer).

const reduceSource = `
// expand fills d with the scalar *s.
extern "C" __global__ void expand(float *d, const float *s, int n) {
	float v = *s;
	FOR_EACH(i, n) { d[i] = v; }
}

// sum_all writes the sum of x to *out. One block of REDUCE_THREADS.
extern "C" __global__ void REDUCTION sum_all(float *out, const float *x, int n) {
	double s = 0.0;
	FOR_BLOCK(i, n) s += x[i];
	s = block_sum(s);
	if (threadIdx.x == 0) *out = (float)s;
}

`

func init() {
	lowerOp(func(_ ops.SumOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		return sumArgs{n: kids[0].Shape().TotalSize()}, nil
	})
	lowerAs[ops.ExpandOp](expandArgs{})
	lowerAs[ops.ReshapeOp](copyArgs{})
}

// sumArgs is the scalar sum of the n elements of x, in one block.
type sumArgs struct{ n int }

func (s sumArgs) calls(in *instr, _ int, _ bool) []call {
	return []call{reduction("sum_all", 1, in.result(), in.arg(0), s.n)}
}

// expandArgs fills the value with the scalar it reads.
type expandArgs struct{}

func (expandArgs) calls(in *instr, _ int, _ bool) []call {
	n := in.size()
	return []call{kernel("expand", n, in.result(), in.arg(0), n)}
}

// copyArgs copies the elements it reads: a reshape.
type copyArgs struct{}

func (copyArgs) calls(in *instr, _ int, _ bool) []call {
	return []call{copyCall{dst: in.result(), src: in.arg(0), n: in.size()}}
}
