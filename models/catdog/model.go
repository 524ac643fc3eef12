// Package catdog is the application Neurone grew out of: deciding whether
// a 100×100 grayscale photo shows a cat or a dog (or a colour one:
// Config.Channels).
//
// # Overview
//
// The default model is the 6-layer perceptron of the introduction to deep
// learning: 10000 inputs (one per pixel, 0-255 mapped to [−1, 1]), five ReLU
// layers of 512 neurons, and one sigmoid neuron whose output is read as
// P(cat). It is trained with the binary cross-entropy, computed from the
// last layer's logits. Config.Arch names the architecture (see Archs):
// ArchMLP6, that perceptron, or ArchCNN, a small convolutional network
// (graph.DefaultCNNSpec) that reads the same 10000 values as one
// 100×100 channel; ConfigFor gives each one's defaults. Network builds it
// for a backend; TrainEpoch runs an epoch over a
// dataset.Set, with optional augmentation of the training images
// (Augmentation); Evaluate scores it (Metrics: loss, accuracy, precision,
// recall, F1, ROC AUC, confusion matrix); Save and Load keep it in a
// safetensors checkpoint with the metadata needed to rebuild it.
//
// # Training runs
//
// Run is the whole training run that catdog-train makes, for Go code to
// drive: it builds the network of RunOptions on a backend, trains it
// epoch by epoch at the rate its schedule gives each step (optim.Rate is
// the rate's one owner), measures each epoch on the training and
// validation sets (an EpochRecord), stops early when the validation loss
// stops falling (Patience), writes the history and the best and last
// checkpoints into its folder after every epoch, atomically, and tests
// the best model at the end (Result). It reports as it goes to a
// progress callback (Progress: the start, every step, every epoch). A
// cancelled context stops it between steps; ReadRun and Resume continue
// the run saved in a folder to the weights an unbroken run would reach.
// LockDir keeps two runs out of one folder. Settings are a run's settings
// as catdog-train's flags state them: Validate checks them (a
// SettingError names the setting at fault), LoadData loads and splits
// their images, RunOptions makes the run, and SavedRun.Merge takes a
// resumed run's settings from its checkpoint, refusing those that
// contradict it.
// With RunOptions.Comm (under mpirun), several processes train one
// model together, each on its shard of every batch, as one process
// would (parallel.go).
//
// # Concurrency
//
// A Network is not safe for concurrent use. Run calls its progress
// callback on the goroutine that called Run.
package catdog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/ops"
)

// Config describes the network.
type Config struct {
	Arch string // architecture: ArchMLP6 or ArchCNN (see Archs)
	Side int    // input images are Side×Side
	// Channels is how many planes an image has: dataset.Grayscale (0,
	// what checkpoints older than the field hold, means it) or
	// dataset.RGB. ArchCNN reads them as its input channels, ArchMLP6
	// takes Channels×Side×Side inputs.
	Channels int
	// Hidden (the widths) and Activation are the hidden layers of
	// ArchMLP6; ArchCNN keeps its dense layers in CNN.
	Hidden     []int
	Activation graph.Activation
	// HiddenBatchNorm puts batch normalisation in ArchMLP6's hidden
	// layers (ArchCNN keeps it in its CNN layers).
	HiddenBatchNorm bool
	// CNN is the layers of ArchCNN (nil: DefaultCNNLayers); ArchMLP6 has
	// none.
	CNN *CNNLayers
	// Pixels is how the images' pixels become inputs; "" means
	// dataset.Unit, what checkpoints older than the field were trained
	// with. ConfigFor chooses dataset.Centred.
	Pixels dataset.Encoding
	Crop   bool // centre-crop photos to a square (else stretch)
	// Mirror averages P(cat) of each image and of its mirror image
	// whenever the network scores images (Probabilities, Predict), never
	// in training. A network trained on mirrored images (Augmentation.Flip)
	// should answer the same for both; the average of the two answers
	// is steadier than either. Checkpoints do not store it: it follows
	// their augmentation (Meta.Config).
	Mirror bool
	Seed   uint64 // weight initialisation (and dropout) seed
	// TF32 lets the backend compute matrix products in TensorFloat-32
	// (backend.Spec.AllowTF32; the CPU ignores it). It is a setting of the
	// run, not of the model: checkpoints do not keep it.
	TF32 bool
}

