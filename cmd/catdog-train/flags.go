package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/neurone-dl/neurone/cmd/internal/cli"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
)

// options are the checked command-line settings.
type options struct {
	data      string // photo folder; "" means the built-in synthetic set
	synthetic int    // size of the synthetic set
	test      string // separate test folder; "" holds out testSplit
	testSplit float64
	val       float64
	crop      bool
	side      int // --side
	cache     string
	workers   int

	arch string
	// hidden are the hidden layers' widths: mlp6's, or the dense layers
	// of cnn (nil: its default); filters the convolution blocks' of cnn
	// (nil: its default, and always nil for mlp6).
	hidden    []int
	filters   []int
	batchnorm bool
	optimizer optim.Method
	lr        float64
	clipNorm  float64 // --clip-norm
	// weightDecay is --weight-decay.
	weightDecay float64
	epochs      int
	batch       int
	seed        uint64

	schedule  optim.ScheduleKind // --lr-schedule
	lrPerStep bool               // --lr-per-step
	warmup    int
	lrStep    int
	lrGamma   float64
	patience  int
	minDelta  float64

	augment bool

	device string
	tf32   bool
	out    string
	resume bool
	plots  bool

	args []string // the command line, for the hint on how to resume
	set  map[string]bool
}

const synopsis = `catdog-train trains a cat/dog classifier (--model mlp6 or cnn) and writes its checkpoints.

Usage:
  catdog-train [flags]                   train on the built-in synthetic set
  catdog-train --data DIR [flags]        train on photos in DIR/cat and DIR/dog
                                         (or cat.N.jpg / dog.N.jpg files); the
                                         flags left out take the photo recipe of
                                         --model (below), not their defaults
  catdog-train --out DIR --resume        continue an interrupted run
`

// usageGroups orders the flags in the help text.
var usageGroups = []cli.FlagGroup{
	{Title: "Data", Flags: []string{"data", "synthetic", "test", "test-split", "val", "crop", "side", "cache", "workers"}},
	{Title: "Model", Flags: []string{"model", "hidden", "filters", "batchnorm", "seed"}},
	{Title: "Optimisation", Flags: []string{"optimizer", "lr", "weight-decay", "clip-norm", "epochs", "batch"}},
	{Title: "Learning-rate schedule and early stopping", Flags: []string{"lr-schedule", "warmup", "lr-per-step", "lr-step", "lr-gamma", "patience", "min-delta"}},
	{Title: "Augmentation", Flags: []string{"augment"}},
	{Title: "Device and output", Flags: []string{"device", "tf32", "out", "resume", "plots"}},
}

