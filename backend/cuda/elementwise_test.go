package cuda

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// simUnary is unary_op of kernelSource in Go.
func simUnary(kind unaryKind, x float32) float32 {
	v := float64(x)
	f := map[unaryKind]func(float64) float64{
		unAbs: math.Abs, unSign: func(v float64) float64 { return math.Copysign(1, v) }, unCeil: math.Ceil,
		unFloor: math.Floor, unSin: math.Sin, unCos: math.Cos, unExp: math.Exp, unLn: math.Log, unLog2: math.Log2,
		unNeg: func(v float64) float64 { return -v }, unSquare: func(v float64) float64 { return v * v },
		unSqrt: math.Sqrt, unInv: func(v float64) float64 { return 1 / v },
		unInvSqrt: func(v float64) float64 { return 1 / math.Sqrt(v) }, unCube: func(v float64) float64 { return v * v * v },
		unTanh: math.Tanh, unSigmoid: func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }, unLog1p: math.Log1p,
		unExpm1: math.Expm1, unSoftplus: func(v float64) float64 { return math.Log1p(math.Exp(v)) },
	}[kind]
	return float32(f(v))
}

// simBinary is binary_op of kernelSource in Go.
func simBinary(kind binaryKind, a, b float32) float32 {
	truth := func(c bool) float32 {
		if c {
			return 1
		}
		return 0
	}
	switch kind {
	case binAdd:
		return a + b
	case binSub:
		return a - b
	case binMul:
		return a * b
	case binDiv:
		return a / b
	case binPow:
		return float32(math.Pow(float64(a), float64(b)))
	case binLT:
		return truth(a < b)
	case binGT:
		return truth(a > b)
	case binLTE:
		return truth(a <= b)
	case binGTE:
		return truth(a >= b)
	case binEQ:
		return truth(a == b)
	}
	return truth(a != b)
}

func (a unaryArgs) simulate(s *sim, in *instr) {
	out, x := s.mem[in.out], s.mem[in.in[0]]
	for i := range in.size() {
		out[i] = simUnary(a.kind, x[i])
	}
}

func (a ewBinaryArgs) simulate(s *sim, in *instr) {
	out, x, y := s.mem[in.out], s.mem[in.in[0]], s.mem[in.in[1]]
	for i := range in.size() {
		out[i] = simBinary(a.kind, x[i*a.aStep], y[i*a.bStep])
	}
}

func (a fillArgs) simulate(s *sim, in *instr) {
	out := s.mem[in.out][:in.size()]
	for i := range out {
		out[i] = a.value
	}
}

// The unary and binary kinds are Gorgonia's: each kind's name is what
// Gorgonia's op of that kind prints, so that the lowering picks the
// kernel's kind by it.
func TestUnaryKindsAreGorgonias(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 2), G.WithName("x"))
	unary := map[unaryKind]func(*G.Node) (*G.Node, error){
		unAbs: G.Abs, unSign: G.Sign, unCeil: G.Ceil, unFloor: G.Floor, unSin: G.Sin, unCos: G.Cos, unExp: G.Exp,
		unLn: G.Log, unLog2: G.Log2, unNeg: G.Neg, unSquare: G.Square, unSqrt: G.Sqrt, unInv: G.Inverse,
		unInvSqrt: G.InverseSqrt, unCube: G.Cube, unTanh: G.Tanh, unSigmoid: G.Sigmoid, unLog1p: G.Log1p,
		unExpm1: G.Expm1, unSoftplus: G.Softplus,
	}
	if len(unary) != len(unaryNames) {
		t.Errorf("%d unary kinds checked of %d", len(unary), len(unaryNames))
	}
	for kind, f := range unary {
		n, err := f(x)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Op().String(); got != kind.String() {
			t.Errorf("kind %d (%v): Gorgonia's op prints %q", kind, kind, got)
		}
	}
	binary := map[binaryKind]func(a, b *G.Node) (*G.Node, error){
		binAdd: G.Add, binSub: G.Sub, binMul: G.HadamardProd, binDiv: G.HadamardDiv, binPow: G.Pow,
		binLT:  func(a, b *G.Node) (*G.Node, error) { return G.Lt(a, b, true) },
		binGT:  func(a, b *G.Node) (*G.Node, error) { return G.Gt(a, b, true) },
		binLTE: func(a, b *G.Node) (*G.Node, error) { return G.Lte(a, b, true) },
		binGTE: func(a, b *G.Node) (*G.Node, error) { return G.Gte(a, b, true) },
		binEQ:  func(a, b *G.Node) (*G.Node, error) { return G.Eq(a, b, true) },
		binNE:  func(a, b *G.Node) (*G.Node, error) { return G.Ne(a, b, true) },
	}
	if len(binary) != len(binarySymbols) || len(binaryCNames) != len(binarySymbols) {
		t.Errorf("%d binary kinds checked, %d C names, of %d", len(binary), len(binaryCNames), len(binarySymbols))
	}
	for kind, f := range binary {
		n, err := f(x, x)
		if err != nil {
			t.Fatal(err)
		}
		if sym, _, _ := strings.Cut(n.Op().String(), " "); sym != kind.String() {
			t.Errorf("kind %d (%v): Gorgonia's op prints %q", kind, kind, n.Op())
		}
	}
}