// CNNLayers are the layers of ArchCNN between its 1×Side×Side input and
// its sigmoid output (see graph.CNNSpec): what a checkpoint keeps to
// rebuild it, whatever later builds choose as defaults.
type CNNLayers struct {
	Blocks  []graph.ConvBlock `json:"blocks"`
	Dense   []graph.LayerSpec `json:"dense"` // hidden layers, then the output layer
	Dropout float64           `json:"dropout"`
}

// WithBatchNorm returns the layers with batch normalisation in every
// convolution block.
func (l CNNLayers) WithBatchNorm() *CNNLayers {
	l.Blocks = slices.Clone(l.Blocks)
	for i := range l.Blocks {
		l.Blocks[i].BatchNorm = true
	}
	return &l
}

// Filters returns the filter count of each convolution block.
func (l CNNLayers) Filters() []int {
	f := make([]int, len(l.Blocks))
	for i, b := range l.Blocks {
		f[i] = b.Filters
	}
	return f
}

// Hidden returns the widths of the dense layers before the output layer.
func (l CNNLayers) Hidden() []int {
	h := make([]int, 0, len(l.Dense))
	for _, d := range l.Dense[:max(len(l.Dense)-1, 0)] {
		h = append(h, d.Units)
	}
	return h
}

// Resized returns the layers with a convolution block per filter count in
// filters and a dense hidden layer per width in hidden, each a copy of
// the corresponding layer of l, or of its last one for those beyond l's
// (copies of the first block do not stride; when l has no hidden dense
// layer, new ones are plain ReLU layers); the output layer and the dropout
// are kept. A nil list keeps l's layers of that kind.
func (l CNNLayers) Resized(filters, hidden []int) (*CNNLayers, error) {
	if len(l.Blocks) == 0 || len(l.Dense) == 0 {
		return nil, fmt.Errorf("catdog: no layers to resize (%d blocks, %d dense)", len(l.Blocks), len(l.Dense))
	}
	if slices.ContainsFunc(filters, func(f int) bool { return f <= 0 }) || slices.ContainsFunc(hidden, func(h int) bool { return h <= 0 }) ||
		(filters != nil && len(filters) == 0) {
		return nil, fmt.Errorf("catdog: invalid CNN layers: filters %v, hidden %v", filters, hidden)
	}
	out := CNNLayers{Dropout: l.Dropout, Blocks: slices.Clone(l.Blocks), Dense: slices.Clone(l.Dense)}
	if filters != nil {
		out.Blocks = make([]graph.ConvBlock, len(filters))
		for i, f := range filters {
			src := min(i, len(l.Blocks)-1)
			out.Blocks[i] = l.Blocks[src]
			out.Blocks[i].Filters = f
			if i > 0 && src == 0 {
				out.Blocks[i].Stride = 1 // only the first block strides
			}
		}
	}
	if hidden != nil {
		template := l.Dense[max(len(l.Dense)-2, 0)]
		if len(l.Dense) == 1 {
			template = graph.LayerSpec{Activation: graph.ReLU}
		}
		out.Dense = make([]graph.LayerSpec, 0, len(hidden)+1)
		for i, h := range hidden {
			d := template
			if i < len(l.Dense)-1 {
				d = l.Dense[i]
			}
			d.Units = h
			out.Dense = append(out.Dense, d)
		}
		out.Dense = append(out.Dense, l.Dense[len(l.Dense)-1])
	}
	return &out, nil
}