// parseFlags reads args into options. The error is a cli.UsageError for a
// bad command line, or flag.ErrHelp after -h has printed the usage to
// helpOut.
func parseFlags(args []string, helpOut io.Writer) (*options, error) {
	o := &options{args: args}
	var hidden, filters, optimizer, schedule string
	var seed uint64
	fs := flag.NewFlagSet("catdog-train", flag.ContinueOnError)
	// Parse errors and -h are reported by run, in the command's own words.
	fs.SetOutput(io.Discard)

	fs.StringVar(&o.data, "data", "", "photo folder: `DIR`/cat and DIR/dog (any letter case, any depth) or flat\ncat.N.jpg and dog.N.jpg files; absent: the built-in synthetic set")
	fs.IntVar(&o.synthetic, "synthetic", 6000, "`N` images in the built-in synthetic set, used without --data")
	fs.StringVar(&o.test, "test", "", "separate test photo folder `DIR`, laid out like --data;\nabsent: a --test-split hold-out of the data")
	fs.Float64Var(&o.testSplit, "test-split", 0.1, "`fraction` of each class held out as the test set, used neither\nin training nor in model selection")
	fs.Float64Var(&o.val, "val", 0.2, "`fraction` of each class of the rest held out for validation, whose\nloss picks best.safetensors and drives --patience; 0 disables it")
	fs.BoolVar(&o.crop, "crop", false, "centre-crop photos to a square before resizing to --side,\ninstead of stretching them")
	fs.IntVar(&o.side, "side", catdog.DefaultConfig().Side, "resize images to `N`xN pixels (grayscale) for the model; the checkpoint\nrecords it, and catdog-predict resizes the same")
	fs.StringVar(&o.cache, "cache", defaultCache(), "decoded-image cache folder `DIR`, so later runs skip decoding;\n\"\" disables it")
	fs.IntVar(&o.workers, "workers", 0, "`N` image-decoding goroutines; 0 means one per CPU")

	fs.StringVar(&o.arch, "model", catdog.ArchMLP6, "architecture `name`, one of: "+strings.Join(catdog.Archs(), ", ")+"\n"+
		"mlp6: the perceptron of --hidden over the 10000 pixels\n"+
		"cnn: 3x3 convolution blocks of --filters (ReLU, 2x2 max pooling; the\n"+
		"first strides 2), dense ReLU layers of --hidden, dropout 0.5 and the\n"+
		"sigmoid neuron; about 80k parameters by default")
	fs.StringVar(&hidden, "hidden", "", "comma-separated `widths` of the hidden ReLU layers, which one\nsigmoid neuron, read as P(cat), follows: the perceptron's with\n--model mlp6 (default 512,512,512,512,512), the dense layers after\nthe convolutions with --model cnn (default 64)")
	fs.StringVar(&filters, "filters", "", "comma-separated filter `counts` of --model cnn's convolution blocks,\none block each (default 8,16,32); 100x100 images allow at most 5.\nRefused with --model mlp6")
	fs.BoolVar(&o.batchnorm, "batchnorm", false, "batch normalisation in each hidden layer of --model mlp6, or each\nconvolution block of --model cnn, before its ReLU: steadier training;\nthe running statistics it keeps go into the checkpoints")
	fs.StringVar(&optimizer, "optimizer", optim.Adam.String(), "`method`: sgd, momentum (mu 0.9) or adam")
	fs.Float64Var(&o.lr, "lr", 0, "learning `rate`; 0 means the optimizer's default:\n0.001 for adam, 0.01 for sgd and momentum")
	fs.Float64Var(&o.clipNorm, "clip-norm", 0, "clip the gradients to this global L2 `norm` before each update\n(as PyTorch's clip_grad_norm_); 0: no clipping")
	fs.Float64Var(&o.weightDecay, "weight-decay", 0, "weight `decay` of the optimizer (decoupled from the gradient for adam,\nas AdamW); 0: none")
	fs.IntVar(&o.epochs, "epochs", 10, "train until `N` epochs are done, counting those before a --resume;\n--resume without it goes on to the run's own N")
	fs.IntVar(&o.batch, "batch", 64, "`N` images per training step")
	fs.Uint64Var(&seed, "seed", 1, "`seed` of the weights, the data split, the batch order\nand the synthetic set")

	fs.StringVar(&schedule, "lr-schedule", optim.ScheduleNone.String(), "learning-rate `schedule`, set at the start of each epoch: none (the --lr\nthroughout), cosine (from --lr down towards 0 over --epochs) or step\n(--lr times --lr-gamma every --lr-step epochs)")
	fs.IntVar(&o.warmup, "warmup", 0, "`N` epochs of linear warm-up (--lr*e/(N+1) in epoch e) before the schedule")
	fs.BoolVar(&o.lrPerStep, "lr-per-step", false, "set the rate at every training step, along the schedule's curve\n(a smooth warm-up and cosine), instead of once per epoch")
	fs.IntVar(&o.lrStep, "lr-step", 10, "`N` epochs between decays of --lr-schedule step")
	fs.Float64Var(&o.lrGamma, "lr-gamma", 0.1, "`factor` in (0, 1] of each decay of --lr-schedule step")
	fs.IntVar(&o.patience, "patience", 0, "stop early after `N` epochs without a validation loss better than the\nbest by more than --min-delta, and test the best model; 0: never stop early")
	fs.Float64Var(&o.minDelta, "min-delta", 0, "smallest fall of the validation `loss` that counts as better for --patience")

	fs.BoolVar(&o.augment, "augment", false, "transform each training image at random, anew every epoch:\n"+catdog.DefaultAugmentation().String()+";\n"+
		"validation and test images are left as they are. Off by default: it is meant\nagainst overfitting photos over many epochs; the built-in synthetic set\nreaches the same accuracy without it")

	fs.StringVar(&o.device, "device", "auto", "`device` to train on: auto (CUDA when built in and present, else\nthe CPU), cpu, cuda or cuda:N")
	fs.BoolVar(&o.tf32, "tf32", false, "let CUDA compute matrix products in TensorFloat-32 on tensor cores\n(inputs rounded to 10-bit mantissas, about 5e-4 relative each; float32\nsums); the CPU ignores it. Recorded in summary.json")
	fs.StringVar(&o.out, "out", "out", "output folder `DIR`: last.safetensors, best.safetensors,\nhistory.jsonl, summary.json and the plots")
	fs.BoolVar(&o.resume, "resume", false, "continue the run in --out from its last.safetensors, with the model,\noptimizer, data settings and --epochs it records")
	fs.BoolVar(&o.plots, "plots", true, "draw loss.png, accuracy.png and roc.png in --out at the end")

	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			cli.PrintUsage(helpOut, fs, synopsis+photoRecipesHelp(), usageGroups)
			return nil, err
		}
		return nil, &cli.UsageError{Msg: err.Error()}
	}
	o.seed = seed
	o.set = cli.SetFlags(fs)
	if fs.NArg() > 0 {
		return nil, cli.Usagef("", "unexpected argument %q (photos are passed with --data DIR)", fs.Arg(0))
	}
	var err error
	if o.optimizer, err = optim.ParseMethod(optimizer); err != nil {
		return nil, cli.Usagef("--optimizer", "%q is not an optimizer (want sgd, momentum or adam)", optimizer)
	}
	if o.schedule, err = optim.ParseScheduleKind(schedule); err != nil {
		return nil, cli.Usagef("--lr-schedule", "%q is not a schedule (want none, cosine or step)", schedule)
	}
	o.applyPhotoRecipe()
	if err := o.checkModel(hidden, filters); err != nil {
		return nil, err
	}
	return o, o.check()
}

