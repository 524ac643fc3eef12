package cuda

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/ops"
)

// Losses and their gradients: the binary cross-entropy from logits and the
// mean squared error (loss, loss_backward), and the cross-entropy of a
// softmax (softmax_xent, softmax_xent_backward). A loss adds in one block,
// in double precision and a fixed order.

// lossSource is the family's CUDA C, after the kinds the loss kernels
// take, written from ops.LossKind.
var lossSource = fmt.Sprintf(`
// Loss kinds of the loss and loss_backward kernels, ops.LossKind (the
// softmax cross-entropy has kernels of its own: softmax_xent).
#define LOSS_BCE %d
#define LOSS_MSE %d
`, ops.BCEWithLogitsLoss, ops.MSELoss) + `
// loss writes the mean loss of predictions (or logits) p against targets t
// to *out. One block of REDUCE_THREADS.
extern "C" __global__ void REDUCTION loss(float *out, const float *p, const float *t, int n, int kind) {
	double s = 0.0;
	FOR_BLOCK(i, n) {
		double z = p[i], y = t[i];
		if (kind == LOSS_BCE) {
			s += fmax(z, 0.0) - z * y + log1p(exp(-fabs(z)));
		} else {
			s += (z - y) * (z - y);
		}
	}
	s = block_sum(s);
	if (threadIdx.x == 0) *out = (float)(s / n);
}

// loss_backward writes d(loss)/dp, scaled by the upstream scalar *dl.
extern "C" __global__ void loss_backward(float *dp, const float *p, const float *t, const float *dl,
                                         int n, int kind) {
	float scale = *dl / n;
	FOR_EACH(i, n) {
		float z = p[i], y = t[i];
		dp[i] = kind == LOSS_BCE ? (sigmoid_f(z) - y) * scale : 2.0f * (z - y) * scale;
	}
}

// softmax_xent writes the mean over rows of the cross-entropy of the
// softmax of logits z against targets t, (Σ t)·logsumexp(z) − Σ t·z per
// row, to *out. One block of REDUCE_THREADS, a thread per row at a time.
extern "C" __global__ void REDUCTION softmax_xent(float *out, const float *z, const float *t, int rows, int cols) {
	double s = 0.0;
	FOR_BLOCK(r, rows) {
		const float *zr = z + r * cols, *tr = t + r * cols;
		float m;
		double e;
		row_max_sum(zr, cols, &m, &e);
		double lse = m + log(e);
		for (int c = 0; c < cols; c++) s += tr[c] * (lse - zr[c]);
	}
	s = block_sum(s);
	if (threadIdx.x == 0) *out = (float)(s / rows);
}

// softmax_xent_backward writes dz = (softmax(z)·Σ t − t)·*dl/rows: a
// thread per row.
extern "C" __global__ void softmax_xent_backward(float *dz, const float *z, const float *t, const float *dl,
                                                 int rows, int cols) {
	double scale = (double)*dl / rows;
	FOR_EACH(r, rows) {
		const float *zr = z + r * cols, *tr = t + r * cols;
		float m;
		double e, st = 0.0;
		row_max_sum(zr, cols, &m, &e);
		for (int c = 0; c < cols; c++) st += tr[c];
		for (int c = 0; c < cols; c++) dz[r * cols + c] = (float)((exp((double)zr[c] - m) / e * st - tr[c]) * scale);
	}
}

`

func init() {
	lowerOp(func(op ops.LossOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		return lowerLoss(op.Kind, kids[0], false)
	})
	lowerOp(func(op ops.LossBackwardOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		return lowerLoss(op.Kind, kids[0], true)
	})
}

// lowerLoss lowers a loss of kind k of predictions p, or its gradient.
func lowerLoss(k ops.LossKind, p *G.Node, grad bool) (instrArgs, error) {
	switch k {
	case ops.BCEWithLogitsLoss, ops.MSELoss:
		return lossArgs{kind: k, n: p.Shape().TotalSize(), grad: grad}, nil
	case ops.SoftmaxCrossEntropyLoss:
		rows, cols := rowsOf(p.Shape())
		return softmaxXentArgs{rows: rows, cols: cols, grad: grad}, nil
	}
	return nil, fmt.Errorf("loss %v", k)
}

// lossArgs is the mean loss of kind of n predictions p against targets t
// (kernel loss), or, with grad, its gradient d(loss)/dp times the upstream
// scalar (loss_backward).
type lossArgs struct {
	kind ops.LossKind
	n    int
	grad bool
}

func (l lossArgs) calls(in *instr, _ int, _ bool) []call {
	if l.grad {
		return []call{kernel("loss_backward", l.n, append(in.outIn(), l.n, int(l.kind))...)}
	}
	return []call{reduction("loss", 1, append(in.outIn(), l.n, int(l.kind))...)}
}

// softmaxXentArgs is the mean cross-entropy of the softmax of rows of cols
// logits against targets, or, with grad, its gradient.
type softmaxXentArgs struct {
	rows, cols int
	grad       bool
}

func (l softmaxXentArgs) calls(in *instr, _ int, _ bool) []call {
	if l.grad {
		return []call{kernel("softmax_xent_backward", l.rows, append(in.outIn(), l.rows, l.cols)...)}
	}
	return []call{reduction("softmax_xent", 1, append(in.outIn(), l.rows, l.cols)...)}
}
