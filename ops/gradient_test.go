package ops_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/internal/gradcheck"
	"github.com/neurone-dl/neurone/ops"
)

func unary(f func(*G.Node) (*G.Node, error)) func([]*G.Node) (*G.Node, error) {
	return func(in []*G.Node) (*G.Node, error) { return f(in[0]) }
}

func binary(f func(a, b *G.Node) (*G.Node, error)) func([]*G.Node) (*G.Node, error) {
	return func(in []*G.Node) (*G.Node, error) { return f(in[0], in[1]) }
}

func conv(stride, pad [2]int) func([]*G.Node) (*G.Node, error) {
	return func(in []*G.Node) (*G.Node, error) { return ops.Conv2D(in[0], in[1], stride, pad) }
}

func maxPool(kernel, stride [2]int) func([]*G.Node) (*G.Node, error) {
	return unary(func(x *G.Node) (*G.Node, error) { return ops.MaxPool2D(x, kernel, stride) })
}

func avgPool(kernel, stride [2]int) func([]*G.Node) (*G.Node, error) {
	return unary(func(x *G.Node) (*G.Node, error) { return ops.AvgPool2D(x, kernel, stride) })
}

// bnInputs are x of the given shape and the per-channel γ, β (around 1
// and 0) and running mean and variance (constants; the variance positive).
func bnInputs(shape ...int) []gradcheck.Input {
	c := shape[1]
	pos := make([]float64, c)
	for i := range pos {
		pos[i] = 0.5 + 0.3*float64(i)
	}
	return []gradcheck.Input{{Name: "x", Shape: shape, Range: 2}, {Name: "gamma", Shape: []int{c}}, {Name: "beta", Shape: []int{c}},
		{Name: "mean", Shape: []int{c}, Const: true}, {Name: "var", Shape: []int{c}, Data: pos, Const: true}}
}

func batchNorm(in []*G.Node) (*G.Node, error) {
	stats, err := ops.BatchNormStats(in[0])
	if err != nil {
		return nil, err
	}
	return ops.BatchNorm(in[0], stats, in[1], in[2], in[3], in[4], 1e-5)
}

func dropout(rate float64, seed uint64) func([]*G.Node) (*G.Node, error) {
	return unary(func(x *G.Node) (*G.Node, error) { return ops.Dropout(x, rate, seed) })
}

// convInputs are an image batch x and filters w of the given shapes.
func convInputs(x, w []int) []gradcheck.Input {
	return []gradcheck.Input{{Name: "x", Shape: x}, {Name: "w", Shape: w}}
}

func matmul(ta, tb bool) func([]*G.Node) (*G.Node, error) {
	return func(in []*G.Node) (*G.Node, error) { return ops.MatMul(in[0], in[1], ta, tb) }
}

