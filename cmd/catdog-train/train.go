package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/cmd/internal/cli"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// Files in --out.
const (
	lastFile    = checkpoint.LastFile
	bestFile    = checkpoint.BestFile
	historyFile = "history.jsonl"
	summaryFile = "summary.json"
)

// trainProbeSize caps the training images on which the training accuracy
// is measured after each epoch: enough for a stable estimate, cheap next to
// the epoch itself.
const trainProbeSize = 2000

// trainer is one run of the command.
type trainer struct {
	o              *options
	env            env
	lock           *outLock // on --out, while the run writes there
	stdout, stderr io.Writer
	start          time.Time

	device    backend.Backend
	optimizer optim.Optimizer // with the base learning rate
	schedule  optim.Schedule
	data      *data
	net       *catdog.Network

	history   []epochRecord
	lastEpoch int // the epoch last.safetensors holds; 0 before the first
	bestEpoch int // the epoch best.safetensors holds; 0 when none
	bestVal   catdog.Metrics
	stopped   bool         // early stopping ended the run
	resumed   *catdog.Meta // the checkpoint resumed from, or nil
	resumedTs []checkpoint.Tensor
	dataSet   *catdog.DataSettings // recorded in every checkpoint
	madeOut   []string             // the folders of --out this run created, the deepest first
}

func (t *trainer) path(name string) string { return filepath.Join(t.o.out, name) }

func (t *trainer) run(ctx context.Context) error {
	t.start = time.Now()
	defer func() { t.lock.release() }() // t.lock is set by prepareOut
	if err := t.prepareOut(); err != nil {
		return err
	}
	var err error
	if t.dataSet, err = t.o.dataSettings(); err != nil {
		return err
	}
	if t.resumed != nil {
		t.optimizer, t.schedule = t.resumed.Optimizer, t.resumed.Schedule
	} else if t.optimizer, err = t.o.optimizerSpec(); err != nil {
		return err
	} else {
		t.schedule = t.o.scheduleSpec()
	}
	if err := optim.NewRate(t.optimizer, t.schedule).Validate(); err != nil {
		return fmt.Errorf("--lr-schedule: %w", err)
	}
	if t.device, err = cli.OpenDevice(t.o.device, t.stdout); err != nil {
		return err
	}
	if t.env.device != nil {
		t.device = t.env.device(t.device)
	}
	defer t.device.Close()
	if t.data, err = loadData(t.o, t.stdout); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	cfg, err := t.o.modelConfig()
	if err != nil {
		return err
	}
	if t.o.batchnorm && cfg.Arch == catdog.ArchCNN {
		cfg.CNN = cfg.CNN.WithBatchNorm()
	}
	cfg.HiddenBatchNorm = t.o.batchnorm && cfg.Arch == catdog.ArchMLP6
	if t.resumed != nil {
		// The layers the checkpoint was trained with, whatever this
		// build's defaults.
		cfg = t.resumed.Config()
	}
	cfg.Crop, cfg.Seed, cfg.TF32 = t.o.crop, t.o.seed, t.o.tf32
	cli.TuneBLAS(t.device, cfg.Arch == catdog.ArchCNN, t.stdout)
	if t.net, err = catdog.NewNetwork(cfg, t.o.batch, t.device, t.optimizer); err != nil {
		return err
	}
	defer t.net.Close()
	t.net.Augment = t.o.augmentation()
	t.net.Rate = optim.NewRate(t.optimizer, t.schedule)
	fmt.Fprintf(t.stdout, "model: %s, %s optimizer, learning rate %g (%s), batch %d, augmentation %s, TF32 %s, pixels %s\n%s\n",
		cfg.Arch, t.optimizer.Method, t.optimizer.LearningRate, t.schedule, t.o.batch, t.net.Augment, onOff(cfg.TF32), cfg.Pixels, t.net.Summary())
	if t.resumed != nil {
		if err := t.net.Load(*t.resumed, t.resumedTs, true); err != nil {
			return fmt.Errorf("--resume: %s: %w", t.path(lastFile), err)
		}
		t.resumedTs = nil
	}
	if t.data.val.Len() == 0 {
		fmt.Fprintf(t.stdout, "no validation set (--val 0): %s is not written, and the test uses the last epoch's model\n", bestFile)
	}

	if err := t.train(ctx); err != nil {
		return err
	}
	return t.finish()
}

