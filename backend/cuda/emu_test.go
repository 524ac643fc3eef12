//go:build cgo

package cuda

import (
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// The CUDA backend's program is also checked whole without a GPU, on
// cuda-emu (emu.go): the conformance suite and the op cases run the real
// program, plan, launches, kernels, optimizer kernels, capture and replay,
// against the CPU. A wrong index, a thread index used where the global
// one was meant, a swapped argument, a formula that differs from the
// CPU's, a step off by one or a leaked buffer fails here, before a GPU
// sees it. What this cannot check is what needs a GPU: warps, blocks
// running at once, the driver, cuBLAS itself (products run on the host
// BLAS).

// hostBackend is the CUDA backend, whole, on the host device: cuda-emu,
// closed when the test ends. Without a C++ compiler it skips the test,
// except in CI (CI=true), where it fails it.
func hostBackend(t *testing.T) *Backend { return hostBackendLimited(t, 0) }

// noEmulator ends the test for err, opening cuda-emu's error: it skips
// when the machine lacks what cuda-emu needs (a C++ compiler), except in
// CI (CI=true), which installs it; any other error fails the test.
func noEmulator(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, backend.ErrUnavailable) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	t.Fatal(err)
}

// hostBackendLimited is hostBackend with devices holding at most limit
// floats (0: no limit).
func hostBackendLimited(t *testing.T, limit int) *Backend {
	t.Helper()
	b, err := newEmulated(limit)
	if err != nil {
		noEmulator(t, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// A program that does not fit is an error suggesting a smaller batch, after
// which the backend compiles a program that fits; nothing leaks either way.
func TestHostedOutOfMemory(t *testing.T) {
	b := hostBackendLimited(t, 14_000_000) // MLP6: 6.2M weights, as many gradients, then the batch
	args := cudadl.ArgsInUse()
	_, err := b.Compile(mlp6(t, 256, optim.NewSGD(0.01)))
	if got := cudadl.ArgsInUse(); got != args {
		t.Errorf("the failed Compile left %d kernel argument lists allocated", got-args)
	}
	if err == nil || !strings.Contains(err.Error(), "smaller batch") || !cudadl.IsOutOfMemory(err) {
		t.Fatalf("Compile at batch 256 = %v, want an out-of-memory error suggesting a smaller batch", err)
	}
	t.Log(err)
	// Adam's moments do not fit: it fails after the kernels' launches were
	// prepared, and frees their arguments.
	adam := optim.NewAdam(1e-3)
	adam.ClipNorm = 1
	if _, err := b.Compile(mlp6(t, 4, adam)); !cudadl.IsOutOfMemory(err) {
		t.Errorf("Compile with Adam's moments = %v, want out of memory", err)
	}
	if got := cudadl.ArgsInUse(); got != args {
		t.Errorf("the failed Compile with Adam left %d kernel argument lists allocated", got-args)
	}
	prog, err := b.Compile(mlp6(t, 4, optim.NewSGD(0.01)))
	if err != nil {
		t.Fatalf("after running out of memory, batch 4: %v", err)
	}
	if err := prog.Close(); err != nil {
		t.Error(err)
	}
}

// Closing a program frees the argument lists of all its launches: each
// instruction's, inference's, the optimizer's, and gradient clipping's.
func TestHostedCloseFreesArgs(t *testing.T) {
	b := hostBackend(t)
	for _, c := range opCases {
		spec, _, err := c.build()
		if err != nil {
			t.Fatal(err)
		}
		args := cudadl.ArgsInUse()
		prog, err := b.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		p := prog.(*program)
		if spec.Optimizer.ClipNorm > 0 && len(p.clip) == 0 {
			t.Errorf("%s: clipping, without clipping's launches", c.name)
		}
		if err := prog.Close(); err != nil {
			t.Fatal(err)
		}
		if got := cudadl.ArgsInUse(); got != args {
			t.Errorf("%s: closing the program left %d kernel argument lists allocated", c.name, got-args)
		}
	}
}

// The conformance suite and the op cases run the CUDA backend's program,
// unchanged, on the host device: plan, launches, kernels, optimizer
// kernels, capture and replay of the training step, memory lifetimes.
// It is opened as users open it, by name.
func TestHostedConformance(t *testing.T) {
	b, err := backend.Open("cuda-emu")
	if err != nil {
		noEmulator(t, err)
	}
	defer b.Close()
	backendtest.RunAll(t, b)
}

func TestHostedOps(t *testing.T) { compareOps(t, cpuBackend(t), hostBackend(t), 1e-5) }

// From the second step on, training replays the captured step, and the
// replayed steps compute exactly what eager ones do.
func TestHostedGraphReplay(t *testing.T) {
	xs, ys := randomBatches(3, 4)
	checkGraphReplay(t, hostBackend(t), xs, ys, 0)
}

// The host twin of TestMLP6AgainstCPU, on fewer and smaller batches: the
// same checks of the gradients, of Adam's first step and of the losses.
func TestHostedMLP6AgainstCPU(t *testing.T) {
	xs, ys := randomBatches(2, 8)
	checkMLP6AgainstCPU(t, hostBackend(t), xs, ys)
}

// randomBatches returns n random batches for MLP6 at batch size batch.
func randomBatches(n, batch int) (xs, ys [][]float32) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range n {
		xs = append(xs, randoms(rng, batch*100*100))
		y := make([]float32, batch)
		for i := range y {
			y[i] = float32(rng.IntN(2))
		}
		ys = append(ys, y)
	}
	return xs, ys
}
