// Command catdog-predict classifies photos as cat or dog with a model that
// catdog-train wrote.
//
// Usage:
//
//	catdog-predict --model DIR_OR_FILE [--device auto] [--tf32] [--json] image.jpg more.png folder/ ...
//
// --model is a checkpoint file, or a training output folder, where
// best.safetensors is preferred over last.safetensors. The network is
// rebuilt from the checkpoint's metadata, its architecture included (mlp6
// or cnn; checkpoints older than that field hold the mlp6 perceptron), and each
// image is preprocessed exactly as in training (a JPEG turned upright by
// its EXIF orientation, grayscale, resized to the model's side, stretched
// or centre-cropped as the model was trained). Folders are searched, at any
// depth, for .jpg, .jpeg, .png, .gif, .bmp and .webp files.
//
// For each image it prints the predicted class, the probability of that
// class, and the path:
//
//	cat   93.1%  photos/tabby.jpg
//	dog   71.4%  photos/rex.png
//
// With --json it prints one JSON object per image instead, such as
// {"path":"photos/tabby.jpg","label":"cat","p_cat":0.931}; an image that
// cannot be read gives {"path":"...","error":"..."}.
//
// A file that cannot be classified (missing, corrupt, not an image) is
// reported on stderr, naming it, and the others are still classified.
// Exit status: 0 when every image was classified, 1 when any could not be
// (or the model could not be loaded), 2 for a bad command line.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/neurone-dl/neurone/cmd/internal/cli"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// batchSize is how many images go through the network at a time.
const batchSize = 32

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const synopsis = `catdog-predict classifies photos as cat or dog.

Usage:
  catdog-predict --model DIR_OR_FILE [flags] image.jpg more.png folder/ ...
`

type options struct {
	model  string
	device string
	tf32   bool
	json   bool
	paths  []string
}

// parseFlags reads args; flags may come before, between or after the
// paths, and "--" ends the flags.
func parseFlags(args []string, helpOut io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("catdog-predict", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.model, "model", "", "checkpoint `file`, or a training output folder (best.safetensors is\npreferred over last.safetensors)")
	fs.StringVar(&o.device, "device", "auto", "`device` to run on: auto (CUDA when built in and present, else\nthe CPU), cpu, cuda, cuda:N, or cuda-emu (the CUDA program emulated\non the host, to check it without a GPU; slow)")
	fs.BoolVar(&o.tf32, "tf32", false, "let CUDA compute matrix products in TensorFloat-32 on tensor cores\n(inputs rounded to 10-bit mantissas; float32 sums); the CPU ignores it")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per image: {\"path\", \"label\", \"p_cat\", \"error\"}")
	groups := []cli.FlagGroup{{Title: "Flags", Flags: []string{"model", "device", "tf32", "json"}}}

	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				cli.PrintUsage(helpOut, fs, synopsis, groups)
				return nil, err
			}
			return nil, &cli.UsageError{Msg: err.Error()}
		}
		consumed := len(rest) - fs.NArg()
		rest = fs.Args()
		if consumed > 0 && args[len(args)-len(rest)-1] == "--" {
			o.paths = append(o.paths, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		o.paths = append(o.paths, rest[0])
		rest = rest[1:]
	}
	switch {
	case o.model == "":
		return nil, cli.Usagef("--model", "a model is needed: a .safetensors file or the --out folder of catdog-train")
	case len(o.paths) == 0:
		return nil, cli.Usagef("", "no images given: pass image files or folders after the flags")
	}
	return o, cli.CheckDevice(o.device)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return cli.ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "catdog-predict: %v\nrun catdog-predict -h for the flags\n", err)
		return cli.ExitUsage
	}
	net, closeNet, err := loadModel(o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "catdog-predict: %v\n", err)
		return cli.ExitFailure
	}
	defer closeNet()

	p := &printer{o: o, stdout: stdout, stderr: stderr}
	q := &queue{net: net, p: p}
	opt := dataset.Options{Side: net.Config.Side, Crop: net.Config.Crop, Channels: net.Config.Channels}
	for _, arg := range o.paths {
		paths, err := expand(arg)
		for _, f := range failures(arg, err) {
			q.add(f.path, nil, f.err)
		}
		for _, path := range paths {
			if err := ctx.Err(); err != nil {
				fmt.Fprintln(stderr, "catdog-predict: interrupted")
				return cli.ExitInterrupted
			}
			if q.err != nil {
				break
			}
			pix, err := dataset.LoadImage(path, opt)
			if err != nil {
				// LoadImage names the file; the printer names it once.
				if cause := errors.Unwrap(err); cause != nil {
					err = cause
				}
			}
			q.add(path, pix, err)
		}
	}
	q.flush()
	if q.err != nil {
		fmt.Fprintf(stderr, "catdog-predict: %v\n", q.err)
		return cli.ExitFailure
	}
	if p.failed > 0 {
		fmt.Fprintf(stderr, "catdog-predict: %d classified, %d failed\n", p.done, p.failed)
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// loadModel opens the device and rebuilds the network of the checkpoint
// that --model names, with its trained weights.
func loadModel(o *options, info io.Writer) (*catdog.Network, func(), error) {
	path, err := checkpoint.Find(o.model)
	if err != nil {
		return nil, nil, fmt.Errorf("--model: %w", err)
	}
	meta, ts, err := catdog.ReadMeta(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--model: %w", err)
	}
	dev, err := cli.OpenDevice(o.device, info)
	if err != nil {
		return nil, nil, err
	}
	cfg := meta.Config()
	cfg.TF32 = o.tf32
	cli.TuneBLAS(dev, cfg.Arch == catdog.ArchCNN, info)
	// The optimizer is never run; the network needs one to compile.
	net, err := catdog.NewNetwork(cfg, batchSize, dev, optim.NewSGD(0.01))
	if err != nil {
		dev.Close()
		return nil, nil, err
	}
	closeAll := func() {
		net.Close()
		dev.Close()
	}
	if err := net.Load(meta, ts, false); err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("--model: %s: %w", path, err)
	}
	resize := "stretched"
	if meta.Crop {
		resize = "centre-cropped"
	}
	layers := fmt.Sprintf("%d parameters", net.Model.ParamCount())
	if meta.Arch == catdog.ArchMLP6 {
		layers = "hidden " + cli.FormatInts(meta.Hidden) + ", " + layers
	} else {
		l := cfg.CNNLayers()
		hidden := "no hidden layers"
		if h := l.Hidden(); len(h) > 0 {
			hidden = "hidden " + cli.FormatInts(h)
		}
		layers = "filters " + cli.FormatInts(l.Filters()) + ", " + hidden + ", " + layers
	}
	colour := "grayscale"
	if cfg.Channels == dataset.RGB {
		colour = "colour"
	}
	fmt.Fprintf(info, "model: %s (%s, %s, epoch %d, validation accuracy %.1f%%, %s images %s to %dx%d, pixels %s)\n",
		path, meta.Arch, layers, meta.Epoch, 100*meta.ValAccuracy, colour, resize, meta.Side, meta.Side, cfg.Pixels)
	return net, closeAll, nil
}

