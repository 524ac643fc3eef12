package cuda

import (
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"
)

// Gorgonia's element-wise ops: its unary ops (G.Neg, G.Exp, G.Sqrt, ...,
// G.Sigmoid), its binary ones (G.Add, G.Sub, G.HadamardProd,
// G.HadamardDiv, G.Pow and the comparisons G.Rectify and the gradient of
// G.Max are made of) between tensors of one shape or a tensor and a
// scalar, and the sizes (G.SizeOf) that G.Mean and the gradients of sums
// divide or repeat by, which are constants once the shapes are known.
// Broadcasting (G.BroadcastAdd, ...) is a G.Reshape and a repeat before
// the binary op, which shape.go lowers.

// unaryKind is an element-wise unary op; the kernels' UN_* constants.
// The values and names are Gorgonia's (ʘUnaryOperatorType, ʘUnaryOpStrs),
// which TestUnaryKindsAreGorgonias checks.
type unaryKind int

const (
	unAbs unaryKind = iota
	unSign
	unCeil
	unFloor
	unSin
	unCos
	unExp
	unLn
	unLog2
	unNeg
	unSquare
	unSqrt
	unInv
	unInvSqrt
	unCube
	unTanh
	unSigmoid
	unLog1p
	unExpm1
	unSoftplus
)

// unaryNames are the kinds as Gorgonia's ops print them.
var unaryNames = []string{unAbs: "abs", unSign: "sign", unCeil: "ceil", unFloor: "floor", unSin: "sin", unCos: "cos",
	unExp: "exp", unLn: "ln", unLog2: "log2", unNeg: "neg", unSquare: "square", unSqrt: "sqrt", unInv: "inv",
	unInvSqrt: "invSqrt", unCube: "cube", unTanh: "tanh", unSigmoid: "sigmoid", unLog1p: "log1p", unExpm1: "expm1",
	unSoftplus: "softplus"}

func (k unaryKind) String() string { return unaryNames[k] }

// binaryKind is an element-wise binary op; the kernels' BIN_* constants,
// in the order of Gorgonia's ʘBinaryOperatorType.
type binaryKind int

const (
	binAdd binaryKind = iota
	binSub
	binMul
	binDiv
	binPow
	binLT
	binGT
	binLTE
	binGTE
	binEQ
	binNE
)

// binarySymbols are the kinds as Gorgonia's ops print them.
var binarySymbols = []string{"+", "-", "⊙", "÷", "^", "<", ">", "<=", ">=", "==", "!="}

func (k binaryKind) String() string { return binarySymbols[k] }

// upper returns names in upper case: the kinds' names in C.
func upper(names []string) []string {
	out := make([]string, len(names))
	for i, s := range names {
		out[i] = strings.ToUpper(s)
	}
	return out
}

// binaryCNames are the binary kinds' names in C.
var binaryCNames = []string{"ADD", "SUB", "MUL", "DIV", "POW", "LT", "GT", "LTE", "GTE", "EQ", "NE"}

// elementwiseSource is the family's CUDA C, after the kinds' constants
// written from unaryKind and binaryKind. It mirrors the float32
// functions Gorgonia's ops compute on the CPU.
var elementwiseSource = "\n// Element-wise kinds (unaryKind, binaryKind).\n" +
	defines("UN", upper(unaryNames)) + defines("BIN", binaryCNames) + `
__device__ float unary_op(int kind, float x) {
	switch (kind) {
	case UN_ABS: return fabsf(x);
	case UN_SIGN: return copysignf(1.0f, x); // −1 where the sign bit is set, as Gorgonia
	case UN_CEIL: return ceilf(x);
	case UN_FLOOR: return floorf(x);
	case UN_SIN: return sinf(x);
	case UN_COS: return cosf(x);
	case UN_EXP: return expf(x);
	case UN_LN: return logf(x);
	case UN_LOG2: return log2f(x);
	case UN_NEG: return -x;
	case UN_SQUARE: return x * x;
	case UN_SQRT: return sqrtf(x);
	case UN_INV: return 1.0f / x;
	case UN_INVSQRT: return 1.0f / sqrtf(x);
	case UN_CUBE: return x * x * x;
	case UN_TANH: return (float)tanh((double)x);
	case UN_SIGMOID:
		if (x < -88.0f) return 0.0f;
		if (x > 15.0f) return 1.0f;
		return (float)(1.0 / (1.0 + exp(-(double)x)));
	case UN_LOG1P: return log1pf(x);
	case UN_EXPM1: return expm1f(x);
	case UN_SOFTPLUS:
		if (x < -103.0f) return 0.0f;
		if (x > 14.0f) return x;
		return (float)log1p(exp((double)x));
	}
	return x;
}

__device__ float binary_op(int kind, float a, float b) {
	switch (kind) {
	case BIN_ADD: return a + b;
	case BIN_SUB: return a - b;
	case BIN_MUL: return a * b;
	case BIN_DIV: return a / b;
	case BIN_POW: return powf(a, b);
	case BIN_LT: return a < b ? 1.0f : 0.0f;
	case BIN_GT: return a > b ? 1.0f : 0.0f;
	case BIN_LTE: return a <= b ? 1.0f : 0.0f;
	case BIN_GTE: return a >= b ? 1.0f : 0.0f;
	case BIN_EQ: return a == b ? 1.0f : 0.0f;
	case BIN_NE: return a != b ? 1.0f : 0.0f;
	}
	return 0.0f;
}

extern "C" __global__ void unary(float *y, const float *x, int n, int kind) {
	FOR_EACH(i, n) { y[i] = unary_op(kind, x[i]); }
}

// binary writes d[i] = a[i·a_step] ∘ b[i·b_step]: steps of 1 for tensors
// of d's shape, 0 for a scalar.
extern "C" __global__ void binary(float *d, const float *a, const float *b, int n, int kind, int a_step,
                                  int b_step) {
	FOR_EACH(i, n) { d[i] = binary_op(kind, a[i * a_step], b[i * b_step]); }
}

extern "C" __global__ void fill(float *d, int n, float v) {
	FOR_EACH(i, n) { d[i] = v; }
}

`

