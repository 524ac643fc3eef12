package cuda

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/ops"
)

// Max and average pooling over windows of N×C×H×W maps, and their
// gradients: a thread per output element forward, per input element
// backward, each adding in a fixed order.

const poolSource = `
// pool_argmax is the index in a plane of the first largest element of the
// window at output (i, j); NaNs are passed over unless the whole window is
// NaN, as ops.MaxPool2DOp.
__device__ int pool_argmax(const float *plane, int i, int j, int W, int KH, int KW, int SH, int SW) {
	int top = (i * SH) * W + j * SW, best = top;
	for (int p = 0; p < KH; p++) {
		for (int q = 0; q < KW; q++) {
			int k = top + p * W + q;
			float v = plane[k], m = plane[best];
			if (v > m || (m != m && v == v)) best = k;
		}
	}
	return best;
}

#define POOL_PARAMS int H, int W, int KH, int KW, int SH, int SW, int OH, int OW

// maxpool: total = planes·OH·OW outputs.
extern "C" __global__ void maxpool(float *y, const float *x, int total, POOL_PARAMS) {
	FOR_EACH(t, total) {
		int j = t % OW, i = (t / OW) % OH, plane = t / (OW * OH);
		const float *xp = x + (long long)plane * H * W;
		y[t] = xp[pool_argmax(xp, i, j, W, KH, KW, SH, SW)];
	}
}

// maxpool_backward routes each window's gradient to its maximum: one thread
// per input element adds dy of the windows whose maximum it is, in a fixed
// order. total = planes·H·W.
extern "C" __global__ void maxpool_backward(float *dx, const float *x, const float *dy, int total, POOL_PARAMS) {
	FOR_EACH(t, total) {
		int w = t % W, h = (t / W) % H, plane = t / (W * H);
		const float *xp = x + (long long)plane * H * W;
		const float *dp = dy + (long long)plane * OH * OW;
		int i0 = h >= KH ? (h - KH) / SH + 1 : 0, j0 = w >= KW ? (w - KW) / SW + 1 : 0;
		float s = 0.0f;
		for (int i = i0; i < OH && i * SH <= h; i++) {
			for (int j = j0; j < OW && j * SW <= w; j++) {
				if (pool_argmax(xp, i, j, W, KH, KW, SH, SW) == h * W + w) s += dp[i * OW + j];
			}
		}
		dx[t] = s;
	}
}

// avgpool: total = planes·OH·OW outputs, each its window's sum in
// row-major order times 1/(KH·KW), as ops.AvgPool2DOp.
extern "C" __global__ void avgpool(float *y, const float *x, int total, POOL_PARAMS) {
	float scale = 1.0f / (KH * KW);
	FOR_EACH(t, total) {
		int j = t % OW, i = (t / OW) % OH, plane = t / (OW * OH);
		const float *xp = x + (long long)plane * H * W + (i * SH) * W + j * SW;
		float s = 0.0f;
		for (int p = 0; p < KH; p++) {
			for (int q = 0; q < KW; q++) s += xp[p * W + q];
		}
		y[t] = s * scale;
	}
}

// avgpool_backward gives each input element the gradients of the windows
// that hold it, each times 1/(KH·KW): one thread per input element, adding
// in a fixed order. total = planes·H·W.
extern "C" __global__ void avgpool_backward(float *dx, const float *dy, int total, POOL_PARAMS) {
	float scale = 1.0f / (KH * KW);
	FOR_EACH(t, total) {
		int w = t % W, h = (t / W) % H, plane = t / (W * H);
		const float *dp = dy + (long long)plane * OH * OW;
		int i0 = h >= KH ? (h - KH) / SH + 1 : 0, j0 = w >= KW ? (w - KW) / SW + 1 : 0;
		float s = 0.0f;
		for (int i = i0; i < OH && i * SH <= h; i++) {
			for (int j = j0; j < OW && j * SW <= w; j++) s += dp[i * OW + j] * scale;
		}
		dx[t] = s;
	}
}

`

func init() {
	lowerOp(func(op ops.MaxPool2DOp, n *G.Node, kids []*G.Node) (instrArgs, error) {
		return poolArgs{"maxpool", poolGeom(op.Kernel, op.Stride, kids[0].Shape(), n.Shape())}, nil
	})
	lowerOp(func(op ops.MaxPool2DBackwardOp, _ *G.Node, kids []*G.Node) (instrArgs, error) { // x, dy
		return poolArgs{"maxpool_backward", poolGeom(op.Pool.Kernel, op.Pool.Stride, kids[0].Shape(), kids[1].Shape())}, nil
	})
	lowerOp(func(op ops.AvgPool2DOp, n *G.Node, kids []*G.Node) (instrArgs, error) {
		return poolArgs{"avgpool", poolGeom(op.Kernel, op.Stride, kids[0].Shape(), n.Shape())}, nil
	})
	lowerOp(func(op ops.AvgPool2DBackwardOp, n *G.Node, kids []*G.Node) (instrArgs, error) { // dy
		return poolArgs{"avgpool_backward", poolGeom(op.Pool.Kernel, op.Pool.Stride, n.Shape(), kids[0].Shape())}, nil
	})
}

// poolGeom is the geometry of a pooling of x (N×C×H×W) giving y.
func poolGeom(kernel, stride [2]int, x, y tensor.Shape) geom {
	return geom{n: x[0], c: x[1], h: x[2], w: x[3], kh: kernel[0], kw: kernel[1],
		sh: stride[0], sw: stride[1], oh: y[2], ow: y[3]}
}

// poolArgs is kernel maxpool or avgpool (y from x), maxpool_backward (dx
// from x and dy) or avgpool_backward (dx from dy), a thread per element of
// the result.
type poolArgs struct {
	kernel string
	g      geom
}

func (a poolArgs) calls(in *instr, _ int, _ bool) []call {
	g, total := a.g, in.size()
	return []call{kernel(a.kernel, total, append(in.outIn(), total, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.oh, g.ow)...)}
}
