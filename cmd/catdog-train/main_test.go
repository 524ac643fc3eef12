package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"

	"github.com/neurone-dl/neurone/backend/comm/commtest"
	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/cmd/internal/clitest"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/report"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// small are the flags that keep a test run to a fraction of a second: a
// tiny network, a few images, two epochs, no shared cache.
var small = []string{"--hidden", "32,16", "--epochs", "2", "--batch", "16", "--device", "cpu", "--workers", "2"}

// smallCNN are small's flags for --model cnn, with its default layers.
var smallCNN = []string{"--model", "cnn", "--epochs", "2", "--batch", "16", "--device", "cpu", "--workers", "2"}

// smallFor returns the small flags of an architecture.
func smallFor(arch string) []string {
	if arch == catdog.ArchCNN {
		return smallCNN
	}
	return small
}

// result is what one in-process run of the command produced.
type result struct {
	code           int
	stdout, stderr string
}

func runTrain(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// flags joins flag lists.
func flags(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func readSummary(t *testing.T, out string) report.Summary {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, summaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s report.Summary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s: %v", summaryFile, err)
	}
	return s
}

func readHistoryLines(t *testing.T, out string) []catdog.EpochRecord {
	t.Helper()
	f, err := os.Open(filepath.Join(out, historyFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []catdog.EpochRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r catdog.EpochRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: line %q: %v", historyFile, sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

func isFraction(v *float64) bool { return v != nil && *v >= 0 && *v <= 1 }

// saneMetrics reports whether every metric is in its range.
func saneMetrics(m catdog.MetricsRecord) bool {
	return m.Loss > 0 && isFraction(&m.Accuracy) && isFraction(&m.Precision) && isFraction(&m.Recall) && isFraction(&m.F1) && isFraction(m.AUC)
}

// checkPerClass checks the summary's per-class report against its
// confusion matrix.
func checkPerClass(t *testing.T, s report.Summary) {
	t.Helper()
	if s.Confusion.Classes != [2]string{"cat", "dog"} {
		t.Fatalf("confusion matrix of classes %v, want cat, dog", s.Confusion.Classes)
	}
	m := s.Confusion.Matrix // [actual][predicted], cat 0, dog 1
	const c, d = 0, 1
	cat, dog := s.PerClass["cat"], s.PerClass["dog"]
	if cat.Support != m[c][c]+m[c][d] || dog.Support != m[d][c]+m[d][d] {
		t.Errorf("support: cat %d, dog %d; confusion %v", cat.Support, dog.Support, m)
	}
	if m[c][c]+m[d][c] > 0 {
		if want := float64(m[c][c]) / float64(m[c][c]+m[d][c]); !scalar.EqualWithinAbs(cat.Precision, want, 1e-9) || s.Test == nil || !scalar.EqualWithinAbs(s.Test.Precision, want, 1e-9) {
			t.Errorf("cat precision %v, want %v", cat.Precision, want)
		}
	}
	if want := float64(m[d][d]) / float64(dog.Support); !scalar.EqualWithinAbs(dog.Recall, want, 1e-9) {
		t.Errorf("dog recall %v, want %v", dog.Recall, want)
	}
}

// TestTrainOnPhotoFolders trains each architecture on photos in each
// layout, and checks what it reports and writes.
func TestTrainOnPhotoFolders(t *testing.T) {
	for _, arch := range catdog.Archs() {
		for _, layout := range []clitest.Layout{clitest.ClassFolders, clitest.Flat} {
			t.Run(arch+"/"+layout.String(), func(t *testing.T) {
				t.Parallel()
				testTrainOnPhotoFolder(t, arch, layout)
			})
		}
	}
}

func testTrainOnPhotoFolder(t *testing.T, arch string, layout clitest.Layout) {
	tmp := t.TempDir()
	photos := clitest.WritePhotos(t, filepath.Join(tmp, "photos"), layout, 160, 7)
	out := filepath.Join(tmp, "out")
	r := runTrain(t, context.Background(), flags(smallFor(arch), []string{"--data", photos.Dir, "--out", out, "--cache", filepath.Join(tmp, "cache")})...)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{layout.String(), "skipped 3 files", "corrupt JPEG", "empty file", "epoch 2/2", "test accuracy", "confusion matrix", "total parameters", "model: " + arch + ","} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "SYNTHETIC") {
		t.Errorf("a photo run says it is synthetic:\n%s", r.stdout)
	}

	hist := readHistoryLines(t, out)
	if len(hist) != 2 || hist[0].Epoch != 1 || hist[1].Epoch != 2 {
		t.Fatalf("history: %+v, want epochs 1 and 2", hist)
	}
	for _, h := range hist {
		if !(h.MeanBatchLoss > 0) || !saneMetrics(h.Train) || h.Val == nil || !saneMetrics(*h.Val) || !(h.SamplesPerSec > 0) || !(h.LearningRate > 0) {
			t.Errorf("history line %+v is not sane", h)
		}
	}

	s := readSummary(t, out)
	total := s.Train.Images + s.Val.Images + s.TestSize.Images
	switch {
	case s.Skipped != 3:
		t.Errorf("summary: skipped %d, want 3", s.Skipped)
	case total != photos.Cats+photos.Dogs:
		t.Errorf("summary: %d+%d+%d images, want %d", s.Train.Images, s.Val.Images, s.TestSize.Images, photos.Cats+photos.Dogs)
	case s.TestSize.Images != 16: // 10% of 80 per class
		t.Errorf("summary: %d test images, want 16", s.TestSize.Images)
	case !isFraction(s.TestAccuracy) || s.TestLoss == nil:
		t.Errorf("summary: test accuracy %v, loss %v", s.TestAccuracy, s.TestLoss)
	case s.Epochs != 2 || s.BestEpoch < 1 || s.BestEpoch > 2 || !isFraction(s.BestValAccuracy):
		t.Errorf("summary: epochs %d, best epoch %d, best val %v", s.Epochs, s.BestEpoch, s.BestValAccuracy)
	case s.Data != photos.Dir || s.Device == "" || s.BLAS == "" || s.Arch != arch:
		t.Errorf("summary: data %q, device %q, BLAS %q, arch %q", s.Data, s.Device, s.BLAS, s.Arch)
	}
	m := s.Confusion.Matrix
	if got := m[0][0] + m[0][1] + m[1][0] + m[1][1]; got != s.TestSize.Images {
		t.Errorf("confusion matrix %v covers %d images, want %d", m, got, s.TestSize.Images)
	}
	if acc := float64(m[0][0]+m[1][1]) / float64(s.TestSize.Images); !scalar.EqualWithinAbs(acc, *s.TestAccuracy, 1e-9) {
		t.Errorf("confusion matrix %v gives accuracy %v, summary says %v", m, acc, *s.TestAccuracy)
	}
	checkPerClass(t, s)

	last, _, err := catdog.ReadMeta(filepath.Join(out, checkpoint.LastFile))
	if err != nil {
		t.Fatal(err)
	}
	best, _, err := catdog.ReadMeta(filepath.Join(out, checkpoint.BestFile))
	if err != nil {
		t.Fatal(err)
	}
	if last.Epoch != 2 || best.Epoch != s.BestEpoch || best.ValAccuracy != *s.BestValAccuracy || last.Optimizer.Method.String() != "adam" || last.Device == "" || last.Arch != arch || best.Arch != arch {
		t.Errorf("checkpoints: last %+v, best %+v, summary best epoch %d", last, best, s.BestEpoch)
	}
	checkPlots(t, out)
}

func TestTrainSynthetic(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	r := runTrain(t, context.Background(), flags(small, []string{"--synthetic", "200", "--out", out})...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "SYNTHETIC stand-in for photos") {
		t.Errorf("output does not say the data is synthetic:\n%s", r.stdout)
	}
	// The loss averaged over an epoch's batches, as they were trained, is
	// named for what it is, on the console and in history.jsonl, apart
	// from the training images' loss measured after the epoch.
	if !strings.Contains(r.stdout, "batch loss (epoch mean) ") || strings.Contains(r.stdout, "  loss ") {
		t.Errorf("the epoch lines do not say which loss they show:\n%s", r.stdout)
	}
	hist, err := os.ReadFile(filepath.Join(out, historyFile))
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]json.RawMessage
	if err := json.Unmarshal(bytes.SplitN(hist, []byte("\n"), 2)[0], &line); err != nil {
		t.Fatal(err)
	}
	if _, ok := line["mean_batch_loss"]; !ok || line["loss"] != nil {
		t.Errorf("%s: the epoch's mean batch loss is not under mean_batch_loss (alone): %s", historyFile, hist)
	}
	if r.stderr != "" {
		t.Errorf("stderr of a successful run that is not a terminal: %q", r.stderr)
	}
	if s := readSummary(t, out); s.Data != "synthetic" || s.Train.Images+s.Val.Images+s.TestSize.Images != 200 || s.Skipped != 0 {
		t.Errorf("summary: %+v", s)
	}
}

func TestTrainWithoutValidation(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	r := runTrain(t, context.Background(), flags(small, []string{"--synthetic", "100", "--val", "0", "--out", out})...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, checkpoint.BestFile)); !os.IsNotExist(err) {
		t.Errorf("best.safetensors written without a validation set (stat: %v)", err)
	}
	s := readSummary(t, out)
	if s.BestEpoch != 0 || s.BestValAccuracy != nil || s.TestModel != checkpoint.LastFile || !isFraction(s.TestAccuracy) {
		t.Errorf("summary: %+v", s)
	}
	if h := readHistoryLines(t, out); len(h) != 2 || h[0].Val != nil {
		t.Errorf("history: %+v", h)
	}
}

func TestDivergedRun(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	r := runTrain(t, context.Background(), flags(small, []string{"--synthetic", "100", "--optimizer", "sgd", "--lr", "1e30", "--out", out})...)
	if r.code != 1 || !strings.Contains(r.stderr, "diverged") || !strings.Contains(r.stderr, "smaller learning rate") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestMain fixes the BLAS's thread count in the environment
// (clitest.FixBLASThreads); TestBLASThreadsForTheCNN clears it to see the
// command choose. Under mpirun, it runs the command as one rank
// (trainRank).
func TestMain(m *testing.M) {
	clitest.FixBLASThreads()
	commtest.Main(m, map[string]func() error{"catdog-train": trainRank}) // mpi_test.go
}

// TestBLASThreadsForTheCNN checks that the command gives the CNN on the CPU
// one BLAS thread and says so, and leaves the perceptron's alone. It runs
// before the parallel tests, whose runs it would otherwise disturb.
func TestBLASThreadsForTheCNN(t *testing.T) {
	for _, v := range []string{"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"} {
		t.Setenv(v, "")
	}
	before := cpu.BLASThreads()
	t.Cleanup(func() { cpu.SetBLASThreads(before) })
	for _, arch := range []string{catdog.ArchMLP6, catdog.ArchCNN} {
		if before > 0 {
			cpu.SetBLASThreads(2)
		}
		r := runTrain(t, context.Background(), flags(smallFor(arch), []string{"--synthetic", "48", "--epochs", "1", "--plots=false", "--out", t.TempDir()})...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", arch, r.code, r.stderr)
		}
		one := before > 0 && arch == catdog.ArchCNN
		if said := strings.Contains(r.stdout, "CPU BLAS: 1 thread instead of 2"); said != one {
			t.Errorf("%s: said the BLAS threads: %t, want %t:\n%s", arch, said, one, r.stdout)
		}
		if got := cpu.BLASThreads(); before > 0 && got != 1+b2i(!one) {
			t.Errorf("%s: %d BLAS threads after the run", arch, got)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestFailedRunLeavesNoEmptyFolder runs the command into output folders
// that do not exist yet, on data it cannot use and on a run it cannot
// resume: it fails, and leaves no folder behind (nor the parents it
// made). A folder that was there before stays, empty or not.
func TestFailedRunLeavesNoEmptyFolder(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	empty := filepath.Join(tmp, "no-photos")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(tmp, "existing")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, out, made string // made: the topmost folder the run would make
		args            []string
		code            int
	}{
		{"no usable images", filepath.Join(tmp, "a", "b", "out"), filepath.Join(tmp, "a"), []string{"--data", empty}, 1},
		{"too few images for a batch", filepath.Join(tmp, "few"), filepath.Join(tmp, "few"), []string{"--synthetic", "4", "--batch", "64"}, 1},
		{"nothing to resume", filepath.Join(tmp, "typo"), filepath.Join(tmp, "typo"), []string{"--resume"}, 2},
		{"an existing folder", existing, "", []string{"--data", empty}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runTrain(t, context.Background(), flags(small, tt.args, []string{"--out", tt.out, "--cache", ""})...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tt.code, r.stderr)
			}
			if tt.made == "" {
				if _, err := os.Stat(tt.out); err != nil {
					t.Errorf("the folder that was there before is gone: %v", err)
				}
				return
			}
			if _, err := os.Stat(tt.made); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the failed run left %s (stat: %v)", tt.made, err)
			}
		})
	}
}