// ParamCount returns how many parameters c's network has, worked out from
// the layers' shapes alone, without building it (a check for a command
// line asking for more than memory holds), or an error when the
// convolution blocks shrink the images to nothing. A count beyond
// math.MaxInt is math.MaxInt.
func (c Config) ParamCount() (int, error) {
	params, _, err := c.sizes()
	return params, err
}

// sizes returns how many parameters c's network has and how many values
// its layers output for one sample, each saturating at math.MaxInt rather
// than overflowing on absurd layers (a checkpoint's metadata may claim
// any).
func (c Config) sizes() (params, values int, err error) {
	if err := CheckArch(c.Arch); err != nil {
		return 0, 0, err
	}
	dense := func(in int, layers []graph.LayerSpec) {
		for _, l := range layers {
			params = addSat(params, mulSat(in, l.Units))
			if l.BatchNorm {
				params = addSat(params, mulSat(2, l.Units)) // γ and β; no bias
			} else {
				params = addSat(params, l.Units)
			}
			values = addSat(values, l.Units)
			in = l.Units
		}
	}
	if c.Arch == ArchMLP6 {
		dense(c.inputs(), c.MLPSpec(1).Layers)
		return params, values, nil
	}
	l := c.CNNLayers()
	ch, h, w := c.channels(), c.Side, c.Side
	for i, b := range l.Blocks {
		stride := max(b.Stride, 1)
		if h+2*b.Padding < b.Kernel || w+2*b.Padding < b.Kernel {
			return 0, 0, fmt.Errorf("catdog: convolution block %d: %dx%d maps are smaller than its %dx%d kernel", i+1, h, w, b.Kernel, b.Kernel)
		}
		h, w = (h+2*b.Padding-b.Kernel)/stride+1, (w+2*b.Padding-b.Kernel)/stride+1
		params = addSat(params, mulSat(mulSat(b.Kernel, b.Kernel), mulSat(ch, b.Filters)))
		switch {
		case b.BatchNorm:
			params = addSat(params, mulSat(2, b.Filters))
		case !b.NoBias:
			params = addSat(params, b.Filters)
		}
		ch = b.Filters
		values = addSat(values, mulSat(ch, mulSat(h, w)))
		if b.Pool > 0 {
			if h < b.Pool || w < b.Pool {
				return 0, 0, fmt.Errorf("catdog: convolution block %d: %dx%d maps are smaller than its %dx%d pooling", i+1, h, w, b.Pool, b.Pool)
			}
			h, w = (h-b.Pool)/b.Pool+1, (w-b.Pool)/b.Pool+1
		}
	}
	dense(mulSat(ch, mulSat(h, w)), l.Dense)
	return params, values, nil
}

// BatchNorm reports whether c's network has batch normalisation.
func (c Config) BatchNorm() bool { return c.HiddenBatchNorm || c.CNN.BatchNorm() }

// BatchNorm reports whether any block has batch normalisation.
func (l *CNNLayers) BatchNorm() bool {
	return l != nil && slices.ContainsFunc(l.Blocks, func(b graph.ConvBlock) bool { return b.BatchNorm })
}

// DefaultCNNLayers are the layers of graph.DefaultCNNSpec.
func DefaultCNNLayers() *CNNLayers {
	s := graph.DefaultCNNSpec(1, 1, 1)
	return &CNNLayers{Blocks: s.Blocks, Dense: s.Dense, Dropout: s.Dropout}
}

// DefaultConfig is the seed's 6-layer perceptron (ConfigFor(ArchMLP6)).
func DefaultConfig() Config {
	c, _ := ConfigFor(ArchMLP6)
	return c
}

// MLPSpec returns the graph.MLPSpec of ArchMLP6 at a batch size.
func (c Config) MLPSpec(batch int) graph.MLPSpec {
	s := graph.MLPSpec{Inputs: c.inputs(), Batch: batch, Seed: c.Seed}
	for _, h := range c.Hidden {
		s.Layers = append(s.Layers, graph.LayerSpec{Units: h, Activation: c.Activation, BatchNorm: c.HiddenBatchNorm})
	}
	s.Layers = append(s.Layers, graph.LayerSpec{Units: 1, Activation: graph.Sigmoid})
	return s
}

