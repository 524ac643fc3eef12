package catdog_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/backend/comm/commtest"
	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/faultfs"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/catdogtest"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

func TestMain(m *testing.M) {
	commtest.Main(m, map[string]func() error{"dataparallel-run": dataParallelRank})
}

// dpArchs are the networks of TestDataParallelRun: both architectures
// without batch normalisation (computed per rank, it differs from one
// process's), the CNN with its dropout.
var dpArchs = []string{catdog.ArchMLP6, catdog.ArchCNN}

// dpRun returns the options of a small run of arch into dir: 32×32
// synthetic images, 86 to train on in 5 steps of 16, Adam.
func dpRun(dir, arch string, epochs int) catdog.RunOptions {
	const side, seed = 32, 3
	cfg, err := catdog.ConfigFor(arch)
	if err != nil {
		panic(err)
	}
	cfg.Side, cfg.Seed = side, seed
	if arch == catdog.ArchMLP6 {
		cfg.Hidden = []int{32, 16}
	} else if cfg.CNN, err = catdog.DefaultCNNLayers().Resized([]int{4, 8}, []int{16}); err != nil {
		panic(err)
	}
	all := synthetic.Generate(120, seed, side)
	rest, test, err := all.Split(0.1, seed)
	if err != nil {
		panic(err)
	}
	train, val, err := rest.Split(0.2, seed+1)
	if err != nil {
		panic(err)
	}
	return catdog.RunOptions{Dir: dir, Backend: cpu.New(), Config: cfg, Batch: 16, Epochs: epochs, Optimizer: optim.NewAdam(0.002),
		Train: train, Val: val, Test: test}
}

// TestDataParallelRun trains each of dpArchs over 2 processes started by
// mpirun (dataParallelRank) and checks that the run is the one a single
// process makes: the same weights, optimizer state and history up to
// float32 rounding, written by rank 0 alone; that a run resumed by as
// many processes ends exactly as the run that was never stopped; and
// that a run resumed by another number of processes is refused.
func TestDataParallelRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an mpirun job of 2 processes")
	}
	commtest.Launcher(t)
	tmp := t.TempDir()
	alone := map[string]*catdog.Result{}
	for _, arch := range dpArchs {
		res, err := catdog.Run(context.Background(), dpRun(filepath.Join(tmp, arch, "alone"), arch, 2), nil)
		if err != nil {
			t.Fatal(err)
		}
		alone[arch] = res
		if _, err := catdog.Run(context.Background(), dpRun(filepath.Join(tmp, arch, "alone1"), arch, 1), nil); err != nil {
			t.Fatal(err)
		}
	}
	out, err := commtest.Run(t, 2, "dataparallel-run", []string{"OUT=" + tmp}, 2*time.Minute)
	if err != nil {
		t.Fatalf("mpirun: %v\n%s", err, out)
	}
	for _, arch := range dpArchs {
		t.Run(arch, func(t *testing.T) {
			dir := func(name string) string { return filepath.Join(tmp, arch, name) }
			catdogtest.CloseTensors(t, filepath.Join(dir("alone"), checkpoint.LastFile), filepath.Join(dir("straight"), checkpoint.LastFile), 1e-5)
			closeHistory(t, alone[arch].History, readHistory(t, dir("straight")), 1e-5)
			meta, _, err := catdog.ReadMeta(filepath.Join(dir("straight"), checkpoint.LastFile))
			if err != nil {
				t.Fatal(err)
			}
			if meta.Ranks != 2 || meta.Batch != 16 {
				t.Errorf("the 2-process checkpoint records %d processes and a batch of %d, want 2 and 16", meta.Ranks, meta.Batch)
			}
			catdogtest.SameTensors(t, filepath.Join(dir("straight"), checkpoint.LastFile), filepath.Join(dir("split"), checkpoint.LastFile))

			saved, err := catdog.ReadRun(dir("straight"))
			if err != nil {
				t.Fatal(err)
			}
			opt := dpRun("", arch, 3)
			_, err = catdog.Resume(context.Background(), saved, catdog.RunOptions{Backend: cpu.New(), Epochs: 3, Train: opt.Train}, nil)
			if !errors.Is(err, catdog.ErrRanksMismatch) || !strings.Contains(err.Error(), "mpirun -np 2") {
				t.Errorf("resuming a 2-process run alone: %v, want %v naming mpirun -np 2", err, catdog.ErrRanksMismatch)
			}
		})
	}
}

