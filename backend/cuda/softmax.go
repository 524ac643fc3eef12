package cuda

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/ops"
)

// The softmax over the last axis, and its gradient, a thread per row.

const softmaxSource = `
// row_max_sum returns the largest of the cols values of row in *m and
// Σ e^(row[c] − m) (at least 1) in *s. The softmax kernels work in double
// precision from the float inputs on, as the CPU's ops do: a softmax's
// gradient subtracts nearly equal numbers, which would magnify float
// rounding.
__device__ void row_max_sum(const float *row, int cols, float *m, double *s) {
	float mx = row[0];
	for (int c = 1; c < cols; c++) mx = fmaxf(mx, row[c]);
	double e = 0.0;
	for (int c = 0; c < cols; c++) e += exp((double)row[c] - mx);
	*m = mx;
	*s = e;
}

// softmax writes the softmax of each row of cols values of x to y: a
// thread per row.
extern "C" __global__ void softmax(float *y, const float *x, int rows, int cols) {
	FOR_EACH(r, rows) {
		const float *row = x + r * cols;
		float m;
		double s;
		row_max_sum(row, cols, &m, &s);
		for (int c = 0; c < cols; c++) y[r * cols + c] = (float)(exp((double)row[c] - m) / s);
	}
}

// softmax_backward writes dx = y ⊙ (dy − Σ_c dy_c·y_c), row by row, from
// the softmax y: a thread per row.
extern "C" __global__ void softmax_backward(float *dx, const float *y, const float *dy, int rows, int cols) {
	FOR_EACH(r, rows) {
		const float *yr = y + r * cols, *dyr = dy + r * cols;
		double dot = 0.0;
		for (int c = 0; c < cols; c++) dot += (double)yr[c] * dyr[c];
		for (int c = 0; c < cols; c++) dx[r * cols + c] = (float)(yr[c] * ((double)dyr[c] - dot));
	}
}

`

func init() {
	lowerOp(func(_ ops.SoftmaxOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		rows, cols := rowsOf(kids[0].Shape())
		return softmaxArgs{kernel: "softmax", rows: rows, cols: cols}, nil
	})
	lowerOp(func(_ ops.SoftmaxBackwardOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		rows, cols := rowsOf(kids[0].Shape())
		return softmaxArgs{kernel: "softmax_backward", rows: rows, cols: cols}, nil
	})
}

// softmaxArgs is kernel softmax (y from x) or softmax_backward (dx from y
// and dy) over rows of cols values.
type softmaxArgs struct {
	kernel     string
	rows, cols int
}

func (s softmaxArgs) calls(in *instr, _ int, _ bool) []call {
	return []call{kernel(s.kernel, s.rows, append(in.outIn(), s.rows, s.cols)...)}
}

// rowsOf splits shape s into rows along its last axis: the number of rows
// and their length (1 and 1 for a scalar).
func rowsOf(s tensor.Shape) (rows, cols int) {
	if s.Dims() == 0 || s[s.Dims()-1] == 0 {
		return 1, 1
	}
	cols = s[s.Dims()-1]
	return s.TotalSize() / cols, cols
}
