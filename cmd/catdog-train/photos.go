package main

import (
	"fmt"

	"github.com/neurone-dl/neurone/cmd/internal/cli"
	"github.com/neurone-dl/neurone/models/catdog"
)

// applyPhotoRecipe gives the settings the command line leaves out the
// values of --model's catdog.PhotoRecipe when --data names photos (not on
// --resume, where the checkpoint's settings rule). The synthetic set keeps
// the flags' own defaults.
func (o *options) applyPhotoRecipe() {
	if o.data == "" || o.resume {
		return
	}
	r, err := catdog.PhotoRecipeFor(o.arch)
	if err != nil {
		return // checkModel names the bad --model
	}
	if !o.set["filters"] && r.Filters != nil {
		o.filters = r.Filters
	}
	// The recipe's rate is Adam's: another --optimizer keeps its own.
	if !o.set["lr"] && !o.set["optimizer"] && r.LearningRate > 0 {
		o.lr = r.LearningRate
	}
	for _, s := range []struct {
		flag string
		set  func()
	}{
		{"side", func() {
			if r.Side > 0 {
				o.side = r.Side
			}
		}},
		{"batchnorm", func() { o.batchnorm = r.BatchNorm }},
		{"augment", func() { o.augment = r.Augment }},
		{"epochs", func() { o.epochs = r.Epochs }},
		{"lr-schedule", func() { o.schedule = r.Schedule }},
		{"patience", func() { o.patience = r.Patience }},
		{"weight-decay", func() { o.weightDecay = r.WeightDecay }},
	} {
		if !o.set[s.flag] {
			s.set()
		}
	}
}

// photoRecipesHelp lists each architecture's photo recipe in the words of
// the flags, for the usage text.
func photoRecipesHelp() string {
	s := "\nPhoto recipes (what --data gives the flags left out):\n"
	for _, arch := range catdog.Archs() {
		r, _ := catdog.PhotoRecipeFor(arch)
		s += fmt.Sprintf("  --model %-5s %s\n", arch, describeRecipe(r))
	}
	return s
}

// describeRecipe writes a photo recipe as flags.
func describeRecipe(r catdog.PhotoRecipe) string {
	s := ""
	if r.Side > 0 {
		s += fmt.Sprintf(" --side %d", r.Side)
	}
	if r.Filters != nil {
		s += " --filters " + cli.FormatInts(r.Filters)
	}
	if r.BatchNorm {
		s += " --batchnorm"
	}
	if r.Augment {
		s += " --augment"
	}
	s += fmt.Sprintf(" --epochs %d --lr-schedule %s", r.Epochs, r.Schedule)
	if r.Patience > 0 {
		s += fmt.Sprintf(" --patience %d", r.Patience)
	}
	if r.LearningRate > 0 {
		s += fmt.Sprintf(" --lr %g", r.LearningRate)
	}
	if r.WeightDecay > 0 {
		s += fmt.Sprintf(" --weight-decay %g", r.WeightDecay)
	}
	return s[1:]
}
