//go:build cgo

package cuda

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/backend/comm/commtest"
)

// The data-parallel runs of the CUDA program: global batch and steps.
const (
	dpBatch = 8
	dpSteps = 20
)

// dpNets are the networks the CUDA program's data-parallel tests train
// (backendtest.DataParallelNets but the batch-normalised CNN, whose
// per-rank statistics the CPU's test covers).
var dpNets = []string{"mlp", "cnn"}

// sameRuns trains each of dpNets on b alone and with c, and checks that
// they agree within tol.
func sameRuns(t *testing.T, b backend.Backend, c comm.Communicator, tol float64) {
	for _, net := range dpNets {
		want, err := backendtest.DataParallelRun(b, nil, net, dpBatch, dpSteps)
		if err != nil {
			t.Fatal(err)
		}
		got, err := backendtest.DataParallelRun(b, c, net, dpBatch, dpSteps)
		if err != nil {
			t.Fatalf("%s over %s: %v", net, c.Name(), err)
		}
		if d, err := got.Compare(want); err != nil || d > tol {
			t.Errorf("%s over %s differs from one process by %.3g (%v)", net, c.Name(), d, err)
		}
	}
}

// The CUDA program's data-parallel path with one rank, on the host device:
// dropout's shard offset, the averaging in the captured step and the
// broadcasts, which with one rank must change nothing, bit for bit.
func TestHostedDataParallelAlone(t *testing.T) { sameRuns(t, hostBackend(t), comm.Alone{}, 0) }

// The same on the GPU, through NCCL with one rank and a unique id made
// here (its all-reduce is the identity): the wiring of NCCL's library,
// communicator and grouped all-reduces on the program's stream, inside
// the captured step. NCCL comes with PyTorch's pip packages on the GPU
// machine; where it is missing the test skips, saying so.
func TestNCCLAlone(t *testing.T) {
	b := gpu(t)
	if err := comm.LoadNCCL(); err != nil {
		t.Skipf("NCCL: %v", err)
	}
	sameRuns(t, b, comm.Alone{}, 0)
}

// TestHostedDataParallel trains the CUDA program, on the host device,
// over 2 ranks that mpirun starts (this test, run as each rank, averaging
// through Open MPI), and compares the losses and parameters with the same
// program in one process on the global batch: relative 1e-5.
func TestHostedDataParallel(t *testing.T) {
	if comm.Launched() {
		hostedRank(t)
		return
	}
	commtest.Launcher(t)
	b := hostBackend(t)
	dir := t.TempDir()
	const np = 2
	out, err := commtest.RunTest(t, np, "TestHostedDataParallel", []string{"OUT=" + dir}, 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, net := range dpNets {
		want, err := backendtest.DataParallelRun(b, nil, net, dpBatch, dpSteps)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, net+".json"))
		if err != nil {
			t.Fatalf("%s: rank 0 wrote nothing: %v\n%s", net, err, out)
		}
		got := new(backendtest.DataParallelResult)
		if err := json.Unmarshal(data, got); err != nil {
			t.Fatal(err)
		}
		d, err := got.Compare(want)
		if err != nil || d > 1e-5 {
			t.Errorf("%s: %d ranks differ from one process by %.3g (%v)", net, np, d, err)
		}
		t.Logf("%s: %d ranks within %.3g of one process", net, np, d)
	}
}

// hostedRank is one rank of TestHostedDataParallel: rank 0 writes its
// results into $OUT/<net>.json.
func hostedRank(t *testing.T) {
	c, err := commtest.World()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, net := range dpNets {
		res, err := backendtest.DataParallelRun(hostBackend(t), c, net, dpBatch, dpSteps)
		if err != nil {
			t.Fatalf("rank %d, %s: %v", c.Rank(), net, err)
		}
		if c.Rank() != 0 {
			continue
		}
		data, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(os.Getenv("OUT"), net+".json"), data, 0o644); err != nil {
			t.Fatal(fmt.Errorf("rank 0: %w", err))
		}
	}
}
