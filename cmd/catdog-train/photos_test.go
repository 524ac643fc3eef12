package main

import (
	"io"
	"slices"
	"testing"

	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
)

// TestPhotoRecipe checks that --data gives the flags left out the
// architecture's photo recipe, that flags given keep their values, and
// that the synthetic set and --resume keep the flags' own defaults.
func TestPhotoRecipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cnn, err := catdog.PhotoRecipeFor(catdog.ArchCNN)
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

	o := parse("--data", dir, "--model", "cnn")
	cfg, err := o.modelConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.CNN.Filters(), cnn.Filters) || o.batchnorm != cnn.BatchNorm || o.augment != cnn.Augment ||
		o.epochs != cnn.Epochs || o.schedule != cnn.Schedule || o.patience != cnn.Patience || o.weightDecay != cnn.WeightDecay {
		t.Errorf("--data --model cnn: filters %v, batchnorm %t, augment %t, epochs %d, schedule %s, patience %d, weight decay %g; want the recipe %+v",
			cfg.CNN.Filters(), o.batchnorm, o.augment, o.epochs, o.schedule, o.patience, o.weightDecay, cnn)
	}

	o = parse("--data", dir, "--model", "cnn", "--filters", "8,16", "--epochs", "3", "--augment=false", "--lr-schedule", "none", "--weight-decay", "0.5")
	if !slices.Equal(o.filters, []int{8, 16}) || o.epochs != 3 || o.augment || o.schedule != optim.ScheduleNone || o.weightDecay != 0.5 {
		t.Errorf("flags given: filters %v, epochs %d, augment %t, schedule %s, weight decay %g; want the command line's",
			o.filters, o.epochs, o.augment, o.schedule, o.weightDecay)
	}
	if opt, err := o.optimizerSpec(); err != nil || opt.WeightDecay != 0.5 {
		t.Errorf("optimizer %+v (%v): want weight decay 0.5", opt, err)
	}

	mlp, err := catdog.PhotoRecipeFor(catdog.ArchMLP6)
	if err != nil {
		t.Fatal(err)
	}
	if o := parse("--data", dir); o.augment != mlp.Augment || o.epochs != mlp.Epochs || o.patience != mlp.Patience || o.filters != nil ||
		o.lr != mlp.LearningRate || o.weightDecay != mlp.WeightDecay {
		t.Errorf("--data with mlp6: augment %t, epochs %d, patience %d, filters %v, lr %g, weight decay %g; want the recipe %+v",
			o.augment, o.epochs, o.patience, o.filters, o.lr, o.weightDecay, mlp)
	}
	// The recipe's rate is Adam's; another optimizer keeps its default.
	if o := parse("--data", dir, "--optimizer", "sgd"); o.lr != 0 {
		t.Errorf("--optimizer sgd took the recipe's rate %g", o.lr)
	}

	for _, args := range [][]string{{"--model", "cnn"}, {"--out", dir, "--resume", "--model", "cnn"}} {
		o := parse(args...)
		if o.filters != nil || o.batchnorm || o.augment || o.epochs != 10 || o.schedule != optim.ScheduleNone || o.patience != 0 || o.weightDecay != 0 {
			t.Errorf("%v: the flags' defaults changed: filters %v, batchnorm %t, augment %t, epochs %d, schedule %s, patience %d, weight decay %g",
				args, o.filters, o.batchnorm, o.augment, o.epochs, o.schedule, o.patience, o.weightDecay)
		}
	}
}