// channels returns c.Channels, dataset.Grayscale for 0.
func (c Config) channels() int { return max(c.Channels, dataset.Grayscale) }

// inputs returns how many values an image gives the network,
// Channels×Side×Side, saturating at math.MaxInt.
func (c Config) inputs() int { return mulSat(c.channels(), mulSat(c.Side, c.Side)) }

// pixels returns c.Pixels, dataset.Unit for "".
func (c Config) pixels() dataset.Encoding { return orUnit(c.Pixels) }

// orUnit returns e, or dataset.Unit for "": the encoding of configurations
// and checkpoints from before it was recorded.
func orUnit(e dataset.Encoding) dataset.Encoding {
	if e == "" {
		return dataset.Unit
	}
	return e
}

// CNNLayers returns c.CNN, or DefaultCNNLayers when it is nil.
func (c Config) CNNLayers() CNNLayers {
	if c.CNN == nil {
		return *DefaultCNNLayers()
	}
	return *c.CNN
}

// CNNSpec returns the graph.CNNSpec of ArchCNN at a batch size: Channels
// channels of Side×Side, the layers of c.CNN.
func (c Config) CNNSpec(batch int) graph.CNNSpec {
	layers := c.CNNLayers()
	return graph.CNNSpec{Channels: c.channels(), Height: c.Side, Width: c.Side, Batch: batch, Seed: c.Seed,
		Blocks: layers.Blocks, Dense: layers.Dense, Dropout: layers.Dropout}
}

// check refuses the configurations NewNetwork cannot build: a layer
// setting of the other architecture is an error, not silently ignored.
func (c Config) check(batch int) error {
	if err := CheckArch(c.Arch); err != nil {
		return err
	}
	if c.Side <= 0 || batch <= 0 {
		return fmt.Errorf("catdog: invalid model: side %d, batch %d", c.Side, batch)
	}
	if ch := c.Channels; ch != 0 && ch != dataset.Grayscale && ch != dataset.RGB {
		return fmt.Errorf("catdog: invalid model: %d channels; want %d (grayscale) or %d (RGB)", c.Channels, dataset.Grayscale, dataset.RGB)
	}
	if err := c.pixels().Check(); err != nil {
		return fmt.Errorf("catdog: invalid model: %w", err)
	}
	switch {
	case c.Arch == ArchMLP6 && slices.ContainsFunc(c.Hidden, func(h int) bool { return h <= 0 }):
		return fmt.Errorf("catdog: invalid model: hidden layers %v", c.Hidden)
	case c.Arch == ArchMLP6 && c.CNN != nil:
		return fmt.Errorf("catdog: the %s architecture has no convolution layers (Config.CNN is set)", c.Arch)
	case c.Arch != ArchMLP6 && c.HiddenBatchNorm:
		return fmt.Errorf("catdog: the %s architecture keeps batch normalisation in its CNN layers, not HiddenBatchNorm", c.Arch)
	case c.Arch != ArchMLP6 && len(c.Hidden) > 0:
		return fmt.Errorf("catdog: the %s architecture has no Hidden layers (got %v); they are the %s's", c.Arch, c.Hidden, ArchMLP6)
	}
	if c.Arch == ArchCNN {
		// The output is read as P(cat): one sigmoid unit, whatever the
		// layers before it (a checkpoint's metadata may claim others).
		dense := c.CNNLayers().Dense
		if len(dense) == 0 || dense[len(dense)-1].Units != 1 || dense[len(dense)-1].Activation != graph.Sigmoid {
			return fmt.Errorf("catdog: invalid model: the %s's last dense layer must be one %s unit (layers %+v)", c.Arch, graph.Sigmoid, dense)
		}
	}
	return nil
}

