package main

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/neurone-dl/neurone/cmd/internal/cli"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
)

// dataFlags are the flags that catdog.DataSettings records, for the
// warning about checkpoints that predate it.
const dataFlags = "--data, --synthetic, --test, --test-split and --val"

// dataSettings returns the settings of the flags that decide which images
// the run uses, as its checkpoints record them: folders absolute and
// cleaned, so that a resume from another folder compares them rightly,
// and only the settings that take effect (--synthetic without --data,
// --test-split without --test).
func (o *options) dataSettings() (*catdog.DataSettings, error) {
	d := &catdog.DataSettings{Synthetic: o.synthetic, TestSplit: o.testSplit, Val: o.val}
	var err error
	if o.data != "" {
		d.Synthetic = 0
		if d.Dir, err = filepath.Abs(o.data); err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
	}
	if o.test != "" {
		d.TestSplit = 0
		if d.Test, err = filepath.Abs(o.test); err != nil {
			return nil, fmt.Errorf("--test: %w", err)
		}
	}
	return d, nil
}

// setting is a flag's value as given and as the checkpoint resumed holds
// it, each as it would be typed.
type setting struct{ flag, given, saved string }

// refuseChanged returns the mismatch of the first flag given with another
// value than the checkpoint's.
func (o *options) refuseChanged(settings ...setting) error {
	for _, s := range settings {
		if o.set[s.flag] && s.given != s.saved {
			return cli.Usagef("--"+s.flag, "%s differs from the checkpoint's %s; leave --%s out to continue with the checkpoint's", s.given, s.saved, s.flag)
		}
	}
	return nil
}

// adopt takes the settings that the checkpoint fixes (the architecture,
// the optimizer and everything that decides the batches) from meta, and
// refuses flags that contradict it.
func (o *options) adopt(meta catdog.Meta) error {
	cfg := meta.Config()
	hidden, filters := meta.Hidden, []int(nil)
	if meta.Arch == catdog.ArchCNN {
		hidden, filters = cfg.CNNLayers().Hidden(), cfg.CNNLayers().Filters()
	}
	// The architecture first: the other checks assume it.
	if err := o.refuseChanged(setting{"model", o.arch, meta.Arch}); err != nil {
		return err
	}
	if o.set["filters"] && meta.Arch != catdog.ArchCNN {
		return cli.Usagef("--filters", "sets the convolution blocks of --model %s; the checkpoint holds --model %s, which has none; leave --filters out", catdog.ArchCNN, meta.Arch)
	}
	b, f := strconv.FormatBool, ftoa
	err := o.refuseChanged(setting{"filters", cli.FormatInts(o.filters), cli.FormatInts(filters)},
		setting{"hidden", cli.FormatInts(o.hidden), cli.FormatInts(hidden)},
		setting{"batchnorm", b(o.batchnorm), b(cfg.BatchNorm())}, setting{"crop", b(o.crop), b(meta.Crop)},
		setting{"batch", strconv.Itoa(o.batch), strconv.Itoa(meta.Batch)},
		setting{"seed", strconv.FormatUint(o.seed, 10), strconv.FormatUint(meta.Seed, 10)},
		setting{"optimizer", o.optimizer.String(), meta.Optimizer.Method.String()},
		setting{"lr", f(o.lr), f(meta.Optimizer.LearningRate)}, setting{"clip-norm", f(o.clipNorm), f(meta.Optimizer.ClipNorm)},
		setting{"augment", b(o.augment), b(meta.Augment.Enabled())})
	switch {
	case err != nil:
		return err
	case meta.Augment.Enabled() && meta.Augment != catdog.DefaultAugmentation():
		return fmt.Errorf("--resume: the checkpoint was trained with augmentation %+v; this build's --augment is %+v", meta.Augment, catdog.DefaultAugmentation())
	case meta.Side != catdog.DefaultConfig().Side:
		return fmt.Errorf("--resume: the checkpoint takes %dx%d images; this build trains on %dx%d", meta.Side, meta.Side, catdog.DefaultConfig().Side, catdog.DefaultConfig().Side)
	}
	if err := o.adoptSchedule(meta.Schedule); err != nil {
		return err
	}
	if err := o.adoptData(meta.Data); err != nil {
		return err
	}
	o.arch, o.hidden, o.filters, o.crop, o.batch, o.seed = meta.Arch, hidden, filters, meta.Crop, meta.Batch, meta.Seed
	o.batchnorm, o.augment = cfg.BatchNorm(), meta.Augment.Enabled()
	o.optimizer, o.lr, o.clipNorm = meta.Optimizer.Method, meta.Optimizer.LearningRate, meta.Optimizer.ClipNorm
	o.adoptEpochs(meta)
	return nil
}