// printer writes results as text or JSON and counts them.
type printer struct {
	o              *options
	stdout, stderr io.Writer
	done, failed   int
}

// jsonResult is one line of --json output.
type jsonResult struct {
	Path  string   `json:"path"`
	Label string   `json:"label,omitempty"`
	PCat  *float32 `json:"p_cat,omitempty"` // float32 keeps the digits that mean something
	Error string   `json:"error,omitempty"`
}

// expand turns a command-line path into the image files it stands for.
func expand(arg string) ([]string, error) {
	info, err := os.Stat(arg)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, err
	}
	if !info.IsDir() {
		return []string{arg}, nil
	}
	return dataset.ListImages(arg)
}

// failures splits the error of expanding arg into one item per entry it
// names: ListImages joins an error for each entry of a folder it cannot
// read (a link to nowhere, a loop of links), and each is reported under
// its own path, once.
func failures(arg string, err error) []item {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	out := make([]item, 0, len(errs))
	for _, e := range errs {
		it := item{path: arg, err: e}
		var pe *fs.PathError
		if errors.As(e, &pe) {
			it = item{path: pe.Path, err: pe.Err}
		}
		out = append(out, it)
	}
	return out
}

// queue collects images until a batch is full, then classifies them and
// prints every result, failures included, in the order they were added.
type queue struct {
	net    *catdog.Network
	p      *printer
	items  []item
	images [][]uint8
	err    error // the first error of the network; nothing is printed after it
}

// item is an image to classify, or a file that could not be read.
type item struct {
	path string
	err  error
}

func (q *queue) add(path string, pix []uint8, err error) {
	q.items = append(q.items, item{path, err})
	if err == nil {
		q.images = append(q.images, pix)
	}
	if len(q.images) == q.net.Batch {
		q.flush()
	}
}

func (q *queue) flush() {
	if q.err != nil {
		return
	}
	var probs []float32
	if len(q.images) > 0 {
		if probs, q.err = q.net.Predict(q.images); q.err != nil {
			return
		}
	}
	for _, it := range q.items {
		if it.err != nil {
			q.p.failure(it.path, it.err)
			continue
		}
		q.p.result(it.path, probs[0])
		probs = probs[1:]
	}
	q.items, q.images = q.items[:0], q.images[:0]
}

func (p *printer) result(path string, pCat float32) {
	p.done++
	label, prob := dataset.ClassNames[dataset.Dog], 1-float64(pCat)
	if pCat > 0.5 { // as catdog.Network.Evaluate reads the output
		label, prob = dataset.ClassNames[dataset.Cat], float64(pCat)
	}
	if p.o.json {
		p.writeJSON(jsonResult{Path: path, Label: label, PCat: &pCat})
		return
	}
	fmt.Fprintf(p.stdout, "%-3s  %5.1f%%  %s\n", label, 100*prob, path)
}

func (p *printer) failure(path string, err error) {
	p.failed++
	if p.o.json {
		p.writeJSON(jsonResult{Path: path, Error: err.Error()})
		return
	}
	fmt.Fprintf(p.stderr, "catdog-predict: %s: %v\n", path, err)
}

func (p *printer) writeJSON(r jsonResult) {
	enc := json.NewEncoder(p.stdout)
	enc.SetEscapeHTML(false)
	enc.Encode(r)
}
