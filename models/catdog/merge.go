package catdog

import (
	"fmt"
	"strconv"

	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// setting is a setting's value as given and as a saved run holds it, each
// as it would be typed.
type setting struct{ name, given, saved string }

// refuseChanged returns the mismatch of the first setting Given with
// another value than the saved run's.
func (s *Settings) refuseChanged(settings ...setting) error {
	for _, c := range settings {
		if s.Given[c.name] && c.given != c.saved {
			return settingf(c.name, "%s differs from the checkpoint's %s; leave --%s out to continue with the checkpoint's", c.given, c.saved, c.name)
		}
	}
	return nil
}

// Merge takes into s the settings that the run's checkpoint fixes (the
// architecture, the images' side and colour, the optimizer, the schedule, everything that decides the
// batches, and the data settings when it records them), and the epochs
// it was started for unless s.Given["epochs"]. A setting Given with
// another value than the checkpoint's is refused with a *SettingError:
// going on with another one would not continue the run. Other errors say
// that this build cannot continue the checkpoint.
func (r *SavedRun) Merge(s *Settings) error {
	meta := r.Last
	cfg := meta.Config()
	hidden, filters := meta.Hidden, []int(nil)
	colour := cfg.channels() == dataset.RGB
	if meta.Arch == ArchCNN {
		hidden, filters = cfg.CNNLayers().Hidden(), cfg.CNNLayers().Filters()
	}
	// The architecture first: the other checks assume it.
	if err := s.refuseChanged(setting{"model", s.Arch, meta.Arch}); err != nil {
		return err
	}
	if s.Given["filters"] && meta.Arch != ArchCNN {
		return settingf("filters", "sets the convolution blocks of --model %s; the checkpoint holds --model %s, which has none; leave --filters out", ArchCNN, meta.Arch)
	}
	b, f := strconv.FormatBool, ftoa
	err := s.refuseChanged(setting{"filters", formatInts(s.Filters), formatInts(filters)},
		setting{"hidden", formatInts(s.Hidden), formatInts(hidden)},
		setting{"batchnorm", b(s.BatchNorm), b(cfg.BatchNorm())}, setting{"crop", b(s.Crop), b(meta.Crop)},
		setting{"batch", strconv.Itoa(s.Batch), strconv.Itoa(meta.Batch)},
		setting{"seed", strconv.FormatUint(s.Seed, 10), strconv.FormatUint(meta.Seed, 10)},
		setting{"optimizer", s.Optimizer.String(), meta.Optimizer.Method.String()},
		setting{"lr", f(s.LR), f(meta.Optimizer.LearningRate)}, setting{"clip-norm", f(s.ClipNorm), f(meta.Optimizer.ClipNorm)},
		setting{"weight-decay", f(s.WeightDecay), f(meta.Optimizer.WeightDecay)},
		setting{"augment", b(s.Augment), b(meta.Augment.Enabled())}, setting{"side", strconv.Itoa(s.side()), strconv.Itoa(meta.Side)},
		setting{"colour", b(s.Colour), b(colour)}, setting{"pixels", string(s.Pixels), string(cfg.Pixels)})
	switch {
	case err != nil:
		return err
	case meta.Augment.Enabled() && meta.Augment != DefaultAugmentation():
		return fmt.Errorf("catdog: the checkpoint was trained with augmentation %+v; this build's is %+v", meta.Augment, DefaultAugmentation())
	}
	if err := s.mergeSchedule(meta.Schedule); err != nil {
		return err
	}
	if err := s.mergeData(meta.Data); err != nil {
		return err
	}
	s.Arch, s.Hidden, s.Filters, s.Crop, s.Batch, s.Seed = meta.Arch, hidden, filters, meta.Crop, meta.Batch, meta.Seed
	s.BatchNorm, s.Augment, s.Side, s.Colour, s.Pixels = cfg.BatchNorm(), meta.Augment.Enabled(), meta.Side, colour, cfg.Pixels
	s.Optimizer, s.LR, s.ClipNorm, s.WeightDecay = meta.Optimizer.Method, meta.Optimizer.LearningRate, meta.Optimizer.ClipNorm, meta.Optimizer.WeightDecay
	s.mergeEpochs(meta)
	return nil
}

// mergeEpochs takes the run's Epochs from meta, unless Given: a resumed
// run goes on to the end it was started for (for checkpoints that
// predate recording it, its cosine schedule's span, or else s.Epochs).
func (s *Settings) mergeEpochs(meta Meta) {
	if n := meta.PlannedEpochs(); n > 0 && !s.Given["epochs"] {
		s.Epochs = n
	}
}

// EpochsNote says, after Merge, where s.Epochs came from when the
// checkpoint could not give it, as it predates recording it; "" otherwise.
func (r *SavedRun) EpochsNote(s *Settings) string {
	switch {
	case s.Given["epochs"] || r.Last.Epochs > 0:
		return ""
	case r.Last.PlannedEpochs() > 0:
		return " (its cosine schedule's span: the checkpoint predates recording --epochs)"
	}
	return " (the default: the checkpoint predates recording --epochs)"
}

// mergeSchedule takes the learning-rate schedule of a checkpoint,
// refusing settings that contradict it. A cosine schedule keeps the span
// it started with, whatever Epochs says now.
func (s *Settings) mergeSchedule(saved optim.Schedule) error {
	if err := s.checkStepSettings(saved.Kind, "the checkpoint's schedule is"); err != nil {
		return err
	}
	itoa := strconv.Itoa
	err := s.refuseChanged(setting{"lr-schedule", s.Schedule.String(), saved.Kind.String()}, setting{"warmup", itoa(s.Warmup), itoa(saved.Warmup)},
		setting{"lr-per-step", strconv.FormatBool(s.LRPerStep), strconv.FormatBool(saved.PerStep)},
		setting{"lr-step", itoa(s.LRStep), itoa(saved.StepEvery)}, setting{"lr-gamma", ftoa(s.LRGamma), ftoa(saved.Gamma)})
	if err != nil {
		return err
	}
	s.Schedule, s.Warmup, s.LRPerStep = saved.Kind, saved.Warmup, saved.PerStep
	if saved.Kind == optim.ScheduleStep {
		s.LRStep, s.LRGamma = saved.StepEvery, saved.Gamma
	}
	return nil
}

// mergeData takes the data settings of a checkpoint for the settings not
// Given, and refuses Given ones that contradict them: resuming on other
// images, or on another split of them, would not continue the run. Old
// checkpoints (saved == nil) hold none; the settings stand unchecked.
func (s *Settings) mergeData(saved *DataSettings) error {
	if saved == nil {
		return nil
	}
	given, err := s.DataSettings()
	if err != nil {
		return err
	}
	// The saved settings in the words of each setting: another kind of
	// data or test set is named as such.
	data, synthetic := saved.Dir, strconv.Itoa(saved.Synthetic)
	if saved.Dir == "" && given.Dir != "" {
		data = "synthetic set (--synthetic " + synthetic + ")"
	} else if saved.Dir != "" {
		synthetic = "photos (--data " + saved.Dir + ")"
	}
	test, split := saved.Test, ftoa(saved.TestSplit)
	if saved.Test == "" && given.Test != "" {
		test = "hold-out (--test-split " + split + ")"
	} else if saved.Test != "" {
		split = "test folder (--test " + saved.Test + ")"
	}
	err = s.refuseChanged(setting{"data", given.Dir, data}, setting{"synthetic", strconv.Itoa(s.Synthetic), synthetic},
		setting{"test", given.Test, test}, setting{"test-split", ftoa(s.TestSplit), split}, setting{"val", ftoa(s.Val), ftoa(saved.Val)})
	switch {
	case err != nil:
		return err
	case s.Patience > 0 && saved.Val == 0:
		return settingf("patience", "early stopping watches the validation loss; the checkpoint's run has none (--val 0)")
	}
	s.Data, s.Synthetic, s.Test, s.TestSplit, s.Val = saved.Dir, saved.Synthetic, saved.Test, saved.TestSplit, saved.Val
	return nil
}