// prepareOut creates --out, early, so that a folder that cannot be made
// is found before the data is loaded (removeEmptyOut takes it back if the
// run fails before writing into it), or, with --resume, reads the run to
// continue there. Without --resume it refuses to overwrite a run there.
// Either way it locks the folder (lockOut) for the rest of the run: a
// second catdog-train on it is refused while this one runs.
func (t *trainer) prepareOut() error {
	o := t.o
	last := t.path(lastFile)
	if !o.resume {
		var err error
		if t.madeOut, err = makeDirs(o.out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		// Locked first, so that a run still writing there is named as such.
		if t.lock, err = lockOut(o.out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if _, err := os.Stat(last); err == nil {
			return cli.Usagef("--out", "%s already holds a training run (%s); add --resume to continue it, or choose another --out", o.out, lastFile)
		}
		// Left by a run stopped before its first checkpoint, if at all.
		for _, name := range []string{bestFile, strings.TrimSuffix(bestFile, ".safetensors") + ".json", summaryFile, historyFile} {
			if err := os.Remove(t.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("--out: %w", err)
			}
		}
		return nil
	}

	if info, err := os.Stat(o.out); err == nil && info.IsDir() {
		if t.lock, err = lockOut(o.out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}

	meta, ts, err := catdog.ReadMeta(last)
	if errors.Is(err, fs.ErrNotExist) {
		return cli.Usagef("--resume", "%s holds no %s to resume from", o.out, lastFile)
	}
	if err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	if err := o.adopt(meta); err != nil {
		return err
	}
	fmt.Fprintf(t.stdout, "resuming %s after epoch %d, with its settings: %s %s --epochs %d%s\n",
		last, meta.Epoch, o.describeModel(), o.describeData(), o.epochs, o.epochsNote(meta))
	if meta.Data == nil {
		fmt.Fprintf(t.stderr, "catdog-train: warning: the data settings could not be checked: %s predates their recording in checkpoints;\n"+
			"  %s are taken as given (or their defaults), and must be the run's for it to continue on the same images\n", last, dataFlags)
	}
	t.resumed, t.resumedTs = &meta, ts
	t.lastEpoch = meta.Epoch

	if t.history, err = readHistory(t.path(historyFile), meta.Epoch); err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	if best, _, err := catdog.ReadMeta(t.path(bestFile)); err == nil {
		t.bestEpoch = best.Epoch
		t.bestVal = catdog.Metrics{Accuracy: best.ValAccuracy, Loss: best.ValLoss}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--resume: %w", err)
	}
	return nil
}

// makeDirs creates dir and its missing parents, and returns the folders
// it created, the deepest first.
func makeDirs(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	return missing, os.MkdirAll(dir, 0o755)
}

// removeEmptyOut removes the folders of --out that this run created and
// left empty, after a failure: a run that wrote nothing leaves nothing.
func (t *trainer) removeEmptyOut() {
	for _, d := range t.madeOut {
		// os.Remove takes only an empty folder; stop at the first that
		// holds something, or that is no longer a folder.
		if info, err := os.Lstat(d); err != nil || !info.IsDir() || os.Remove(d) != nil {
			return
		}
	}
}

// hiddenOf returns the hidden layers' widths of meta's model, as --hidden
// gives them for its architecture.
func hiddenOf(meta catdog.Meta) []int {
	if meta.Arch == catdog.ArchCNN {
		return meta.Config().CNNLayers().Hidden()
	}
	return meta.Hidden
}

// adopt takes the settings that the checkpoint fixes (the architecture,
// the optimizer and everything that decides the batches) from meta, and
// refuses flags that contradict it.
func (o *options) adopt(meta catdog.Meta) error {
	switch {
	// The architecture first: the other checks assume it.
	case o.set["model"] && o.arch != meta.Arch:
		return mismatch("--model", o.arch, meta.Arch)
	case o.set["filters"] && meta.Arch != catdog.ArchCNN:
		return cli.Usagef("--filters", "sets the convolution blocks of --model %s; the checkpoint holds --model %s, which has none; leave --filters out", catdog.ArchCNN, meta.Arch)
	case o.set["filters"] && !slices.Equal(o.filters, meta.Config().CNNLayers().Filters()):
		return mismatch("--filters", cli.FormatInts(o.filters), cli.FormatInts(meta.Config().CNNLayers().Filters()))
	case o.set["hidden"] && !slices.Equal(o.hidden, hiddenOf(meta)):
		return mismatch("--hidden", cli.FormatInts(o.hidden), cli.FormatInts(hiddenOf(meta)))
	case o.set["batchnorm"] && o.batchnorm != meta.Config().BatchNorm():
		return mismatch("--batchnorm", strconv.FormatBool(o.batchnorm), strconv.FormatBool(meta.Config().BatchNorm()))
	case o.set["crop"] && o.crop != meta.Crop:
		return mismatch("--crop", strconv.FormatBool(o.crop), strconv.FormatBool(meta.Crop))
	case o.set["batch"] && o.batch != meta.Batch:
		return mismatch("--batch", strconv.Itoa(o.batch), strconv.Itoa(meta.Batch))
	case o.set["seed"] && o.seed != meta.Seed:
		return mismatch("--seed", strconv.FormatUint(o.seed, 10), strconv.FormatUint(meta.Seed, 10))
	case o.set["optimizer"] && o.optimizer != meta.Optimizer.Method:
		return mismatch("--optimizer", o.optimizer.String(), meta.Optimizer.Method.String())
	case o.set["lr"] && o.lr != meta.Optimizer.LearningRate:
		return mismatch("--lr", ftoa(o.lr), ftoa(meta.Optimizer.LearningRate))
	case o.set["clip-norm"] && o.clipNorm != meta.Optimizer.ClipNorm:
		return mismatch("--clip-norm", ftoa(o.clipNorm), ftoa(meta.Optimizer.ClipNorm))
	case o.set["weight-decay"] && o.weightDecay != meta.Optimizer.WeightDecay:
		return mismatch("--weight-decay", ftoa(o.weightDecay), ftoa(meta.Optimizer.WeightDecay))
	case o.set["augment"] && o.augment != meta.Augment.Enabled():
		return mismatch("--augment", strconv.FormatBool(o.augment), strconv.FormatBool(meta.Augment.Enabled()))
	case meta.Augment.Enabled() && meta.Augment != catdog.DefaultAugmentation():
		return fmt.Errorf("--resume: the checkpoint was trained with augmentation %+v; this build's --augment is %+v", meta.Augment, catdog.DefaultAugmentation())
	case o.set["side"] && o.side != meta.Side:
		return mismatch("--side", strconv.Itoa(o.side), strconv.Itoa(meta.Side))
	}
	if err := o.adoptSchedule(meta.Schedule); err != nil {
		return err
	}
	if err := o.adoptData(meta.Data); err != nil {
		return err
	}
	o.arch, o.hidden, o.filters, o.crop, o.batch, o.seed = meta.Arch, hiddenOf(meta), nil, meta.Crop, meta.Batch, meta.Seed
	if meta.Arch == catdog.ArchCNN {
		o.filters = meta.Config().CNNLayers().Filters()
	}
	o.batchnorm, o.side = meta.Config().BatchNorm(), meta.Side
	o.optimizer, o.lr, o.clipNorm, o.weightDecay = meta.Optimizer.Method, meta.Optimizer.LearningRate, meta.Optimizer.ClipNorm, meta.Optimizer.WeightDecay
	o.augment = meta.Augment.Enabled()
	o.adoptEpochs(meta)
	return nil
}

// adoptEpochs takes the run's --epochs from meta, unless the flag is
// given: a resumed run goes on to the end it was started for.
func (o *options) adoptEpochs(meta catdog.Meta) {
	if !o.set["epochs"] {
		o.epochs = recordedEpochs(meta, o.epochs)
	}
}

// recordedEpochs returns the number of epochs the run of meta is to train
// in all: as recorded, or for checkpoints older than that, its cosine
// schedule's span, or else def.
func recordedEpochs(meta catdog.Meta, def int) int {
	switch {
	case meta.Epochs > 0:
		return meta.Epochs
	case meta.Schedule.Kind == optim.ScheduleCosine && meta.Schedule.Epochs > 0:
		return meta.Schedule.Epochs
	}
	return def
}

// epochsNote says where --epochs came from when a resumed run could not
// take it from its checkpoint, which predates recording it.
func (o *options) epochsNote(meta catdog.Meta) string {
	switch {
	case o.set["epochs"] || meta.Epochs > 0:
		return ""
	case recordedEpochs(meta, 0) > 0:
		return " (its cosine schedule's span: the checkpoint predates recording --epochs)"
	}
	return " (the default: the checkpoint predates recording --epochs)"
}

// onOff says whether a setting is on.
func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// mismatch is the error for a flag that contradicts the checkpoint resumed.
func mismatch(flag, given, saved string) error {
	return cli.Usagef(flag, "%s differs from the checkpoint's %s; leave %s out to continue with the checkpoint's", given, saved, flag)
}

// adoptSchedule takes the learning-rate schedule of a checkpoint, refusing
// flags that contradict it. A cosine schedule keeps the span it started
// with, whatever --epochs says now.
func (o *options) adoptSchedule(s optim.Schedule) error {
	if err := o.checkStepFlags(s.Kind, "the checkpoint's schedule is"); err != nil {
		return err
	}
	itoa := strconv.Itoa
	switch {
	case o.set["lr-schedule"] && o.schedule != s.Kind:
		return mismatch("--lr-schedule", o.schedule.String(), s.Kind.String())
	case o.set["warmup"] && o.warmup != s.Warmup:
		return mismatch("--warmup", itoa(o.warmup), itoa(s.Warmup))
	case o.set["lr-per-step"] && o.lrPerStep != s.PerStep:
		return mismatch("--lr-per-step", strconv.FormatBool(o.lrPerStep), strconv.FormatBool(s.PerStep))
	case o.set["lr-step"] && o.lrStep != s.StepEvery:
		return mismatch("--lr-step", itoa(o.lrStep), itoa(s.StepEvery))
	case o.set["lr-gamma"] && o.lrGamma != s.Gamma:
		return mismatch("--lr-gamma", ftoa(o.lrGamma), ftoa(s.Gamma))
	}
	o.schedule, o.warmup, o.lrPerStep = s.Kind, s.Warmup, s.PerStep
	if s.Kind == optim.ScheduleStep {
		o.lrStep, o.lrGamma = s.StepEvery, s.Gamma
	}
	return nil
}

// train runs the epochs from the one after the last checkpoint to --epochs,
// or until early stopping ends the run.
func (t *trainer) train(ctx context.Context) error {
	o := t.o
	if t.stopEarly() {
		fmt.Fprintf(t.stdout, "the run in %s stopped early after epoch %d: nothing to train\n", o.out, t.lastEpoch)
		return nil
	}
	if t.lastEpoch >= o.epochs {
		fmt.Fprintf(t.stdout, "%s is at epoch %d of --epochs %d: nothing to train\n", lastFile, t.lastEpoch, o.epochs)
		return nil
	}
	probe := t.data.train
	if probe.Len() > trainProbeSize {
		// A fixed random subset, the same every epoch and on resume.
		idx := rand.New(rand.NewPCG(o.seed, 0x70726f6265)).Perm(probe.Len())[:trainProbeSize]
		probe = probe.Subset(idx)
	}
	batches := t.data.train.Len() / o.batch
	fmt.Fprintf(t.stdout, "training epochs %d to %d: %d batches of %d images per epoch, in a new order each epoch\n",
		t.lastEpoch+1, o.epochs, batches, o.batch)
	for epoch := t.lastEpoch + 1; epoch <= o.epochs; epoch++ {
		st, err := t.trainEpoch(ctx, epoch)
		if err != nil {
			return err
		}
		trainM, err := t.net.Evaluate(probe)
		if err != nil {
			return err
		}
		valM, err := t.net.Evaluate(t.data.val)
		if err != nil {
			return err
		}
		// A step can leave the weights non-finite with a finite loss; such
		// a model is not saved over the last good one.
		for _, m := range []struct {
			name string
			loss float64
			has  bool
		}{{"training", trainM.Loss, true}, {"validation", valM.Loss, t.data.val.Len() > 0}} {
			if m.has && (math.IsNaN(m.loss) || math.IsInf(m.loss, 0)) {
				return fmt.Errorf("%w: the %s loss is %v after epoch %d, whose model is not saved (try a smaller learning rate)",
					catdog.ErrDiverged, m.name, m.loss, epoch)
			}
		}
		if err := t.record(st, t.net.Rate.Epoch(epoch), trainM, valM); err != nil {
			return err
		}
		if t.stopEarly() {
			fmt.Fprintf(t.stdout, "early stopping: the validation loss has not fallen more than --min-delta %g below its best for --patience %d epochs\n",
				o.minDelta, o.patience)
			break
		}
	}
	return nil
}

// stopEarly reports whether --patience epochs have passed without an
// improvement of the validation loss, and notes it in t.stopped. It reads
// the history only, so a resumed run decides as an uninterrupted one.
func (t *trainer) stopEarly() bool {
	t.stopped = t.o.patience > 0 && epochsWithoutImprovement(t.history, t.o.minDelta) >= t.o.patience
	return t.stopped
}

// epochsWithoutImprovement counts the epochs at the end of history since
// the validation loss last fell more than minDelta below the best before
// it (the first epoch always improves). Epochs without a validation loss
// count as improving.
func epochsWithoutImprovement(history []epochRecord, minDelta float64) int {
	best, since := math.Inf(1), 0
	for _, r := range history {
		if r.Val == nil || r.Val.Loss < best-minDelta {
			if r.Val != nil {
				best = r.Val.Loss
			}
			since = 0
			continue
		}
		since++
	}
	return since
}

// trainEpoch runs one epoch, with a progress bar when stderr is a terminal.
func (t *trainer) trainEpoch(ctx context.Context, epoch int) (catdog.EpochStats, error) {
	if !cli.IsTerminal(t.stderr) {
		return t.net.TrainEpoch(ctx, t.data.train, t.o.seed, epoch, nil)
	}
	total := t.data.train.Len() / t.o.batch * t.o.batch
	desc := fmt.Sprintf("epoch %d/%d", epoch, t.o.epochs)
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(t.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("img"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	var sum float64
	var batches int
	st, err := t.net.TrainEpoch(ctx, t.data.train, t.o.seed, epoch, func(done int, loss float32) {
		sum += float64(loss)
		batches++
		bar.Describe(fmt.Sprintf("%s  batch loss (running mean) %.4f", desc, sum/float64(batches)))
		bar.Set(done)
	})
	if err != nil {
		bar.Exit()
		fmt.Fprintln(t.stderr)
		return st, err
	}
	bar.Finish()
	return st, nil
}

// record writes what an epoch measured: the history, then best (when the
// validation loss fell below the best so far), then last. A crash between
// these leaves a state that --resume handles: the history is cut back to
// last's epoch, and the epoch after it is trained again to the same result.
func (t *trainer) record(st catdog.EpochStats, lr float64, trainM, valM catdog.Metrics) error {
	rec := epochRecord{Epoch: st.Epoch, LearningRate: lr, MeanBatchLoss: st.Loss, Train: newMetricsRecord(trainM),
		Seconds: st.Seconds, SamplesPerSec: st.SamplesPerSec}
	hasVal := t.data.val.Len() > 0
	if hasVal {
		v := newMetricsRecord(valM)
		rec.Val = &v
	}
	t.history = append(t.history, rec)
	if err := writeHistory(t.env.fs, t.path(historyFile), t.history); err != nil {
		return err
	}
	meta := catdog.Meta{Epoch: st.Epoch, Epochs: t.o.epochs, Optimizer: t.optimizer, Schedule: t.schedule, LearningRate: lr,
		ValAccuracy: valM.Accuracy, ValLoss: valM.Loss, Device: t.device.Name(), Data: t.dataSet}
	mark := ""
	if hasVal && (t.bestEpoch == 0 || valM.Loss < t.bestVal.Loss) {
		if err := t.net.SaveFS(t.env.fs, t.path(bestFile), meta); err != nil {
			return err
		}
		t.bestEpoch, t.bestVal = st.Epoch, valM
		mark = "  saved best"
	}
	if err := t.net.SaveFS(t.env.fs, t.path(lastFile), meta); err != nil {
		return err
	}
	t.lastEpoch = st.Epoch

	width := len(strconv.Itoa(t.o.epochs))
	line := fmt.Sprintf("epoch %*d/%d  lr %.3g  batch loss (epoch mean) %.4f  train acc %5.1f%%", width, st.Epoch, t.o.epochs, lr, st.Loss, 100*trainM.Accuracy)
	if hasVal {
		line += fmt.Sprintf("  val loss %.4f  val acc %5.1f%%  val F1 %.3f  val AUC %.3f", valM.Loss, 100*valM.Accuracy, valM.F1, valM.AUC)
	}
	fmt.Fprintf(t.stdout, "%s  %.0f img/s  %.1fs%s\n", line, st.SamplesPerSec, st.Seconds, mark)
	return nil
}

// whereToResume says, after an interruption, what is saved and how to go on.
func (t *trainer) whereToResume() string {
	if t.lastEpoch == 0 {
		return " before the first epoch ended; no checkpoint was written"
	}
	args := slices.Clone(t.o.args)
	if !t.o.resume {
		args = append(args, "--resume")
	}
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`*?[]{}()<>|&;#~") {
			args[i] = strconv.Quote(a)
		}
	}
	return fmt.Sprintf("; the model after epoch %d is in %s\nto continue: catdog-train %s", t.lastEpoch, t.path(lastFile), strings.Join(args, " "))
}

// testModel loads the weights the test is run on: best.safetensors when
// there is one, otherwise the network keeps the last epoch's weights.
func (t *trainer) testModel() (string, error) {
	if t.bestEpoch == 0 {
		return lastFile, nil
	}
	meta, ts, err := catdog.ReadMeta(t.path(bestFile))
	if err != nil {
		return "", err
	}
	if err := t.net.Load(meta, ts, false); err != nil {
		return "", fmt.Errorf("%s: %w", t.path(bestFile), err)
	}
	return bestFile, nil
}