// check validates the values that parsing alone does not.
func (o *options) check() error {
	fraction := func(name string, v float64) error {
		if !(v >= 0 && v < 1) {
			return cli.Usagef(name, "%v is not a fraction in [0, 1)", v)
		}
		return nil
	}
	if err := fraction("--val", o.val); err != nil {
		return err
	}
	if err := fraction("--test-split", o.testSplit); err != nil {
		return err
	}
	switch {
	case o.data != "" && o.set["synthetic"]:
		return cli.Usagef("--synthetic", "the synthetic set is used only without --data")
	case o.test != "" && o.set["test-split"]:
		return cli.Usagef("--test-split", "a separate --test folder is the test set; leave out --test-split")
	case o.synthetic < 2:
		return cli.Usagef("--synthetic", "%d images are too few (need at least 2)", o.synthetic)
	case o.workers < 0:
		return cli.Usagef("--workers", "%d is negative", o.workers)
	case o.epochs < 1:
		return cli.Usagef("--epochs", "%d is not a positive number of epochs", o.epochs)
	case o.batch < 1:
		return cli.Usagef("--batch", "%d is not a positive batch size", o.batch)
	case o.out == "":
		return cli.Usagef("--out", "an output folder is needed")
	}
	if !(o.weightDecay >= 0) || math.IsInf(o.weightDecay, 0) {
		return cli.Usagef("--weight-decay", "%v is not a weight decay (want 0 for none, or a positive number)", o.weightDecay)
	}
	if !(o.clipNorm >= 0) || math.IsInf(o.clipNorm, 0) {
		return cli.Usagef("--clip-norm", "%v is not a norm (want 0 for no clipping, or a positive number)", o.clipNorm)
	}
	if o.set["lr"] && (!(o.lr > 0) || math.IsInf(o.lr, 0)) {
		return cli.Usagef("--lr", "%v is not a positive learning rate", o.lr)
	}
	if err := o.checkSchedule(); err != nil {
		return err
	}
	if err := cli.CheckDevice(o.device); err != nil {
		return err
	}
	for _, f := range []struct{ name, dir string }{{"--data", o.data}, {"--test", o.test}} {
		if f.dir == "" {
			continue
		}
		if info, err := os.Stat(f.dir); err != nil {
			return cli.Usagef(f.name, "cannot read folder %s: %v", f.dir, unwrapPath(err))
		} else if !info.IsDir() {
			return cli.Usagef(f.name, "%s is not a folder", f.dir)
		}
	}
	return nil
}

