package cuda

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/ops"
)

// Convolutions, as batched cuBLAS products of the filters with the images
// unrolled (im2col) into the scratch buffer that all instructions share,
// and their gradients: the filters' (per image, then summed over the
// images) and the input's (a product, then col2im adding the columns back
// onto the pixels).

const convSource = `
// Convolution geometry, as the kernel arguments of im2col and col2im: the
// input maps are N×C×H×W, the filters KH×KW at stride SH×SW with padding
// PH×PW, the output maps OH×OW.
#define CONV_PARAMS int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW, int OH, int OW

// im2col unrolls every image: col[n][c][p][q][i][j] is the input pixel
// x[n][c][i·SH+p−PH][j·SW+q−PW] that filter tap (p, q) of output (i, j)
// reads, 0 in the padding. total = N·C·KH·KW·OH·OW.
extern "C" __global__ void im2col(float *col, const float *x, int total, CONV_PARAMS) {
	FOR_EACH(t, total) {
		int j = t % OW, r = t / OW;
		int i = r % OH; r /= OH;
		int q = r % KW; r /= KW;
		int p = r % KH; r /= KH;
		int c = r % C, n = r / C;
		int h = i * SH + p - PH, w = j * SW + q - PW;
		col[t] = (h >= 0 && h < H && w >= 0 && w < W) ? x[((n * C + c) * H + h) * W + w] : 0.0f;
	}
}

// col2im adds the column entries back onto the pixels they were read from:
// one thread per input pixel gathers its taps in a fixed order, so the
// result does not depend on scheduling. total = N·C·H·W.
extern "C" __global__ void col2im(float *dx, const float *col, int total, CONV_PARAMS) {
	FOR_EACH(t, total) {
		int w = t % W, r = t / W;
		int h = r % H; r /= H;
		int c = r % C, n = r / C;
		float s = 0.0f;
		for (int p = 0; p < KH; p++) {
			int hp = h + PH - p;
			if (hp < 0 || hp % SH != 0 || hp / SH >= OH) continue;
			int i = hp / SH;
			for (int q = 0; q < KW; q++) {
				int wq = w + PW - q;
				if (wq < 0 || wq % SW != 0 || wq / SW >= OW) continue;
				int j = wq / SW;
				s += col[((((n * C + c) * KH + p) * KW + q) * OH + i) * OW + j];
			}
		}
		dx[t] = s;
	}
}

`

func init() {
	lowerOp(func(op ops.Conv2DOp, n *G.Node, kids []*G.Node) (instrArgs, error) {
		return convArgs{convGeom(op, kids[0].Shape(), kids[1].Shape(), n.Shape())}, nil
	})
	lowerOp(func(op ops.Conv2DFilterGradOp, n *G.Node, kids []*G.Node) (instrArgs, error) {
		return convFilterGradArgs{convGeom(op.Conv, kids[0].Shape(), n.Shape(), kids[1].Shape())}, nil
	})
	lowerOp(func(op ops.Conv2DInputGradOp, n *G.Node, kids []*G.Node) (instrArgs, error) {
		return convInputGradArgs{convGeom(op.Conv, n.Shape(), kids[0].Shape(), kids[1].Shape())}, nil
	})
}

// geom is the geometry of a convolution or pooling: input maps N×C×H×W,
// F filters (convolutions) or windows (pooling) KH×KW at stride SH×SW with
// padding PH×PW, output maps OH×OW.
type geom struct {
	n, c, h, w, f, kh, kw, sh, sw, ph, pw, oh, ow int
}

// convGeom is the geometry of convolution op of x (N×C×H×W) with w
// (F×C×KH×KW) giving y (N×F×OH×OW).
func convGeom(op ops.Conv2DOp, x, w, y tensor.Shape) geom {
	return geom{n: x[0], c: x[1], h: x[2], w: x[3], f: w[0], kh: w[2], kw: w[3],
		sh: op.Stride[0], sw: op.Stride[1], ph: op.Padding[0], pw: op.Padding[1], oh: y[2], ow: y[3]}
}

// unrolled returns the rows K = C·KH·KW and the columns P = OH·OW of an
// image's column matrix.
func (g geom) unrolled() (K, P int) { return g.c * g.kh * g.kw, g.oh * g.ow }

// convParams are the kernels' CONV_PARAMS.
func (g geom) convParams() []any {
	return []any{g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow}
}

// im2col unrolls the images x into col.
func (g geom) im2col(col, x region) call {
	K, P := g.unrolled()
	total := g.n * K * P
	return kernel("im2col", total, append([]any{col, x, total}, g.convParams()...)...)
}

// convArgs is y = W ∗ x: im2col, then y[n] (F×P) = W (F×K) · col[n] (K×P).
type convArgs struct{ g geom }

func (c convArgs) calls(in *instr, scratch int, _ bool) []call {
	g, col := c.g, region{buf: scratch}
	K, P := g.unrolled()
	return []call{g.im2col(col, in.arg(0)),
		rowMajor(false, false, g.f, P, K, in.arg(1), K, 0, col, P, K*P, in.result(), P, g.f*P, g.n)}
}

func (c convArgs) scratchSize() int {
	K, P := c.g.unrolled()
	return c.g.n * K * P
}

// convFilterGradArgs is dW from x and dy: im2col, then part[n] (F×K) =
// dy[n] (F×P) · col[n]ᵀ into the scratch buffer after the columns, and
// dW = Σ_n part[n].
type convFilterGradArgs struct{ g geom }

func (c convFilterGradArgs) calls(in *instr, scratch int, _ bool) []call {
	g, col := c.g, region{buf: scratch}
	K, P := g.unrolled()
	part := region{buf: scratch, off: g.n * K * P}
	return []call{g.im2col(col, in.arg(0)),
		rowMajor(false, true, g.f, K, P, in.arg(1), P, g.f*P, col, P, K*P, part, K, g.f*K, g.n),
		sumRowsCall(g.n, g.f*K, part, in.result())}
}

func (c convFilterGradArgs) scratchSize() int {
	K, P := c.g.unrolled()
	return c.g.n*K*P + c.g.n*c.g.f*K
}

func (c convFilterGradArgs) onesSize() int { return c.g.n }

// convInputGradArgs is dx from W and dy: col[n] (K×P) = Wᵀ (K×F) · dy[n]
// (F×P), then col2im.
type convInputGradArgs struct{ g geom }

func (c convInputGradArgs) calls(in *instr, scratch int, _ bool) []call {
	g, col := c.g, region{buf: scratch}
	K, P := g.unrolled()
	total := g.n * g.c * g.h * g.w
	return []call{rowMajor(true, false, K, P, g.f, in.arg(0), K, 0, in.arg(1), P, g.f*P, col, P, K*P, g.n),
		kernel("col2im", total, append([]any{in.result(), col, total}, g.convParams()...)...)}
}

func (c convInputGradArgs) scratchSize() int {
	K, P := c.g.unrolled()
	return c.g.n * K * P
}
