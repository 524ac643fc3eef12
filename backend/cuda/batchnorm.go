package cuda

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/ops"
)

// Batch normalisation, as ops.BatchNormOp: the batch's statistics, the
// normalisation (with the batch's statistics while training, the running
// ones otherwise), its gradients for x and γ, and the running statistics'
// update. The reductions run a block per channel.

const batchNormSource = `
// Batch normalisation, as ops.BatchNormOp, its statistics and gradients,
// over x of n samples of c channels of inner values. The reductions run a
// block of REDUCE_THREADS per channel ch = blockIdx.x, whose threads
// stride over the channel's n·inner values.
#define BN_PARAMS int n, int c, int inner
#define BN_FOR(k) FOR_BLOCK(k, n * inner)
#define BN_AT(k) (((k) / inner * c + blockIdx.x) * inner + (k) % inner)

// bn_stats writes channel blockIdx.x's mean to st[ch] and its biased
// variance, from the values' distances to the mean, to st[c + ch].
extern "C" __global__ void REDUCTION bn_stats(float *st, const float *x, BN_PARAMS) {
	double s = 0.0;
	BN_FOR(k) s += x[BN_AT(k)];
	double m = block_sum(s) / (n * inner);
	double d = 0.0;
	BN_FOR(k) {
		double e = x[BN_AT(k)] - m;
		d += e * e;
	}
	double v = block_sum(d) / (n * inner);
	if (threadIdx.x == 0) {
		st[blockIdx.x] = (float)m;
		st[c + blockIdx.x] = (float)v;
	}
}

// bn_norm sets *mean and *inv = 1/√(σ² + eps) of channel ch: the batch's,
// from st, when train, else the running ones.
__device__ void bn_norm(const float *st, const float *rmean, const float *rvar, int ch, int c, float eps, int train,
                        double *mean, double *inv) {
	double v = train ? st[c + ch] : rvar[ch];
	*mean = train ? st[ch] : rmean[ch];
	*inv = 1.0 / sqrt(v + eps);
}

// bn_forward normalises each of the n·c·inner values: element-wise.
extern "C" __global__ void bn_forward(float *y, const float *x, const float *st, const float *gamma, const float *beta,
                                      const float *rmean, const float *rvar, BN_PARAMS, float eps, int train) {
	FOR_EACH(i, n * c * inner) {
		int ch = (i / inner) % c;
		double mean, inv;
		bn_norm(st, rmean, rvar, ch, c, eps, train, &mean, &inv);
		double scale = gamma[ch] * inv;
		y[i] = (float)(x[i] * scale + (beta[ch] - mean * scale));
	}
}

// bn_dy_sums sets *sdy = Σdy and *sdyx = Σ dy·(x − mean)·inv over channel
// blockIdx.x. Every thread of the block must call it.
__device__ void bn_dy_sums(const float *x, const float *dy, BN_PARAMS, double mean, double inv, double *sdy, double *sdyx) {
	double a = 0.0, b = 0.0;
	BN_FOR(k) {
		int i = BN_AT(k);
		a += dy[i];
		b += dy[i] * (x[i] - mean) * inv;
	}
	*sdy = block_sum(a);
	*sdyx = block_sum(b);
}

extern "C" __global__ void REDUCTION bn_backward(float *dx, const float *x, const float *st, const float *gamma,
                                                 const float *rmean, const float *rvar, const float *dy, BN_PARAMS,
                                                 float eps, int train) {
	double mean, inv, sdy = 0.0, sdyx = 0.0, m = n * inner;
	bn_norm(st, rmean, rvar, blockIdx.x, c, eps, train, &mean, &inv);
	double k = gamma[blockIdx.x] * inv;
	if (train) bn_dy_sums(x, dy, n, c, inner, mean, inv, &sdy, &sdyx);
	BN_FOR(t) {
		int i = BN_AT(t);
		dx[i] = train ? (float)(k * (dy[i] - sdy / m - (x[i] - mean) * inv * sdyx / m)) : (float)(k * dy[i]);
	}
}

extern "C" __global__ void REDUCTION bn_gamma_grad(float *dg, const float *x, const float *st, const float *rmean,
                                                   const float *rvar, const float *dy, BN_PARAMS, float eps, int train) {
	double mean, inv, sdy, sdyx;
	bn_norm(st, rmean, rvar, blockIdx.x, c, eps, train, &mean, &inv);
	bn_dy_sums(x, dy, n, c, inner, mean, inv, &sdy, &sdyx);
	if (threadIdx.x == 0) dg[blockIdx.x] = (float)sdyx;
}

// bn_running writes (1 − momentum)·r + momentum·s for each of the c
// channels, s the batch's mean (st's first row), or with variance its
// unbiased variance (the second row times count/(count − 1)).
extern "C" __global__ void bn_running(float *out, const float *st, const float *r, int c, int count, float momentum,
                                      int variance) {
	FOR_EACH(ch, c) {
		double s = st[ch];
		if (variance) s = count > 1 ? (double)st[c + ch] * count / (count - 1) : st[c + ch];
		out[ch] = (float)((1.0 - momentum) * r[ch] + momentum * s);
	}
}

`

