package catdog

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// Settings are a training run's settings as a command line states them:
// each is named (Given, SettingError) as catdog-train's flag, and error
// messages speak of settings as the flags ("--val"). Validate checks
// them, RunOptions turns them into a run, and SavedRun.Merge reconciles
// them with a saved run's.
type Settings struct {
	Data      string  // the photo folder; "" means the synthetic set
	Synthetic int     // the synthetic set's size, without Data
	Test      string  // the separate test folder; "" holds out TestSplit
	TestSplit float64 // "test-split"
	Val       float64
	Crop      bool
	Side      int // the images' side in pixels; 0: DefaultConfig's
	// Colour decodes photos as RGB, 3 input channels (Config.Channels),
	// instead of grayscale; the synthetic set's gray images are given as
	// three equal planes.
	Colour bool
	// Pixels is how pixels become inputs (Config.Pixels); "": the
	// architecture's default, dataset.Centred.
	Pixels dataset.Encoding

	Arch string // "model"
	// Hidden are the hidden layers' widths: mlp6's, or the dense layers
	// of cnn (nil: its default); Filters the convolution blocks' of cnn
	// (nil: its default, and always nil for mlp6).
	Hidden    []int
	Filters   []int
	BatchNorm bool
	Optimizer optim.Method
	LR        float64 // 0: the method's default
	ClipNorm  float64 // "clip-norm"
	// WeightDecay ("weight-decay") is the optimizer's weight decay
	// (decoupled from the gradient for Adam, as AdamW); 0: none.
	WeightDecay float64
	Epochs      int
	Batch       int
	Seed        uint64

	Schedule  optim.ScheduleKind // "lr-schedule"
	LRPerStep bool               // "lr-per-step"
	Warmup    int
	LRStep    int     // "lr-step"
	LRGamma   float64 // "lr-gamma"
	Patience  int
	MinDelta  float64 // "min-delta"

	Augment bool
	TF32    bool

	// Resume says that the settings continue a saved run (SavedRun.Merge):
	// the model and schedule settings not Given are the checkpoint's, and
	// Validate leaves them to Merge.
	Resume bool
	// Given names the settings stated rather than left at their defaults.
	Given map[string]bool
}

// MaxParams is the largest network Settings.Validate accepts: building
// one too large to fit in memory would crash instead of saying why.
const MaxParams = 1 << 30

// MinSide and MaxSide bound Settings.Side.
const MinSide, MaxSide = 8, 1024

// SettingError is a Settings value a run cannot take.
type SettingError struct {
	Names []string // the settings at fault, as Settings names them
	Msg   string
}

func (e *SettingError) Error() string {
	return "catdog: " + strings.Join(e.Names, ", ") + ": " + e.Msg
}

// settingf returns a SettingError about the setting name.
func settingf(name, format string, args ...any) error {
	return &SettingError{Names: []string{name}, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks the settings: each error is a *SettingError.
func (s *Settings) Validate() error {
	if err := s.validateModel(); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"val", s.Val}, {"test-split", s.TestSplit}} {
		if !(f.v >= 0 && f.v < 1) {
			return settingf(f.name, "%v is not a fraction in [0, 1)", f.v)
		}
	}
	switch {
	case s.Data != "" && s.Given["synthetic"]:
		return settingf("synthetic", "the synthetic set is used only without --data")
	case s.Test != "" && s.Given["test-split"]:
		return settingf("test-split", "a separate --test folder is the test set; leave out --test-split")
	case s.Synthetic < 2:
		return settingf("synthetic", "%d images are too few (need at least 2)", s.Synthetic)
	case s.Epochs < 1:
		return settingf("epochs", "%d is not a positive number of epochs", s.Epochs)
	case s.Batch < 1:
		return settingf("batch", "%d is not a positive batch size", s.Batch)
	case s.Pixels != "" && s.Pixels.Check() != nil:
		return settingf("pixels", "%q is not a pixel encoding (want %s, %s or %s)", s.Pixels, dataset.Centred, dataset.Unit, dataset.Standardised)
	case !(s.WeightDecay >= 0) || math.IsInf(s.WeightDecay, 0):
		return settingf("weight-decay", "%v is not a weight decay (want 0 for none, or a positive number)", s.WeightDecay)
	case !(s.ClipNorm >= 0) || math.IsInf(s.ClipNorm, 0):
		return settingf("clip-norm", "%v is not a norm (want 0 for no clipping, or a positive number)", s.ClipNorm)
	case s.Given["lr"] && (!(s.LR > 0) || math.IsInf(s.LR, 0)):
		return settingf("lr", "%v is not a positive learning rate", s.LR)
	}
	return s.validateSchedule()
}

