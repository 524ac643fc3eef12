package catdog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// PhotoRecipe is how to train an architecture on real photos: what
// catdog-train takes, when given a photo folder, for every setting its
// command line leaves out. The built-in synthetic set keeps the plain
// defaults (ConfigFor, no augmentation, 10 epochs), which reach 99% there;
// photos need a larger network and regularisation against overfitting a
// few thousand images.
//
// The values were chosen from runs on 2,000 Kaggle cat and dog photos
// (1,000 a class) tested on 2,000 others; the README's "Training on your
// own photos" gives the figures. An architecture may have a second recipe
// for a GPU, where time no longer bounds the network's width and epochs.
type PhotoRecipe struct {
	// Side is the input images' side in pixels (0: ConfigFor's, 100).
	Side int
	// Colour decodes the photos as RGB, 3 input channels, instead of
	// grayscale.
	Colour bool
	// Pixels is how pixels become inputs ("": the architecture's default).
	Pixels dataset.Encoding
	// Val is the fraction of each class held out for validation (0: the
	// --val default's).
	Val float64
	// Filters are ArchCNN's convolution blocks (nil for ArchMLP6, and
	// for ArchCNN: its defaults), BatchNorm puts batch normalisation in
	// them.
	Filters   []int
	BatchNorm bool
	// Augment turns on DefaultAugmentation.
	Augment bool
	// Epochs, with the learning-rate Schedule spanning them; Patience,
	// when above 0, stops the run after that many epochs without a better
	// validation loss (early stopping, which tests the best model).
	Epochs   int
	Schedule optim.ScheduleKind
	Patience int
	// Warmup is the epochs of linear learning-rate warm-up, and PerStep
	// sets the rate at every step rather than every epoch.
	Warmup  int
	PerStep bool
	// LearningRate is Adam's base rate (0: its default, 0.001), and
	// WeightDecay the optimizer's (decoupled for Adam).
	LearningRate float64
	WeightDecay  float64
}

// photoRecipes are the recipes by architecture.
var photoRecipes = map[string]PhotoRecipe{
	// The most epochs of these blocks that train within 6 minutes on 2
	// CPU cores, on 90% of the photos (the README's table): wider blocks
	// (24,48,96,192) or colour learn as well or better per epoch, but
	// take too long for it.
	ArchCNN: {
		Filters: []int{16, 32, 64, 128}, BatchNorm: true, Augment: true,
		Epochs: 80, Schedule: optim.ScheduleCosine, Val: 0.1,
	},
	// The perceptron overfits photos within a few epochs: batch
	// normalisation, a third of Adam's default rate, weight decay and
	// early stopping. It sees single pixels, so each photo's brightness
	// and contrast are taken out (dataset.Standardised).
	ArchMLP6: {
		Pixels: dataset.Standardised, BatchNorm: true, Augment: true, Epochs: 30, Patience: 5, LearningRate: 3e-4, WeightDecay: 0.05,
	},
}

// gpuPhotoRecipes are the recipes for a GPU, by architecture; an
// architecture without one keeps its photoRecipes entry there.
var gpuPhotoRecipes = map[string]PhotoRecipe{
	// Measured on an H200 (photos shrunk to 128 pixels on the short side
	// to travel there): 84.8% mean test accuracy over seeds 1-3 in 20 s a
	// run, against 81.5% for the CPU recipe. Blocks this wide can kill
	// the head's ReLUs in the first epoch at Adam's full rate (seed 1 of
	// 32,64,128,256 did, on the GPU and the CPU alike); two epochs of
	// per-step warm-up prevent it.
	ArchCNN: {
		Filters: []int{48, 96, 192, 384}, BatchNorm: true, Augment: true,
		Epochs: 120, Schedule: optim.ScheduleCosine, Warmup: 2, PerStep: true, Val: 0.1,
	},
}

// PhotoRecipeFor returns the photo recipe of the architecture arch, the
// one for a GPU when onGPU, or an error wrapping ErrUnknownArch.
func PhotoRecipeFor(arch string, onGPU bool) (PhotoRecipe, error) {
	if err := CheckArch(arch); err != nil {
		return PhotoRecipe{}, err
	}
	r, ok := gpuPhotoRecipes[arch]
	if !onGPU || !ok {
		r = photoRecipes[arch]
	}
	r.Filters = slices.Clone(r.Filters)
	return r, nil
}

