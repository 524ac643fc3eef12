package catdog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// LockFile, in a run's folder, is locked (LockDir) by the run writing
// there, so that a second run on the same folder is refused rather than
// interleaving its checkpoints with the first's.
const LockFile = ".catdog-train.lock"

// ErrDirBusy is the error of a run refused because another holds its
// folder (LockDir). Its text reads within the sentence that names the
// folder and the process holding it, hence no package prefix.
var ErrDirBusy = errors.New("in use by another training run")

// ErrRunExists is the error of Run on a folder that already holds a
// training run (a checkpoint.LastFile): Resume continues it.
var ErrRunExists = errors.New("catdog: the folder already holds a training run")

// TrainProbeSize caps the training images on which a run measures the
// training metrics after each epoch: enough for a stable estimate, cheap
// next to the epoch itself.
const TrainProbeSize = 512

// RunOptions configure a training run (Run, Resume). The zero value of a
// field is its default where one is given.
type RunOptions struct {
	// Dir is the folder the run writes into, after every epoch:
	// HistoryFile, checkpoint.LastFile and, when the validation loss falls
	// below its best, checkpoint.BestFile (each checkpoint with a .json
	// copy of its metadata), each atomically. Run creates it.
	Dir string
	// Backend runs the network; it is required, and left open.
	Backend backend.Backend

	// Config is the model; a Config whose Arch is "" is
	// ConfigFor(ArchMLP6) with its Seed, Crop and TF32. Config.Seed also
	// seeds the batch order, the augmentation and the training images
	// the metrics are measured on.
	Config Config
	// Batch is the number of images per step (0: 64).
	Batch int
	// Optimizer, with its base learning rate (zero: optim.NewAdam(0.001)),
	// and Schedule, which turns the base rate into each step's: the run
	// owns the rate (Network.Rate), nothing else sets it.
	Optimizer optim.Optimizer
	Schedule  optim.Schedule
	// Augment transforms the training images anew every epoch (zero:
	// none).
	Augment Augmentation
	// Epochs is the epoch the run ends after, counting those before a
	// Resume (0: 10 for Run; the checkpoint's PlannedEpochs for Resume).
	Epochs int
	// Patience, when above 0, stops the run early once Patience epochs
	// have passed without the validation loss falling more than MinDelta
	// below its best (EpochsWithoutImprovement). It needs a validation
	// set.
	Patience int
	MinDelta float64

	// Train is the training set (required), Val the validation set that
	// chooses checkpoint.BestFile and drives Patience, and Test the test
	// set, on which the chosen model is scored once, at the end; Val and
	// Test may be nil or empty.
	Train, Val, Test *dataset.Set
	// Data, when not nil, is recorded in the checkpoints, saying which
	// images the run used (a Resume keeps the checkpoint's when nil).
	Data *DataSettings

	// FS writes the files of Dir (nil: the operating system's).
	FS checkpoint.FS
	// Lock, when not nil, is a lock on Dir that the caller took with
	// LockDir and releases; otherwise the run locks Dir while it runs,
	// and is refused with ErrDirBusy when another run holds it.
	Lock *DirLock
	// Comm, when not nil, makes this process one rank of a data-parallel
	// run over Comm's ranks (comm.FromEnv's under mpirun; see
	// parallel.go's notes and "Data parallelism" in package backend):
	// every rank calls Run (or Resume) with the same options, Batch is the
	// batch of all the ranks together and must split into equal shards,
	// one per rank, and the run reaches what one process would (up to
	// float32 rounding), but for batch normalisation, computed per rank.
	// Rank 0 alone writes the files of Dir, takes its Lock, and calls
	// progress; Resume reads Dir on every rank.
	Comm comm.Communicator
}

// Event says what a Progress reports.
type Event uint8