// validateModel checks the architecture and its layers. Filters sets the
// layers of cnn only: with mlp6 it is refused rather than ignored, so
// that settings never claim layers the model does not have. It fills in
// mlp6's default Hidden.
func (s *Settings) validateModel() error {
	if CheckArch(s.Arch) != nil {
		return settingf("model", "%q is not an architecture (want %s)", s.Arch, strings.Join(Archs(), ", "))
	}
	if side := s.side(); side < MinSide || side > MaxSide {
		return settingf("side", "%d is not an image side from %d to %d pixels", side, MinSide, MaxSide)
	}
	if s.Resume && !s.Given["model"] {
		return nil // the checkpoint's architecture decides: Merge checks the layers against it
	}
	if s.Arch == ArchMLP6 && s.Given["filters"] {
		return settingf("filters", "sets the convolution blocks of --model %s; --model %s has none", ArchCNN, s.Arch)
	}
	cfg, err := s.modelConfig()
	if err != nil {
		return err
	}
	if s.Arch == ArchMLP6 {
		s.Hidden = cfg.Hidden // the default's, without Hidden
	}
	n, err := cfg.ParamCount()
	if err != nil {
		return settingf("filters", "%s blocks do not fit %dx%d images: %v", formatInts(cfg.CNN.Filters()), cfg.Side, cfg.Side, err)
	}
	if n > MaxParams {
		e := &SettingError{Msg: fmt.Sprintf("these layers make a %s of %d parameters; at most %d (%d GiB as float32, without gradients and optimizer state)",
			s.Arch, n, MaxParams, MaxParams*4>>30)}
		for _, name := range []string{"filters", "hidden"} {
			if s.Given[name] {
				e.Names = append(e.Names, name)
			}
		}
		return e
	}
	return nil
}

// side returns Side, or DefaultConfig's when it is 0.
func (s *Settings) side() int {
	if s.Side > 0 {
		return s.Side
	}
	return DefaultConfig().Side
}

// channels returns the images' channel count that Colour says.
func (s *Settings) channels() int {
	if s.Colour {
		return dataset.RGB
	}
	return dataset.Grayscale
}

// modelConfig returns the configuration of Arch with Side, Channels
// (Colour), Hidden and, for the CNN, Filters; nil lists keep the
// architecture's defaults. BatchNorm, which changes no shape, is left to
// the caller.
func (s *Settings) modelConfig() (Config, error) {
	cfg, err := ConfigFor(s.Arch)
	cfg.Side = s.side()
	if s.Colour {
		cfg.Channels = dataset.RGB
	}
	if s.Pixels != "" {
		cfg.Pixels = s.Pixels
	}
	switch {
	case err != nil:
	case cfg.Arch == ArchCNN:
		cfg.CNN, err = cfg.CNNLayers().Resized(s.Filters, s.Hidden)
	case s.Hidden != nil:
		cfg.Hidden = s.Hidden
	}
	return cfg, err
}

