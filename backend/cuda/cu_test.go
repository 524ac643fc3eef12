//go:build cgo && cu

package cuda

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/cu"
	cublas "gorgonia.org/cu/blas"
	"gorgonia.org/cu/nvrtc"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// The cu layer's errors name the call and the library's own constant, as
// the default layer's do, and out-of-memory errors are recognised as such.
func TestCuErrors(t *testing.T) {
	cases := []struct {
		call string
		err  error
		want string // the error's text
		oom  bool
	}{
		{"cuMemAlloc", cu.OutOfMemory, "cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY (2)", true},
		{"cuModuleLoadData", cu.InvalidPtx, "cuModuleLoadData: CUDA_ERROR_INVALID_PTX (218)", false},
		{"cuLaunchKernel", cu.NoBinaryForGpu, "cuLaunchKernel: CUDA_ERROR_NO_BINARY_FOR_GPU (209)", false},
		// cu/blas's Init wraps cuBLAS's status.
		{"cublasCreate", fmt.Errorf("Failed to initialize: %w", cublas.AllocFailed), "cublasCreate: CUBLAS_STATUS_ALLOC_FAILED (3)", true},
		{"cublasSgemm", cublas.InvalidValue, "cublasSgemm: CUBLAS_STATUS_INVALID_VALUE (7)", false},
		{"nvrtcCompileProgram", nvrtc.Compilation, "nvrtcCompileProgram: NVRTC_ERROR_COMPILATION (6)", false},
		{"nvrtcCreateProgram", nvrtc.OutOfMemory, "nvrtcCreateProgram: NVRTC_ERROR_OUT_OF_MEMORY (1)", true},
		{"cuCtxSynchronize", errors.New("something else"), "cuCtxSynchronize: something else", false},
	}
	for _, c := range cases {
		t.Run(c.call, func(t *testing.T) {
			err := cuError(c.call, c.err)
			if got := err.Error(); got != c.want {
				t.Errorf("cuError(%q, %v) = %q, want %q", c.call, c.err, got, c.want)
			}
			if got := cudadl.IsOutOfMemory(err); got != c.oom {
				t.Errorf("IsOutOfMemory(%v) = %v, want %v", err, got, c.oom)
			}
		})
	}
	if err := cuError("cuInit", nil); err != nil {
		t.Errorf("cuError of no error = %v", err)
	}
}

// What cu lacks is an error, not a crash: TF32 when the program is
// compiled, stream capture when the second training step would capture
// it, after which every step runs eagerly and keeps learning.
func TestCuUnsupported(t *testing.T) {
	g := gpu(t)
	spec := mlp6(t, 16, optim.NewSGD(0.01))
	spec.AllowTF32 = true
	if _, err := g.Compile(spec); !errors.Is(err, backend.ErrUnsupported) || !strings.Contains(err.Error(), "cublasSetMathMode") {
		t.Errorf("Compile with AllowTF32 = %v, want ErrUnsupported naming cublasSetMathMode", err)
	}
	if _, err := g.SGEMMRate(256, true); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("SGEMMRate with TF32 = %v, want ErrUnsupported", err)
	}
	if rate, err := g.SGEMMRate(1024, false); err != nil || !(rate > 0) {
		t.Errorf("SGEMMRate = %v, %v", rate, err)
	}

	prog, err := g.Compile(mlp6(t, 16, optim.NewSGD(0.01)))
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	xs, ys := randomBatches(1, 16)
	var losses []float32
	for range 5 {
		l, err := prog.Train(xs[0], ys[0])
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, l)
	}
	p := prog.(*program)
	if p.graph != nil || !errors.Is(p.graphErr, backend.ErrUnsupported) {
		t.Errorf("graph %v, capture error %v: want no graph and ErrUnsupported", p.graph, p.graphErr)
	}
	if last := losses[len(losses)-1]; math.IsNaN(float64(last)) || last >= losses[0] {
		t.Errorf("losses %v over 5 eager steps on one batch: want them to fall", losses)
	}
	t.Logf("eager losses %v; capture: %v", losses, p.graphErr)
}

// Without a GPU the layer says so, as the default one does; with one it
// names the libraries the loader linked.
func TestCuVersions(t *testing.T) {
	g := gpu(t)
	v := g.Versions()
	for _, want := range []string{"gorgonia.org/cu", "libcuda.so", "libcublas.so", "libnvrtc.so", "kernels: PTX"} {
		if !strings.Contains(v, want) {
			t.Errorf("Versions() = %q, want it to name %s", v, want)
		}
	}
	t.Log(v)
}