// Events of a run.
const (
	// RunStarted: the network is built (and, for Resume, loaded). Epoch
	// is the first epoch to train (above Epochs when there is none), and
	// StoppedEarly says that early stopping had ended the resumed run.
	RunStarted Event = iota + 1
	// StepDone: a training step ended. Step is its number in Epoch,
	// Loss its batch's loss.
	StepDone
	// EpochDone: an epoch is trained, measured (Record) and saved.
	EpochDone
)

// Progress is what a run reports as it goes, to the callback of Run and
// Resume.
type Progress struct {
	Event  Event
	Epoch  int // the epoch under way (1-based)
	Epochs int // the epoch the run ends after
	Step   int // StepDone: the step of the epoch (1-based)
	Steps  int // training steps per epoch
	// Loss is StepDone's batch loss (before the step's update);
	// LearningRate the rate of that step, or of the epoch's first.
	Loss         float64
	LearningRate float64
	Elapsed      time.Duration // since the run started
	// Network is the network being trained (RunStarted); the callback
	// must not train it, nor keep it past the run.
	Network *Network
	// Record is the epoch's line of the history (EpochDone): the mean
	// batch loss, the training and validation metrics, the seconds and
	// samples per second of its training.
	Record *EpochRecord
	// Checkpoint is the file of the last model written (EpochDone), and
	// SavedBest says that checkpoint.BestFile was written too.
	Checkpoint string
	SavedBest  bool
	// StoppedEarly: early stopping (RunOptions.Patience) ends the run
	// after this epoch (EpochDone), or had ended it (RunStarted).
	StoppedEarly bool
}

// Result is what a run did, and its test.
type Result struct {
	// History holds every epoch of the run, resumed ones included.
	History []EpochRecord
	// LastEpoch is the epoch of checkpoint.LastFile; BestEpoch that of
	// checkpoint.BestFile, whose validation loss and accuracy BestVal
	// holds (0 without validation).
	LastEpoch, BestEpoch int
	BestVal              MetricsRecord
	StoppedEarly         bool    // by RunOptions.Patience
	SamplesPerSec        float64 // over all epochs of History

	// TestModel is the file of Dir the test ran on: BestFile when there
	// is one, LastFile otherwise. Test is nil without a test set;
	// TestProbs are its P(cat) for each test image.
	TestModel string
	Test      *Metrics
	TestProbs []float32

	// The settings the run trained with.
	Config    Config
	Optimizer optim.Optimizer
	Schedule  optim.Schedule
	Augment   Augmentation
	Data      *DataSettings
	Device    string
}

// Run trains a new model as opt says, into opt.Dir: the epochs up to
// opt.Epochs, or until early stopping ends the run, each followed by its
// metrics (Record) and checkpoints; then it tests the model that did best
// on validation (the last, without validation). progress, when not nil,
// is called as the run goes (Event), on the run's goroutine.
//
// A cancelled ctx stops the run between steps with ctx.Err(); a loss
// that turns NaN or infinite stops it with ErrDiverged; a network that
// gives every image the same answer for CollapsedEpochs epochs stops it
// with ErrCollapsed; a failed write
// stops it with that error. In each case the checkpoints of the last
// completed epoch stay in opt.Dir, whole, and Resume continues from them.
// Run refuses a folder that holds a run already (ErrRunExists).
func Run(ctx context.Context, opt RunOptions, progress func(Progress)) (*Result, error) {
	start := time.Now()
	if err := opt.prepare(); err != nil {
		return nil, err
	}
	release, err := opt.newDir()
	if err = agree(opt.Comm, err); err != nil {
		release()
		return nil, err
	}
	defer release()
	r := &runner{opt: opt, progress: progress, start: start}
	return r.run(ctx, nil)
}

