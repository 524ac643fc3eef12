package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/neurone-dl/neurone/cmd/internal/cli"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// options are the checked command-line settings: the run's, and the
// command's own.
type options struct {
	catdog.Settings
	cache   string
	workers int
	device  string
	out     string
	plots   bool

	args []string // the command line, for the hint on how to resume
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
	{Title: "Data", Flags: []string{"data", "synthetic", "test", "test-split", "val", "crop", "side", "colour", "pixels", "cache", "workers"}},
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
	var hidden, filters, optimizer, schedule, pixels string
	fs := flag.NewFlagSet("catdog-train", flag.ContinueOnError)
	// Parse errors and -h are reported by run, in the command's own words.
	fs.SetOutput(io.Discard)

	fs.StringVar(&o.Data, "data", "", "photo folder: `DIR`/cat and DIR/dog (any letter case, any depth) or flat\ncat.N.jpg and dog.N.jpg files; absent: the built-in synthetic set")
	fs.IntVar(&o.Synthetic, "synthetic", 6000, "`N` images in the built-in synthetic set, used without --data")
	fs.StringVar(&o.Test, "test", "", "separate test photo folder `DIR`, laid out like --data;\nabsent: a --test-split hold-out of the data")
	fs.Float64Var(&o.TestSplit, "test-split", 0.1, "`fraction` of each class held out as the test set, used neither\nin training nor in model selection")
	fs.Float64Var(&o.Val, "val", 0.2, "`fraction` of each class of the rest held out for validation, whose\nloss picks best.safetensors and drives --patience; 0 disables it")
	fs.BoolVar(&o.Crop, "crop", false, "centre-crop photos to a square before resizing to --side,\ninstead of stretching them")
	fs.IntVar(&o.Side, "side", catdog.DefaultConfig().Side, "resize images to `N`xN pixels for the model; the checkpoint\nrecords it, and catdog-predict resizes the same")
	fs.BoolVar(&o.Colour, "colour", false, "decode photos as RGB, 3 input channels instead of grayscale; the\ncheckpoint records it, and catdog-predict decodes the same. The\nsynthetic set's gray images become 3 equal channels")
	fs.StringVar(&pixels, "pixels", string(dataset.Centred), "how pixels become inputs: `encoding` centred (p/127.5-1), unit (p/255)\nor standardised (each image to mean 0 and deviation 1, so that its\nbrightness and contrast are left out); the checkpoint records it,\nand catdog-predict encodes the same")
	fs.StringVar(&o.cache, "cache", defaultCache(), "decoded-image cache folder `DIR`, so later runs skip decoding;\n\"\" disables it")
	fs.IntVar(&o.workers, "workers", 0, "`N` image-decoding goroutines; 0 means one per CPU")

	fs.StringVar(&o.Arch, "model", catdog.ArchMLP6, "architecture `name`, one of: "+strings.Join(catdog.Archs(), ", ")+"\n"+
		"mlp6: the perceptron of --hidden over the 10000 pixels\n"+
		"cnn: 3x3 convolution blocks of --filters (ReLU, 2x2 max pooling; the\n"+
		"first strides 2), dense ReLU layers of --hidden, dropout 0.5 and the\n"+
		"sigmoid neuron; about 80k parameters by default")
	fs.StringVar(&hidden, "hidden", "", "comma-separated `widths` of the hidden ReLU layers, which one\nsigmoid neuron, read as P(cat), follows: the perceptron's with\n--model mlp6 (default 512,512,512,512,512), the dense layers after\nthe convolutions with --model cnn (default 64)")
	fs.StringVar(&filters, "filters", "", "comma-separated filter `counts` of --model cnn's convolution blocks,\none block each (default 8,16,32); each block halves the image side, so\n--side 100 allows at most 5.\nRefused with --model mlp6")
	fs.BoolVar(&o.BatchNorm, "batchnorm", false, "batch normalisation in each hidden layer of --model mlp6, or each\nconvolution block of --model cnn, before its ReLU: steadier training;\nthe running statistics it keeps go into the checkpoints")
	fs.StringVar(&optimizer, "optimizer", optim.Adam.String(), "`method`: sgd, momentum (mu 0.9) or adam")
	fs.Float64Var(&o.LR, "lr", 0, "learning `rate`; 0 means the optimizer's default:\n0.001 for adam, 0.01 for sgd and momentum")
	fs.Float64Var(&o.ClipNorm, "clip-norm", 0, "clip the gradients to this global L2 `norm` before each update\n(as PyTorch's clip_grad_norm_); 0: no clipping")
	fs.Float64Var(&o.WeightDecay, "weight-decay", 0, "weight `decay` of the optimizer (decoupled from the gradient for adam,\nas AdamW); 0: none")
	fs.IntVar(&o.Epochs, "epochs", 10, "train until `N` epochs are done, counting those before a --resume;\n--resume without it goes on to the run's own N")
	fs.IntVar(&o.Batch, "batch", 64, "`N` images per training step")
	fs.Uint64Var(&o.Seed, "seed", 1, "`seed` of the weights, the data split, the batch order\nand the synthetic set")

	fs.StringVar(&schedule, "lr-schedule", optim.ScheduleNone.String(), "learning-rate `schedule`, set at the start of each epoch: none (the --lr\nthroughout), cosine (from --lr down towards 0 over --epochs) or step\n(--lr times --lr-gamma every --lr-step epochs)")
	fs.IntVar(&o.Warmup, "warmup", 0, "`N` epochs of linear warm-up (--lr*e/(N+1) in epoch e) before the schedule")
	fs.BoolVar(&o.LRPerStep, "lr-per-step", false, "set the rate at every training step, along the schedule's curve\n(a smooth warm-up and cosine), instead of once per epoch")
	fs.IntVar(&o.LRStep, "lr-step", 10, "`N` epochs between decays of --lr-schedule step")
	fs.Float64Var(&o.LRGamma, "lr-gamma", 0.1, "`factor` in (0, 1] of each decay of --lr-schedule step")
	fs.IntVar(&o.Patience, "patience", 0, "stop early after `N` epochs without a validation loss better than the\nbest by more than --min-delta, and test the best model; 0: never stop early")
	fs.Float64Var(&o.MinDelta, "min-delta", 0, "smallest fall of the validation `loss` that counts as better for --patience")

	fs.BoolVar(&o.Augment, "augment", false, "transform each training image at random, anew every epoch:\n"+catdog.DefaultAugmentation().String()+";\n"+
		"validation and test images are left as they are. Off by default: it is meant\nagainst overfitting photos over many epochs; the built-in synthetic set\nreaches the same accuracy without it")

	fs.StringVar(&o.device, "device", "auto", "`device` to train on: auto (CUDA when built in and present, else\nthe CPU), cpu, cuda, cuda:N, or cuda-emu (the CUDA program emulated\non the host, to check it without a GPU; slow)")
	fs.BoolVar(&o.TF32, "tf32", false, "let CUDA compute matrix products in TensorFloat-32 on tensor cores\n(inputs rounded to 10-bit mantissas, about 5e-4 relative each; float32\nsums); the CPU ignores it. Recorded in summary.json")
	fs.StringVar(&o.out, "out", "out", "output folder `DIR`: last.safetensors, best.safetensors,\nhistory.jsonl, summary.json and the plots")
	fs.BoolVar(&o.Resume, "resume", false, "continue the run in --out from its last.safetensors, with the model,\noptimizer, data settings and --epochs it records")
	fs.BoolVar(&o.plots, "plots", true, "draw loss.png, accuracy.png and roc.png in --out at the end")

	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			cli.PrintUsage(helpOut, fs, synopsis+catdog.PhotoRecipesUsage(), usageGroups)
			return nil, err
		}
		return nil, &cli.UsageError{Msg: err.Error()}
	}
	o.Given = cli.SetFlags(fs)
	if fs.NArg() > 0 {
		return nil, cli.Usagef("", "unexpected argument %q (photos are passed with --data DIR)", fs.Arg(0))
	}
	var err error
	if o.Optimizer, err = optim.ParseMethod(optimizer); err != nil {
		return nil, cli.Usagef("--optimizer", "%q is not an optimizer (want sgd, momentum or adam)", optimizer)
	}
	if o.Pixels = dataset.Encoding(pixels); o.Pixels.Check() != nil {
		return nil, cli.Usagef("--pixels", "%q is not a pixel encoding (want centred, unit or standardised)", pixels)
	}
	if o.Schedule, err = optim.ParseScheduleKind(schedule); err != nil {
		return nil, cli.Usagef("--lr-schedule", "%q is not a schedule (want none, cosine or step)", schedule)
	}
	if o.Given["hidden"] {
		if o.Hidden, err = cli.ParseInts("--hidden", hidden); err != nil {
			return nil, err
		}
	}
	if o.Given["filters"] {
		if o.Filters, err = cli.ParseInts("--filters", filters); err != nil {
			return nil, err
		}
	}
	// With --data, the photo recipe for the flags left out: the CPU's
	// here, to check them; trainer.run applies the GPU's if it opens one.
	o.ApplyPhotoRecipe(false)
	return o, usage(o.check())
}

// check validates the values that parsing alone does not: the run's
// settings (catdog.Settings.Validate), then the command's.
func (o *options) check() error {
	if err := o.Validate(); err != nil {
		return err
	}
	switch {
	case o.workers < 0:
		return cli.Usagef("--workers", "%d is negative", o.workers)
	case o.out == "":
		return cli.Usagef("--out", "an output folder is needed")
	}
	if err := cli.CheckDevice(o.device); err != nil {
		return err
	}
	for _, f := range []struct{ name, dir string }{{"--data", o.Data}, {"--test", o.Test}} {
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

// usage speaks of catdog's settings as flags: a catdog.SettingError
// becomes the cli.UsageError of its flags, and a catdog.DataError names
// its flag.
func usage(err error) error {
	var se *catdog.SettingError
	var de *catdog.DataError
	switch {
	case errors.As(err, &se):
		return &cli.UsageError{Flag: "--" + strings.Join(se.Names, ", --"), Msg: se.Msg}
	case errors.As(err, &de):
		return fmt.Errorf("--%s: %w", de.Name, de.Err)
	}
	return err
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