// checkModel checks --model and reads --hidden and --filters. --filters
// sets the layers of cnn only: with --model mlp6 it is refused rather than
// ignored, so that a command line never claims layers the model does not
// have. A CNN too deep for the images is refused too, naming --filters.
func (o *options) checkModel(hidden, filters string) error {
	if catdog.CheckArch(o.arch) != nil {
		return cli.Usagef("--model", "%q is not an architecture (want %s)", o.arch, strings.Join(catdog.Archs(), ", "))
	}
	if o.side < minSide || o.side > maxSide {
		return cli.Usagef("--side", "%d is not an image side from %d to %d pixels", o.side, minSide, maxSide)
	}
	var err error
	if o.set["hidden"] {
		if o.hidden, err = cli.ParseInts("--hidden", hidden); err != nil {
			return err
		}
	}
	if o.set["filters"] {
		if o.filters, err = cli.ParseInts("--filters", filters); err != nil {
			return err
		}
	}
	if o.resume && !o.set["model"] {
		return nil // the checkpoint's architecture decides: adopt checks the layers against it
	}
	if o.arch == catdog.ArchMLP6 && o.set["filters"] {
		return cli.Usagef("--filters", "sets the convolution blocks of --model %s; --model %s has none", catdog.ArchCNN, o.arch)
	}
	cfg, err := o.modelConfig()
	if err != nil {
		return err
	}
	if o.arch == catdog.ArchMLP6 {
		o.hidden = cfg.Hidden // the default's, without --hidden
	}
	// From the shapes alone: building a network too large to fit in
	// memory would crash instead of saying why.
	n, err := cfg.ParamCount()
	if err != nil {
		return cli.Usagef("--filters", "%s blocks do not fit %dx%d images: %v", cli.FormatInts(cfg.CNN.Filters()), cfg.Side, cfg.Side, err)
	}
	if n > maxParams {
		var flags []string
		for _, f := range []string{"filters", "hidden"} {
			if o.set[f] {
				flags = append(flags, "--"+f)
			}
		}
		return cli.Usagef(strings.Join(flags, ", "), "these layers make a %s of %d parameters; at most %d (%d GiB as float32, without gradients and optimizer state)",
			o.arch, n, maxParams, maxParams*4>>30)
	}
	return nil
}

// minSide and maxSide bound --side.
const minSide, maxSide = 8, 1024

// maxParams is the largest network the command builds.
const maxParams = 1 << 30

// modelConfig returns the configuration of --model with --hidden and,
// for the CNN, --filters; nil lists keep the architecture's defaults.
// --batchnorm, which changes no shape, is left to the caller.
func (o *options) modelConfig() (catdog.Config, error) {
	cfg, err := catdog.ConfigFor(o.arch)
	if o.side > 0 {
		cfg.Side = o.side
	}
	switch {
	case err != nil:
	case cfg.Arch == catdog.ArchCNN:
		cfg.CNN, err = cfg.CNNLayers().Resized(o.filters, o.hidden)
	case o.hidden != nil:
		cfg.Hidden = o.hidden
	}
	return cfg, err
}

// checkSchedule validates the schedule and early-stopping flags.
func (o *options) checkSchedule() error {
	// On --resume without --lr-schedule, the checkpoint's schedule is
	// checked instead (options.adoptSchedule).
	if !o.resume || o.set["lr-schedule"] {
		if err := o.checkStepFlags(o.schedule, "--lr-schedule is"); err != nil {
			return err
		}
	}
	switch {
	case o.warmup < 0:
		return cli.Usagef("--warmup", "%d is negative", o.warmup)
	case o.schedule == optim.ScheduleCosine && o.warmup >= o.epochs:
		return cli.Usagef("--warmup", "%d warm-up epochs leave none of --epochs %d to the cosine schedule", o.warmup, o.epochs)
	case o.lrStep < 1:
		return cli.Usagef("--lr-step", "%d is not a positive number of epochs", o.lrStep)
	case !(o.lrGamma > 0 && o.lrGamma <= 1):
		return cli.Usagef("--lr-gamma", "%v is not a factor in (0, 1]", o.lrGamma)
	case o.patience < 0:
		return cli.Usagef("--patience", "%d is negative (0 turns early stopping off)", o.patience)
	case !(o.minDelta >= 0) || math.IsInf(o.minDelta, 0):
		return cli.Usagef("--min-delta", "%v is not a loss difference of 0 or more", o.minDelta)
	case o.patience > 0 && o.val == 0:
		return cli.Usagef("--patience", "early stopping watches the validation loss; it needs --val above 0")
	}
	return nil
}