// Summary describes each layer: its kind, the shape of one sample going
// in and out, its activation (a dropout layer: its rate) and parameter
// count.
func (n *Network) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-9s %-24s %-10s %s\n", "layer", "kind", "shape", "activation", "parameters")
	in := n.Model.Input.Shape()[1:]
	for _, l := range n.Model.Layers {
		out := l.Output.Shape()[1:]
		params := l.ParamCount()
		act := l.Activation.String()
		switch op := l.Output.Op().(type) {
		case ops.DropoutOp:
			act = fmt.Sprintf("rate %g", op.Rate)
		case *ops.DropoutOp:
			act = fmt.Sprintf("rate %g", op.Rate)
		}
		if l.Kind != graph.KindDense && l.Kind != graph.KindConv2D && l.Kind != graph.KindDropout && l.Kind != graph.KindBatchNorm {
			act = "-"
		}
		fmt.Fprintf(&b, "%-8s %-9s %-24s %-10s %d\n", l.Name, l.Kind, shapeText(in)+" -> "+shapeText(out), act, params)
		in = out
	}
	fmt.Fprintf(&b, "total parameters: %d", n.Model.ParamCount())
	return b.String()
}

// shapeText writes the shape of one sample as 8x50x50.
func shapeText(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "x")
}

// Network is the network of a Config compiled on a backend at a fixed batch size.
type Network struct {
	Config  Config
	Model   *graph.Model
	Program backend.Program
	// Batch is the number of images of a training step: in a
	// data-parallel run (Run with RunOptions.Comm), over all its ranks,
	// each of whose Program takes its shard of Batch/ranks images.
	Batch int
	// Augment transforms the training images of TrainEpoch (the zero
	// value: none).
	Augment Augmentation
	// Rate owns the learning rate: TrainEpoch asks it for the rate of
	// each step and sets that on Program, and nothing else should set
	// it. NewNetwork makes it the optimizer's rate throughout; give it a
	// schedule before training to follow one.
	Rate optim.Rate

	x, y  []float32 // one batch of inputs and targets
	spare *batchBuf // TrainEpoch's second batch (prefetch.go), made on first use
	probs []float32 // one batch of outputs
	// mirrored is one batch of outputs for the mirror images
	// (Config.Mirror), made on first use.
	mirrored []float32

	// rows is the batch Program takes: Batch, or this rank's shard of it
	// over comm's ranks (parallel.go).
	rows int
	comm comm.Communicator
}

// NewNetwork builds the network of cfg and compiles it on b.
func NewNetwork(cfg Config, batch int, b backend.Backend, opt optim.Optimizer) (*Network, error) {
	return newNetwork(cfg, batch, b, opt, nil)
}

// newNetwork is NewNetwork of a network trained over c's ranks (nil:
// alone), batch images a step in all.
func newNetwork(cfg Config, batch int, b backend.Backend, opt optim.Optimizer, c comm.Communicator) (*Network, error) {
	if err := cfg.check(batch); err != nil {
		return nil, err
	}
	rows, err := shardRows(batch, c)
	if err != nil {
		return nil, err
	}
	m, err := cfg.buildModel(rows)
	if err != nil {
		return nil, err
	}
	obj, err := graph.BinaryClassification(m)
	if err != nil {
		return nil, err
	}
	spec := backend.TrainSpec(m, obj, opt)
	spec.AllowTF32, spec.Comm = cfg.TF32, c
	prog, err := b.Compile(spec)
	if err != nil {
		return nil, fmt.Errorf("catdog: compiling on %s: %w", b.Name(), err)
	}
	n := cfg.inputs()
	return &Network{
		Config: cfg, Model: m, Program: prog, Batch: batch, Rate: optim.NewRate(opt, optim.Schedule{}),
		x: make([]float32, rows*n), y: make([]float32, rows), probs: make([]float32, rows), rows: rows, comm: c,
	}, nil
}