// newDir makes Dir ready for a new run, on the rank that writes it, and
// returns the function that releases its lock (which it returns on error
// too).
func (o *RunOptions) newDir() (release func(), err error) {
	release = func() {}
	if !o.writes() {
		return release, nil
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return release, fmt.Errorf("catdog: %w", err)
	}
	if release, err = o.lock(); err != nil {
		return func() {}, err
	}
	if _, err := os.Stat(o.path(checkpoint.LastFile)); err == nil {
		return release, fmt.Errorf("%w: %s holds %s", ErrRunExists, o.Dir, checkpoint.LastFile)
	}
	// Left by a run stopped before its first checkpoint, if at all.
	for _, name := range []string{checkpoint.BestFile, strings.TrimSuffix(checkpoint.BestFile, ".safetensors") + ".json", HistoryFile} {
		if err := os.Remove(o.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return release, fmt.Errorf("catdog: %w", err)
		}
	}
	return release, nil
}

// Resume continues the run saved in saved.Dir (ReadRun) from its last
// checkpoint, as Run does, to the weights a run that was never stopped
// would reach. The checkpoint fixes the model, the batch size, the
// optimizer, the schedule, the seed and the augmentation: those fields of
// opt are ignored (but Config.TF32); opt.Dir is saved.Dir. The data must
// be the run's, split as it was, for the run to continue on the same
// images. A run that has reached opt.Epochs, or that early stopping
// ended, trains no further and is tested again. To be sure that no other
// run writes the folder between ReadRun and Resume, lock it first
// (LockDir, RunOptions.Lock), as catdog-train does.
func Resume(ctx context.Context, saved *SavedRun, opt RunOptions, progress func(Progress)) (*Result, error) {
	start := time.Now()
	m := saved.Last
	cfg := m.Config()
	cfg.TF32 = opt.Config.TF32
	opt.Dir, opt.Config, opt.Batch, opt.Optimizer, opt.Schedule, opt.Augment = saved.Dir, cfg, m.Batch, m.Optimizer, m.Schedule, m.Augment
	if opt.Epochs == 0 {
		if opt.Epochs = m.PlannedEpochs(); opt.Epochs == 0 {
			return nil, fmt.Errorf("catdog: %s predates recording the run's epochs: RunOptions.Epochs is needed", saved.Dir)
		}
	}
	if opt.Data == nil {
		opt.Data = m.Data
	}
	if err := saved.CheckRanks(opt.Comm); err != nil {
		return nil, err
	}
	if err := opt.prepare(); err != nil {
		return nil, err
	}
	release, err := opt.lock()
	if err = agree(opt.Comm, err); err != nil {
		if release != nil {
			release()
		}
		return nil, err
	}
	defer release()
	r := &runner{opt: opt, progress: progress, start: start, history: saved.History, last: m.Epoch}
	if b := saved.Best; b != nil {
		r.best, r.bestVal = b.Epoch, MetricsRecord{Loss: b.ValLoss, Accuracy: b.ValAccuracy}
	}
	return r.run(ctx, saved)
}

// prepare fills in the defaults and checks what has none.
func (o *RunOptions) prepare() error {
	if o.Config.Arch == "" {
		cfg := DefaultConfig()
		cfg.Seed, cfg.Crop, cfg.TF32 = o.Config.Seed, o.Config.Crop, o.Config.TF32
		o.Config = cfg
	}
	o.Config.Mirror = o.Augment.Flip
	if o.Batch == 0 {
		o.Batch = 64
	}
	if o.Optimizer == (optim.Optimizer{}) {
		o.Optimizer = optim.NewAdam(0.001)
	}
	if o.Epochs == 0 {
		o.Epochs = 10
	}
	switch {
	case o.Dir == "":
		return errors.New("catdog: RunOptions.Dir: no folder to write the run into")
	case o.Backend == nil:
		return errors.New("catdog: RunOptions.Backend: no backend")
	case o.Train == nil || o.Train.Len() < o.Batch:
		return fmt.Errorf("catdog: %d training images do not fill one batch of %d", size(o.Train), o.Batch)
	case o.Epochs < 0:
		return fmt.Errorf("catdog: RunOptions.Epochs: %d is negative", o.Epochs)
	case o.Patience < 0 || !(o.MinDelta >= 0):
		return fmt.Errorf("catdog: early stopping: patience %d, min delta %v", o.Patience, o.MinDelta)
	case o.Patience > 0 && size(o.Val) == 0:
		return errors.New("catdog: early stopping watches the validation loss; there is no validation set")
	}
	if _, err := shardRows(o.Batch, o.Comm); err != nil {
		return err
	}
	if err := o.checkImages(); err != nil {
		return err
	}
	if err := optim.NewRate(o.Optimizer, o.Schedule).Validate(); err != nil {
		return fmt.Errorf("catdog: learning rate: %w", err)
	}
	return o.Augment.Validate()
}

