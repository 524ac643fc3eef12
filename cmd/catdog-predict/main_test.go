package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/cmd/internal/clitest"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// trained holds, for each architecture, a small network trained for one
// epoch and saved as the best and last checkpoints of a training folder,
// once for all tests.
var trained = map[string]func() (string, error){
	catdog.ArchMLP6: sync.OnceValues(func() (string, error) {
		cfg := catdog.DefaultConfig()
		cfg.Hidden = []int{16, 8}
		return trainModel(cfg)
	}),
	catdog.ArchCNN: sync.OnceValues(func() (string, error) {
		cfg, err := catdog.ConfigFor(catdog.ArchCNN)
		if err != nil {
			return "", err
		}
		return trainModel(cfg)
	}),
}

func trainModel(cfg catdog.Config) (string, error) {
	dir, err := os.MkdirTemp("", "catdog-predict-test-")
	if err != nil {
		return "", err
	}
	net, err := catdog.NewNetwork(cfg, 16, cpu.New(), optim.NewAdam(0.001))
	if err != nil {
		return "", err
	}
	defer net.Close()
	train := synthetic.Generate(128, 3, cfg.Side)
	if _, err := net.TrainEpoch(context.Background(), train, 3, 1, nil); err != nil {
		return "", err
	}
	meta := catdog.Meta{Epoch: 1, Optimizer: optim.NewAdam(0.001), ValAccuracy: 0.5, Device: "cpu"}
	for _, name := range []string{checkpoint.BestFile, checkpoint.LastFile} {
		if err := net.Save(filepath.Join(dir, name), meta); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// TestMain fixes the BLAS's thread count in the environment
// (clitest.FixBLASThreads), then removes the trained test models.
func TestMain(m *testing.M) {
	clitest.FixBLASThreads()
	code := m.Run()
	for _, model := range trained {
		if dir, err := model(); err == nil {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// modelDir returns the training folder of the small network of arch.
func modelDir(t *testing.T, arch string) string {
	t.Helper()
	dir, err := trained[arch]()
	if err != nil {
		t.Fatalf("training the test model (%s): %v", arch, err)
	}
	return dir
}

type result struct {
	code           int
	stdout, stderr string
}

func runPredict(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// TestPredictFolderAndFiles classifies a folder and single files with a
// model of each architecture, rebuilt from its checkpoint's metadata.
func TestPredictFolderAndFiles(t *testing.T) {
	t.Parallel()
	for _, arch := range catdog.Archs() {
		t.Run(arch, func(t *testing.T) {
			t.Parallel()
			testPredictFolderAndFiles(t, arch)
		})
	}
}

func testPredictFolderAndFiles(t *testing.T, arch string) {
	photos := clitest.WritePhotos(t, t.TempDir(), clitest.Flat, 40, 11)
	single := photos.Good[0]
	truncated := photos.Corrupt[0]
	missing := filepath.Join(photos.Dir, "missing.jpg")

	r := runPredict(t, "--model", modelDir(t, arch), "--device", "cpu", photos.Dir, single, truncated, missing)
	if r.code != 1 {
		t.Errorf("exit %d, want 1 (some files failed)\nstderr:\n%s", r.code, r.stderr)
	}
	// The folder's 40 good photos, the single one; the folder's three bad
	// files and the two bad arguments are errors.
	out := lines(r.stdout)
	if len(out) != 41 {
		t.Fatalf("%d result lines, want 41:\n%s", len(out), r.stdout)
	}
	var paths []string
	for _, l := range out {
		f := strings.Fields(l)
		if len(f) != 3 || (f[0] != "cat" && f[0] != "dog") || !strings.HasSuffix(f[1], "%") {
			t.Fatalf("result line %q is not `label  NN.N%%  path`", l)
		}
		p, err := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64)
		if err != nil || p < 50 || p > 100 {
			t.Errorf("line %q: the predicted class has probability %v%%", l, p)
		}
		paths = append(paths, f[2])
	}
	for _, good := range photos.Good {
		if !slices.Contains(paths, good) {
			t.Errorf("no result for %s", good)
		}
	}
	if paths[len(paths)-1] != single {
		t.Errorf("results are not in argument order: last is %s, want %s", paths[len(paths)-1], single)
	}
	for _, bad := range append(photos.Corrupt, missing) {
		if !strings.Contains(r.stderr, bad+": ") {
			t.Errorf("stderr does not name %s:\n%s", bad, r.stderr)
		}
	}
	layers := "(mlp6, hidden 16,8, 160161 parameters, epoch 1" // 10000·16+16 + 16·8+8 + 8+1
	if arch == catdog.ArchCNN {
		layers = "(cnn, filters 8,16,32, hidden 64, 79745 parameters, epoch 1"
	}
	for _, want := range []string{"corrupt JPEG", "empty file", "not a supported image", "no such file", "41 classified, 5 failed", "best.safetensors", layers} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestPredictJSON(t *testing.T) {
	t.Parallel()
	photos := clitest.WritePhotos(t, t.TempDir(), clitest.ClassFolders, 6, 12)
	// Flags after the paths work too.
	r := runPredict(t, "--model", filepath.Join(modelDir(t, catdog.ArchMLP6), checkpoint.LastFile), photos.Dir, "--json", "--device", "cpu")
	if r.code != 1 {
		t.Errorf("exit %d, want 1\nstderr:\n%s", r.code, r.stderr)
	}
	var ok, failed int
	var paths []string
	for _, l := range lines(r.stdout) {
		var res map[string]any
		if err := json.Unmarshal([]byte(l), &res); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		path, _ := res["path"].(string)
		paths = append(paths, path)
		if errMsg, isErr := res["error"]; isErr {
			failed++
			if !slices.Contains(photos.Corrupt, path) || errMsg == "" || res["label"] != nil {
				t.Errorf("error object %q", l)
			}
			continue
		}
		ok++
		p, _ := res["p_cat"].(float64)
		label := res["label"]
		if !slices.Contains(photos.Good, path) || p < 0 || p > 1 || (label != "cat" && label != "dog") || (label == "cat") != (p > 0.5) {
			t.Errorf("result object %q", l)
		}
	}
	if !slices.IsSorted(paths) {
		t.Errorf("results and errors are not in the folder's order: %q", paths)
	}
	if ok != 6 || failed != 3 {
		t.Errorf("%d results and %d errors, want 6 and 3:\n%s", ok, failed, r.stdout)
	}
}

func TestPredictAllGood(t *testing.T) {
	t.Parallel()
	photos := clitest.WritePhotos(t, t.TempDir(), clitest.Flat, 4, 13)
	r := runPredict(t, append([]string{"--model", modelDir(t, catdog.ArchMLP6), "--device", "cpu"}, photos.Good...)...)
	if r.code != 0 || len(lines(r.stdout)) != 4 {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestPredictBadCommandLines(t *testing.T) {
	t.Parallel()
	dir := modelDir(t, catdog.ArchMLP6)
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no model", []string{"x.jpg"}, 2, "--model: a model is needed"},
		{"no images", []string{"--model", dir}, 2, "no images given"},
		{"bad device", []string{"--model", dir, "--device", "gpu", "x.jpg"}, 2, `--device: "gpu" is not a device`},
		{"unknown flag", []string{"--model", dir, "--top", "3", "x.jpg"}, 2, "flag provided but not defined: -top"},
		{"missing model", []string{"--model", filepath.Join(empty, "nope"), "x.jpg"}, 1, "--model: checkpoint: " + filepath.Join(empty, "nope")},
		{"folder without a model", []string{"--model", empty, "x.jpg"}, 1, "holds neither best.safetensors nor last.safetensors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runPredict(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
}

func TestPredictDoubleDash(t *testing.T) {
	photos := clitest.WritePhotos(t, t.TempDir(), clitest.Flat, 2, 14)
	dir := modelDir(t, catdog.ArchMLP6)
	t.Chdir(t.TempDir())
	if err := os.WriteFile("--json", mustRead(t, photos.Good[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runPredict(t, "--model", dir, "--device", "cpu", "--", "--json")
	if r.code != 0 || !strings.HasSuffix(strings.TrimSpace(r.stdout), "  --json") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestPredictHelp(t *testing.T) {
	t.Parallel()
	clitest.CheckHelp(t, func(args ...string) (int, string, string) {
		r := runPredict(t, args...)
		return r.code, r.stdout, r.stderr
	}, "--model file", "--device device", "--tf32", "--json")
}

// TestPredictColour trains a colour CNN on colour photos as catdog-train
// does (catdog.Settings with Colour), then classifies one of its photos
// with no flag about colour: catdog-predict decodes it in colour, as the
// checkpoint says, and gives the probability the network gives the photo
// decoded as in training.
func TestPredictColour(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	photos := clitest.WriteColourPhotos(t, filepath.Join(tmp, "photos"), clitest.ClassFolders, 40, 6)
	s := catdog.Settings{Data: photos.Dir, Synthetic: 6000, Colour: true, Arch: catdog.ArchCNN, Side: 32, Filters: []int{8}, TestSplit: 0.1, Val: 0.2,
		Optimizer: optim.Adam, Epochs: 1, Batch: 8, Seed: 1, LRStep: 1, LRGamma: 0.1, Given: map[string]bool{}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	opt, err := s.RunOptions()
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.LoadData(dataset.Options{Workers: 2}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	opt.Dir, opt.Backend, opt.Train, opt.Val, opt.Test = filepath.Join(tmp, "run"), cpu.New(), d.Train, d.Val, d.Test
	if _, err := catdog.Run(context.Background(), opt, nil); err != nil {
		t.Fatal(err)
	}

	photo := d.Test.Paths[0]
	r := runPredict(t, "--model", opt.Dir, "--device", "cpu", "--json", photo)
	if r.code != 0 || !strings.Contains(r.stderr, "colour images stretched to 32x32") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var res struct {
		PCat float64 `json:"p_cat"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("%q: %v", r.stdout, err)
	}

	meta, ts, err := catdog.ReadMeta(filepath.Join(opt.Dir, checkpoint.BestFile))
	if err != nil {
		t.Fatal(err)
	}
	net, err := catdog.NewNetwork(meta.Config(), 1, cpu.New(), optim.NewSGD(0.01))
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	if err := net.Load(meta, ts, false); err != nil {
		t.Fatal(err)
	}
	want, err := net.Probabilities(d.Test.Subset([]int{0}))
	if err != nil {
		t.Fatal(err)
	}
	if !scalar.EqualWithinAbs(res.PCat, float64(want[0]), 1e-5) {
		t.Errorf("catdog-predict gives P(cat) %v, the network on the training decoding %v", res.PCat, want[0])
	}
}
