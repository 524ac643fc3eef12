package cuda

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/backend/internal/plan"
	"github.com/neurone-dl/neurone/ops"
)

// Biases: a dense layer's bias added to each row, a convolution's added to
// each channel, each fused with the activation after it, and their
// gradients, the sums over rows (on cuBLAS) and over channels.

const biasSource = `
// y = act(x + b), where element i of x gets b[(i / inner) % cols]: a dense
// layer's bias over a rows×cols matrix (inner = 1), or a convolution's
// bias per channel over N×C×H×W maps (cols = C, inner = H·W); z, when not
// null, receives x + b (the backward pass of some activations reads it).
extern "C" __global__ void bias_act(float *y, float *z, const float *x, const float *b,
                                    int n, int cols, int inner, int kind, float alpha) {
	FOR_EACH(i, n) {
		float v = x[i] + b[(i / inner) % cols];
		if (z) z[i] = v;
		y[i] = activate(kind, v, alpha);
	}
}

// sum_channels writes out[c] = Σ over n, i of x[n, c, i] for N×C×HW maps x.
// One block of REDUCE_THREADS per channel.
extern "C" __global__ void REDUCTION sum_channels(float *out, const float *x, int n, int c, int hw) {
	int ch = blockIdx.x;
	double s = 0.0;
	FOR_BLOCK(k, n * hw) {
		int img = k / hw, at = k % hw;
		s += x[(img * c + ch) * hw + at];
	}
	s = block_sum(s);
	if (threadIdx.x == 0) out[ch] = (float)s;
}

`

// biasActivation is the fusion of a bias addition with the activation
// after it that bias_act runs.
var biasActivation = plan.BiasActivation(isActivation)

func init() {
	lowerOp(func(_ ops.BiasAddOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		return biasActArgs{cols: kids[1].Shape().TotalSize(), inner: 1}, nil
	})
	lowerOp(func(_ ops.ChannelBiasAddOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		x := kids[0].Shape() // N×C×H×W
		return biasActArgs{cols: x[1], inner: x[2] * x[3]}, nil
	})
	lowerOp(func(_ ops.SumRowsOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		x := kids[0].Shape()
		return sumRowsArgs{rows: x[0], cols: x[1]}, nil
	})
	lowerOp(func(_ ops.SumChannelsOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		x := kids[0].Shape()
		return sumChannelsArgs{n: x[0], c: x[1], hw: x[2] * x[3]}, nil
	})
}

// biasActArgs is y = act(x + b), where element i of x gets
// b[(i / inner) % cols]: a bias of cols values over rows (inner = 1) or
// over the channels of N×C×H×W maps (cols = C, inner = H·W). Alone, act is
// linear; fused with the activation after it, the instruction also writes
// x + b into its out2 when something else reads it.
type biasActArgs struct {
	cols, inner int
	act         actArgs
}

// fuseBiasAct is the fused instruction of a bias addition and its
// activation, each lowered alone.
func fuseBiasAct(bias, act instrArgs) instrArgs {
	b := bias.(biasActArgs)
	b.act = act.(actArgs)
	return b
}

func (b biasActArgs) calls(in *instr, _ int, _ bool) []call {
	n, z := in.size(), null
	if in.out2 >= 0 {
		z = region{buf: in.out2}
	}
	return []call{kernel("bias_act", n, in.result(), z, in.arg(0), in.arg(1), n, b.cols, b.inner, int(b.act.kind), b.act.alpha)}
}

// sumRowsArgs is y[c] = Σ_r x[r, c] over a rows×cols matrix: a cuBLAS
// SGEMV against a vector of ones.
type sumRowsArgs struct{ rows, cols int }

func (s sumRowsArgs) calls(in *instr, _ int, _ bool) []call {
	return []call{sumRowsCall(s.rows, s.cols, in.arg(0), in.result())}
}

func (s sumRowsArgs) onesSize() int { return s.rows }

// sumChannelsArgs is a convolution's bias gradient, y[c] = Σ over n and
// the H·W values of channel c of N×C×H×W maps.
type sumChannelsArgs struct{ n, c, hw int }

func (s sumChannelsArgs) calls(in *instr, _ int, _ bool) []call {
	return []call{reduction("sum_channels", s.c, in.result(), in.arg(0), s.n, s.c, s.hw)}
}
