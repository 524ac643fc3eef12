package catdog_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/faultfs"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/catdogtest"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// smallSets are the images of smallRun, made once: runs only read them.
var smallSets = sync.OnceValue(func() [3]*dataset.Set {
	all := synthetic.Generate(200, smallSeed, catdog.DefaultConfig().Side)
	rest, test, err := all.Split(0.1, smallSeed)
	if err != nil {
		panic(err)
	}
	train, val, err := rest.Split(0.2, smallSeed+1)
	if err != nil {
		panic(err)
	}
	return [3]*dataset.Set{train, val, test}
})

const smallSeed = 5

// smallRun returns the options of a run that takes a fraction of a
// second: a small perceptron on 200 synthetic images (144 to train on, in
// 9 steps of 16), split as catdog-train splits them, for epochs epochs.
func smallRun(dir string, epochs int) catdog.RunOptions {
	cfg := catdog.DefaultConfig()
	cfg.Hidden, cfg.Seed = []int{32, 16}, smallSeed
	sets := smallSets()
	return catdog.RunOptions{Dir: dir, Backend: cpu.New(), Config: cfg, Batch: 16, Epochs: epochs,
		Train: sets[0], Val: sets[1], Test: sets[2], Data: &catdog.DataSettings{Synthetic: 200, TestSplit: 0.1, Val: 0.2}}
}

// smallSteps is the number of steps of an epoch of smallRun.
const smallSteps = 9