// Close releases the compiled program.
func (n *Network) Close() error { return n.Program.Close() }

// TrainBatch runs one training step on the images of set at idx (exactly
// Batch of them) and returns the loss.
func (n *Network) TrainBatch(set *dataset.Set, idx []int) (float32, error) {
	if len(idx) != n.Batch {
		return 0, fmt.Errorf("catdog: training batch of %d images, the network takes %d", len(idx), n.Batch)
	}
	lo := n.rank() * n.rows
	set.Fill(n.Config.Pixels, n.x, n.y, idx[lo:lo+n.rows])
	return n.Program.Train(n.x, n.y)
}

// Evaluate computes the metrics of the network on all of set (see Score).
func (n *Network) Evaluate(set *dataset.Set) (Metrics, error) {
	probs, err := n.Probabilities(set)
	if err != nil {
		return Metrics{}, err
	}
	return Score(probs, set.Labels), nil
}

// Probabilities returns P(cat) for every image of set. It runs the forward
// pass only; the last partial batch is padded, and the padding ignored.
// In a data-parallel run every rank computes its share of the images and
// receives the others' (gatherProbabilities): the call is collective, and
// returns the same on every rank.
func (n *Network) Probabilities(set *dataset.Set) ([]float32, error) {
	probs := make([]float32, set.Len())
	lo, hi := evalShare(set.Len(), n.comm)
	idx := make([]int, n.rows)
	for start := lo; start < hi; start += n.rows {
		real := min(n.rows, hi-start)
		for i := range idx {
			idx[i] = start + min(i, real-1)
		}
		set.Fill(n.Config.Pixels, n.x, nil, idx)
		if err := n.score(); err != nil {
			return nil, err
		}
		copy(probs[start:start+real], n.probs[:real])
	}
	if err := gatherProbabilities(probs, n.comm); err != nil {
		return nil, err
	}
	return probs, nil
}

// score runs the forward pass on the batch in n.x and leaves P(cat) of
// each row in n.probs: with Config.Mirror, the mean of the answers for
// the images and for their mirror images (n.x is left mirrored).
func (n *Network) score() error {
	if err := n.Program.Predict([][]float32{n.probs}, n.x, nil); err != nil {
		return err
	}
	if !n.Config.Mirror {
		return nil
	}
	if n.mirrored == nil {
		n.mirrored = make([]float32, len(n.probs))
	}
	mirrorRows(n.x, n.Config.Side)
	if err := n.Program.Predict([][]float32{n.mirrored}, n.x, nil); err != nil {
		return err
	}
	for i, p := range n.mirrored {
		n.probs[i] = (n.probs[i] + p) / 2
	}
	return nil
}

// mirrorRows reverses every run of side values of x in place: the mirror
// image, left to right, of each plane of each image of a batch.
func mirrorRows(x []float32, side int) {
	for lo := 0; lo+side <= len(x); lo += side {
		slices.Reverse(x[lo : lo+side])
	}
}

// Predict returns P(cat) for each image (Channels planes of Side×Side
// bytes, as dataset.Decode gives them), on this rank alone in a
// data-parallel run.
func (n *Network) Predict(images [][]uint8) ([]float32, error) {
	size := n.Config.inputs()
	out := make([]float32, 0, len(images))
	for start := 0; start < len(images); start += n.rows {
		real := min(n.rows, len(images)-start)
		for r := 0; r < n.rows; r++ {
			img := images[start+min(r, real-1)]
			if len(img) != size {
				return nil, fmt.Errorf("catdog: image %d has %d values, want %d (%d channels of %dx%d)",
					start+r, len(img), size, n.Config.channels(), n.Config.Side, n.Config.Side)
			}
			n.Config.Pixels.Encode(n.x[r*size:(r+1)*size], img)
		}
		if err := n.score(); err != nil {
			return nil, err
		}
		out = append(out, n.probs[:real]...)
	}
	return out, nil
}