// validateSchedule checks the schedule and early-stopping settings.
func (s *Settings) validateSchedule() error {
	// On Resume without lr-schedule, Merge checks the checkpoint's.
	if !s.Resume || s.Given["lr-schedule"] {
		if err := s.checkStepSettings(s.Schedule, "--lr-schedule is"); err != nil {
			return err
		}
	}
	switch {
	case s.Warmup < 0:
		return settingf("warmup", "%d is negative", s.Warmup)
	case s.Schedule == optim.ScheduleCosine && s.Warmup >= s.Epochs:
		return settingf("warmup", "%d warm-up epochs leave none of --epochs %d to the cosine schedule", s.Warmup, s.Epochs)
	case s.LRStep < 1:
		return settingf("lr-step", "%d is not a positive number of epochs", s.LRStep)
	case !(s.LRGamma > 0 && s.LRGamma <= 1):
		return settingf("lr-gamma", "%v is not a factor in (0, 1]", s.LRGamma)
	case s.Patience < 0:
		return settingf("patience", "%d is negative (0 turns early stopping off)", s.Patience)
	case !(s.MinDelta >= 0) || math.IsInf(s.MinDelta, 0):
		return settingf("min-delta", "%v is not a loss difference of 0 or more", s.MinDelta)
	case s.Patience > 0 && s.Val == 0:
		return settingf("patience", "early stopping watches the validation loss; it needs --val above 0")
	}
	return nil
}

// checkStepSettings refuses lr-step and lr-gamma unless kind, the
// schedule that whose names, is step.
func (s *Settings) checkStepSettings(kind optim.ScheduleKind, whose string) error {
	for _, name := range []string{"lr-step", "lr-gamma"} {
		if s.Given[name] && kind != optim.ScheduleStep {
			return settingf(name, "applies to --lr-schedule step only; %s %s", whose, kind)
		}
	}
	return nil
}

// RunOptions returns the run of the settings: its model, batch,
// optimizer, schedule, augmentation, epochs, early stopping and data
// settings; with Resume, only those that Resume takes (the checkpoint
// fixes the rest). The caller adds the others (Dir, Backend, the sets).
func (s *Settings) RunOptions() (RunOptions, error) {
	opt := RunOptions{Batch: s.Batch, Epochs: s.Epochs, Patience: s.Patience, MinDelta: s.MinDelta}
	opt.Config.TF32 = s.TF32
	var err error
	if opt.Data, err = s.DataSettings(); err != nil || s.Resume {
		return opt, err
	}
	opt.Schedule = optim.Schedule{Kind: s.Schedule, Warmup: s.Warmup, PerStep: s.LRPerStep}
	switch s.Schedule {
	case optim.ScheduleCosine:
		opt.Schedule.Epochs = s.Epochs
	case optim.ScheduleStep:
		opt.Schedule.StepEvery, opt.Schedule.Gamma = s.LRStep, s.LRGamma
	}
	if s.Augment {
		opt.Augment = DefaultAugmentation()
	}
	lr := s.LR // given, or a photo recipe's; 0: the method's default
	if lr == 0 {
		lr = 0.01
		if s.Optimizer == optim.Adam {
			lr = 0.001
		}
	}
	opt.Optimizer, err = optim.New(s.Optimizer, lr)
	opt.Optimizer.ClipNorm, opt.Optimizer.WeightDecay = s.ClipNorm, s.WeightDecay
	if err != nil {
		return opt, err
	}
	if err := optim.NewRate(opt.Optimizer, opt.Schedule).Validate(); err != nil {
		return opt, &SettingError{Names: []string{"lr-schedule"}, Msg: err.Error()}
	}
	if opt.Config, err = s.modelConfig(); err != nil {
		return opt, err
	}
	if s.BatchNorm && opt.Config.Arch == ArchCNN {
		opt.Config.CNN = opt.Config.CNN.WithBatchNorm()
	}
	opt.Config.HiddenBatchNorm = s.BatchNorm && opt.Config.Arch == ArchMLP6
	opt.Config.Crop, opt.Config.Seed, opt.Config.TF32 = s.Crop, s.Seed, s.TF32
	return opt, nil
}

