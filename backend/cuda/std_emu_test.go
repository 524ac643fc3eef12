//go:build cgo

package cuda

import (
	"math"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// Each standard op, forward and backward, runs on the host build of the
// kernels as on the CPU backend: the output, the loss and every gradient
// agree within tol, relative to the largest reference value.
func TestHostedStdOps(t *testing.T) {
	cpu, emu := cpuBackend(t), hostBackend(t)
	for _, c := range stdCases {
		t.Run(c.name, func(t *testing.T) {
			if why := cpuLacks[c.name]; why != "" {
				t.Skip(why)
			}
			var results [2][][]float32
			for k, be := range []backend.Backend{cpu, emu} {
				spec, err := c.build()
				if err != nil {
					t.Fatal(err)
				}
				results[k] = runStd(t, be, spec)
			}
			for i := range results[0] {
				if e := relDiff(results[1][i], results[0][i]); e > 2e-5 {
					t.Errorf("value %d (output, loss, gradients): relative error %.2g\n got %v\nwant %v", i, e, results[1][i], results[0][i])
				}
			}
		})
	}
}

// runStd runs spec once on b: its output, then, with a loss, the loss and
// the gradients.
func runStd(t *testing.T, b backend.Backend, spec backend.Spec) [][]float32 {
	t.Helper()
	prog, err := b.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	outs := make([][]float32, len(spec.Outputs)+len(spec.Grads))
	for i, o := range append(spec.Outputs[:len(spec.Outputs):len(spec.Outputs)], spec.Grads...) {
		outs[i] = make([]float32, o.Shape().TotalSize())
	}
	if spec.Loss == nil {
		if err := prog.Predict(outs); err != nil {
			t.Fatal(err)
		}
		return outs
	}
	spec.Outputs = append(spec.Outputs, spec.Grads...)
	prog2, err := b.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer prog2.Close()
	loss, err := prog2.Evaluate(outs)
	if err != nil {
		t.Fatal(err)
	}
	return append([][]float32{{loss}}, outs...)
}

// The gradients the kernels compute for each standard op agree with
// central differences of the loss they compute, at a few elements of
// each parameter: a check of Gorgonia's backward graphs as lowered, not
// only of the lowering against the CPU.
func TestHostedStdOpsGradCheck(t *testing.T) {
	emu := hostBackend(t)
	const h, tol = 1e-2, 2e-2
	for _, c := range stdCases {
		if forwardOnly[c.name] {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			spec, err := c.build()
			if err != nil {
				t.Fatal(err)
			}
			spec.Outputs = spec.Grads
			prog, err := emu.Compile(spec)
			if err != nil {
				t.Fatal(err)
			}
			defer prog.Close()
			grads := make([][]float32, len(spec.Grads))
			for i, g := range spec.Grads {
				grads[i] = make([]float32, g.Shape().TotalSize())
			}
			if _, err := prog.Evaluate(grads); err != nil {
				t.Fatal(err)
			}
			lossAt := func() float64 {
				if err := prog.Load(); err != nil {
					t.Fatal(err)
				}
				l, err := prog.Evaluate(nil)
				if err != nil {
					t.Fatal(err)
				}
				return float64(l)
			}
			for i, p := range spec.Params {
				data := cpukernels.Float32s(p.Value())
				for _, j := range sampleIndices(len(data)) {
					v := data[j]
					data[j] = v + h
					up := lossAt()
					data[j] = v - h
					down := lossAt()
					data[j] = v
					fd, got := (up-down)/(2*h), float64(grads[i][j])
					if math.Abs(fd-got) > tol*math.Max(1, math.Abs(fd)) {
						t.Errorf("%s[%d]: gradient %.5g, central difference %.5g", p.Name(), j, got, fd)
					}
				}
			}
		})
	}
}

// sampleIndices returns up to 5 indices spread over n elements, the first
// and the last among them.
func sampleIndices(n int) []int {
	if n <= 5 {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	return []int{0, n / 4, n / 2, 3 * n / 4, n - 1}
}