// dataParallelRank is one rank of TestDataParallelRun's job. For each
// architecture it trains 2 epochs into OUT/ARCH/straight, 1 into
// OUT/ARCH/split and resumes that to 2, rank 1 through an FS that fails
// every write; it checks that every rank tests the same, that a write
// failing on rank 0 stops both ranks, and that a batch the ranks do not
// share equally, and resuming a run of one process, are refused.
func dataParallelRank() error {
	c, err := commtest.World()
	if err != nil {
		return err
	}
	defer c.Close()
	for _, arch := range dpArchs {
		dir := func(name string) string { return filepath.Join(os.Getenv("OUT"), arch, name) }
		run := func(name string, epochs int) catdog.RunOptions {
			opt := dpRun(dir(name), arch, epochs)
			opt.Comm = c
			if c.Rank() != 0 {
				opt.FS = &faultfs.FS{Fail: func(op faultfs.Op) error {
					return fmt.Errorf("rank %d writes %s", c.Rank(), op.Path)
				}}
			}
			return opt
		}
		res, err := catdog.Run(context.Background(), run("straight", 2), nil)
		if err != nil {
			return err
		}
		if err := sameOnEveryRank(c, res.TestProbs); err != nil {
			return err
		}
		if _, err := catdog.Run(context.Background(), run("split", 1), nil); err != nil {
			return err
		}
		for _, name := range []string{"split", "alone1"} {
			saved, err := catdog.ReadRun(dir(name))
			if err != nil {
				return err
			}
			opt := run(name, 2)
			_, err = catdog.Resume(context.Background(), saved, catdog.RunOptions{Backend: opt.Backend, Comm: c, FS: opt.FS, Epochs: 2,
				Train: opt.Train, Val: opt.Val, Test: opt.Test}, nil)
			switch {
			case name == "split" && err != nil:
				return fmt.Errorf("resuming %s: %w", saved.Dir, err)
			case name == "alone1" && (!errors.Is(err, catdog.ErrRanksMismatch) || !strings.Contains(err.Error(), "without mpirun")):
				return fmt.Errorf("resuming a run of 1 process over 2: %v, want %v saying to resume it without mpirun", err, catdog.ErrRanksMismatch)
			}
		}
		// A write that fails on rank 0 stops every rank, each with an
		// error, rather than leaving rank 1 waiting in the next step.
		full := run("full", 2)
		if c.Rank() == 0 {
			full.FS = &faultfs.FS{Fail: func(faultfs.Op) error { return errDiskFull }}
		}
		_, err = catdog.Run(context.Background(), full, nil)
		if want := map[bool]string{true: errDiskFull.Error(), false: "1 of the 2 processes of the run failed"}[c.Rank() == 0]; err == nil ||
			!strings.Contains(err.Error(), want) {
			return fmt.Errorf("rank %d, a write failing on rank 0: %v, want an error saying %q", c.Rank(), err, want)
		}
		odd := run("odd", 2)
		odd.Batch = 15
		if _, err := catdog.Run(context.Background(), odd, nil); err == nil || !strings.Contains(err.Error(), "--batch") ||
			!strings.Contains(err.Error(), "multiple of 2") {
			return fmt.Errorf("a batch of 15 over 2 processes: %v, want an error naming --batch", err)
		}
	}
	return nil
}

var errDiskFull = errors.New("no space left (on purpose)")

// sameOnEveryRank returns an error unless v holds rank 0's values.
func sameOnEveryRank(c comm.Communicator, v []float32) error {
	root := append([]float32(nil), v...)
	if err := c.Broadcast(root, 0); err != nil {
		return err
	}
	for i := range v {
		if math.Float32bits(v[i]) != math.Float32bits(root[i]) {
			return fmt.Errorf("rank %d tests image %d as %v, rank 0 as %v", c.Rank(), i, v[i], root[i])
		}
	}
	return nil
}

// closeHistory fails unless two histories hold the same epochs with
// losses within tol and the same accuracies.
func closeHistory(t *testing.T, a, b []catdog.EpochRecord, tol float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d epochs against %d", len(a), len(b))
	}
	close := func(x, y float64) bool { return math.Abs(x-y) <= tol*math.Max(math.Abs(x), math.Abs(y)) }
	for i := range a {
		x, y := a[i], b[i]
		if x.Epoch != y.Epoch || x.LearningRate != y.LearningRate || !close(x.MeanBatchLoss, y.MeanBatchLoss) ||
			!close(x.Train.Loss, y.Train.Loss) || !close(x.Val.Loss, y.Val.Loss) ||
			x.Train.Accuracy != y.Train.Accuracy || x.Val.Accuracy != y.Val.Accuracy {
			t.Errorf("epoch %d: %+v against %+v", i+1, x, y)
		}
	}
}

// readHistory reads the history of the run in dir.
func readHistory(t *testing.T, dir string) []catdog.EpochRecord {
	t.Helper()
	h, err := catdog.ReadHistory(filepath.Join(dir, catdog.HistoryFile), math.MaxInt)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
