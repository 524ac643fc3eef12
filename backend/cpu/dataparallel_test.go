package cpu_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/backend/comm/commtest"
	"github.com/neurone-dl/neurone/backend/cpu"
)

func TestMain(m *testing.M) {
	commtest.Main(m, map[string]func() error{"train": trainRank})
}

// The data-parallel runs: global batch and steps.
const (
	dpBatch = 8
	dpSteps = 20
)

// trainRank is one rank of TestDataParallel: it trains every network of
// backendtest.DataParallelNets on its shards and writes the results into
// $OUT/<net>-<rank>.json.
func trainRank() error {
	c, err := commtest.World()
	if err != nil {
		return err
	}
	defer c.Close()
	for _, net := range backendtest.DataParallelNets {
		res, err := backendtest.DataParallelRun(cpu.New(), c, net, dpBatch, dpSteps)
		if err != nil {
			return fmt.Errorf("rank %d, %s: %w", c.Rank(), net, err)
		}
		data, err := json.Marshal(res)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(os.Getenv("OUT"), fmt.Sprintf("%s-%d.json", net, c.Rank())), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// TestDataParallel trains each network over 2 and 4 ranks, real processes
// started by mpirun and talking through Open MPI, and compares the losses
// and final parameters with one process training on the whole global
// batch (relative 1e-5), but for the batch-normalised CNN, whose
// statistics are per rank; every rank must end with the same parameters,
// bit for bit.
func TestDataParallel(t *testing.T) {
	commtest.Launcher(t)
	alone := map[string]*backendtest.DataParallelResult{}
	for _, net := range backendtest.DataParallelNets {
		res, err := backendtest.DataParallelRun(cpu.New(), nil, net, dpBatch, dpSteps)
		if err != nil {
			t.Fatal(err)
		}
		alone[net] = res
	}
	for _, np := range []int{2, 4} {
		t.Run(fmt.Sprintf("np=%d", np), func(t *testing.T) {
			dir := t.TempDir()
			out, err := commtest.Run(t, np, "train", []string{"OUT=" + dir}, 0)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, net := range backendtest.DataParallelNets {
				ranks := readRanks(t, dir, net, np)
				for r, res := range ranks[1:] {
					if d, err := res.Compare(ranks[0]); err != nil || d != 0 {
						t.Errorf("%s: rank %d differs from rank 0 by %.3g (%v)", net, r+1, d, err)
					}
				}
				d, err := ranks[0].Compare(alone[net])
				switch {
				case err != nil:
					t.Errorf("%s: %v", net, err)
				case net == "bncnn":
					t.Logf("%s (per-rank batch statistics): %.3g from one process", net, d)
				case d > 1e-5:
					t.Errorf("%s: %d ranks differ from one process by %.3g (losses %v, want %v)", net, np, d, ranks[0].Losses, alone[net].Losses)
				default:
					t.Logf("%s: %d ranks within %.3g of one process", net, np, d)
				}
			}
		})
	}
}

// TestDataParallelAlone: with a communicator of one rank a program
// computes what it computes without one, bit for bit: averaging over one
// rank and the broadcasts change nothing (momentum SGD, whose update is
// not folded into the products with or without a communicator).
func TestDataParallelAlone(t *testing.T) {
	for _, net := range backendtest.DataParallelNets {
		want, err := backendtest.DataParallelRun(cpu.New(), nil, net, dpBatch, dpSteps)
		if err != nil {
			t.Fatal(err)
		}
		got, err := backendtest.DataParallelRun(cpu.New(), comm.Alone{}, net, dpBatch, dpSteps)
		if err != nil {
			t.Fatal(err)
		}
		if d, err := got.Compare(want); err != nil || d != 0 {
			t.Errorf("%s: one rank differs from no communicator by %.3g (%v)", net, d, err)
		}
	}
}

func readRanks(t *testing.T, dir, net string, np int) []*backendtest.DataParallelResult {
	t.Helper()
	var ranks []*backendtest.DataParallelResult
	for r := range np {
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s-%d.json", net, r)))
		if err != nil {
			t.Fatalf("%s: rank %d wrote no result: %v", net, r, err)
		}
		res := new(backendtest.DataParallelResult)
		if err := json.Unmarshal(data, res); err != nil {
			t.Fatal(err)
		}
		if len(res.Losses) != dpSteps || slices.ContainsFunc(res.Params, func(p []float32) bool { return len(p) == 0 }) {
			t.Fatalf("%s: rank %d wrote %d losses", net, r, len(res.Losses))
		}
		ranks = append(ranks, res)
	}
	return ranks
}
