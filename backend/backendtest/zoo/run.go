package zoo

import (
	"fmt"
	"math"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/graph/optim"
)

// Trace is what training a model for some steps by plain SGD computed:
// for each step, the loss, the outputs and the gradients at the parameters
// the step started from; then the parameters after the last update.
type Trace struct {
	Losses  []float64
	Outputs [][][]float32 // [step][output]
	Grads   [][][]float32 // [step][param]
	Params  [][]float32
}

// OnBackend trains c's model for steps steps of SGD with rate lr on b:
// each step Evaluates the outputs and gradients, then Trains on c's batch.
func OnBackend(b backend.Backend, c Case, steps int, lr float64) (*Trace, error) {
	m, err := c.Build(G.NewGraph())
	if err != nil {
		return nil, err
	}
	spec := backend.Spec{
		Inputs: m.Inputs, Loss: m.Loss, Outputs: append(slices.Clone(m.Outputs), m.Grads...),
		Params: m.Params, Grads: m.Grads, Optimizer: optim.NewSGD(lr),
	}
	prog, err := b.Compile(spec)
	if err != nil {
		return nil, fmt.Errorf("zoo %s: %w", c.Name, err)
	}
	defer prog.Close()
	tr := &Trace{}
	for step := 1; step <= steps; step++ {
		batch := c.Batch()
		read := make([][]float32, len(spec.Outputs))
		for i, n := range spec.Outputs {
			read[i] = make([]float32, n.Shape().TotalSize())
		}
		loss, err := prog.Evaluate(read, batch...)
		if err != nil {
			return nil, fmt.Errorf("zoo %s: step %d: %w", c.Name, step, err)
		}
		trained, err := prog.Train(batch...)
		if err != nil {
			return nil, fmt.Errorf("zoo %s: step %d: %w", c.Name, step, err)
		}
		if trained != loss {
			return nil, fmt.Errorf("zoo %s: step %d: Train's loss %g, Evaluate's %g", c.Name, step, trained, loss)
		}
		tr.Losses = append(tr.Losses, float64(loss))
		tr.Outputs = append(tr.Outputs, read[:len(m.Outputs)])
		tr.Grads = append(tr.Grads, read[len(m.Outputs):])
	}
	if err := prog.Sync(); err != nil {
		return nil, err
	}
	for _, p := range m.Params {
		tr.Params = append(tr.Params, slices.Clone(p.Value().Data().([]float32)))
	}
	return tr, nil
}

// OnTapeMachine trains c's model as OnBackend does, on Gorgonia's own
// TapeMachine, updating the parameters in Go.
func OnTapeMachine(c Case, steps int, lr float64) (*Trace, error) {
	g := G.NewGraph()
	m, err := c.Build(g)
	if err != nil {
		return nil, err
	}
	// The machine reuses a node's memory once its consumers have run, so
	// what is compared is copied as it is computed, by G.Read.
	watched := append(append([]*G.Node{m.Loss}, m.Outputs...), m.Grads...)
	read := make([]G.Value, len(watched))
	for i, n := range watched {
		G.Read(n, &read[i])
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	tr := &Trace{}
	for step := 1; step <= steps; step++ {
		for i, in := range c.Batch() {
			v := tensor.New(tensor.WithShape(m.Inputs[i].Shape()...), tensor.WithBacking(in))
			if err := G.Let(m.Inputs[i], v); err != nil {
				return nil, err
			}
		}
		if err := vm.RunAll(); err != nil {
			return nil, fmt.Errorf("zoo %s: TapeMachine: step %d: %w", c.Name, step, err)
		}
		got := values(read)
		tr.Losses = append(tr.Losses, float64(got[0][0]))
		tr.Outputs = append(tr.Outputs, got[1:1+len(m.Outputs)])
		grads := got[1+len(m.Outputs):]
		tr.Grads = append(tr.Grads, grads)
		vm.Reset()
		for i, p := range m.Params {
			w := p.Value().Data().([]float32)
			for j, d := range grads[i] {
				w[j] -= float32(lr) * d
			}
		}
	}
	for _, p := range m.Params {
		tr.Params = append(tr.Params, slices.Clone(p.Value().Data().([]float32)))
	}
	return tr, nil
}

// values copies vs' data, a float32 scalar as one element.
func values(vs []G.Value) [][]float32 {
	out := make([][]float32, len(vs))
	for i, v := range vs {
		switch d := v.Data().(type) {
		case []float32:
			out[i] = slices.Clone(d)
		case float32:
			out[i] = []float32{d}
		}
	}
	return out
}

// Compare says how got differs from want beyond tol, relative to the size
// of each compared vector (max |got-want| ≤ tol·max |want|, or tol where
// want is all zeros), or returns nil.
func Compare(got, want *Trace, tol float64) error {
	if len(got.Losses) != len(want.Losses) {
		return fmt.Errorf("%d steps, want %d", len(got.Losses), len(want.Losses))
	}
	for s := range want.Losses {
		if d := math.Abs(got.Losses[s] - want.Losses[s]); d > tol*math.Max(math.Abs(want.Losses[s]), 1e-30) {
			return fmt.Errorf("step %d: loss %.8g, want %.8g", s+1, got.Losses[s], want.Losses[s])
		}
		if err := compareAll("output", got.Outputs[s], want.Outputs[s], tol); err != nil {
			return fmt.Errorf("step %d: %w", s+1, err)
		}
		if err := compareAll("gradient", got.Grads[s], want.Grads[s], tol); err != nil {
			return fmt.Errorf("step %d: %w", s+1, err)
		}
	}
	if err := compareAll("parameter", got.Params, want.Params, tol); err != nil {
		return fmt.Errorf("after step %d: %w", len(want.Losses), err)
	}
	return nil
}

func compareAll(what string, got, want [][]float32, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d %ss, want %d", len(got), what, len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return fmt.Errorf("%s %d: %d values, want %d", what, i, len(got[i]), len(want[i]))
		}
		var scale, worst float64
		at := -1
		for j, w := range want[i] {
			scale = math.Max(scale, math.Abs(float64(w)))
			d := math.Abs(float64(got[i][j] - w))
			if math.IsNaN(d) {
				return fmt.Errorf("%s %d: element %d is %g, want %g", what, i, j, got[i][j], w)
			}
			if d > worst {
				worst, at = d, j
			}
		}
		limit := tol * scale
		if scale == 0 {
			limit = tol
		}
		if worst > limit {
			return fmt.Errorf("%s %d: element %d is %.8g, want %.8g (max |want| %.3g)", what, i, at, got[i][at], want[i][at], scale)
		}
	}
	return nil
}
