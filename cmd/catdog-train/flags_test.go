package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/cmd/internal/clitest"
)

func TestBadCommandLines(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	emptyDir := filepath.Join(tmp, "empty")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	notADir := filepath.Join(tmp, "file.txt")
	if err := os.WriteFile(notADir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(tmp, "missing")
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stderr
	}{
		{"hidden not a number", []string{"--hidden", "x"}, 2, []string{`--hidden: "x" is not a list of positive integers`}},
		{"hidden with a bad width", []string{"--hidden", "512,x"}, 2, []string{`--hidden: "512,x" is not a list of positive integers`}},
		{"hidden with zero", []string{"--hidden", "512,0"}, 2, []string{`--hidden: "512,0"`}},
		{"val above one", []string{"--val", "1.5"}, 2, []string{"--val: 1.5 is not a fraction in [0, 1)"}},
		{"negative test split", []string{"--test-split", "-0.1"}, 2, []string{"--test-split: -0.1 is not a fraction"}},
		{"unknown device", []string{"--device", "nope"}, 2, []string{`--device: "nope" is not a device (want auto, cpu, cuda, cuda:N or cuda-emu)`}},
		{"device number", []string{"--device", "cuda:x"}, 2, []string{`--device: "cuda:x"`}},
		{"zero epochs", []string{"--epochs", "0"}, 2, []string{"--epochs: 0 is not a positive number of epochs"}},
		{"epochs not a number", []string{"--epochs", "two"}, 2, []string{`invalid value "two" for flag -epochs`}},
		{"zero batch", []string{"--batch", "0"}, 2, []string{"--batch: 0"}},
		{"negative learning rate", []string{"--lr", "-1"}, 2, []string{"--lr: -1 is not a positive learning rate"}},
		{"zero learning rate", []string{"--lr", "0"}, 2, []string{"--lr: 0"}},
		{"negative clipping norm", []string{"--clip-norm", "-1"}, 2, []string{"--clip-norm: -1 is not a norm"}},
		{"negative weight decay", []string{"--weight-decay", "-1"}, 2, []string{"--weight-decay: -1 is not a weight decay"}},
		{"side too small", []string{"--side", "4"}, 2, []string{"--side: 4 is not an image side from 8 to 1024 pixels"}},
		{"cnn too deep for the side", []string{"--model", "cnn", "--side", "16", "--filters", "8,8,8,8"}, 2, []string{"--filters: 8,8,8,8 blocks do not fit 16x16 images"}},
		{"unknown optimizer", []string{"--optimizer", "rmsprop"}, 2, []string{`--optimizer: "rmsprop" is not an optimizer`}},
		{"unknown architecture", []string{"--model", "vgg16"}, 2, []string{`--model: "vgg16" is not an architecture (want cnn, mlp6)`}},
		{"filters of a perceptron", []string{"--filters", "8,16"}, 2, []string{"--filters: sets the convolution blocks of --model cnn; --model mlp6 has none"}},
		{"zero filters", []string{"--model", "cnn", "--filters", "8,0"}, 2, []string{`--filters: "8,0" is not a list of positive integers`}},
		{"cnn too deep", []string{"--model", "cnn", "--filters", "8,8,8,8,8,8"}, 2, []string{"--filters: 8,8,8,8,8,8 blocks do not fit 100x100 images", "block 6: 1x1 maps are smaller than its 2x2 pooling"}},
		{"cnn too large", []string{"--model", "cnn", "--filters", "1000000"}, 2, []string{"--filters: these layers make a cnn of 40010000129 parameters; at most 1073741824"}},
		{"cnn dense layers too large", []string{"--model", "cnn", "--filters", "64", "--hidden", "100000"}, 2, []string{"--filters, --hidden: these layers make a cnn of"}},
		{"perceptron too large", []string{"--hidden", "1000000,10"}, 2, []string{"--hidden: these layers make a mlp6 of 10011000021 parameters"}},
		{"bad dense layers of a cnn", []string{"--model", "cnn", "--hidden", "64,x"}, 2, []string{`--hidden: "64,x" is not a list of positive integers`}},
		{"unknown schedule", []string{"--lr-schedule", "linear"}, 2, []string{`--lr-schedule: "linear" is not a schedule (want none, cosine or step)`}},
		{"unknown pixel encoding", []string{"--pixels", "sepia"}, 2, []string{`--pixels: "sepia" is not a pixel encoding (want centred, unit or standardised)`}},
		{"step size without step", []string{"--lr-schedule", "cosine", "--lr-step", "3"}, 2, []string{"--lr-step: applies to --lr-schedule step only; --lr-schedule is cosine"}},
		{"gamma without step", []string{"--lr-gamma", "0.5"}, 2, []string{"--lr-gamma: applies to --lr-schedule step only; --lr-schedule is none"}},
		{"gamma above one", []string{"--lr-schedule", "step", "--lr-gamma", "2"}, 2, []string{"--lr-gamma: 2 is not a factor in (0, 1]"}},
		{"zero step", []string{"--lr-schedule", "step", "--lr-step", "0"}, 2, []string{"--lr-step: 0 is not a positive number of epochs"}},
		{"negative warm-up", []string{"--warmup", "-1"}, 2, []string{"--warmup: -1 is negative"}},
		{"warm-up fills the cosine", []string{"--lr-schedule", "cosine", "--warmup", "10", "--epochs", "10"}, 2, []string{"--warmup: 10 warm-up epochs leave none of --epochs 10"}},
		{"negative patience", []string{"--patience", "-1"}, 2, []string{"--patience: -1 is negative"}},
		{"patience without validation", []string{"--patience", "3", "--val", "0"}, 2, []string{"--patience: early stopping watches the validation loss; it needs --val above 0"}},
		{"negative min delta", []string{"--min-delta", "-0.1"}, 2, []string{"--min-delta: -0.1 is not a loss difference"}},
		{"unknown flag", []string{"--grayscale"}, 2, []string{"flag provided but not defined: -grayscale"}},
		{"stray argument", []string{"photos/"}, 2, []string{`unexpected argument "photos/"`, "--data DIR"}},
		{"synthetic with data", []string{"--data", emptyDir, "--synthetic", "10"}, 2, []string{"--synthetic: the synthetic set is used only without --data"}},
		{"missing data folder", []string{"--data", missing}, 2, []string{"--data: cannot read folder " + missing}},
		{"data is a file", []string{"--data", notADir}, 2, []string{"--data: " + notADir + " is not a folder"}},
		{"missing test folder", []string{"--test", missing}, 2, []string{"--test: cannot read folder " + missing}},
		{"empty data folder", []string{"--data", emptyDir, "--out", filepath.Join(tmp, "out"), "--cache", ""}, 1, []string{"--data: dataset: no images", emptyDir, "(it is empty)"}},
		{"batch larger than the data", []string{"--synthetic", "20", "--batch", "64", "--out", filepath.Join(tmp, "out2")}, 1, []string{"do not fill one batch of 64", "smaller --batch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTrain(t, context.Background(), tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstderr:\n%s", r.code, tt.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if tt.code == 2 && !strings.Contains(r.stderr, "catdog-train -h") {
				t.Errorf("a usage error does not point to -h:\n%s", r.stderr)
			}
		})
	}
}