func init() {
	lowerMatching(gorgoniaOp("elemUnaryOp"), lowerUnary)
	lowerMatching(gorgoniaOp("elemBinOp"), lowerBinary)
	lowerMatching(gorgoniaOp("sizeOp"), lowerSize)
}

func lowerUnary(n *G.Node, _ []*G.Node) (instrArgs, error) {
	name := n.Op().String()
	switch name {
	case "sigmoid": // the activations' kernel, which fuses with a bias before it
		return actArgs{kind: actSigmoid}, nil
	case "tanh":
		return actArgs{kind: actTanh}, nil
	}
	for k, s := range unaryNames {
		if s == name {
			return unaryArgs{kind: unaryKind(k)}, nil
		}
	}
	return nil, fmt.Errorf("unknown unary op %q", name)
}

// lowerBinary lowers Gorgonia's element-wise binary op: "⊙ false" is the
// product, returning floats; a comparison must return floats too ("<
// true"), as the CUDA backend runs float32 only.
func lowerBinary(n *G.Node, kids []*G.Node) (instrArgs, error) {
	sym, _, _ := strings.Cut(n.Op().String(), " ")
	kind := -1
	for k, s := range binarySymbols {
		if s == sym {
			kind = k
		}
	}
	if kind < 0 {
		return nil, fmt.Errorf("unknown binary op %q", sym)
	}
	size := n.Shape().TotalSize()
	var steps [2]int
	for i, kid := range kids {
		switch m := kid.Shape().TotalSize(); {
		case m == size:
			steps[i] = 1
		case m == 1:
			steps[i] = 0
		default:
			return nil, fmt.Errorf("operand %s of shape %v for a result of %v: broadcast it first with G.BroadcastAdd (etc.) or G.Auto",
				kid.Name(), kid.Shape(), n.Shape())
		}
	}
	if steps == [2]int{1, 1} && (kind == int(binAdd) || kind == int(binMul)) {
		// The kernels ops.Add and ops.Mul run, which the plan's
		// simulation knows too.
		return binaryArgs{kernel: map[binaryKind]string{binAdd: "add", binMul: "mul"}[binaryKind(kind)]}, nil
	}
	return ewBinaryArgs{kind: binaryKind(kind), aStep: steps[0], bStep: steps[1]}, nil
}

func lowerSize(n *G.Node, kids []*G.Node) (instrArgs, error) {
	axis, err := opInt(n.Op(), "axis")
	if err != nil {
		return nil, err
	}
	s := kids[0].Shape()
	if axis < 0 || axis >= max(s.Dims(), 1) {
		return nil, fmt.Errorf("axis %d of a value of shape %v", axis, s)
	}
	size := 1
	if s.Dims() > 0 {
		size = s[axis]
	}
	return fillArgs{value: float32(size)}, nil
}

// unaryArgs is y = f(x) element-wise.
type unaryArgs struct{ kind unaryKind }

func (a unaryArgs) calls(in *instr, _ int, _ bool) []call {
	n := in.size()
	return []call{kernel("unary", n, in.result(), in.arg(0), n, int(a.kind))}
}

// ewBinaryArgs is d = a ∘ b element-wise, an operand of step 0 a scalar.
type ewBinaryArgs struct {
	kind         binaryKind
	aStep, bStep int
}

func (a ewBinaryArgs) calls(in *instr, _ int, _ bool) []call {
	n := in.size()
	return []call{kernel("binary", n, in.result(), in.arg(0), in.arg(1), n, int(a.kind), a.aStep, a.bStep)}
}

// fillArgs sets every element of the value to a constant.
type fillArgs struct{ value float32 }

func (a fillArgs) calls(in *instr, _ int, _ bool) []call {
	n := in.size()
	return []call{kernel("fill", n, in.result(), n, a.value)}
}