// checkStepFlags refuses --lr-step and --lr-gamma unless kind, the
// schedule that whose names, is step.
func (o *options) checkStepFlags(kind optim.ScheduleKind, whose string) error {
	for _, name := range []string{"lr-step", "lr-gamma"} {
		if o.set[name] && kind != optim.ScheduleStep {
			return cli.Usagef("--"+name, "applies to --lr-schedule step only; %s %s", whose, kind)
		}
	}
	return nil
}

// scheduleSpec returns the learning-rate schedule of the flags; cosine
// spans --epochs.
func (o *options) scheduleSpec() optim.Schedule {
	s := optim.Schedule{Kind: o.schedule, Warmup: o.warmup, PerStep: o.lrPerStep}
	switch o.schedule {
	case optim.ScheduleCosine:
		s.Epochs = o.epochs
	case optim.ScheduleStep:
		s.StepEvery, s.Gamma = o.lrStep, o.lrGamma
	}
	return s
}

// augmentation returns what --augment turns on.
func (o *options) augmentation() catdog.Augmentation {
	if !o.augment {
		return catdog.Augmentation{}
	}
	return catdog.DefaultAugmentation()
}

// optimizerSpec returns the optimizer the flags name, with --lr or the
// method's default learning rate.
func (o *options) optimizerSpec() (optim.Optimizer, error) {
	lr := o.lr // set by --lr or the photo recipe; 0: the method's default
	if lr == 0 {
		lr = 0.01
		if o.optimizer == optim.Adam {
			lr = 0.001
		}
	}
	opt, err := optim.New(o.optimizer, lr)
	opt.ClipNorm, opt.WeightDecay = o.clipNorm, o.weightDecay
	return opt, err
}

// defaultCache is the user's cache folder plus "neurone", or "" (no cache)
// when the system names none.
func defaultCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "neurone")
}

// unwrapPath drops the path an os error repeats.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// describeModel shows the settings a checkpoint fixes, in the words of the
// flags.
func (o *options) describeModel() string {
	s := "--model " + o.arch
	if o.arch == catdog.ArchMLP6 {
		s += " --hidden " + cli.FormatInts(o.hidden)
	} else if cfg, err := o.modelConfig(); err == nil {
		s += " --filters " + cli.FormatInts(cfg.CNN.Filters()) + " --hidden " + cli.FormatInts(cfg.CNN.Hidden())
	}
	if o.batchnorm {
		s += " --batchnorm"
	}
	if o.side != catdog.DefaultConfig().Side {
		s += fmt.Sprintf(" --side %d", o.side)
	}
	s += fmt.Sprintf(" --optimizer %s --lr %g --batch %d --seed %d --crop=%t --lr-schedule %s",
		o.optimizer, o.lr, o.batch, o.seed, o.crop, o.schedule)
	if o.clipNorm > 0 {
		s += fmt.Sprintf(" --clip-norm %g", o.clipNorm)
	}
	if o.weightDecay > 0 {
		s += fmt.Sprintf(" --weight-decay %g", o.weightDecay)
	}
	if o.warmup > 0 {
		s += fmt.Sprintf(" --warmup %d", o.warmup)
	}
	if o.lrPerStep {
		s += " --lr-per-step"
	}
	if o.schedule == optim.ScheduleStep {
		s += fmt.Sprintf(" --lr-step %d --lr-gamma %g", o.lrStep, o.lrGamma)
	}
	return s + fmt.Sprintf(" --augment=%t", o.augment)
}
