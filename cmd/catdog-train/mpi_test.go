package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/backend/comm/commtest"
	"github.com/neurone-dl/neurone/models/catdog/catdogtest"
)

// Environment of trainRank: the command line, its words separated by
// newlines, and the exit status every rank must end with.
const (
	rankArgsEnv = "NEURONE_TEST_ARGS"
	rankCodeEnv = "NEURONE_TEST_CODE"
)

// trainRank runs the command as one rank of an mpirun job: rank 0 passes
// on what it prints; any other rank must print nothing.
func trainRank() error {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), strings.Split(os.Getenv(rankArgsEnv), "\n"), &stdout, &stderr)
	rank := os.Getenv("OMPI_COMM_WORLD_RANK")
	if rank == "0" {
		os.Stdout.Write(stdout.Bytes())
		os.Stderr.Write(stderr.Bytes())
	} else if stdout.Len()+stderr.Len() > 0 {
		return fmt.Errorf("rank %s printed:\n%s%s", rank, stdout.String(), stderr.String())
	}
	if want := os.Getenv(rankCodeEnv); strconv.Itoa(code) != want {
		return fmt.Errorf("rank %s: exit status %d, want %s", rank, code, want)
	}
	return nil
}

// mpiTrain runs the command under mpirun -np 2 with args, and fails unless
// both ranks exit with code (trainRank), rank 1 silent. It returns what
// rank 0 printed.
func mpiTrain(t *testing.T, code int, args ...string) string {
	t.Helper()
	env := []string{rankArgsEnv + "=" + strings.Join(args, "\n"), rankCodeEnv + "=" + strconv.Itoa(code)}
	out, err := commtest.Run(t, 2, "catdog-train", env, 2*time.Minute)
	if err != nil { // a rank ended otherwise, or printed
		t.Fatalf("mpirun -np 2 catdog-train %s: %v, want exit %d\n%s", strings.Join(args, " "), err, code, out)
	}
	return out
}

// TestMPIRun trains the small perceptron with 2 processes under mpirun
// and checks that it trains what one process does (within 1e-5 of each
// tensor's scale), that rank 0 alone prints and writes the run's files,
// that --resume with 2 processes continues the run, and that resuming it
// alone, or a --batch that 2 processes do not share equally, is refused.
func TestMPIRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three mpirun jobs of 2 processes")
	}
	commtest.Launcher(t)
	tmp := t.TempDir()
	alone, out := filepath.Join(tmp, "alone"), filepath.Join(tmp, "mpi")
	args := flags(synthSmall, []string{"--optimizer", "sgd", "--lr", "0.05"})
	if r := runTrain(t, context.Background(), flags(args, []string{"--out", alone, "--epochs", "3"})...); r.code != 0 {
		t.Fatalf("one process: exit %d\n%s", r.code, r.stderr)
	}

	stdout := mpiTrain(t, 0, flags(args, []string{"--out", out})...)
	for _, want := range []string{"data-parallel run of 2 processes", "batch 16", "epoch 2/2", "test accuracy"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("rank 0's output lacks %q:\n%s", want, stdout)
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"accuracy.png", "best.json", bestFile, historyFile, "last.json", lastFile, "loss.png", "roc.png", summaryFile}
	if !slices.Equal(names, want) {
		t.Errorf("--out holds %v, want %v", names, want)
	}
	h, ha := readHistoryLines(t, out), readHistoryLines(t, alone)
	if len(h) != 2 || !closeTo(h[1].MeanBatchLoss, ha[1].MeanBatchLoss) || !closeTo(h[1].Val.Loss, ha[1].Val.Loss) {
		t.Errorf("history of 2 processes %+v, of one %+v", h, ha)
	}

	stdout = mpiTrain(t, 0, "--out", out, "--resume", "--epochs", "3", "--device", "cpu")
	if !strings.Contains(stdout, "after epoch 2") || !strings.Contains(stdout, "epoch 3/3") {
		t.Errorf("the resumed run's output:\n%s", stdout)
	}
	catdogtest.CloseTensors(t, filepath.Join(alone, lastFile), filepath.Join(out, lastFile), 1e-5)

	r := runTrain(t, context.Background(), "--out", out, "--resume", "--epochs", "4", "--device", "cpu")
	if r.code != 1 || !strings.Contains(r.stderr, "mpirun -np 2") || strings.Contains(r.stdout, "split (seed") {
		t.Errorf("resuming a run of 2 processes alone: exit %d, want 1, before loading the data\n%s%s", r.code, r.stdout, r.stderr)
	}

	odd := filepath.Join(tmp, "odd")
	stdout = mpiTrain(t, 2, flags(args, []string{"--out", odd, "--batch", "15"})...)
	if !strings.Contains(stdout, "--batch: 15 images do not split into 2 equal shards") {
		t.Errorf("--batch 15 over 2 processes:\n%s", stdout)
	}
	if _, err := os.Stat(odd); err == nil {
		t.Errorf("a refused run made %s", odd)
	}
}

// closeTo reports whether a and b are within 1e-5 of each other, relative.
func closeTo(a, b float64) bool { return math.Abs(a-b) <= 1e-5*math.Max(math.Abs(a), math.Abs(b)) }
