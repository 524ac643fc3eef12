package zoo_test

import (
	"errors"
	"os"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest/zoo"
	_ "github.com/neurone-dl/neurone/backend/cpu"
	_ "github.com/neurone-dl/neurone/backend/cuda"
)

// The zoo is trained for steps steps of SGD on each backend and on
// Gorgonia's TapeMachine; losses, outputs, gradients and parameters must
// agree to tol, relative.
const (
	steps = 4
	rate  = 0.05
	tol   = 1e-4
)

// backends are the backends the zoo runs on: the CPU and the CUDA program
// emulated on the host, which proves that a model lowers to CUDA and
// computes the same numbers there, are required (under CI=true, where
// neither may be missing); a GPU, where there is one (the GPU bundle runs
// this test there).
var backends = []struct {
	name     string
	required bool
}{{"cpu", true}, {"cuda-emu", true}, {"cuda", false}}

func TestZooAgainstTapeMachine(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b, err := backend.Open(be.name)
			if errors.Is(err, backend.ErrUnavailable) && !be.required {
				t.Skip(err)
			}
			if errors.Is(err, backend.ErrUnavailable) && os.Getenv("CI") == "" {
				t.Skipf("%v (CI=true makes this a failure)", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			for _, c := range zoo.Cases() {
				t.Run(c.Name, func(t *testing.T) {
					want, err := zoo.OnTapeMachine(c, steps, rate)
					if err != nil {
						t.Fatal(err)
					}
					got, err := zoo.OnBackend(b, c, steps, rate)
					if err != nil {
						t.Fatal(err)
					}
					if err := zoo.Compare(got, want, tol); err != nil {
						t.Errorf("%s on %s against the TapeMachine: %v", c.Name, b.Name(), err)
					}
					if !(want.Losses[steps-1] < want.Losses[0]) {
						t.Errorf("%s: the loss went from %g to %g: the zoo model does not learn", c.Name, want.Losses[0], want.Losses[steps-1])
					}
				})
			}
		})
	}
}
