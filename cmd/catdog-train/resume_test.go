package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/cmd/internal/clitest"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/catdogtest"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// synthSmall trains on a small synthetic set.
var synthSmall = flags(small, []string{"--synthetic", "200", "--seed", "5"})

// straightAndFirstEpoch trains with args into two folders under tmp: to
// the end in "straight", and for one epoch in "split", to be resumed.
func straightAndFirstEpoch(t *testing.T, tmp string, args []string) (straight, split string) {
	t.Helper()
	straight, split = filepath.Join(tmp, "straight"), filepath.Join(tmp, "split")
	if r := runTrain(t, context.Background(), flags(args, []string{"--out", straight})...); r.code != 0 {
		t.Fatalf("uninterrupted run: exit %d\n%s", r.code, r.stderr)
	}
	if r := runTrain(t, context.Background(), flags(args, []string{"--out", split, "--epochs", "1"})...); r.code != 0 {
		t.Fatalf("first epoch: exit %d\n%s", r.code, r.stderr)
	}
	return straight, split
}

// wantRefused runs the command with args and fails unless it exits 2
// (a usage error) saying want.
func wantRefused(t *testing.T, what, want string, args ...string) {
	t.Helper()
	r := runTrain(t, context.Background(), args...)
	if r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", what, r.code, r.stderr, want)
	}
}

// sameMetrics reports whether a and b hold the same values.
func sameMetrics(a, b catdog.MetricsRecord) bool {
	if (a.AUC == nil) != (b.AUC == nil) || (a.AUC != nil && *a.AUC != *b.AUC) {
		return false
	}
	a.AUC, b.AUC = nil, nil
	return a == b
}