// adoptEpochs takes the run's --epochs from meta, unless the flag is
// given: a resumed run goes on to the end it was started for (for
// checkpoints that predate recording it, its cosine schedule's span, or
// else the flag's default).
func (o *options) adoptEpochs(meta catdog.Meta) {
	if n := meta.PlannedEpochs(); n > 0 && !o.set["epochs"] {
		o.epochs = n
	}
}

// epochsNote says where --epochs came from when a resumed run could not
// take it from its checkpoint, which predates recording it.
func (o *options) epochsNote(meta catdog.Meta) string {
	switch {
	case o.set["epochs"] || meta.Epochs > 0:
		return ""
	case meta.PlannedEpochs() > 0:
		return " (its cosine schedule's span: the checkpoint predates recording --epochs)"
	}
	return " (the default: the checkpoint predates recording --epochs)"
}

// adoptSchedule takes the learning-rate schedule of a checkpoint, refusing
// flags that contradict it. A cosine schedule keeps the span it started
// with, whatever --epochs says now.
func (o *options) adoptSchedule(s optim.Schedule) error {
	if err := o.checkStepFlags(s.Kind, "the checkpoint's schedule is"); err != nil {
		return err
	}
	itoa := strconv.Itoa
	err := o.refuseChanged(setting{"lr-schedule", o.schedule.String(), s.Kind.String()}, setting{"warmup", itoa(o.warmup), itoa(s.Warmup)},
		setting{"lr-per-step", strconv.FormatBool(o.lrPerStep), strconv.FormatBool(s.PerStep)},
		setting{"lr-step", itoa(o.lrStep), itoa(s.StepEvery)}, setting{"lr-gamma", ftoa(o.lrGamma), ftoa(s.Gamma)})
	if err != nil {
		return err
	}
	o.schedule, o.warmup, o.lrPerStep = s.Kind, s.Warmup, s.PerStep
	if s.Kind == optim.ScheduleStep {
		o.lrStep, o.lrGamma = s.StepEvery, s.Gamma
	}
	return nil
}

// adoptData takes the data settings of a checkpoint for the flags not
// given, and refuses given flags that contradict them: resuming on other
// images, or on another split of them, would not continue the run. Old
// checkpoints (saved == nil) hold none; the flags stand unchecked.
func (o *options) adoptData(saved *catdog.DataSettings) error {
	if saved == nil {
		return nil
	}
	given, err := o.dataSettings()
	if err != nil {
		return err
	}
	// The saved settings in the words of each flag: another kind of data
	// or test set is named as such.
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
	err = o.refuseChanged(setting{"data", given.Dir, data}, setting{"synthetic", strconv.Itoa(o.synthetic), synthetic},
		setting{"test", given.Test, test}, setting{"test-split", ftoa(o.testSplit), split}, setting{"val", ftoa(o.val), ftoa(saved.Val)})
	switch {
	case err != nil:
		return err
	case o.patience > 0 && saved.Val == 0:
		return cli.Usagef("--patience", "early stopping watches the validation loss; the checkpoint's run has none (--val 0)")
	}
	o.data, o.synthetic, o.test, o.testSplit, o.val = saved.Dir, saved.Synthetic, saved.Test, saved.TestSplit, saved.Val
	return nil
}

// describeData shows the data settings in the words of the flags.
func (o *options) describeData() string {
	s := "--synthetic " + strconv.Itoa(o.synthetic)
	if o.data != "" {
		s = "--data " + o.data
	}
	if o.test != "" {
		s += " --test " + o.test
	} else {
		s += " --test-split " + ftoa(o.testSplit)
	}
	return s + " --val " + ftoa(o.val)
}

// ftoa writes a flag's float as it would be typed.
func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