// DataSettings returns the settings that decide which images the run
// uses, as its checkpoints record them: folders absolute and cleaned, so
// that a resume from another folder compares them rightly, and only the
// settings that take effect (Synthetic without Data, TestSplit without
// Test).
func (s *Settings) DataSettings() (*DataSettings, error) {
	d := &DataSettings{Synthetic: s.Synthetic, TestSplit: s.TestSplit, Val: s.Val}
	var err error
	if s.Data != "" {
		d.Synthetic = 0
		if d.Dir, err = filepath.Abs(s.Data); err != nil {
			return nil, settingf("data", "%v", err)
		}
	}
	if s.Test != "" {
		d.TestSplit = 0
		if d.Test, err = filepath.Abs(s.Test); err != nil {
			return nil, settingf("test", "%v", err)
		}
	}
	return d, nil
}

// String shows the settings that a checkpoint fixes, and the data
// settings, as flags.
func (s *Settings) String() string {
	var b strings.Builder
	b.WriteString("--model " + s.Arch)
	if s.Arch == ArchMLP6 {
		b.WriteString(" --hidden " + formatInts(s.Hidden))
	} else if cfg, err := s.modelConfig(); err == nil {
		b.WriteString(" --filters " + formatInts(cfg.CNN.Filters()) + " --hidden " + formatInts(cfg.CNN.Hidden()))
	}
	if s.BatchNorm {
		b.WriteString(" --batchnorm")
	}
	if side := s.side(); side != DefaultConfig().Side {
		fmt.Fprintf(&b, " --side %d", side)
	}
	if s.Colour {
		b.WriteString(" --colour")
	}
	if s.Pixels != "" && s.Pixels != dataset.Centred {
		b.WriteString(" --pixels " + string(s.Pixels))
	}
	fmt.Fprintf(&b, " --optimizer %s --lr %g --batch %d --seed %d --crop=%t --lr-schedule %s", s.Optimizer, s.LR, s.Batch, s.Seed, s.Crop, s.Schedule)
	if s.ClipNorm > 0 {
		fmt.Fprintf(&b, " --clip-norm %g", s.ClipNorm)
	}
	if s.WeightDecay > 0 {
		fmt.Fprintf(&b, " --weight-decay %g", s.WeightDecay)
	}
	if s.Warmup > 0 {
		fmt.Fprintf(&b, " --warmup %d", s.Warmup)
	}
	if s.LRPerStep {
		b.WriteString(" --lr-per-step")
	}
	if s.Schedule == optim.ScheduleStep {
		fmt.Fprintf(&b, " --lr-step %d --lr-gamma %g", s.LRStep, s.LRGamma)
	}
	fmt.Fprintf(&b, " --augment=%t", s.Augment)
	if s.Data != "" {
		b.WriteString(" --data " + s.Data)
	} else {
		b.WriteString(" --synthetic " + strconv.Itoa(s.Synthetic))
	}
	if s.Test != "" {
		b.WriteString(" --test " + s.Test)
	} else {
		b.WriteString(" --test-split " + ftoa(s.TestSplit))
	}
	return b.String() + " --val " + ftoa(s.Val)
}

// IsSettingError reports whether err is a *SettingError.
func IsSettingError(err error) bool {
	var e *SettingError
	return errors.As(err, &e)
}

// formatInts writes a list of layer sizes as a setting takes it: 512,512.
func formatInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// ftoa writes a setting's float as it would be typed.
func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// CheckRanks refuses a Batch that the n processes of a data-parallel run
// (RunOptions.Comm) cannot split into equal shards, one each. On Resume
// the checkpoint's batch, which its processes split, is checked by
// SavedRun.CheckRanks instead.
func (s *Settings) CheckRanks(n int) error {
	if s.Resume || s.Batch%n == 0 {
		return nil
	}
	return settingf("batch", "%d images do not split into %d equal shards, one per process (mpirun -np %d): make it a multiple of %d",
		s.Batch, n, n, n)
}
