package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/internal/faultfs"
	"github.com/neurone-dl/neurone/models/catdog/catdogtest"
)

// The faults a run must meet by ending with a clear message and the last
// good checkpoint whole. They are injected (env) rather than made with
// permissions or a real full disk, so the tests hold when run as root.

// runTrainIn is runTrain in a rigged environment.
func runTrainIn(t *testing.T, e env, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runIn(context.Background(), e, args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// TestOutputFaults fills the disk while epoch 2's checkpoint is written:
// the run ends with exit 1, saying what failed and where the model of
// epoch 1 is, and that model loads. (models/catdog's TestRunFaults makes
// the folder fail, and the loss NaN, under the run itself.)
func TestOutputFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fail func(op faultfs.Op) error
		says []string
	}{
		{"disk full writing the checkpoint", func(op faultfs.Op) error {
			if filepath.Base(op.Path) == lastFile && op.N == 2 && op.Kind == faultfs.OpWrite && op.Offset > 1000 {
				return syscall.ENOSPC
			}
			return nil
		}, []string{"no space left on device", "is full: free some space, then continue with --resume"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			args := flags(synthSmall, []string{"--epochs", "3", "--out", out})
			r := runTrainIn(t, env{fs: &faultfs.FS{Fail: tt.fail}}, args...)
			says := append(tt.says, "the last good model (epoch 1) is in "+filepath.Join(out, lastFile))
			for _, s := range says {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr does not say %q", s)
				}
			}
			if r.code != 1 || t.Failed() {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			catdogtest.CheckLastGood(t, out, 1)

			// Once the disk has room again, --resume finishes the run.
			if r := runTrain(t, context.Background(), append(args, "--resume")...); r.code != 0 {
				t.Fatalf("--resume: exit %d\n%s", r.code, r.stderr)
			}
			catdogtest.CheckLastGood(t, out, 3)
		})
	}
}

// TestSecondRunOnTheSameOutIsRefused starts a run, and while it trains
// starts a second on the same --out, fresh and with --resume: both are
// refused, naming the folder and the first run's process, and write
// nothing; the first run goes on undisturbed to its end.
func TestSecondRunOnTheSameOutIsRefused(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	args := flags(synthSmall, []string{"--epochs", "2", "--out", out})
	// The first run waits at its first checkpoint until the second ones
	// have been refused.
	started, proceed := make(chan struct{}), make(chan struct{})
	hold := func(op faultfs.Op) error {
		if filepath.Base(op.Path) == historyFile && op.N == 1 && op.Kind == faultfs.OpCreate {
			close(started)
			<-proceed
		}
		return nil
	}
	first := make(chan result)
	go func() { first <- runTrainIn(t, env{fs: &faultfs.FS{Fail: hold}}, args...) }()
	select {
	case <-started:
	case r := <-first:
		t.Fatalf("the first run ended before writing: exit %d\n%s", r.code, r.stderr)
	case <-time.After(2 * time.Minute):
		t.Fatal("the first run did not reach its first checkpoint")
	}
	for _, extra := range [][]string{nil, {"--resume"}} {
		r := runTrain(t, context.Background(), append(args, extra...)...)
		if r.code != 1 || !strings.Contains(r.stderr, out+" is in use by another training run (process ") {
			t.Errorf("second run %v: exit %d, stderr:\n%s", extra, r.code, r.stderr)
		}
		if strings.Contains(r.stdout, "epoch 1/2") {
			t.Errorf("second run %v trained:\n%s", extra, r.stdout)
		}
	}
	close(proceed)
	if r := <-first; r.code != 0 {
		t.Fatalf("the first run: exit %d\n%s", r.code, r.stderr)
	}
	catdogtest.CheckLastGood(t, out, 2)
	if h := readHistoryLines(t, out); len(h) != 2 {
		t.Errorf("history of %d epochs, want 2", len(h))
	}
}

// TestCollapsedRunStops trains at Adam's rate of 1, which kills the small
// perceptron's ReLUs at once: the run stops with exit 1 after
// catdog.CollapsedEpochs epochs of one answer for every image, saying
// what happened, what to try and where its checkpoints are, rather than
// training the epochs left. (models/catdog's TestRunCollapsed checks the
// detection itself.)
func TestCollapsedRunStops(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	r := runTrain(t, context.Background(), flags(synthSmall, []string{"--lr", "1", "--epochs", "20", "--out", out})...)
	for _, s := range []string{"training collapsed: in epochs ", "try a smaller --lr, or --warmup 2 --lr-per-step",
		"its checkpoints stay in " + out + ": last.safetensors (epoch "} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not say %q", s)
		}
	}
	if r.code != 1 || t.Failed() {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "epoch 20/20") || strings.Contains(r.stdout, "test accuracy") {
		t.Errorf("the collapsed run went on:\n%s", r.stdout)
	}
}
