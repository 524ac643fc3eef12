// Package gradcheck compares the gradients Gorgonia derives from a graph
// with central finite differences, in float64. Every differentiable op of
// the project is checked with it.
package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/ops"
)

// Input is one input tensor of a case.
type Input struct {
	Name  string
	Shape []int
	// Data holds the values; nil means uniform random values in
	// [-Range, Range] (Range 0 means 1), drawn away from 0 by Gap so
	// that kinks at 0 are not straddled by the differences.
	Data  []float64
	Range float64
	Gap   float64
	// Const marks inputs that are not differentiated (targets).
	Const bool
}

// Case is one gradient check.
type Case struct {
	Name   string
	Inputs []Input
	// Build applies the ops under test to the input nodes.
	Build func(in []*G.Node) (*G.Node, error)
	// Step is the finite-difference step (default 1e-6); RelTol and AbsTol
	// bound |analytic − numeric| ≤ RelTol·(|analytic| + |numeric|) + AbsTol
	// (defaults 1e-6 and 1e-8).
	Step, RelTol, AbsTol float64
	Seed                 uint64
	// Mode is the mode every evaluation runs ops.ModeDoer ops in (the
	// zero Mode: inference); a training mode pins one dropout mask.
	Mode ops.Mode
}

// Result of a check.
type Result struct {
	Analytic, Numeric [][]float64 // per differentiated input
	MaxRelErr         float64
}