// TestRunReportsProgress drives a run from Go code, as research code
// would, with a progress callback that keeps what it is told, and checks
// the events, the result and the files of the run's folder.
func TestRunReportsProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var events []catdog.Progress
	res, err := catdog.Run(context.Background(), smallRun(dir, 2), func(p catdog.Progress) {
		if p.Event == catdog.RunStarted && (p.Network == nil || p.Network.Summary() == "") {
			t.Errorf("the run started without a network to describe")
		}
		p.Network = nil // not to be kept past the run
		events = append(events, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1+2*(smallSteps+1) || events[0].Event != catdog.RunStarted || events[0].Epoch != 1 || events[0].Epochs != 2 {
		t.Fatalf("%d events, the first %+v; want RunStarted at epoch 1 of 2, then %d steps and an epoch, twice", len(events), events[0], smallSteps)
	}
	for i, p := range events[1:] {
		epoch, step := i/(smallSteps+1)+1, i%(smallSteps+1)+1
		switch {
		case p.Epoch != epoch || p.Steps != smallSteps || !(p.LearningRate > 0) || p.Elapsed < events[i].Elapsed:
			t.Errorf("event %d: %+v", i+1, p)
		case step <= smallSteps && (p.Event != catdog.StepDone || p.Step != step || !(p.Loss > 0)):
			t.Errorf("event %d: %+v, want step %d of epoch %d", i+1, p, step, epoch)
		case step > smallSteps && (p.Event != catdog.EpochDone || p.Record == nil || p.Record.Epoch != epoch || p.Record.Val == nil ||
			p.Checkpoint != filepath.Join(dir, checkpoint.LastFile) || (epoch == 1 && !p.SavedBest) || p.StoppedEarly):
			t.Errorf("event %d: %+v, want the end of epoch %d", i+1, p, epoch)
		}
	}
	if len(res.History) != 2 || res.LastEpoch != 2 || res.BestEpoch < 1 || res.Test == nil || len(res.TestProbs) != res.Test.Count() ||
		res.TestModel != checkpoint.BestFile || !(res.SamplesPerSec > 0) || !strings.HasPrefix(res.Device, "cpu") {
		t.Errorf("result %+v", res)
	}
	for _, name := range []string{checkpoint.LastFile, checkpoint.BestFile, catdog.HistoryFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	catdogtest.CheckLastGood(t, dir, 2)
	if _, err := catdog.Run(context.Background(), smallRun(dir, 2), nil); !errors.Is(err, catdog.ErrRunExists) {
		t.Errorf("a second run into the folder: %v, want ErrRunExists", err)
	}
}

// TestResumeContinuesTheRun stops runs after epoch 1 (as Ctrl-C does,
// during epoch 2), resumes them, and expects the weights, history and test
// of a run that was never stopped, whatever in the run changes from step
// to step: a rate that changes every step and images augmented anew every
// epoch, a step schedule, clipped gradients, weight decay, batch
// normalisation's running statistics.
func TestResumeContinuesTheRun(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		change func(*catdog.RunOptions)
	}{
		{"cosine per step with warm-up, augmentation and batch normalisation", func(o *catdog.RunOptions) {
			o.Schedule, o.Augment = optim.Schedule{Kind: optim.ScheduleCosine, Epochs: 2, Warmup: 1, PerStep: true}, catdog.DefaultAugmentation()
			o.Config.HiddenBatchNorm = true
		}},
		{"step schedule, clipping and weight decay", func(o *catdog.RunOptions) {
			o.Schedule = optim.Schedule{Kind: optim.ScheduleStep, StepEvery: 1, Gamma: 0.5}
			o.Optimizer = optim.NewAdam(0.001)
			o.Optimizer.ClipNorm, o.Optimizer.WeightDecay = 0.05, 0.5
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			run := func(dir string) catdog.RunOptions {
				opt := smallRun(dir, 2)
				tt.change(&opt)
				return opt
			}
			straight, err := catdog.Run(context.Background(), run(filepath.Join(tmp, "straight")), nil)
			if err != nil {
				t.Fatal(err)
			}
			split := filepath.Join(tmp, "split")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err = catdog.Run(ctx, run(split), func(p catdog.Progress) {
				if p.Event == catdog.EpochDone {
					cancel() // as Ctrl-C does, during epoch 2's first step
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("stopped run: %v, want context.Canceled", err)
			}
			catdogtest.CheckLastGood(t, split, 1)
			saved, err := catdog.ReadRun(split)
			if err != nil {
				t.Fatal(err)
			}
			// Only the data and the backend: the rest, --epochs too, is
			// the checkpoint's.
			sets := smallSets()
			resumed, err := catdog.Resume(context.Background(), saved, catdog.RunOptions{Backend: cpu.New(),
				Train: sets[0], Val: sets[1], Test: sets[2]}, nil)
			if err != nil {
				t.Fatal(err)
			}
			catdogtest.SameTensors(t, filepath.Join(tmp, "straight", checkpoint.LastFile), filepath.Join(split, checkpoint.LastFile))
			if len(resumed.History) != 2 || *resumed.Test != *straight.Test || resumed.BestEpoch != straight.BestEpoch || resumed.Data == nil {
				t.Fatalf("resumed: %+v\nstraight: %+v", resumed, straight)
			}
			for i, h := range straight.History {
				r := resumed.History[i]
				if h.Epoch != r.Epoch || h.LearningRate != r.LearningRate || h.MeanBatchLoss != r.MeanBatchLoss || h.Train.Loss != r.Train.Loss || h.Val.Loss != r.Val.Loss {
					t.Errorf("epoch %d: %+v straight, %+v resumed", i+1, h, r)
				}
			}
			if h := straight.History; h[0].LearningRate == h[1].LearningRate {
				t.Errorf("the learning rate did not change: %v, %v", h[0].LearningRate, h[1].LearningRate)
			}
		})
	}
}

// TestRunStopsEarly makes every epoch after the first fall short of
// MinDelta, so that Patience 1 stops the run after epoch 2 of 6 and the
// test runs on the best epoch's weights; resuming it trains nothing more.
func TestRunStopsEarly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opt := smallRun(dir, 6)
	opt.Patience, opt.MinDelta = 1, 100
	stoppedAt := 0
	res, err := catdog.Run(context.Background(), opt, func(p catdog.Progress) {
		if p.Event == catdog.EpochDone && p.StoppedEarly {
			stoppedAt = p.Epoch
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if stoppedAt != 2 || !res.StoppedEarly || res.LastEpoch != 2 || len(res.History) != 2 || res.TestModel != checkpoint.BestFile {
		t.Fatalf("stopped after epoch %d; result %+v", stoppedAt, res)
	}
	saved, err := catdog.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	var events []catdog.Progress
	again, err := catdog.Resume(context.Background(), saved, opt, func(p catdog.Progress) { events = append(events, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || !events[0].StoppedEarly || again.LastEpoch != 2 || *again.Test != *res.Test {
		t.Errorf("resuming a stopped run: events %+v, result %+v", events, again)
	}
}

func TestEpochsWithoutImprovement(t *testing.T) {
	t.Parallel()
	hist := func(losses ...float64) []catdog.EpochRecord {
		var h []catdog.EpochRecord
		for i, l := range losses {
			h = append(h, catdog.EpochRecord{Epoch: i + 1, Val: &catdog.MetricsRecord{Loss: l}})
		}
		return h
	}
	tests := []struct {
		name     string
		history  []catdog.EpochRecord
		minDelta float64
		want     int
	}{
		{"empty", nil, 0, 0},
		{"first epoch", hist(0.7), 0, 0},
		{"always better", hist(0.7, 0.6, 0.5), 0, 0},
		{"two worse", hist(0.7, 0.5, 0.6, 0.55), 0, 2},
		{"equal is not better", hist(0.5, 0.5), 0, 1},
		// 0.5 -> 0.45 falls by less than 0.1: not better; 0.35 is.
		{"min delta", hist(0.5, 0.45, 0.42, 0.35), 0.1, 0},
		{"min delta, not yet", hist(0.5, 0.45, 0.42), 0.1, 2},
		{"no validation", []catdog.EpochRecord{{Epoch: 1}, {Epoch: 2}}, 0, 0},
	}
	for _, tt := range tests {
		if got := catdog.EpochsWithoutImprovement(tt.history, tt.minDelta); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestReadOldHistory reads a history line as builds before
// mean_batch_loss wrote it, with the same value under "loss", as a resume
// of such a run does, and drops the lines after the epoch asked for.
func TestReadOldHistory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), catdog.HistoryFile)
	old := `{"epoch":1,"lr":0.001,"loss":0.5,"train":{"loss":0.25,"accuracy":0.9},"val":null,"seconds":1,"samples_per_s":100}` + "\n" +
		`{"epoch":2,"lr":0.001,"mean_batch_loss":0.4,"train":{"loss":0.2,"accuracy":0.9},"val":null,"seconds":1,"samples_per_s":100}` + "\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := catdog.ReadHistory(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].MeanBatchLoss != 0.5 || h[0].Train.Loss != 0.25 || h[0].Epoch != 1 || h[0].SamplesPerSec != 100 {
		t.Errorf("read %+v", h)
	}
}

// TestRunFaults makes every write into the folder fail from epoch 2 on,
// and, separately, the loss NaN at the third step of epoch 2 and the
// model's outputs NaN after epoch 2's last step: the run stops with the
// error, and the checkpoint of epoch 1 stays, whole.
func TestRunFaults(t *testing.T) {
	t.Parallel()
	failing := &faultfs.FS{Fail: func(op faultfs.Op) error {
		if op.N >= 2 {
			return syscall.EIO
		}
		return nil
	}}
	tests := []struct {
		name   string
		fs     *faultfs.FS
		device nanDevice
		want   error
		says   string
	}{
		{"folder failing", failing, nanDevice{}, syscall.EIO, catdog.HistoryFile},
		{"loss", nil, nanDevice{nanStep: smallSteps + 3}, catdog.ErrDiverged, "loss is NaN at epoch 2, batch 3"},
		{"outputs", nil, nanDevice{nanPredict: 2 * smallSteps}, catdog.ErrDiverged, "the training loss is NaN after epoch 2, whose model is not saved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			opt := smallRun(dir, 2)
			if tt.fs != nil {
				opt.FS = tt.fs
			}
			tt.device.Backend = opt.Backend
			opt.Backend = tt.device
			_, err := catdog.Run(context.Background(), opt, nil)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %v, want %v saying %q", err, tt.want, tt.says)
			}
			catdogtest.CheckLastGood(t, dir, 1)
		})
	}
}

// TestRunCollapsed trains the small perceptron at Adam's rate of 1,
// which kills its ReLUs within two epochs: every image then gets the
// same P(cat), and the run stops CollapsedEpochs epochs later with
// ErrCollapsed, naming the epochs and what to try, its last epoch saved.
// At the rate of 0.3 the network wanders near chance but does not
// collapse, and the run goes on to the end.
func TestRunCollapsed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opt := smallRun(dir, 8)
	opt.Optimizer = optim.NewAdam(1)
	_, err := catdog.Run(context.Background(), opt, nil)
	if !errors.Is(err, catdog.ErrCollapsed) || !strings.Contains(err.Error(), "in epochs 2-4 ") || !strings.Contains(err.Error(), "--warmup 2 --lr-per-step") {
		t.Fatalf("error %v, want ErrCollapsed in epochs 2-4 with what to try", err)
	}
	catdogtest.CheckLastGood(t, dir, 4)

	opt = smallRun(t.TempDir(), 6)
	opt.Optimizer = optim.NewAdam(0.3)
	res, err := catdog.Run(context.Background(), opt, nil)
	if err != nil {
		t.Fatalf("Adam at 0.3: %v; want a whole run", err)
	}
	if res.LastEpoch != 6 {
		t.Errorf("Adam at 0.3: last epoch %d, want 6", res.LastEpoch)
	}
}

// TestLockDir locks a folder and expects a second lock on it refused,
// naming this process, until the first is released.
func TestLockDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, err := catdog.LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catdog.LockDir(dir); !errors.Is(err, catdog.ErrDirBusy) || !strings.Contains(err.Error(), "(process ") {
		t.Errorf("second lock: %v, want ErrDirBusy naming the process", err)
	}
	if _, err := catdog.Run(context.Background(), smallRun(dir, 1), nil); !errors.Is(err, catdog.ErrDirBusy) {
		t.Errorf("a run in a locked folder: %v, want ErrDirBusy", err)
	}
	l.Release()
	l, err = catdog.LockDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l.Release()
	if _, err := os.Stat(filepath.Join(dir, catdog.LockFile)); !os.IsNotExist(err) {
		t.Errorf("the lock file is left after release (stat: %v)", err)
	}
}

// nanDevice is a device whose programs train normally until a chosen
// step, from which on the loss (nanStep) or the predictions (after
// nanPredict steps) are NaN, as they are once the weights overflow. The
// zero values change nothing.
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
