package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/neurone-dl/neurone/cmd/internal/cli"
	"github.com/neurone-dl/neurone/graph"
)

// options are the checked command-line settings.
type options struct {
	data      string // photo folder; "" means the built-in synthetic set
	synthetic int    // size of the synthetic set
	test      string // separate test folder; "" holds out testSplit
	testSplit float64
	val       float64
	crop      bool
	cache     string
	workers   int

	hidden    []int
	optimizer string
	lr        float64
	epochs    int
	batch     int
	seed      uint64

	device string
	out    string
	resume bool

	args []string // the command line, for the hint on how to resume
	set  map[string]bool
}

const synopsis = `catdog-train trains the cat/dog perceptron and writes its checkpoints.

Usage:
  catdog-train [flags]                   train on the built-in synthetic set
  catdog-train --data DIR [flags]        train on photos in DIR/cat and DIR/dog
                                         (or cat.N.jpg / dog.N.jpg files)
  catdog-train --out DIR --resume        continue an interrupted run
`

// usageGroups orders the flags in the help text.
var usageGroups = []cli.FlagGroup{
	{Title: "Data", Flags: []string{"data", "synthetic", "test", "test-split", "val", "crop", "cache", "workers"}},
	{Title: "Model and training", Flags: []string{"hidden", "optimizer", "lr", "epochs", "batch", "seed"}},
	{Title: "Device and output", Flags: []string{"device", "out", "resume"}},
}

// parseFlags reads args into options. The error is a cli.UsageError for a
// bad command line, or flag.ErrHelp after -h has printed the usage to
// helpOut.
func parseFlags(args []string, helpOut io.Writer) (*options, error) {
	o := &options{args: args}
	var hidden string
	var seed uint64
	fs := flag.NewFlagSet("catdog-train", flag.ContinueOnError)
	// Parse errors and -h are reported by run, in the command's own words.
	fs.SetOutput(io.Discard)

	fs.StringVar(&o.data, "data", "", "photo folder: `DIR`/cat and DIR/dog (any letter case, any depth) or flat\ncat.N.jpg and dog.N.jpg files; absent: the built-in synthetic set")
	fs.IntVar(&o.synthetic, "synthetic", 6000, "`N` images in the built-in synthetic set, used without --data")
	fs.StringVar(&o.test, "test", "", "separate test photo folder `DIR`, laid out like --data;\nabsent: a --test-split hold-out of the data")
	fs.Float64Var(&o.testSplit, "test-split", 0.1, "`fraction` of each class held out as the test set, used neither\nin training nor in model selection")
	fs.Float64Var(&o.val, "val", 0.2, "`fraction` of each class of the rest held out for validation,\nwhich picks best.safetensors; 0 disables it")
	fs.BoolVar(&o.crop, "crop", false, "centre-crop photos to a square before resizing to 100x100,\ninstead of stretching them")
	fs.StringVar(&o.cache, "cache", defaultCache(), "decoded-image cache folder `DIR`, so later runs skip decoding;\n\"\" disables it")
	fs.IntVar(&o.workers, "workers", 0, "`N` image-decoding goroutines; 0 means one per CPU")

	fs.StringVar(&hidden, "hidden", "512,512,512,512,512", "comma-separated `widths` of the hidden ReLU layers; one sigmoid\nneuron, read as P(cat), follows them")
	fs.StringVar(&o.optimizer, "optimizer", graph.Adam, "`method`: sgd, momentum (mu 0.9) or adam")
	fs.Float64Var(&o.lr, "lr", 0, "learning `rate`; 0 means the optimizer's default:\n0.001 for adam, 0.01 for sgd and momentum")
	fs.IntVar(&o.epochs, "epochs", 10, "train until `N` epochs are done, counting those before a --resume")
	fs.IntVar(&o.batch, "batch", 64, "`N` images per training step")
	fs.Uint64Var(&seed, "seed", 1, "`seed` of the weights, the data split, the batch order\nand the synthetic set")

	fs.StringVar(&o.device, "device", "auto", "`device` to train on: auto (CUDA when built in and present, else\nthe CPU), cpu, cuda or cuda:N")
	fs.StringVar(&o.out, "out", "out", "output folder `DIR`: last.safetensors, best.safetensors,\nhistory.jsonl, summary.json")
	fs.BoolVar(&o.resume, "resume", false, "continue the run in --out from its last.safetensors, up to --epochs")

	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			cli.PrintUsage(helpOut, fs, synopsis, usageGroups)
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
	if o.hidden, err = cli.ParseInts("--hidden", hidden); err != nil {
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
	if o.set["lr"] && (!(o.lr > 0) || math.IsInf(o.lr, 0)) {
		return cli.Usagef("--lr", "%v is not a positive learning rate", o.lr)
	}
	if _, err := o.optimizerSpec(); err != nil {
		return cli.Usagef("--optimizer", "%q is not an optimizer (want sgd, momentum or adam)", o.optimizer)
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

// optimizerSpec returns the optimizer the flags name, with --lr or the
// method's default learning rate.
func (o *options) optimizerSpec() (graph.Optimizer, error) {
	lr := o.lr
	if !o.set["lr"] {
		lr = 0.01
		if o.optimizer == graph.Adam {
			lr = 0.001
		}
	}
	return graph.NewOptimizer(o.optimizer, lr)
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
func describeModel(hidden []int, opt graph.Optimizer, batch int, seed uint64, crop bool) string {
	return fmt.Sprintf("--hidden %s --optimizer %s --lr %g --batch %d --seed %d --crop=%t",
		cli.FormatInts(hidden), opt.Method, opt.LearningRate, batch, seed, crop)
}
