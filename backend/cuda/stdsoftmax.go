package cuda

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Gorgonia's G.SoftMax and G.LogSoftMax over the last axis, and their
// gradients: the softmax kernels of softmax.go, and the log-softmax ones
// here, a thread per row.

const stdSoftmaxSource = `
// log_softmax writes y = x − m − log Σ e^(x − m), row by row.
extern "C" __global__ void log_softmax(float *y, const float *x, int rows, int cols) {
	FOR_EACH(r, rows) {
		const float *row = x + r * cols;
		float m;
		double s;
		row_max_sum(row, cols, &m, &s);
		double ls = log(s);
		for (int c = 0; c < cols; c++) y[r * cols + c] = (float)((double)row[c] - m - ls);
	}
}

// log_softmax_backward writes dx = dy − e^y·Σ_c dy_c, row by row, from the
// log-softmax y.
extern "C" __global__ void log_softmax_backward(float *dx, const float *y, const float *dy, int rows, int cols) {
	FOR_EACH(r, rows) {
		const float *yr = y + r * cols, *dyr = dy + r * cols;
		double sum = 0.0;
		for (int c = 0; c < cols; c++) sum += dyr[c];
		for (int c = 0; c < cols; c++) dx[r * cols + c] = (float)(dyr[c] - exp((double)yr[c]) * sum);
	}
}

`

func init() {
	lowerMatching(gorgoniaOp("softmaxOp"), lowerStdSoftmax)
	lowerMatching(gorgoniaOp("softmaxDiffOp"), lowerStdSoftmax)
}

// lowerStdSoftmax lowers a softmax over the last axis (or a column
// vector's only one), Gorgonia's default, or its gradient, whose inputs
// are x, y and dy.
func lowerStdSoftmax(n *G.Node, kids []*G.Node) (instrArgs, error) {
	axis, err := opInt(n.Op(), "axis")
	if err != nil {
		return nil, err
	}
	isLog, err := opBool(n.Op(), "isLog")
	if err != nil {
		return nil, err
	}
	s := kids[0].Shape()
	last := s.Dims() - 1
	if s.IsColVec() || (s.IsVector() && !s.IsRowVec()) {
		last = 0
	}
	if axis == -1 {
		axis = last
	}
	if s.Dims() == 0 || axis < 0 || axis >= s.Dims() || tensor.Shape(s[axis+1:]).TotalSize() != 1 {
		return nil, fmt.Errorf("a softmax along axis %d of %v: the CUDA kernels take the last axis", axis, s)
	}
	cols := s[axis]
	a := stdSoftmaxArgs{rows: s.TotalSize() / cols, cols: cols, diff: len(kids) == 3}
	switch {
	case isLog && a.diff:
		a.kernel = "log_softmax_backward"
	case isLog:
		a.kernel = "log_softmax"
	case a.diff:
		a.kernel = "softmax_backward"
	default:
		a.kernel = "softmax"
	}
	return a, nil
}

// stdSoftmaxArgs is a softmax kernel over rows of cols values: from x,
// or, for a gradient (diff), from y and dy, the second and third inputs.
type stdSoftmaxArgs struct {
	kernel     string
	rows, cols int
	diff       bool
}

func (a stdSoftmaxArgs) calls(in *instr, _ int, _ bool) []call {
	if a.diff {
		return []call{kernel(a.kernel, a.rows, in.result(), in.arg(1), in.arg(2), a.rows, a.cols)}
	}
	return []call{kernel(a.kernel, a.rows, in.result(), in.arg(0), a.rows, a.cols)}
}