func TestResumeGivesTheSameWeights(t *testing.T) {
	t.Parallel()
	straight, split := straightAndFirstEpoch(t, t.TempDir(), synthSmall)
	// Only --out, --epochs and --resume (and --device, which a checkpoint
	// does not fix): the rest, the data settings too, comes from the
	// checkpoint.
	r := runTrain(t, context.Background(), "--out", split, "--epochs", "2", "--resume", "--device", "cpu")
	if r.code != 0 {
		t.Fatalf("resumed run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("resuming a checkpoint with data settings warns:\n%s", r.stderr)
	}
	for _, want := range []string{"resuming", "after epoch 1", "--hidden 32,16", "--batch 16", "--seed 5",
		"--synthetic 200 --test-split 0.1 --val 0.2", "epoch 2/2"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("resumed run's output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "epoch 1/2") {
		t.Errorf("resumed run trained epoch 1 again:\n%s", r.stdout)
	}

	catdogtest.SameTensors(t, filepath.Join(straight, checkpoint.LastFile), filepath.Join(split, checkpoint.LastFile))
	catdogtest.SameTensors(t, filepath.Join(straight, checkpoint.BestFile), filepath.Join(split, checkpoint.BestFile))
	hs, hr := readHistoryLines(t, straight), readHistoryLines(t, split)
	if len(hr) != 2 {
		t.Fatalf("resumed history has %d lines, want 2 (the earlier line kept)", len(hr))
	}
	for i := range hs {
		if hs[i].Epoch != hr[i].Epoch || hs[i].MeanBatchLoss != hr[i].MeanBatchLoss || hs[i].LearningRate != hr[i].LearningRate ||
			!sameMetrics(hs[i].Train, hr[i].Train) || !sameMetrics(*hs[i].Val, *hr[i].Val) {
			t.Errorf("history line %d: %+v uninterrupted, %+v resumed", i, hs[i], hr[i])
		}
	}
	ss, sr := readSummary(t, straight), readSummary(t, split)
	if *ss.TestAccuracy != *sr.TestAccuracy || ss.Confusion != sr.Confusion || ss.BestEpoch != sr.BestEpoch {
		t.Errorf("summaries differ: %+v uninterrupted, %+v resumed", ss, sr)
	}

	meta, _, err := catdog.ReadMeta(filepath.Join(split, checkpoint.LastFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := (catdog.DataSettings{Synthetic: 200, TestSplit: 0.1, Val: 0.2}); meta.Data == nil || *meta.Data != want {
		t.Errorf("the checkpoint's data settings are %+v, want %+v", meta.Data, want)
	}

	// Resuming a finished run trains nothing and tests again.
	r = runTrain(t, context.Background(), "--out", split, "--epochs", "2", "--resume", "--device", "cpu")
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to train") {
		t.Errorf("resuming a finished run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// firstEpochThenResume trains with args for one epoch into a folder of
// tmp, resumes it with --resume alone (and --epochs 2), and fails unless
// the resumed run's settings show each of want. It returns the folder.
// (That a resumed run ends with the weights of an uninterrupted one,
// models/catdog's TestResumeContinuesTheRun checks, setting by setting.)
func firstEpochThenResume(t *testing.T, tmp string, args []string, want ...string) (split string) {
	t.Helper()
	split = filepath.Join(tmp, "split")
	if r := runTrain(t, context.Background(), flags(args, []string{"--out", split, "--epochs", "1"})...); r.code != 0 {
		t.Fatalf("first epoch: exit %d\n%s", r.code, r.stderr)
	}
	r := runTrain(t, context.Background(), "--out", split, "--epochs", "2", "--resume", "--device", "cpu")
	if r.code != 0 {
		t.Fatalf("resumed run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("resumed run's output lacks %q:\n%s", w, r.stdout)
		}
	}
	return split
}

// differsFrom trains with args into a new folder of tmp and fails if its
// first tensor ends as run's did: the setting that tells them apart acted.
func differsFrom(t *testing.T, run, tmp string, args []string, setting string) {
	t.Helper()
	other := filepath.Join(tmp, "other")
	if r := runTrain(t, context.Background(), flags(args, []string{"--out", other})...); r.code != 0 {
		t.Fatalf("run without %s: exit %d\n%s", setting, r.code, r.stderr)
	}
	a, errA := checkpoint.Load(filepath.Join(run, checkpoint.LastFile), nil)
	b, errB := checkpoint.Load(filepath.Join(other, checkpoint.LastFile), nil)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if slices.Equal(a[0].Data, b[0].Data) {
		t.Errorf("%s ends the same with and without %s: it never acted", a[0].Name, setting)
	}
}

// A run with --clip-norm records it, and a resumed run clips the same:
// its weights differ from those of a run without clipping (so the
// clipping did act).
func TestResumeKeepsClipping(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	split := firstEpochThenResume(t, tmp, flags(synthSmall, []string{"--clip-norm", "0.05"}), "--clip-norm 0.05")
	meta, _, err := catdog.ReadMeta(filepath.Join(split, checkpoint.LastFile))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Optimizer.ClipNorm != 0.05 {
		t.Errorf("the checkpoint records a clipping norm of %v, want 0.05", meta.Optimizer.ClipNorm)
	}
	wantRefused(t, "resuming with another clipping norm", "--clip-norm: 1 differs from the checkpoint's 0.05",
		"--out", split, "--resume", "--clip-norm", "1")
	differsFrom(t, split, tmp, synthSmall, "--clip-norm 0.05")
}

// A run with --weight-decay (as the photo recipes set it) records it, and
// a resumed run decays the same: its weights differ from those of a run
// without decay.
func TestResumeKeepsWeightDecay(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	split := firstEpochThenResume(t, tmp, flags(synthSmall, []string{"--weight-decay", "0.5"}), "--weight-decay 0.5")
	meta, _, err := catdog.ReadMeta(filepath.Join(split, checkpoint.LastFile))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Optimizer.WeightDecay != 0.5 {
		t.Errorf("the checkpoint records a weight decay of %v, want 0.5", meta.Optimizer.WeightDecay)
	}
	wantRefused(t, "resuming with another weight decay", "--weight-decay: 1 differs from the checkpoint's 0.5",
		"--out", split, "--resume", "--weight-decay", "1")
	differsFrom(t, split, tmp, synthSmall, "--weight-decay 0.5")
}

// A run with --side records the images' side, and --resume trains on
// images of that side without being told (the synthetic set is drawn
// anew at it), refusing another.
func TestResumeKeepsSide(t *testing.T) {
	t.Parallel()
	split := firstEpochThenResume(t, t.TempDir(), flags(synthSmall, []string{"--side", "48"}), "--side 48")
	meta, _, err := catdog.ReadMeta(filepath.Join(split, checkpoint.LastFile))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Side != 48 {
		t.Errorf("the checkpoint records a side of %d, want 48", meta.Side)
	}
	wantRefused(t, "resuming with another side", "--side: 64 differs from the checkpoint's 48",
		"--out", split, "--resume", "--side", "64")
}

// A perceptron with batch normalisation resumes as one, and its
// checkpoint records the normalisation's running statistics.
func TestResumeMLPBatchNorm(t *testing.T) {
	t.Parallel()
	split := firstEpochThenResume(t, t.TempDir(), flags(synthSmall, []string{"--batchnorm"}), "--hidden 32,16 --batchnorm", "bn1")
	_, ts, err := catdog.ReadMeta(filepath.Join(split, checkpoint.LastFile))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ts, func(x checkpoint.Tensor) bool { return x.Name == "bn2.running_var" }) {
		t.Errorf("the checkpoint holds no bn2.running_var")
	}
}

// A run whose rate changes every step (a warm-up over two epochs) resumes
// with its settings, which show the per-step schedule, and it differs from
// the same run with a rate per epoch.
func TestResumePerStepSchedule(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	split := firstEpochThenResume(t, tmp, flags(synthSmall, []string{"--warmup", "2", "--lr-per-step"}),
		"--warmup 2 --lr-per-step", "set every step")
	wantRefused(t, "resuming with a rate per epoch", "--lr-per-step: false differs from the checkpoint's true",
		"--out", split, "--resume", "--lr-per-step=false")
	differsFrom(t, split, tmp, flags(synthSmall, []string{"--warmup", "2"}), "--lr-per-step")
}

func TestResumeConflicts(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	if r := runTrain(t, context.Background(), flags(synthSmall, []string{"--out", out, "--epochs", "1", "--synthetic", "64"})...); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"other hidden layers", []string{"--out", out, "--resume", "--hidden", "64"}, `--hidden: 64 differs from the checkpoint's 32,16`},
		{"other optimizer", []string{"--out", out, "--resume", "--optimizer", "sgd"}, `--optimizer: sgd differs from the checkpoint's adam`},
		{"other seed", []string{"--out", out, "--resume", "--seed", "9"}, `--seed: 9 differs`},
		{"other schedule", []string{"--out", out, "--resume", "--lr-schedule", "cosine"}, `--lr-schedule: cosine differs from the checkpoint's none`},
		{"other warm-up", []string{"--out", out, "--resume", "--warmup", "2"}, `--warmup: 2 differs from the checkpoint's 0`},
		{"step size of another schedule", []string{"--out", out, "--resume", "--lr-step", "3"}, `--lr-step: applies to --lr-schedule step only; the checkpoint's schedule is none`},
		{"augmentation turned on", []string{"--out", out, "--resume", "--augment"}, `--augment: true differs from the checkpoint's false`},
		{"other architecture", []string{"--out", out, "--resume", "--model", "cnn"}, `--model: cnn differs from the checkpoint's mlp6`},
		{"convolution blocks", []string{"--out", out, "--resume", "--filters", "8,16"}, `--filters: sets the convolution blocks of --model cnn; the checkpoint holds --model mlp6, which has none`},
		{"batch normalisation added", []string{"--out", out, "--resume", "--batchnorm"}, `--batchnorm: true differs from the checkpoint's false`},
		{"cropped", []string{"--out", out, "--resume", "--crop"}, `--crop: true differs from the checkpoint's false`},
		{"other validation fraction", []string{"--out", out, "--resume", "--val", "0.3"}, `--val: 0.3 differs from the checkpoint's 0.2; leave --val out`},
		{"other synthetic set", []string{"--out", out, "--resume", "--synthetic", "200"}, `--synthetic: 200 differs from the checkpoint's 64`},
		{"photos", []string{"--out", out, "--resume", "--data", tmp}, `--data: ` + tmp + ` differs from the checkpoint's synthetic set (--synthetic 64)`},
		{"test folder", []string{"--out", out, "--resume", "--test", tmp}, `--test: ` + tmp + ` differs from the checkpoint's hold-out (--test-split 0.1)`},
		{"other test split", []string{"--out", out, "--resume", "--test-split", "0.25"}, `--test-split: 0.25 differs from the checkpoint's 0.1`},
		{"nothing to resume", []string{"--out", filepath.Join(out, "none"), "--resume"}, "holds no last.safetensors"},
		{"run already there", []string{"--out", out, "--synthetic", "64"}, "already holds a training run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRefused(t, "resuming", tt.want, tt.args...)
		})
	}
}

// cancelAfter cancels a context once the output shows a given line.
type cancelAfter struct {
	w      io.Writer
	line   string
	cancel context.CancelFunc
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), c.line) {
		c.cancel()
	}
	return c.w.Write(p)
}