// TestGradients checks every differentiable op against central finite
// differences in float64.
func TestGradients(t *testing.T) {
	t.Parallel()
	x := func(shape ...int) gradcheck.Input {
		return gradcheck.Input{Name: "x", Shape: shape, Range: 2, Gap: 1e-3}
	}
	cases := []gradcheck.Case{
		{Name: "MatMul", Inputs: []gradcheck.Input{{Name: "a", Shape: []int{3, 4}}, {Name: "b", Shape: []int{4, 5}}}, Build: matmul(false, false)},
		{Name: "MatMul/TransA", Inputs: []gradcheck.Input{{Name: "a", Shape: []int{4, 3}}, {Name: "b", Shape: []int{4, 5}}}, Build: matmul(true, false)},
		{Name: "MatMul/TransB", Inputs: []gradcheck.Input{{Name: "a", Shape: []int{3, 4}}, {Name: "b", Shape: []int{5, 4}}}, Build: matmul(false, true)},
		{Name: "MatMul/TransAB", Inputs: []gradcheck.Input{{Name: "a", Shape: []int{4, 3}}, {Name: "b", Shape: []int{5, 4}}}, Build: matmul(true, true)},
		{Name: "BiasAdd", Inputs: []gradcheck.Input{{Name: "x", Shape: []int{4, 3}}, {Name: "b", Shape: []int{3}}}, Build: binary(ops.BiasAdd)},
		{Name: "ReLU", Inputs: []gradcheck.Input{x(5, 4)}, Build: unary(ops.ReLU)},
		{Name: "LeakyReLU", Inputs: []gradcheck.Input{x(5, 4)}, Build: unary(func(n *G.Node) (*G.Node, error) { return ops.LeakyReLU(n, 0.1) })},
		{Name: "Sigmoid", Inputs: []gradcheck.Input{x(5, 4)}, Build: unary(ops.Sigmoid)},
		{Name: "Sigmoid/saturated", Inputs: []gradcheck.Input{{Name: "x", Shape: []int{2, 3}, Data: []float64{-40, -20, -12, 12, 20, 40}}}, Build: unary(ops.Sigmoid)},
		{Name: "Tanh", Inputs: []gradcheck.Input{x(5, 4)}, Build: unary(ops.Tanh)},
		{Name: "Step", Inputs: []gradcheck.Input{x(5, 4)}, Build: unary(func(n *G.Node) (*G.Node, error) { return ops.Step(n, false) })},
		{Name: "Add", Inputs: []gradcheck.Input{{Name: "a", Shape: []int{3, 4}}, {Name: "b", Shape: []int{3, 4}}}, Build: binary(ops.Add)},
		{Name: "Mul", Inputs: []gradcheck.Input{{Name: "a", Shape: []int{3, 4}}, {Name: "b", Shape: []int{3, 4}}}, Build: binary(ops.Mul)},
		{Name: "Sum", Inputs: []gradcheck.Input{x(3, 4)}, Build: unary(ops.Sum)},
		{Name: "Expand", Inputs: []gradcheck.Input{{Name: "s", Shape: []int{}, Data: []float64{0.7}}}, Build: unary(func(n *G.Node) (*G.Node, error) { return ops.Expand(n, []int{2, 3}) })},
		{Name: "BCEWithLogits", Inputs: []gradcheck.Input{{Name: "z", Shape: []int{6, 1}, Range: 4}, {Name: "y", Shape: []int{6, 1}, Data: []float64{1, 0, 1, 0, 0.3, 1}, Const: true}}, Build: binary(ops.BCEWithLogits)},
		{Name: "BCEWithLogits/huge", Inputs: []gradcheck.Input{{Name: "z", Shape: []int{4, 1}, Data: []float64{1000, -1000, 1000, -1000}}, {Name: "y", Shape: []int{4, 1}, Data: []float64{1, 0, 0, 1}, Const: true}}, Build: binary(ops.BCEWithLogits), Step: 1e-3},
		{Name: "Softmax", Inputs: []gradcheck.Input{x(5, 4)}, Build: unary(ops.Softmax)},
		{Name: "Softmax/3-D", Inputs: []gradcheck.Input{x(2, 3, 4)}, Build: unary(ops.Softmax)},
		{Name: "Softmax/vector", Inputs: []gradcheck.Input{x(6)}, Build: unary(ops.Softmax)},
		{Name: "Softmax/saturated", Inputs: []gradcheck.Input{{Name: "x", Shape: []int{2, 3}, Data: []float64{1000, 0, -1000, 5, 5, 5}}}, Build: unary(ops.Softmax)},
		{Name: "SoftmaxCrossEntropy/one-hot", Inputs: []gradcheck.Input{{Name: "z", Shape: []int{4, 3}, Range: 4},
			{Name: "y", Shape: []int{4, 3}, Data: []float64{1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1}, Const: true}}, Build: binary(ops.SoftmaxCrossEntropy)},
		// Smoothed labels, and a row whose targets add up to 0.5: the
		// loss weights each row's log-sum-exp by its targets' sum.
		{Name: "SoftmaxCrossEntropy/soft-targets", Inputs: []gradcheck.Input{{Name: "z", Shape: []int{3, 4}, Range: 3},
			{Name: "y", Shape: []int{3, 4}, Data: []float64{0.7, 0.1, 0.1, 0.1, 0.25, 0.25, 0.25, 0.25, 0, 0.5, 0, 0}, Const: true}}, Build: binary(ops.SoftmaxCrossEntropy)},
		{Name: "SoftmaxCrossEntropy/3-D", Inputs: []gradcheck.Input{{Name: "z", Shape: []int{2, 2, 3}, Range: 2},
			{Name: "y", Shape: []int{2, 2, 3}, Data: []float64{0, 1, 0, 1, 0, 0, 0, 0, 1, 0.5, 0.5, 0}, Const: true}}, Build: binary(ops.SoftmaxCrossEntropy)},
		{Name: "SoftmaxCrossEntropy/huge", Inputs: []gradcheck.Input{{Name: "z", Shape: []int{2, 3}, Data: []float64{1000, 0, -1000, -1000, 1000, 999}},
			{Name: "y", Shape: []int{2, 3}, Data: []float64{0, 1, 0, 0, 0, 1}, Const: true}}, Build: binary(ops.SoftmaxCrossEntropy), Step: 1e-3},
		{Name: "MSE", Inputs: []gradcheck.Input{{Name: "p", Shape: []int{4, 2}}, {Name: "y", Shape: []int{4, 2}, Const: true}}, Build: binary(ops.MSE)},
		{Name: "Conv2D", Inputs: convInputs([]int{2, 3, 5, 4}, []int{4, 3, 3, 2}), Build: conv([2]int{1, 1}, [2]int{0, 0})},
		{Name: "Conv2D/stride2/pad1", Inputs: convInputs([]int{2, 2, 7, 6}, []int{3, 2, 3, 3}), Build: conv([2]int{2, 2}, [2]int{1, 1})},
		{Name: "Conv2D/stride2x1/pad0x2", Inputs: convInputs([]int{1, 2, 6, 5}, []int{2, 2, 2, 3}), Build: conv([2]int{2, 1}, [2]int{0, 2})},
		{Name: "Conv2D/stride3/pad2/1x1", Inputs: convInputs([]int{2, 3, 4, 5}, []int{2, 3, 1, 1}), Build: conv([2]int{3, 3}, [2]int{2, 2})},
		{Name: "ChannelBiasAdd", Inputs: []gradcheck.Input{{Name: "x", Shape: []int{2, 3, 4, 5}}, {Name: "b", Shape: []int{3}}}, Build: binary(ops.ChannelBiasAdd)},
		{Name: "MaxPool2D", Inputs: []gradcheck.Input{x(2, 3, 6, 5)}, Build: maxPool([2]int{2, 2}, [2]int{2, 2})},
		{Name: "MaxPool2D/overlapping3x2", Inputs: []gradcheck.Input{x(2, 2, 7, 6)}, Build: maxPool([2]int{3, 2}, [2]int{2, 1})},
		{Name: "AvgPool2D", Inputs: []gradcheck.Input{x(2, 3, 6, 5)}, Build: avgPool([2]int{2, 2}, [2]int{2, 2})},
		{Name: "AvgPool2D/overlapping3x2", Inputs: []gradcheck.Input{x(2, 2, 7, 6)}, Build: avgPool([2]int{3, 2}, [2]int{2, 1})},
		{Name: "AvgPool2D/global", Inputs: []gradcheck.Input{x(2, 3, 5, 4)}, Build: avgPool([2]int{5, 4}, [2]int{1, 1})},
		{Name: "BatchNorm/train/N×C", Inputs: bnInputs(5, 3), Build: batchNorm, Mode: ops.Mode{Train: true, Step: 1}},
		{Name: "BatchNorm/train/N×C×H×W", Inputs: bnInputs(2, 3, 3, 2), Build: batchNorm, Mode: ops.Mode{Train: true, Step: 1}},
		{Name: "BatchNorm/inference", Inputs: bnInputs(2, 3, 2, 2), Build: batchNorm},
		{Name: "Flatten", Inputs: []gradcheck.Input{x(2, 3, 2, 4)}, Build: unary(ops.Flatten)},
		{Name: "Dropout/train", Inputs: []gradcheck.Input{x(4, 30)}, Build: dropout(0.5, 7), Mode: ops.Mode{Train: true, Step: 3}},
		{Name: "Dropout/train/4-D", Inputs: []gradcheck.Input{x(2, 3, 4, 5)}, Build: dropout(0.25, 8), Mode: ops.Mode{Train: true, Step: 1}},
		{Name: "Dropout/inference", Inputs: []gradcheck.Input{x(4, 30)}, Build: dropout(0.5, 7)},
		{Name: "Conv block chain", Inputs: []gradcheck.Input{{Name: "x", Shape: []int{2, 2, 6, 6}, Const: true}, {Name: "w", Shape: []int{3, 2, 3, 3}}, {Name: "b", Shape: []int{3}}, {Name: "v", Shape: []int{27, 2}}},
			Mode: ops.Mode{Train: true, Step: 2},
			Build: func(in []*G.Node) (*G.Node, error) {
				h, err := ops.Conv2D(in[0], in[1], [2]int{1, 1}, [2]int{1, 1})
				if err == nil {
					h, err = ops.ChannelBiasAdd(h, in[2])
				}
				if err == nil {
					h, err = ops.Tanh(h)
				}
				if err == nil {
					h, err = ops.MaxPool2D(h, [2]int{2, 2}, [2]int{2, 2})
				}
				if err == nil {
					h, err = ops.Flatten(h)
				}
				if err == nil {
					h, err = ops.Dropout(h, 0.3, 5)
				}
				if err != nil {
					return nil, err
				}
				return ops.MatMul(h, in[3], false, false)
			}},
		{Name: "Dense/ReLU chain", Inputs: []gradcheck.Input{{Name: "x", Shape: []int{3, 4}, Const: true}, {Name: "w", Shape: []int{4, 5}}, {Name: "b", Shape: []int{5}}},
			Build: func(in []*G.Node) (*G.Node, error) {
				h, err := ops.MatMul(in[0], in[1], false, false)
				if err != nil {
					return nil, err
				}
				if h, err = ops.BiasAdd(h, in[2]); err != nil {
					return nil, err
				}
				return ops.Tanh(h)
			}},
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			r := gradcheck.Check(t, c)
			t.Logf("max relative error %.2g", r.MaxRelErr)
		})
	}
}

