package cuda

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/ops"
)

// Activations and the other element-wise ops: each element of the result
// from the same element of each input.

// actKind is an activation; the kernels' ACT_* constants.
type actKind int

const (
	actLinear actKind = iota
	actReLU
	actLeaky
	actSigmoid
	actTanh
	actStep
)

var actNames = []string{actLinear: "LINEAR", actReLU: "RELU", actLeaky: "LEAKY", actSigmoid: "SIGMOID", actTanh: "TANH", actStep: "STEP"}

// gradKind is an activation's gradient: what the first input of
// act_backward is, and how the gradient is formed from it; the kernels'
// GRAD_* constants.
type gradKind int

const (
	gradReLU    gradKind = iota // x: dy·[x > 0]
	gradLeaky                   // x: dy·(x > 0 ? 1 : alpha)
	gradSigmoid                 // y: dy·y·(1 − y)
	gradTanh                    // y: dy·(1 − y²)
	gradSTE                     // x: dy·[|x| ≤ 1]
	gradZero                    // 0
)

var gradNames = []string{gradReLU: "RELU", gradLeaky: "LEAKY", gradSigmoid: "SIGMOID", gradTanh: "TANH", gradSTE: "STE", gradZero: "ZERO"}

// activationSource is the family's CUDA C, after the activation and
// gradient kinds, written from actKind and gradKind.
var activationSource = "\n// Activation kinds (actKind) and their gradients (gradKind).\n" +
	defines("ACT", actNames) + defines("GRAD", gradNames) + `
__device__ __forceinline__ float sigmoid_f(float z) {
	// Never overflows: exp of a non-positive number only.
	if (z >= 0.0f) {
		return 1.0f / (1.0f + expf(-z));
	}
	float e = expf(z);
	return e / (1.0f + e);
}

__device__ __forceinline__ float activate(int kind, float z, float alpha) {
	switch (kind) {
	case ACT_RELU: return z > 0.0f ? z : 0.0f;
	case ACT_LEAKY: return z > 0.0f ? z : alpha * z;
	case ACT_SIGMOID: return sigmoid_f(z);
	case ACT_TANH: return tanhf(z);
	case ACT_STEP: return z > 0.0f ? 1.0f : 0.0f;
	}
	return z;
}

extern "C" __global__ void act(float *y, const float *x, int n, int kind, float alpha) {
	FOR_EACH(i, n) { y[i] = activate(kind, x[i], alpha); }
}

extern "C" __global__ void act_backward(float *dx, const float *v, const float *dy, int n, int kind,
                                        float alpha) {
	FOR_EACH(i, n) {
		float u = v[i], g = dy[i], d = 0.0f;
		switch (kind) {
		case GRAD_RELU: d = u > 0.0f ? g : 0.0f; break;
		case GRAD_LEAKY: d = u > 0.0f ? g : alpha * g; break;
		case GRAD_SIGMOID: d = g * u * (1.0f - u); break;
		case GRAD_TANH: d = g * (1.0f - u * u); break;
		case GRAD_STE: d = (u >= -1.0f && u <= 1.0f) ? g : 0.0f; break;
		}
		dx[i] = d;
	}
}

extern "C" __global__ void add(float *d, const float *a, const float *b, int n) {
	FOR_EACH(i, n) { d[i] = a[i] + b[i]; }
}

extern "C" __global__ void mul(float *d, const float *a, const float *b, int n) {
	FOR_EACH(i, n) { d[i] = a[i] * b[i]; }
}

`

func init() {
	lowerAs[ops.ReLUOp](actArgs{kind: actReLU})
	lowerOp(func(op ops.LeakyReLUOp, _ *G.Node, _ []*G.Node) (instrArgs, error) {
		return actArgs{kind: actLeaky, alpha: float32(op.Alpha)}, nil
	})
	lowerAs[ops.SigmoidOp](actArgs{kind: actSigmoid})
	lowerAs[ops.TanhOp](actArgs{kind: actTanh})
	lowerAs[ops.StepOp](actArgs{kind: actStep})

	lowerAs[ops.ReLUBackwardOp](actGradArgs{kind: gradReLU})
	lowerOp(func(op ops.LeakyReLUBackwardOp, _ *G.Node, _ []*G.Node) (instrArgs, error) {
		return actGradArgs{kind: gradLeaky, alpha: float32(op.Alpha)}, nil
	})
	lowerAs[ops.SigmoidBackwardOp](actGradArgs{kind: gradSigmoid})
	lowerAs[ops.TanhBackwardOp](actGradArgs{kind: gradTanh})
	lowerOp(func(op ops.StepBackwardOp, _ *G.Node, _ []*G.Node) (instrArgs, error) {
		if op.StraightThrough {
			return actGradArgs{kind: gradSTE}, nil
		}
		return actGradArgs{kind: gradZero}, nil
	})

	lowerAs[ops.AddOp](binaryArgs{kernel: "add"})
	lowerAs[ops.MulOp](binaryArgs{kernel: "mul"})
}

// actArgs is y = act(x), element-wise.
type actArgs struct {
	kind  actKind
	alpha float32 // leaky ReLU's slope
}

func (a actArgs) calls(in *instr, _ int, _ bool) []call {
	n := in.size()
	return []call{kernel("act", n, in.result(), in.arg(0), n, int(a.kind), a.alpha)}
}

// actGradArgs is an activation's gradient dx from (x or y, dy).
type actGradArgs struct {
	kind  gradKind
	alpha float32 // leaky ReLU's slope
}

func (a actGradArgs) calls(in *instr, _ int, _ bool) []call {
	n := in.size()
	return []call{kernel("act_backward", n, in.result(), in.arg(0), in.arg(1), n, int(a.kind), a.alpha)}
}

// binaryArgs is d = a ∘ b element-wise, by kernel add or mul.
type binaryArgs struct{ kernel string }

func (a binaryArgs) calls(in *instr, _ int, _ bool) []call {
	n := in.size()
	return []call{kernel(a.kernel, n, in.result(), in.arg(0), in.arg(1), n)}
}

// isActivation reports whether n's lowering is an activation, which the
// kernels fuse with a bias addition before it.
func isActivation(n *G.Node) bool {
	lower := lowererOf(n.Op())
	if lower == nil {
		return false
	}
	a, err := lower(n, graphInputs(n))
	_, ok := a.(actArgs)
	return err == nil && ok
}