func init() {
	lowerOp(func(op ops.BatchNormOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		return bnArgs{kernel: "bn_forward", shape: bnShapeOf(kids[0].Shape()), eps: float32(op.Eps)}, nil
	})
	lowerOp(func(op ops.BatchNormGradOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		return bnArgs{kernel: "bn_backward", shape: bnShapeOf(kids[0].Shape()), eps: float32(op.Eps), perChannel: true}, nil
	})
	lowerOp(func(op ops.BatchNormGammaGradOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		return bnArgs{kernel: "bn_gamma_grad", shape: bnShapeOf(kids[0].Shape()), eps: float32(op.Eps), perChannel: true}, nil
	})
	lowerOp(func(_ ops.BatchNormStatsOp, _ *G.Node, kids []*G.Node) (instrArgs, error) {
		return bnStatsArgs{bnShapeOf(kids[0].Shape())}, nil
	})
	lowerOp(func(op ops.BatchNormRunningOp, n *G.Node, _ []*G.Node) (instrArgs, error) {
		return bnRunningArgs{c: n.Shape()[0], count: op.Count, momentum: float32(op.Momentum), variance: op.Variance}, nil
	})
}

// bnShape is the layout of a batch normalisation's x (N×C or N×C×H×W):
// n samples of c channels of inner values each (H·W, or 1).
type bnShape struct{ n, c, inner int }

func bnShapeOf(x tensor.Shape) bnShape {
	s := bnShape{n: x[0], c: x[1], inner: 1}
	if x.Dims() == 4 {
		s.inner = x[2] * x[3]
	}
	return s
}

// bnArgs is kernel bn_forward (y from x, the batch's statistics, γ, β and
// the running mean and variance), bn_backward (dx from x, the statistics,
// γ, the running ones and dy) or bn_gamma_grad (dγ from the same but γ),
// which run a block per channel (perChannel). Each normalises with the
// batch's statistics while training, the running ones otherwise.
type bnArgs struct {
	kernel     string
	shape      bnShape
	eps        float32
	perChannel bool
}

func (b bnArgs) calls(in *instr, _ int, train bool) []call {
	t, s := 0, b.shape
	if train {
		t = 1
	}
	c := kernel(b.kernel, s.n*s.c*s.inner, append(in.outIn(), s.n, s.c, s.inner, b.eps, t)...)
	if b.perChannel {
		c.elements, c.blocks = 0, s.c
	}
	return []call{c}
}

func (bnArgs) modal() bool { return true }

// bnStatsArgs is the batch's mean and biased variance of each channel.
type bnStatsArgs struct{ shape bnShape }

func (b bnStatsArgs) calls(in *instr, _ int, _ bool) []call {
	s := b.shape
	return []call{reduction("bn_stats", s.c, in.result(), in.arg(0), s.n, s.c, s.inner)}
}

// bnRunningArgs is (1 − momentum)·r + momentum·s for c channels, s the
// batch's mean, or with variance its unbiased variance over count
// values.
type bnRunningArgs struct {
	c, count int
	momentum float32
	variance bool
}

func (b bnRunningArgs) calls(in *instr, _ int, _ bool) []call {
	variance := 0
	if b.variance {
		variance = 1
	}
	return []call{kernel("bn_running", b.c, in.result(), in.arg(0), in.arg(1), b.c, b.count, b.momentum, variance)}
}
