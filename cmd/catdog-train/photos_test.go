package main

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/cmd/internal/clitest"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// TestPhotoRecipe checks that the command gives the flags left out the
// photo recipe of --model with --data (catdog.Settings.ApplyPhotoRecipe,
// tested there), keeps those given and the defaults of the synthetic set,
// and that -h lists the recipes.
func TestPhotoRecipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cnn, err := catdog.PhotoRecipeFor(catdog.ArchCNN, false)
	if err != nil {
		t.Fatal(err)
	}
	parse := func(args ...string) *options {
		t.Helper()
		o, err := parseFlags(args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return o
	}
	if o := parse("--data", dir, "--model", "cnn", "--epochs", "3"); !slices.Equal(o.Filters, cnn.Filters) || o.Epochs != 3 || o.Augment != cnn.Augment {
		t.Errorf("--data --model cnn --epochs 3: filters %v, epochs %d, augment %t; want the recipe's %+v but 3 epochs", o.Filters, o.Epochs, o.Augment, cnn)
	}
	if o := parse("--model", "cnn"); o.Filters != nil || o.Epochs != 10 || o.Augment {
		t.Errorf("synthetic set: filters %v, epochs %d, augment %t; want the flags' defaults", o.Filters, o.Epochs, o.Augment)
	}
	r := runTrain(t, context.Background(), "-h")
	if r.code != 0 || !strings.Contains(r.stdout, "Photo recipes") || !strings.Contains(r.stdout, "--model cnn   "+cnn.String()) {
		t.Errorf("-h: exit %d, the recipes missing:\n%s", r.code, r.stdout)
	}
}

// namedGPU is the CPU backend under a CUDA device's name, for what the
// command decides from the name alone.
type namedGPU struct{ backend.Backend }

func (namedGPU) Name() string { return "cuda:0 (a GPU named for the test)" }

// TestGPURecipe checks that on a GPU the command gives the flags left out
// the photo recipe for a GPU and says so, keeps the flags given, and that
// the CPU, the synthetic set and the perceptron (whose recipes are the
// same) keep the CPU's recipe silently.
func TestGPURecipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gpuR, err := catdog.PhotoRecipeFor(catdog.ArchCNN, true)
	if err != nil {
		t.Fatal(err)
	}
	cpuR, _ := catdog.PhotoRecipeFor(catdog.ArchCNN, false)
	tests := []struct {
		name    string
		args    []string
		dev     backend.Backend
		filters []int
		epochs  int
		says    bool
	}{
		{"cnn on a GPU", []string{"--data", dir, "--model", "cnn"}, namedGPU{cpu.New()}, gpuR.Filters, gpuR.Epochs, true},
		{"cnn on a GPU, --filters and --epochs given", []string{"--data", dir, "--model", "cnn", "--filters", "4,8", "--epochs", "3"},
			namedGPU{cpu.New()}, []int{4, 8}, 3, true},
		{"cnn on the CPU", []string{"--data", dir, "--model", "cnn"}, cpu.New(), cpuR.Filters, cpuR.Epochs, false},
		{"cnn, synthetic set, on a GPU", []string{"--model", "cnn"}, namedGPU{cpu.New()}, nil, 10, false},
		{"mlp6 on a GPU", []string{"--data", dir, "--model", "mlp6"}, namedGPU{cpu.New()}, nil, 30, false},
	}
	for _, tt := range tests {
		o, err := parseFlags(append(tt.args, "--out", filepath.Join(dir, "out")), io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var out strings.Builder
		tr := &trainer{o: o, stdout: &out}
		if err := tr.gpuRecipe(tt.dev); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		said := strings.Contains(out.String(), "photo recipe for a GPU")
		if !slices.Equal(o.Filters, tt.filters) || o.Epochs != tt.epochs || said != tt.says {
			t.Errorf("%s: filters %v, epochs %d, said %q; want %v, %d, saying it %t", tt.name, o.Filters, o.Epochs, out.String(), tt.filters, tt.epochs, tt.says)
		}
	}
}

// TestTrainColourPhotos trains the CNN on colour photos with --colour for
// an epoch: the model reads 3 channels, the checkpoint records them, a
// resumed run keeps them without being told, and refuses grayscale.
func TestTrainColourPhotos(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	photos := clitest.WriteColourPhotos(t, filepath.Join(tmp, "photos"), clitest.ClassFolders, 48, 4)
	out := filepath.Join(tmp, "out")
	args := []string{"--data", photos.Dir, "--colour", "--model", "cnn", "--epochs", "1", "--side", "48", "--filters", "8,16",
		"--batch", "16", "--device", "cpu", "--workers", "2", "--cache", filepath.Join(tmp, "cache"), "--plots=false", "--out", out}
	r := runTrain(t, context.Background(), args...)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "3x48x48 -> 8x24x24") {
		t.Errorf("the first convolution does not read 3 channels:\n%s", r.stdout)
	}
	meta, _, err := catdog.ReadMeta(filepath.Join(out, checkpoint.LastFile))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Channels != dataset.RGB || meta.Side != 48 {
		t.Errorf("the checkpoint records %d channels of %dx%d, want 3 of 48x48", meta.Channels, meta.Side, meta.Side)
	}

	r = runTrain(t, context.Background(), "--out", out, "--resume", "--epochs", "2", "--device", "cpu", "--cache", "", "--plots=false")
	if r.code != 0 || !strings.Contains(r.stdout, "--side 48 --colour") || !strings.Contains(r.stdout, "epoch 2/2") {
		t.Fatalf("resumed run: exit %d, without --colour in its settings\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	wantRefused(t, "resuming a colour run in grayscale", "--colour: false differs from the checkpoint's true",
		"--out", out, "--resume", "--colour=false", "--device", "cpu")
	if r := runTrain(t, context.Background(), "-h"); !strings.Contains(r.stdout, "--colour") || !strings.Contains(r.stdout, "decode photos as RGB") {
		t.Errorf("-h does not explain --colour:\n%s", r.stdout)
	}
}