// ApplyPhotoRecipe gives the settings not Given the values of Arch's
// PhotoRecipe (for a GPU when onGPU) when Data names photos; not on
// Resume, where the checkpoint's settings rule (SavedRun.Merge). The
// synthetic set keeps the settings as they are. An unknown Arch is left
// to Validate. Applying one recipe after the other leaves what applying
// the second alone does: catdog-train applies the CPU's while it reads
// its flags, to check them, and the GPU's once the device it opens is one.
func (s *Settings) ApplyPhotoRecipe(onGPU bool) {
	if s.Data == "" || s.Resume {
		return
	}
	r, err := PhotoRecipeFor(s.Arch, onGPU)
	if err != nil {
		return
	}
	if !s.Given["filters"] {
		s.Filters = r.Filters
	}
	// The recipe's rate is Adam's: another optimizer keeps its own.
	if !s.Given["lr"] && !s.Given["optimizer"] && r.LearningRate > 0 {
		s.LR = r.LearningRate
	}
	if !s.Given["side"] && r.Side > 0 {
		s.Side = r.Side
	}
	if !s.Given["val"] && r.Val > 0 {
		s.Val = r.Val
	}
	for _, f := range []struct {
		name string
		set  func()
	}{
		{"colour", func() { s.Colour = r.Colour }},
		{"pixels", func() { s.Pixels = r.Pixels }},
		{"batchnorm", func() { s.BatchNorm = r.BatchNorm }},
		{"augment", func() { s.Augment = r.Augment }},
		{"epochs", func() { s.Epochs = r.Epochs }},
		{"lr-schedule", func() { s.Schedule = r.Schedule }},
		{"patience", func() { s.Patience = r.Patience }},
		{"weight-decay", func() { s.WeightDecay = r.WeightDecay }},
		{"warmup", func() { s.Warmup = r.Warmup }},
		{"lr-per-step", func() { s.LRPerStep = r.PerStep }},
	} {
		if !s.Given[f.name] {
			f.set()
		}
	}
}

// String writes the recipe as the flags of catdog-train that it sets.
func (r PhotoRecipe) String() string {
	var b strings.Builder
	if r.Side > 0 {
		fmt.Fprintf(&b, " --side %d", r.Side)
	}
	if r.Colour {
		b.WriteString(" --colour")
	}
	if r.Pixels != "" {
		b.WriteString(" --pixels " + string(r.Pixels))
	}
	if r.Val > 0 {
		fmt.Fprintf(&b, " --val %g", r.Val)
	}
	if r.Filters != nil {
		b.WriteString(" --filters " + formatInts(r.Filters))
	}
	if r.BatchNorm {
		b.WriteString(" --batchnorm")
	}
	if r.Augment {
		b.WriteString(" --augment")
	}
	fmt.Fprintf(&b, " --epochs %d --lr-schedule %s", r.Epochs, r.Schedule)
	if r.Warmup > 0 {
		fmt.Fprintf(&b, " --warmup %d", r.Warmup)
	}
	if r.PerStep {
		b.WriteString(" --lr-per-step")
	}
	if r.Patience > 0 {
		fmt.Fprintf(&b, " --patience %d", r.Patience)
	}
	if r.LearningRate > 0 {
		fmt.Fprintf(&b, " --lr %g", r.LearningRate)
	}
	if r.WeightDecay > 0 {
		fmt.Fprintf(&b, " --weight-decay %g", r.WeightDecay)
	}
	return b.String()[1:]
}

// PhotoRecipesUsage lists each architecture's photo recipe as flags, for
// catdog-train's usage text.
func PhotoRecipesUsage() string {
	s := "\nPhoto recipes (what --data gives the flags left out):\n"
	for _, arch := range Archs() {
		r, _ := PhotoRecipeFor(arch, false)
		s += fmt.Sprintf("  --model %-5s %s\n", arch, r)
		if _, ok := gpuPhotoRecipes[arch]; ok {
			r, _ = PhotoRecipeFor(arch, true)
			s += fmt.Sprintf("    on a GPU:    %s\n", r)
		}
	}
	return s
}
