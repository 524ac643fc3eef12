package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/internal/faultfs"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/checkpoint"
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

// checkLastGood checks that out's last checkpoint loads, holds epoch, and
// only finite weights, and that no temporary file is left in out.
func checkLastGood(t *testing.T, out string, epoch int) {
	t.Helper()
	meta, ts, err := catdog.ReadMeta(filepath.Join(out, checkpoint.LastFile))
	if err != nil {
		t.Fatalf("the last checkpoint does not load: %v", err)
	}
	if meta.Epoch != epoch {
		t.Errorf("the last checkpoint holds epoch %d, want %d", meta.Epoch, epoch)
	}
	for _, tt := range ts {
		for _, v := range tt.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("the last checkpoint's %s holds %v", tt.Name, v)
			}
		}
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") || e.Name() == catdog.LockFile {
			t.Errorf("%s left in --out", e.Name())
		}
	}
}

// TestOutputFaults fills the disk while epoch 2's checkpoint is written,
// and makes every write into --out fail from epoch 2 on: the run ends
// with exit 1, saying what failed and where the model of epoch 1 is, and
// that model loads.
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
		{"output folder failing mid-run", func(op faultfs.Op) error {
			if op.N >= 2 {
				return syscall.EIO
			}
			return nil
		}, []string{"input/output error", historyFile}},
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
			checkLastGood(t, out, 1)

			// Once the disk has room again, --resume finishes the run.
			if r := runTrain(t, context.Background(), append(args, "--resume")...); r.code != 0 {
				t.Fatalf("--resume: exit %d\n%s", r.code, r.stderr)
			}
			checkLastGood(t, out, 3)
		})
	}
}

// nanDevice is a device whose programs train normally until a chosen
// step, from which on the loss (nanStep) or the predictions (after
// nanPredict steps) are NaN, as they are once the weights overflow.
type nanDevice struct {
	backend.Backend
	nanStep, nanPredict int64
}

func (d nanDevice) Compile(spec backend.Spec) (backend.Program, error) {
	p, err := d.Backend.Compile(spec)
	return &nanProgram{Program: p, d: d}, err
}

type nanProgram struct {
	backend.Program
	d     nanDevice
	steps atomic.Int64
}

func (p *nanProgram) Train(inputs ...[]float32) (float32, error) {
	loss, err := p.Program.Train(inputs...)
	if n := p.steps.Add(1); p.d.nanStep > 0 && n >= p.d.nanStep {
		return float32(math.NaN()), err
	}
	return loss, err
}

func (p *nanProgram) Predict(outputs [][]float32, inputs ...[]float32) error {
	err := p.Program.Predict(outputs, inputs...)
	if p.d.nanPredict > 0 && p.steps.Load() >= p.d.nanPredict {
		for _, o := range outputs {
			for i := range o {
				o[i] = float32(math.NaN())
			}
		}
	}
	return err
}

// TestNaNLossKeepsTheLastFiniteCheckpoint makes the loss NaN at the
// third step of epoch 2, and, separately, the model's outputs NaN after
// epoch 2's last step with its losses finite: the run stops, says where
// (the epoch and batch, or the epoch whose model is not saved), and
// leaves the checkpoint of epoch 1.
func TestNaNLossKeepsTheLastFiniteCheckpoint(t *testing.T) {
	t.Parallel()
	// synthSmall: 200 images, 144 to train on after the test and
	// validation hold-outs, in batches of 16: 9 steps an epoch.
	const steps = 9
	tests := []struct {
		name   string
		device nanDevice
		says   string
	}{
		{"loss", nanDevice{nanStep: steps + 3}, "loss is NaN at epoch 2, batch 3"},
		{"outputs", nanDevice{nanPredict: 2 * steps}, "the training loss is NaN after epoch 2, whose model is not saved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			e := env{device: func(b backend.Backend) backend.Backend { tt.device.Backend = b; return tt.device }}
			r := runTrainIn(t, e, flags(synthSmall, []string{"--epochs", "3", "--out", out})...)
			for _, s := range []string{"diverged", tt.says, "the last good model (epoch 1) is in " + filepath.Join(out, lastFile)} {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr does not say %q", s)
				}
			}
			if r.code != 1 || t.Failed() {
				t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			checkLastGood(t, out, 1)
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
	checkLastGood(t, out, 2)
	if h := readHistoryLines(t, out); len(h) != 2 {
		t.Errorf("history of %d epochs, want 2", len(h))
	}
}