// lock locks Dir unless the caller holds its lock, and returns the
// function that releases it.
func (o *RunOptions) lock() (release func(), err error) {
	if o.Lock != nil || !o.writes() {
		return func() {}, nil
	}
	l, err := LockDir(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("catdog: %w", err)
	}
	return l.Release, nil
}

// writes reports whether this process writes the run's files.
func (o *RunOptions) writes() bool { return rankOf(o.Comm) == 0 }

func (o *RunOptions) path(name string) string { return filepath.Join(o.Dir, name) }

// size is the number of images of s, which may be nil.
func size(s *dataset.Set) int {
	if s == nil {
		return 0
	}
	return s.Len()
}

// runner is one run of Run or Resume.
type runner struct {
	opt      RunOptions
	progress func(Progress)
	start    time.Time
	net      *Network

	history []EpochRecord
	last    int // the epoch of LastFile; 0 before the first
	best    int // the epoch of BestFile; 0 when none
	bestVal MetricsRecord
	stopped bool // early stopping ended the run
	flat    int  // epochs in a row, up to the last, that gave every image one answer
}

// run builds the network, loads saved into it (for Resume), trains the
// epochs left and tests the chosen model.
func (r *runner) run(ctx context.Context, saved *SavedRun) (*Result, error) {
	o := &r.opt
	net, err := newNetwork(o.Config, o.Batch, o.Backend, o.Optimizer, o.Comm)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	r.net = net
	net.Augment, net.Rate = o.Augment, optim.NewRate(o.Optimizer, o.Schedule)
	if saved != nil {
		if err := net.Load(saved.Last, saved.tensors, true); err != nil {
			return nil, fmt.Errorf("catdog: %s: %w", o.path(checkpoint.LastFile), err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.stopped = r.stopEarly()
	r.report(Progress{Event: RunStarted, Epoch: r.last + 1, Network: net, StoppedEarly: r.stopped})
	if !r.stopped {
		if err := r.train(ctx); err != nil {
			return nil, err
		}
	}
	return r.finish()
}

// report sends p, completed, to the progress callback.
func (r *runner) report(p Progress) {
	if r.progress == nil || !r.opt.writes() {
		return
	}
	p.Epochs, p.Steps, p.Elapsed = r.opt.Epochs, r.opt.Train.Len()/r.opt.Batch, time.Since(r.start)
	if p.LearningRate == 0 && p.Epoch > 0 {
		p.LearningRate = r.net.Rate.Epoch(p.Epoch)
	}
	r.progress(p)
}

// stopEarly reports whether Patience epochs have passed without an
// improvement of the validation loss.
func (r *runner) stopEarly() bool {
	return r.opt.Patience > 0 && EpochsWithoutImprovement(r.history, r.opt.MinDelta) >= r.opt.Patience
}

// train runs the epochs after the last checkpoint's to Epochs, or until
// early stopping ends the run.
func (r *runner) train(ctx context.Context) error {
	o := &r.opt
	probe := o.Train
	if probe.Len() > TrainProbeSize {
		// A fixed random subset, the same every epoch and on resume.
		idx := rand.New(rand.NewPCG(o.Config.Seed, 0x70726f6265)).Perm(probe.Len())[:TrainProbeSize]
		probe = probe.Subset(idx)
	}
	for epoch := r.last + 1; epoch <= o.Epochs && !r.stopped; epoch++ {
		if err := r.epoch(ctx, epoch, probe); err != nil {
			return err
		}
	}
	return nil
}

// epoch trains, measures and saves one epoch.
func (r *runner) epoch(ctx context.Context, epoch int, probe *dataset.Set) error {
	o, net := &r.opt, r.net
	var step func(done int, loss float32)
	if r.progress != nil && o.writes() {
		steps := float64(o.Train.Len() / o.Batch)
		step = func(done int, loss float32) {
			s := done / o.Batch
			r.report(Progress{Event: StepDone, Epoch: epoch, Step: s, Loss: float64(loss), LearningRate: net.Rate.At(epoch, float64(s-1)/steps)})
		}
	}
	st, err := net.TrainEpoch(ctx, o.Train, o.Config.Seed, epoch, step)
	if err != nil {
		return err
	}
	trainM, err := net.Evaluate(probe)
	if err != nil {
		return err
	}
	valM := Score(nil, nil)
	if size(o.Val) > 0 {
		if valM, err = net.Evaluate(o.Val); err != nil {
			return err
		}
	}
	// A step can leave the weights non-finite with a finite loss; such
	// a model is not saved over the last good one.
	for _, m := range []struct {
		name string
		loss float64
	}{{"training", trainM.Loss}, {"validation", valM.Loss}} {
		if math.IsNaN(m.loss) || math.IsInf(m.loss, 0) {
			return fmt.Errorf("%w: the %s loss is %v after epoch %d, whose model is not saved (try a smaller learning rate)",
				ErrDiverged, m.name, m.loss, epoch)
		}
	}
	if err := r.record(st, trainM, valM); err != nil {
		return err
	}
	return r.checkCollapse(epoch, trainM)
}

// checkCollapse counts the epochs in a row whose model gave every image
// of the training probe the same answer, and stops the run with
// ErrCollapsed at CollapsedEpochs. The epoch is recorded first: its
// checkpoints stay, and best.safetensors keeps the epoch with the lowest
// validation loss.
func (r *runner) checkCollapse(epoch int, trainM Metrics) error {
	if trainM.Spread >= CollapsedSpread {
		r.flat = 0
		return nil
	}
	if r.flat++; r.flat < CollapsedEpochs {
		return nil
	}
	return fmt.Errorf("%w: in epochs %d-%d the model gave every training image the same answer (P(cat) spanning %.2g), and cannot learn from there; "+
		"its ReLUs likely died early on: try a smaller --lr, or --warmup 2 --lr-per-step",
		ErrCollapsed, epoch-r.flat+1, epoch, trainM.Spread)
}

// record writes what an epoch measured: the history, then best (when the
// validation loss fell below the best so far), then last. A crash between
// these leaves a state that Resume handles: the history is cut back to
// last's epoch, and the epoch after it is trained again to the same result.
func (r *runner) record(st EpochStats, trainM, valM Metrics) error {
	o := &r.opt
	lr := r.net.Rate.Epoch(st.Epoch)
	rec := EpochRecord{Epoch: st.Epoch, LearningRate: lr, MeanBatchLoss: st.Loss, Train: trainM.Record(),
		Seconds: st.Seconds, SamplesPerSec: st.SamplesPerSec}
	hasVal := size(o.Val) > 0
	if hasVal {
		v := valM.Record()
		rec.Val = &v
	}
	r.history = append(r.history, rec)
	meta := Meta{Epoch: st.Epoch, Epochs: o.Epochs, Optimizer: o.Optimizer, Schedule: o.Schedule, LearningRate: lr,
		ValAccuracy: valM.Accuracy, ValLoss: valM.Loss, Device: o.Backend.Name(), Data: o.Data}
	better := hasVal && (r.best == 0 || valM.Loss < r.bestVal.Loss)
	if err := agree(o.Comm, r.save(meta, better)); err != nil {
		return err
	}
	if better {
		r.best, r.bestVal = st.Epoch, *rec.Val
	}
	r.last = st.Epoch
	r.stopped = r.stopEarly()
	r.report(Progress{Event: EpochDone, Epoch: st.Epoch, LearningRate: lr, Record: &rec,
		Checkpoint: o.path(checkpoint.LastFile), SavedBest: better, StoppedEarly: r.stopped})
	return nil
}

// save writes the history, best (when better) and last, on the rank that
// writes the run's files.
func (r *runner) save(meta Meta, better bool) error {
	o := &r.opt
	if !o.writes() {
		return nil
	}
	if err := writeHistory(o.FS, o.path(HistoryFile), r.history); err != nil {
		return err
	}
	if better {
		if err := r.net.SaveFS(o.FS, o.path(checkpoint.BestFile), meta); err != nil {
			return err
		}
	}
	return r.net.SaveFS(o.FS, o.path(checkpoint.LastFile), meta)
}

// finish tests the chosen model: checkpoint.BestFile's weights when there
// is one, otherwise the last epoch's, which the network holds.
func (r *runner) finish() (*Result, error) {
	o := &r.opt
	res := &Result{History: r.history, LastEpoch: r.last, BestEpoch: r.best, BestVal: r.bestVal, StoppedEarly: r.stopped,
		TestModel: checkpoint.LastFile, Config: r.net.Config, Optimizer: o.Optimizer, Schedule: o.Schedule,
		Augment: o.Augment, Data: o.Data, Device: o.Backend.Name()}
	var samples, seconds float64
	for _, h := range r.history {
		samples += h.SamplesPerSec * h.Seconds
		seconds += h.Seconds
	}
	if seconds > 0 {
		res.SamplesPerSec = samples / seconds
	}
	if r.best > 0 {
		if err := r.loadBest(); err != nil {
			return nil, err
		}
		res.TestModel = checkpoint.BestFile
	}
	if size(o.Test) > 0 {
		probs, err := r.net.Probabilities(o.Test) // collective
		if err != nil {
			return nil, err
		}
		m := Score(probs, o.Test.Labels)
		res.Test, res.TestProbs = &m, probs
	}
	return res, nil
}

// loadBest loads checkpoint.BestFile's weights into the network: rank 0
// reads the file, and Program.Load gives its weights to every rank (it is
// collective), so that the other ranks need not see Dir.
func (r *runner) loadBest() error {
	best := r.opt.path(checkpoint.BestFile)
	var meta Meta
	var ts []checkpoint.Tensor
	var err error
	if r.opt.writes() {
		meta, ts, err = ReadMeta(best)
	}
	if err := agree(r.opt.Comm, err); err != nil {
		return err
	}
	if !r.opt.writes() {
		return r.net.Program.Load()
	}
	if err := r.net.Load(meta, ts, false); err != nil {
		return fmt.Errorf("catdog: %s: %w", best, err)
	}
	return nil
}

// checkImages refuses sets of other images than the model takes: another
// side, or grayscale images for a colour model, or colour for a
// grayscale one.
func (o *RunOptions) checkImages() error {
	for _, set := range []struct {
		name string
		set  *dataset.Set
	}{{"training", o.Train}, {"validation", o.Val}, {"test", o.Test}} {
		if set.set == nil || set.set.Len() == 0 {
			continue
		}
		if set.set.Side != o.Config.Side || set.set.ChannelCount() != o.Config.channels() {
			return fmt.Errorf("catdog: the %s images are %dx%d with %d channels; the model takes %dx%d with %d",
				set.name, set.set.Side, set.set.Side, set.set.ChannelCount(), o.Config.Side, o.Config.Side, o.Config.channels())
		}
	}
	return nil
}
