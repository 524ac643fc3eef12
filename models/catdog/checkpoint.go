package catdog

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// FormatVersion is the newest version of the checkpoint written by Save.
// Format 4 is a colour model's (Meta.Channels 3), which builds that read
// format 3 would load with the wrong input; Save writes every other model
// as format 3, which they read rightly. Format 3 records how pixels become
// inputs (Meta.Pixels), which formats 1 and 2 did not: they were all
// trained on dataset.Unit. Format 2 stores dense weights out×in
// (graph.Dense), format 1 stored them in×out. ReadMeta reads them all,
// turning formats 1 and 2 into format 3.
const FormatVersion = 4

// grayFormat is the format of the checkpoints of grayscale models.
const grayFormat = 3

// Meta is the metadata stored with a checkpoint: enough to rebuild the
// model, preprocess images as in training, and resume training.
type Meta struct {
	Format int `json:"format"`
	// Arch is the architecture (Config.Arch); checkpoints written before
	// the field existed leave it out, and hold ArchMLP6.
	Arch string `json:"arch,omitempty"`
	// Model is "mlp" for ArchMLP6, written for builds older than Arch,
	// which check it (and so refuse the other architectures, whose name
	// it holds); this build reads Arch instead.
	Model string `json:"model"`
	Side  int    `json:"side"`
	// Channels is Config.Channels: 3 for colour images. It is left out for
	// grayscale ones, as in the checkpoints older than the field, so that
	// builds that predate colour read those as before.
	Channels int  `json:"channels,omitempty"`
	Crop     bool `json:"crop"`
	// Hidden and Activation are the hidden layers of ArchMLP6, CNN the
	// layers of ArchCNN (absent for ArchMLP6).
	Hidden     []int            `json:"hidden"`
	Activation graph.Activation `json:"activation"` // "" for ArchCNN
	// HiddenBatchNorm is Config.HiddenBatchNorm (ArchMLP6).
	HiddenBatchNorm bool       `json:"hidden_batchnorm,omitempty"`
	CNN             *CNNLayers `json:"cnn,omitempty"`
	// Pixels is how the images' pixels became inputs (Config.Pixels).
	Pixels  dataset.Encoding `json:"pixels"`
	Output  string           `json:"output"`  // "sigmoid: P(cat)"
	Classes [2]string        `json:"classes"` // label 0 and 1
	Seed    uint64           `json:"seed"`
	Batch   int              `json:"batch"` // over all the processes of a data-parallel run
	// Ranks is the number of processes that trained the run (mpirun
	// -np), which a Resume must match; 0 (left out) for one.
	Ranks int `json:"ranks,omitempty"`
	Epoch int `json:"epoch"`
	// Epochs is how many epochs the run is to train in all (catdog-train's
	// --epochs), so that a resumed run goes on to the same end; 0 in
	// checkpoints older than the field.
	Epochs    int             `json:"epochs,omitempty"`
	Optimizer optim.Optimizer `json:"optimizer"` // with the base learning rate
	OptStep   int             `json:"optimizer_step"`
	// Schedule turns the optimizer's base rate into each epoch's; absent
	// in older checkpoints, which used the base rate throughout.
	Schedule     optim.Schedule `json:"lr_schedule"`
	LearningRate float64        `json:"learning_rate"` // the rate of Epoch
	// Augment is the augmentation the training images had (Network.Augment).
	Augment Augmentation `json:"augment"`
	// Data are the settings that chose the images and split them;
	// absent (nil) in checkpoints older than the field.
	Data        *DataSettings `json:"data,omitempty"`
	ValAccuracy float64       `json:"val_accuracy"`
	ValLoss     float64       `json:"val_loss"`
	Device      string        `json:"device"`
}

// DataSettings are the settings of a training run that decide which
// images it trains, validates and tests on, besides Meta's Side, Crop and
// Seed (the split's seed): a run resumed with other ones would go on with
// other images. The fields are catdog-train's data flags.
type DataSettings struct {
	Dir       string  `json:"dir"`        // the photo folder, absolute and cleaned; "" for the synthetic set
	Synthetic int     `json:"synthetic"`  // the synthetic set's size when Dir is ""; 0 otherwise
	Test      string  `json:"test"`       // the separate test folder, absolute and cleaned; "" for a TestSplit hold-out
	TestSplit float64 `json:"test_split"` // the fraction of each class held out for the test when Test is ""; 0 otherwise
	Val       float64 `json:"val"`        // the fraction of each class of the rest held out for validation
}