func TestInterruptThenResume(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	args := flags(synthSmall, []string{"--out", out, "--epochs", "3"})

	// Ctrl-C during epoch 2: the checkpoint of epoch 1 stays.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr strings.Builder
	code := run(ctx, args, &cancelAfter{&stdout, "epoch 1/3", cancel}, &stderr)
	if code != 130 {
		t.Fatalf("exit %d, want 130\n%s\n%s", code, stdout.String(), stderr.String())
	}
	msg := stderr.String()
	if !strings.Contains(msg, "after epoch 1 is in "+filepath.Join(out, checkpoint.LastFile)) || !strings.Contains(msg, "--resume") {
		t.Fatalf("interrupt message does not say where the model is and how to resume:\n%s", msg)
	}

	// The command it suggests finishes the run (as if it had not stopped:
	// models/catdog's TestResumeContinuesTheRun).
	_, suggested, ok := strings.Cut(msg, "to continue: catdog-train ")
	if !ok {
		t.Fatalf("no command to continue in:\n%s", msg)
	}
	if r := runTrain(t, context.Background(), strings.Fields(suggested)...); r.code != 0 {
		t.Fatalf("suggested resume %q: exit %d\n%s", suggested, r.code, r.stderr)
	}
	catdogtest.CheckLastGood(t, out, 3)
	if h := readHistoryLines(t, out); len(h) != 3 {
		t.Errorf("history after resume has %d lines, want 3", len(h))
	}

	// Interrupted before any epoch ended: nothing to resume, and it says so.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	r := runTrain(t, ctx, flags(synthSmall, []string{"--out", filepath.Join(tmp, "early")})...)
	if r.code != 130 || !strings.Contains(r.stderr, "no checkpoint was written") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestResumeWithScheduleAndAugmentation interrupts a run whose learning
// rate and training images change every epoch, resumes it with no more
// than --out and --resume, and expects it to go on with the run's
// settings, --epochs included, to the end. (That it reaches the weights,
// rates and metrics of an uninterrupted run, models/catdog's
// TestResumeContinuesTheRun checks.)
func TestResumeWithScheduleAndAugmentation(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	given := []string{"--lr-schedule", "cosine", "--warmup", "1", "--augment"}
	args := flags(synthSmall, given, []string{"--epochs", "3", "--plots=false", "--out", out})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr strings.Builder
	if code := run(ctx, args, &cancelAfter{&stdout, "epoch 1/3", cancel}, &stderr); code != 130 {
		t.Fatalf("exit %d, want 130\n%s\n%s", code, stdout.String(), stderr.String())
	}
	// Without --epochs: the run's own 3, which the checkpoint records,
	// not the flag's default.
	r := runTrain(t, context.Background(), "--out", out, "--resume", "--device", "cpu", "--plots=false")
	if r.code != 0 {
		t.Fatalf("resumed run: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "--epochs 3") || !strings.Contains(r.stdout, "epoch 3/3") || strings.Contains(r.stdout, "epoch 1/3") {
		t.Errorf("resumed run does not go on from epoch 2 to the run's --epochs 3:\n%s", r.stdout)
	}
	for _, a := range given {
		if strings.HasPrefix(a, "--") && !strings.Contains(r.stdout, a) {
			t.Errorf("resumed run's settings lack %s:\n%s", a, r.stdout)
		}
	}
	if h := readHistoryLines(t, out); len(h) != 3 || h[0].LearningRate == h[1].LearningRate || h[1].LearningRate == h[2].LearningRate {
		t.Errorf("history %+v: want 3 epochs, each at its own rate", h)
	}
}

// TestResumeCNN interrupts a cnn run (whose dropout masks change every
// step), with and without batch normalisation (whose running statistics
// the checkpoint keeps), and resumes it to the weights of an uninterrupted
// run; the checkpoint's architecture cannot be changed on resume.
func TestResumeCNN(t *testing.T) {
	t.Parallel()
	for _, bn := range []bool{false, true} {
		t.Run(fmt.Sprintf("batchnorm=%t", bn), func(t *testing.T) {
			t.Parallel()
			resumeCNN(t, bn)
		})
	}
}

func resumeCNN(t *testing.T, bn bool) {
	tmp := t.TempDir()
	straight, split := filepath.Join(tmp, "straight"), filepath.Join(tmp, "split")
	// Layers of its own, deeper than the default's, which the resumed run
	// must rebuild from the checkpoint alone.
	args := flags(smallCNN, []string{"--synthetic", "96", "--seed", "5", "--plots=false", fmt.Sprintf("--batchnorm=%t", bn),
		"--filters", "4,8,8,4", "--hidden", "16,8"})
	r := runTrain(t, context.Background(), flags(args, []string{"--out", straight, "--tf32"})...)
	if r.code != 0 {
		t.Fatalf("uninterrupted run: exit %d\n%s", r.code, r.stderr)
	}
	if s := readSummary(t, straight); s.Arch != "cnn" || !s.TF32 || !strings.Contains(r.stdout, "TF32 on") {
		t.Errorf("summary arch %q, tf32 %t; output:\n%s", s.Arch, s.TF32, r.stdout)
	}
	if r := runTrain(t, context.Background(), flags(args, []string{"--out", split, "--epochs", "1"})...); r.code != 0 {
		t.Fatalf("first epoch: exit %d\n%s", r.code, r.stderr)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"as a perceptron", []string{"--model", "mlp6"}, "--model: mlp6 differs from the checkpoint's cnn; leave --model out"},
		{"with other dense layers", []string{"--hidden", "32"}, "--hidden: 32 differs from the checkpoint's 16,8"},
		{"with other convolution blocks", []string{"--filters", "8,16"}, "--filters: 8,16 differs from the checkpoint's 4,8,8,4"},
		{"with batch normalisation switched", []string{fmt.Sprintf("--batchnorm=%t", !bn)},
			fmt.Sprintf("--batchnorm: %t differs from the checkpoint's %t", !bn, bn)},
	} {
		wantRefused(t, "resuming "+tt.name, tt.want, flags([]string{"--out", split, "--resume", "--synthetic", "96", "--device", "cpu"}, tt.args)...)
	}
	r = runTrain(t, context.Background(), "--out", split, "--epochs", "2", "--resume", "--device", "cpu", "--plots=false")
	if r.code != 0 {
		t.Fatalf("resumed run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	settings := "--model cnn --filters 4,8,8,4 --hidden 16,8 --optimizer adam"
	if bn {
		settings = "--model cnn --filters 4,8,8,4 --hidden 16,8 --batchnorm --optimizer adam"
	}
	if !strings.Contains(r.stdout, settings) {
		t.Errorf("resumed run's settings, want %q:\n%s", settings, r.stdout)
	}
	catdogtest.SameTensors(t, filepath.Join(straight, checkpoint.LastFile), filepath.Join(split, checkpoint.LastFile))
}

// TestResumePhotosChecksTheData resumes a run on photos: plainly, to the
// weights of an uninterrupted run, and with other data, which is refused.
func TestResumePhotosChecksTheData(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	photos := clitest.WritePhotos(t, filepath.Join(tmp, "photos"), clitest.ClassFolders, 64, 3)
	other := tmp // refused before it is read
	// A folder named with "/." is recorded cleaned, so that the resume
	// below, which names it plainly, matches it.
	args := flags(small, []string{"--data", photos.Dir + "/.", "--cache", "", "--val", "0.25", "--plots=false"})
	straight, split := straightAndFirstEpoch(t, tmp, args)

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"other photos", []string{"--data", other},
			"--data: " + other + " differs from the checkpoint's " + photos.Dir + "; leave --data out to continue with the checkpoint's"},
		{"the synthetic set", []string{"--synthetic", "100"},
			"--synthetic: 100 differs from the checkpoint's photos (--data " + photos.Dir + ")"},
		{"the default validation fraction", []string{"--val", "0.2"}, "--val: 0.2 differs from the checkpoint's 0.25"},
	} {
		wantRefused(t, "resuming with "+tt.name, tt.want, flags([]string{"--out", split, "--resume", "--device", "cpu"}, tt.args)...)
	}

	// The folder as given first, cleaned: no conflict; --val, left out,
	// is the checkpoint's.
	r := runTrain(t, context.Background(), "--out", split, "--epochs", "2", "--resume", "--device", "cpu", "--cache", "", "--plots=false",
		"--data", photos.Dir)
	if r.code != 0 {
		t.Fatalf("resumed run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "--data "+photos.Dir+" --test-split 0.1 --val 0.25") {
		t.Errorf("resumed run's settings lack the data's:\n%s", r.stdout)
	}
	catdogtest.SameTensors(t, filepath.Join(straight, checkpoint.LastFile), filepath.Join(split, checkpoint.LastFile))
	if s := readSummary(t, split); s.DataSettings == nil || s.DataSettings.Dir != photos.Dir || s.DataSettings.Val != 0.25 {
		t.Errorf("summary's data settings: %+v", s.DataSettings)
	}
}

// TestResumeOldCheckpointWarns resumes a checkpoint written before data
// settings were recorded: the flags are used unchecked, with a warning,
// and the checkpoints written from then on record them.
func TestResumeOldCheckpointWarns(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	args := flags(synthSmall, []string{"--synthetic", "64", "--plots=false"})
	if r := runTrain(t, context.Background(), flags(args, []string{"--out", out, "--epochs", "1"})...); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	// Rewrite it as format 2 wrote it: no data settings, no pixel
	// encoding (those builds fed pixels in [0, 1]).
	last := filepath.Join(out, checkpoint.LastFile)
	var raw map[string]any
	ts, err := checkpoint.Load(last, &raw)
	if err != nil {
		t.Fatal(err)
	}
	raw["format"] = 2
	delete(raw, "data")
	delete(raw, "pixels")
	delete(raw, "epochs")
	if err := checkpoint.Save(last, raw, ts); err != nil {
		t.Fatal(err)
	}

	r := runTrain(t, context.Background(), "--out", out, "--resume", "--epochs", "2", "--device", "cpu", "--synthetic", "64", "--plots=false")
	if r.code != 0 {
		t.Fatalf("resumed run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if want := "warning: the data settings could not be checked"; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--val") {
		t.Errorf("stderr lacks %q naming the flags:\n%s", want, r.stderr)
	}
	if !strings.Contains(r.stdout, "pixels unit") {
		t.Errorf("the resumed run does not keep the checkpoint's pixel encoding:\n%s", r.stdout)
	}
	meta, _, err := catdog.ReadMeta(last)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Epoch != 2 || meta.Data == nil || meta.Data.Synthetic != 64 || meta.Pixels != dataset.Unit {
		t.Errorf("the checkpoint after resuming: epoch %d, data settings %+v, pixels %q", meta.Epoch, meta.Data, meta.Pixels)
	}
	if _, err := checkpoint.Load(last, &raw); err != nil || raw["format"] != 3.0 || raw["pixels"] != "unit" {
		t.Errorf("the checkpoint after resuming is format %v, pixels %v (%v); want 3 (grayscale), unit", raw["format"], raw["pixels"], err)
	}
}