func TestHelpListsEveryFlag(t *testing.T) {
	t.Parallel()
	clitest.CheckHelp(t, func(args ...string) (int, string, string) {
		r := runTrain(t, context.Background(), args...)
		if strings.Contains(r.stdout, "Other:") {
			t.Errorf("%s lists flags outside the groups:\n%s", args[0], r.stdout)
		}
		return r.code, r.stdout, r.stderr
	}, "--data DIR", "--synthetic N", "--device device", "--epochs N", "--batch N", "--lr rate",
		"--optimizer method", "--hidden widths", "--seed seed", "--out DIR", "--resume", "--val fraction", "--test DIR",
		"--test-split fraction", "--crop", "--cache DIR", "--workers N", "(default 6000)", "(default 512,512,512,512,512)", "(default 64)", "--filters counts", "(default 8,16,32)", "(default auto)",
		"--model name", "(default mlp6)", "--lr-schedule schedule", "--warmup N", "--lr-step N", "--lr-gamma factor", "--patience N", "--min-delta loss",
		"--augment", "--plots", "--tf32", "the CPU ignores it", "cnn: 3x3 convolution blocks of --filters", "Refused with --model mlp6", "Data:", "Model:", "Optimisation:", "Learning-rate schedule and early stopping:", "Augmentation:", "Device and output:")
}

// TestBinaryStarts builds the real commands and runs -h, to catch panics
// at start-up (Gorgonia panics in init under Go 1.26 unless go.mod pins
// go4.org/unsafe/assume-no-moving-gc to a recent version).
func TestBinaryStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands; skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build with: %v", err)
	}
	t.Parallel()
	bin := t.TempDir()
	// Without symbols and DWARF, which only slow the link down here.
	build := exec.Command(goTool, "build", "-ldflags=-s -w", "-o", bin, ".", "../catdog-predict", "../catdog-samples")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for cmd, flag := range map[string]string{"catdog-train": "--device", "catdog-predict": "--device", "catdog-samples": "--photos"} {
		clitest.CheckHelp(t, func(args ...string) (int, string, string) {
			var stdout, stderr strings.Builder
			c := exec.Command(filepath.Join(bin, cmd), args...)
			c.Stdout, c.Stderr = &stdout, &stderr
			err := c.Run()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatalf("%s: %v", cmd, err)
			}
			return c.ProcessState.ExitCode(), stdout.String(), stderr.String()
		}, flag)
	}
}