// Config returns the model configuration a checkpoint describes, with
// Mirror set for a model trained on mirrored images.
func (m Meta) Config() Config {
	return Config{Arch: m.arch(), Side: m.Side, Channels: m.Channels, Hidden: m.Hidden, Activation: m.Activation, HiddenBatchNorm: m.HiddenBatchNorm,
		CNN: m.CNN, Pixels: orUnit(m.Pixels), Crop: m.Crop, Seed: m.Seed, Mirror: m.Augment.Flip}
}

// arch is Arch, with the default of checkpoints older than the field.
func (m Meta) arch() string {
	if m.Arch == "" {
		return ArchMLP6
	}
	return m.Arch
}

// ErrArchMismatch is returned by Load for a checkpoint of another
// architecture than the network's.
var ErrArchMismatch = errors.New("catdog: architecture mismatch")

// ErrPixelsMismatch is returned by Load for a checkpoint trained on pixels
// encoded otherwise than the network encodes them, or on images of
// another number of channels.
var ErrPixelsMismatch = errors.New("catdog: pixel encoding mismatch")

const optPrefix = "optimizer."

// Save writes the network's parameters and optimizer state, with meta
// (whose model fields are filled in here), to path atomically.
func (n *Network) Save(path string, meta Meta) error { return n.SaveFS(nil, path, meta) }

// SaveFS is Save through fsys (nil: the operating system's files).
func (n *Network) SaveFS(fsys checkpoint.FS, path string, meta Meta) error {
	if err := n.Program.Sync(); err != nil {
		return err
	}
	state, err := n.Program.OptimizerState()
	if err != nil {
		return err
	}
	meta.Format, meta.Arch, meta.Model, meta.Output = grayFormat, n.Config.Arch, n.Config.Arch, "sigmoid: P(cat)"
	if n.Config.Arch == ArchMLP6 {
		meta.Model = "mlp"
	}
	meta.Side, meta.Channels, meta.Crop = n.Config.Side, 0, n.Config.Crop
	if c := n.Config.channels(); c != dataset.Grayscale {
		meta.Channels, meta.Format = c, FormatVersion
	}
	meta.Hidden, meta.Activation = n.Config.Hidden, n.Config.Activation
	meta.HiddenBatchNorm, meta.Pixels = n.Config.HiddenBatchNorm, n.Config.pixels()
	if n.Config.Arch == ArchCNN {
		spec := n.Config.CNNSpec(n.Batch)
		meta.CNN = &CNNLayers{Blocks: spec.Blocks, Dense: spec.Dense, Dropout: spec.Dropout}
	}
	meta.Classes, meta.Seed, meta.Batch, meta.OptStep = dataset.ClassNames, n.Config.Seed, n.Batch, state.Step
	meta.Augment, meta.Ranks = n.Augment, 0
	if r := ranks(n.comm); r > 1 {
		meta.Ranks = r
	}
	params := n.Model.Params()
	ts, err := checkpoint.FromParams(append(params, n.Model.Buffers()...))
	if err != nil {
		return err
	}
	for i, p := range params {
		for j, slot := range state.Slots[i] {
			ts = append(ts, checkpoint.Tensor{Name: fmt.Sprintf("%s%s.%d", optPrefix, p.Name(), j), Shape: p.Shape(), Data: slot})
		}
	}
	return checkpoint.SaveFS(fsys, path, meta, ts)
}

// ReadMeta reads a checkpoint's metadata and tensors, turning older
// formats into the current one. It refuses a newer format
// (ErrNewerFormat), an unknown architecture (ErrUnknownArch), and
// metadata describing a model the tensors cannot hold (ErrBadMeta), so
// that what it returns builds a network of bounded size.
func ReadMeta(path string) (Meta, []checkpoint.Tensor, error) {
	var meta Meta
	ts, err := checkpoint.Load(path, &meta)
	if err != nil {
		return meta, nil, err
	}
	return checkedMeta(path, meta, ts)
}

