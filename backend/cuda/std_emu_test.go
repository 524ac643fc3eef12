//go:build cgo

package cuda

import (
	"math"
	"testing"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// Each standard op, forward and backward, runs on the host build of the
// kernels as on the CPU backend.
func TestHostedStdOps(t *testing.T) { compareStdOps(t, cpuBackend(t), hostBackend(t), 2e-5) }

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

// The same on a GPU, where there is one (gpu skips the test otherwise):
// cuBLAS's products and the kernels as NVRTC compiles them.
func TestStdOpsAgainstCPU(t *testing.T) { compareStdOps(t, cpuBackend(t), gpu(t), 1e-5) }
