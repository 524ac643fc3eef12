package cuda

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
)

// Gorgonia's reductions over given axes: G.Sum and G.Max over any axes
// (G.Mean is a sum divided by the sizes, element-wise). The kept axes and
// the reduced ones each form a view of up to 4 axes (shape.go); an
// output adds its reduced elements in double precision, in a fixed order.
// A thread computes each output where it reduces few elements, a block
// of REDUCE_THREADS where it reduces many; a sum over a matrix's rows is
// an SGEMV against ones, as a dense layer's bias gradient is (bias.go).

const axesSource = `
#define RED_SUM 0
#define RED_MAX 1

// view_offset is the offset, at strides s0..s3, of element i of a
// row-major view d0×d1×d2×d3.
__device__ __forceinline__ int view_offset(int i, int d1, int d2, int d3, int s0, int s1, int s2, int s3) {
	int c3 = i % d3, rest = i / d3;
	int c2 = rest % d2;
	rest /= d2;
	return rest / d1 * s0 + rest % d1 * s1 + c2 * s2 + c3 * s3;
}

#define REDUCE_AXES_PARAMS int n, int m, int kind, int kd1, int kd2, int kd3, int ks0, int ks1, int ks2, int ks3, int rd1, int rd2, int rd3, int rs0, int rs1, int rs2, int rs3

// reduce_axes writes y[o] for each of the n elements o of the view of the
// kept axes (kd, ks): the sum or the largest of the m elements of x at
// o's offset plus each offset of the view of the reduced axes (rd, rs). A
// thread per output.
extern "C" __global__ void reduce_axes(float *y, const float *x, REDUCE_AXES_PARAMS) {
	FOR_EACH(o, n) {
		const float *base = x + view_offset(o, kd1, kd2, kd3, ks0, ks1, ks2, ks3);
		double s = 0.0;
		float mx = base[0];
		for (int r = 0; r < m; r++) {
			float v = base[view_offset(r, rd1, rd2, rd3, rs0, rs1, rs2, rs3)];
			s += v;
			mx = fmaxf(mx, v);
		}
		y[o] = kind == RED_SUM ? (float)s : mx;
	}
}

// block_max returns the largest v over the block, to every thread.
__device__ float block_max(float v) {
	__shared__ float part[REDUCE_THREADS];
	part[threadIdx.x] = v;
	__syncthreads();
	for (int s = REDUCE_THREADS / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s) part[threadIdx.x] = fmaxf(part[threadIdx.x], part[threadIdx.x + s]);
		__syncthreads();
	}
	float total = part[0];
	__syncthreads();
	return total;
}

// reduce_axes_blocks is reduce_axes with a block of REDUCE_THREADS per
// output.
extern "C" __global__ void REDUCTION reduce_axes_blocks(float *y, const float *x, REDUCE_AXES_PARAMS) {
	int o = blockIdx.x;
	const float *base = x + view_offset(o, kd1, kd2, kd3, ks0, ks1, ks2, ks3);
	double s = 0.0;
	float mx = base[0];
	FOR_BLOCK(r, m) {
		float v = base[view_offset(r, rd1, rd2, rd3, rs0, rs1, rs2, rs3)];
		s += v;
		mx = fmaxf(mx, v);
	}
	if (kind == RED_SUM) {
		s = block_sum(s);
		if (threadIdx.x == 0) y[o] = (float)s;
	} else {
		mx = block_max(mx);
		if (threadIdx.x == 0) y[o] = mx;
	}
}

`

// reduceKind is a reduction over axes; the kernels' RED_* constants.
type reduceKind int

const (
	reduceSum reduceKind = iota
	reduceMax
)

// blockReduceMin is the fewest elements per output that a block, rather
// than a thread, reduces.
const blockReduceMin = 256

func init() {
	lowerMatching(gorgoniaOp("sumOp"), func(n *G.Node, kids []*G.Node) (instrArgs, error) { return lowerAxes(n, kids, reduceSum) })
	lowerMatching(gorgoniaOp("maxOp"), func(n *G.Node, kids []*G.Node) (instrArgs, error) { return lowerAxes(n, kids, reduceMax) })
}

func lowerAxes(n *G.Node, kids []*G.Node, kind reduceKind) (instrArgs, error) {
	along, err := opInts(n.Op(), "along")
	if err != nil {
		return nil, err
	}
	in := kids[0].Shape()
	xs := strides(in)
	var kept, reduced [3][]int // dims, strides of the output or reduction, strides of x
	for i, d := range in {
		part := &kept
		if slices.Contains(along, i) {
			part = &reduced
		}
		part[0], part[2] = append(part[0], d), append(part[2], xs[i])
	}
	for _, a := range along {
		if a < 0 || a >= max(in.Dims(), 1) {
			return nil, fmt.Errorf("axis %d of a value of shape %v", a, in)
		}
	}
	keptView, err := newView(kept[0], strides(kept[0]), kept[2], nil)
	if err != nil {
		return nil, fmt.Errorf("kept axes: %w", err)
	}
	reducedView, err := newView(reduced[0], strides(reduced[0]), reduced[2], nil)
	if err != nil {
		return nil, fmt.Errorf("reduced axes: %w", err)
	}
	if rows, cols := reducedView.dims[3], keptView.dims[3]; kind == reduceSum && rows > 1 && cols > 1 &&
		keptView.size() == cols && keptView.xs[3] == 1 && reducedView.size() == rows && reducedView.xs[3] == cols {
		// The sum over the rows of a matrix, as of a bias's gradient in
		// G.BroadcastAdd's backward pass: cuBLAS's SGEMV.
		return sumRowsArgs{rows: rows, cols: cols}, nil
	}
	return axesArgs{kind: kind, kept: keptView, reduced: reducedView}, nil
}

// axesArgs reduces the input over the reduced view, for each element of
// the kept one.
type axesArgs struct {
	kind          reduceKind
	kept, reduced view
}

func (a axesArgs) calls(in *instr, _ int, _ bool) []call {
	k, r := a.kept, a.reduced
	n, m := k.size(), r.size()
	args := []any{in.result(), in.arg(0), n, m, int(a.kind), k.dims[1], k.dims[2], k.dims[3], k.xs[0], k.xs[1], k.xs[2], k.xs[3],
		r.dims[1], r.dims[2], r.dims[3], r.xs[0], r.xs[1], r.xs[2], r.xs[3]}
	if m >= blockReduceMin {
		return []call{reduction("reduce_axes_blocks", n, args...)}
	}
	return []call{kernel("reduce_axes", n, args...)}
}