// Check runs c and reports mismatches on t.
func Check(t testing.TB, c Case) Result {
	t.Helper()
	r, err := Run(c)
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	rel, abs := c.RelTol, c.AbsTol
	if rel == 0 {
		rel = 1e-6
	}
	if abs == 0 {
		abs = 1e-8
	}
	bad := 0
	for i := range r.Analytic {
		for k, a := range r.Analytic[i] {
			n := r.Numeric[i][k]
			if math.IsNaN(a) || math.IsInf(a, 0) || math.Abs(a-n) > rel*(math.Abs(a)+math.Abs(n))+abs {
				if bad < 5 {
					t.Errorf("%s: input %d element %d: analytic %.10g, numeric %.10g", c.Name, i, k, a, n)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d mismatched gradient elements", c.Name, bad)
	}
	return r
}

// Run computes the analytic and numeric gradients of c.
func Run(c Case) (Result, error) {
	h := c.Step
	if h == 0 {
		h = 1e-6
	}
	rng := rand.New(rand.NewPCG(c.Seed, 1))
	g := G.NewGraph()
	nodes := make([]*G.Node, len(c.Inputs))
	datas := make([][]float64, len(c.Inputs))
	var wrt []*G.Node
	var wrtData [][]float64
	for i, in := range c.Inputs {
		size := 1
		for _, d := range in.Shape {
			size *= d
		}
		data := make([]float64, size)
		if in.Data != nil {
			copy(data, in.Data)
		} else {
			span := in.Range
			if span == 0 {
				span = 1
			}
			for k := range data {
				v := rng.Float64()*(span-in.Gap) + in.Gap
				if rng.IntN(2) == 0 {
					v = -v
				}
				data[k] = v
			}
		}
		datas[i] = data
		val := tensor.New(tensor.WithShape(in.Shape...), tensor.WithBacking(data))
		nodes[i] = G.NewTensor(g, tensor.Float64, len(in.Shape), G.WithShape(in.Shape...), G.WithName(in.Name), G.WithValue(val))
		if !in.Const {
			wrt = append(wrt, nodes[i])
			wrtData = append(wrtData, data)
		}
	}
	out, err := c.Build(nodes)
	if err != nil {
		return Result{}, fmt.Errorf("build: %w", err)
	}
	loss := out
	if !out.IsScalar() {
		// Weight each output element differently, so that a gradient
		// routed to the wrong element cannot cancel out.
		w := make([]float64, out.Shape().TotalSize())
		for k := range w {
			w[k] = rng.Float64()*2 - 1
		}
		wn := G.NewTensor(g, tensor.Float64, out.Dims(), G.WithShape(out.Shape()...), G.WithName("weights"),
			G.WithValue(tensor.New(tensor.WithShape(out.Shape()...), tensor.WithBacking(w))))
		prod, err := ops.Mul(out, wn)
		if err != nil {
			return Result{}, err
		}
		if loss, err = ops.Sum(prod); err != nil {
			return Result{}, err
		}
	}
	grads, err := G.Grad(loss, wrt...)
	if err != nil {
		return Result{}, fmt.Errorf("grad: %w", err)
	}
	vals, err := EvalMode(append([]*G.Node{loss}, grads...), c.Mode)
	if err != nil {
		return Result{}, err
	}
	var r Result
	for i := range grads {
		r.Analytic = append(r.Analytic, values(vals[i+1]))
	}
	f := func() (float64, error) {
		v, err := EvalMode([]*G.Node{loss}, c.Mode)
		if err != nil {
			return 0, err
		}
		return scalar(v[0]), nil
	}
	for i, data := range wrtData {
		num := make([]float64, len(data))
		for k := range data {
			orig := data[k]
			data[k] = orig + h
			fp, err := f()
			if err != nil {
				return Result{}, err
			}
			data[k] = orig - h
			fm, err := f()
			if err != nil {
				return Result{}, err
			}
			data[k] = orig
			num[k] = (fp - fm) / (2 * h)
			a := r.Analytic[i][k]
			if d := math.Abs(a-num[k]) / math.Max(math.Abs(a)+math.Abs(num[k]), 1e-12); d > r.MaxRelErr && math.Abs(a-num[k]) > 1e-12 {
				r.MaxRelErr = d
			}
		}
		r.Numeric = append(r.Numeric, num)
	}
	return r, nil
}

// Eval computes the values of targets by calling each op's Do on its
// children's values, in dependency order. It is the plainest possible
// executor: a reference for the backends.
func Eval(targets []*G.Node) ([]G.Value, error) { return EvalMode(targets, ops.Mode{}) }

// EvalMode is Eval with the ops that implement ops.ModeDoer run in mode
// (dropout masks its input when mode.Train).
func EvalMode(targets []*G.Node, mode ops.Mode) ([]G.Value, error) {
	memo := map[*G.Node]G.Value{}
	var visit func(n *G.Node) (G.Value, error)
	visit = func(n *G.Node) (G.Value, error) {
		if v, ok := memo[n]; ok {
			return v, nil
		}
		children := n.Graph().From(n.ID())
		var args []G.Value
		for children.Next() {
			v, err := visit(children.Node().(*G.Node))
			if err != nil {
				return nil, err
			}
			args = append(args, v)
		}
		var v G.Value
		if len(args) == 0 {
			if v = n.Value(); v == nil {
				return nil, fmt.Errorf("gradcheck: node %s has no value", n.Name())
			}
		} else {
			var err error
			if md, ok := n.Op().(ops.ModeDoer); ok {
				v, err = md.ModeDo(mode, nil, args...)
			} else {
				v, err = n.Op().Do(args...)
			}
			if err != nil {
				return nil, fmt.Errorf("gradcheck: %v: %w", n.Op(), err)
			}
		}
		memo[n] = v
		return v, nil
	}
	out := make([]G.Value, len(targets))
	for i, t := range targets {
		v, err := visit(t)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// values copies the elements of a float64 value, scalar or tensor.
func values(v G.Value) []float64 {
	if d, ok := v.Data().([]float64); ok {
		return append([]float64(nil), d...)
	}
	return []float64{scalar(v)}
}

func scalar(v G.Value) float64 {
	switch v := v.(type) {
	case *G.F64:
		return float64(*v)
	case *G.F32:
		return float64(*v)
	}
	switch d := v.Data().(type) {
	case float64:
		return d
	case []float64:
		return d[0]
	}
	return math.NaN()
}
