package main

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog/report"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// TestEarlyStopping makes every epoch after the first fall short of
// --min-delta, so that --patience 2 stops after epoch 3 of 6 and the test
// runs on the best epoch's weights.
func TestEarlyStopping(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	args := flags(synthSmall, []string{"--epochs", "6", "--patience", "2", "--min-delta", "100", "--plots=false", "--out", out})
	r := runTrain(t, context.Background(), args...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	h := readHistoryLines(t, out)
	if len(h) != 3 || strings.Contains(r.stdout, "epoch 4/6") {
		t.Fatalf("%d epochs trained, want 3:\n%s", len(h), r.stdout)
	}
	best := 1
	for i, rec := range h {
		if rec.Val.Loss < h[best-1].Val.Loss {
			best = i + 1
		}
	}
	s := readSummary(t, out)
	if !s.StoppedEarly || s.Epochs != 3 || s.BestEpoch != best || s.TestModel != checkpoint.BestFile {
		t.Errorf("summary: stopped early %t, epochs %d, best epoch %d (want %d), test model %s", s.StoppedEarly, s.Epochs, s.BestEpoch, best, s.TestModel)
	}
	for _, want := range []string{"early stopping", "stopped early after epoch 3", "best weights", checkpoint.BestFile} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}

	// Resuming a run that stopped early trains nothing more.
	r = runTrain(t, context.Background(), "--out", out, "--resume", "--epochs", "6", "--patience", "2", "--min-delta", "100", "--synthetic", "200", "--device", "cpu", "--plots=false")
	if r.code != 0 || !strings.Contains(r.stdout, "stopped early after epoch 3: nothing to train") {
		t.Errorf("resuming a stopped run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// checkPlots fails unless the three plots in out are PNG images of a
// sensible size, listed in summary.json.
func checkPlots(t *testing.T, out string) {
	t.Helper()
	for _, name := range []string{report.LossPlot, report.AccuracyPlot, report.ROCPlot} {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Error(err)
			continue
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 || b.Dx() > 2000 || b.Dy() > 2000 {
			t.Errorf("%s is %dx%d", name, b.Dx(), b.Dy())
		}
	}
	if s := readSummary(t, out); len(s.Plots) != 3 {
		t.Errorf("summary lists plots %v, want 3", s.Plots)
	}
}

func TestPlots(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	if r := runTrain(t, context.Background(), flags(synthSmall, []string{"--out", out})...); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	checkPlots(t, out)
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || strings.Contains(e.Name(), ".tmp") {
			t.Errorf("a temporary file is left in --out: %s", e.Name())
		}
	}

	// --plots=false draws none.
	none := filepath.Join(tmp, "none")
	if r := runTrain(t, context.Background(), flags(synthSmall, []string{"--out", none, "--epochs", "1", "--plots=false"})...); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, name := range []string{report.LossPlot, report.AccuracyPlot, report.ROCPlot} {
		if _, err := os.Stat(filepath.Join(none, name)); !os.IsNotExist(err) {
			t.Errorf("--plots=false wrote %s (stat: %v)", name, err)
		}
	}
}