// TestAwkwardPoints checks the gradients where finite differences cannot:
// at kinks, where the convention is documented, and the straight-through step.
func TestAwkwardPoints(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		x     []float64
		build func(*G.Node) (*G.Node, error)
		want  []float64 // gradient of Sum(op(x))
	}{
		{"ReLU at 0 has gradient 0", []float64{0, -0.5, 0.5}, ops.ReLU, []float64{0, 0, 1}},
		{"LeakyReLU at 0 takes the negative slope", []float64{0, -0.5, 0.5},
			func(n *G.Node) (*G.Node, error) { return ops.LeakyReLU(n, 0.1) }, []float64{0.1, 0.1, 1}},
		{"Step has gradient 0", []float64{0, -0.5, 3},
			func(n *G.Node) (*G.Node, error) { return ops.Step(n, false) }, []float64{0, 0, 0}},
		{"Step straight-through passes |x| <= 1", []float64{0, -0.5, 1, 3, -1.5},
			func(n *G.Node) (*G.Node, error) { return ops.Step(n, true) }, []float64{1, 1, 1, 0, 0}},
		{"Sigmoid saturates to a finite 0", []float64{-800, 800}, ops.Sigmoid, []float64{0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := gradcheck.Run(gradcheck.Case{
				Inputs: []gradcheck.Input{{Name: "x", Shape: []int{len(c.x)}, Data: c.x}},
				Build: func(in []*G.Node) (*G.Node, error) {
					y, err := c.build(in[0])
					if err != nil {
						return nil, err
					}
					return ops.Sum(y)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range c.want {
				if got := r.Analytic[0][i]; got != w {
					t.Errorf("x=%v: gradient %v, want %v", c.x[i], got, w)
				}
			}
		})
	}
}

// TestBCEHugeLogits checks that the fused loss stays finite and exact where
// a sigmoid followed by a logarithm would give Inf or NaN.
func TestBCEHugeLogits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		z, y, loss float64
	}{
		{1000, 1, 0},
		{-1000, 0, 0},
		{1000, 0, 1000},
		{-1000, 1, 1000},
		{0, 1, math.Ln2},
	}
	for _, c := range cases {
		g := G.NewGraph()
		z := G.NewMatrix(g, G.Float64, G.WithShape(1, 1), G.WithName("z"), G.WithValue(tensorOf(c.z)))
		y := G.NewMatrix(g, G.Float64, G.WithShape(1, 1), G.WithName("y"), G.WithValue(tensorOf(c.y)))
		loss, grads := lossAndGrad(t, ops.BCEWithLogits, z, y)
		grad := grads[0]
		if !scalar.EqualWithinAbs(loss, c.loss, 1e-12) || math.IsInf(grad, 0) {
			t.Errorf("z=%v y=%v: loss %v (want %v), gradient %v", c.z, c.y, loss, c.loss, grad)
		}
		if want := 1/(1+math.Exp(-c.z)) - c.y; !scalar.EqualWithinAbs(grad, want, 1e-12) {
			t.Errorf("z=%v y=%v: gradient %v, want %v", c.z, c.y, grad, want)
		}
	}
}