// checkedMeta is ReadMeta of the metadata and tensors loaded from path.
func checkedMeta(path string, meta Meta, ts []checkpoint.Tensor) (Meta, []checkpoint.Tensor, error) {
	switch meta.Format {
	case grayFormat, FormatVersion:
		if err := meta.Pixels.Check(); err != nil {
			return meta, nil, fmt.Errorf("catdog: %s: %w", path, err)
		}
	case 1, 2:
		if meta.Format == 1 {
			transposeDenseWeights(ts)
		}
		meta.Format, meta.Pixels = grayFormat, dataset.Unit
	default:
		if meta.Format > FormatVersion {
			return meta, nil, fmt.Errorf("%w: %s is format %d, written by a newer build; this build reads formats 1 to %d",
				ErrNewerFormat, path, meta.Format, FormatVersion)
		}
		return meta, nil, fmt.Errorf("%w: %s: checkpoint format %d; this build reads formats 1 to %d", ErrBadMeta, path, meta.Format, FormatVersion)
	}
	if err := CheckArch(meta.arch()); err != nil {
		return meta, nil, fmt.Errorf("%s: %w", path, err)
	}
	meta.Arch = meta.arch()
	if err := checkMeta(meta, ts); err != nil {
		return meta, nil, fmt.Errorf("%s: %w", path, err)
	}
	return meta, ts, nil
}

// Load copies the parameters (and, when withOptimizer, the optimizer state)
// of the checkpoint tensors into the network, which must have the same
// architecture (ErrArchMismatch otherwise).
func (n *Network) Load(meta Meta, ts []checkpoint.Tensor, withOptimizer bool) error {
	if meta.arch() != n.Config.Arch {
		return fmt.Errorf("%w: the checkpoint holds a %s network, this one is %s", ErrArchMismatch, meta.arch(), n.Config.Arch)
	}
	if p := orUnit(meta.Pixels); p != n.Config.pixels() {
		return fmt.Errorf("%w: the checkpoint was trained on %s pixels, this network encodes them %s (build it from Meta.Config)",
			ErrPixelsMismatch, p, n.Config.pixels())
	}
	if c := meta.Config().channels(); c != n.Config.channels() {
		return fmt.Errorf("%w: the checkpoint was trained on images of %d channels, this network takes %d (build it from Meta.Config)",
			ErrPixelsMismatch, c, n.Config.channels())
	}
	params := n.Model.Params()
	var state *optim.State
	if withOptimizer {
		var err error
		if state, err = optimizerState(meta, params, ts); err != nil {
			return err
		}
	}
	if err := checkpoint.ToParams(append(params, n.Model.Buffers()...), ts); err != nil {
		return err
	}
	if err := n.Program.Load(); err != nil {
		return err
	}
	if state != nil {
		if err := n.Program.SetOptimizerState(state); err != nil {
			return fmt.Errorf("catdog: checkpoint optimizer state does not fit %s: %w", meta.Optimizer.Method, err)
		}
	}
	return nil
}

// optimizerState gathers the optimizer state of params from the
// checkpoint tensors: slot j of parameter NAME is "optimizer.NAME.j".
func optimizerState(meta Meta, params []*G.Node, ts []checkpoint.Tensor) (*optim.State, error) {
	byName := map[string]checkpoint.Tensor{}
	for _, t := range ts {
		byName[t.Name] = t
	}
	state := &optim.State{Step: meta.OptStep, Slots: make([][][]float32, len(params))}
	for i, p := range params {
		for j := 0; ; j++ {
			s, ok := byName[fmt.Sprintf("%s%s.%d", optPrefix, p.Name(), j)]
			if !ok {
				break
			}
			if !slices.Equal(s.Shape, p.Shape()) {
				return nil, fmt.Errorf("catdog: checkpoint's optimizer state %s is %v, not %v", s.Name, s.Shape, p.Shape())
			}
			state.Slots[i] = append(state.Slots[i], s.Data)
		}
	}
	return state, nil
}

// transposeDenseWeights turns the dense weights of a format 1 checkpoint,
// and their optimizer state, from in×out into out×in. In format 1 every
// 2-D tensor named *.weight was a dense layer's.
func transposeDenseWeights(ts []checkpoint.Tensor) {
	for i, t := range ts {
		name := strings.TrimPrefix(t.Name, optPrefix)
		if t.Name != name { // optimizer state: NAME.weight.SLOT
			if dot := strings.LastIndex(name, "."); dot >= 0 {
				name = name[:dot]
			}
		}
		if len(t.Shape) != 2 || !strings.HasSuffix(name, ".weight") {
			continue
		}
		rows, cols := t.Shape[0], t.Shape[1]
		data := make([]float32, len(t.Data))
		for r := range rows {
			for c := range cols {
				data[c*rows+r] = t.Data[r*cols+c]
			}
		}
		ts[i].Shape, ts[i].Data = []int{cols, rows}, data
	}
}
