// Package catdog is the application Neurone grew out of: deciding whether
// a 100×100 grayscale photo shows a cat or a dog.
//
// # Overview
//
// The default model is the 6-layer perceptron of the introduction to deep
// learning: 10000 inputs (one per pixel, 0-255 scaled to [0, 1]), five ReLU
// layers of 512 neurons, and one sigmoid neuron whose output is read as
// P(cat). It is trained with the binary cross-entropy, computed from the
// last layer's logits. Config.Arch names the architecture (ArchMLP6; see
// Archs). Network builds it for a backend; TrainEpoch runs an epoch over a
// dataset.Set, with optional augmentation of the training images
// (Augmentation); Evaluate scores it (Metrics: loss, accuracy, precision,
// recall, F1, ROC AUC, confusion matrix); Save and Load keep it in a
// safetensors checkpoint with the metadata needed to rebuild it.
package catdog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// Config describes the network.
type Config struct {
	Arch       string // architecture: ArchMLP6 (see Archs)
	Side       int    // input images are Side×Side
	Hidden     []int  // widths of the hidden layers
	Activation string // activation of the hidden layers
	Crop       bool   // centre-crop photos to a square (else stretch)
	Seed       uint64 // weight initialisation seed
}

// DefaultConfig is the seed's 6-layer perceptron.
func DefaultConfig() Config {
	return Config{Arch: ArchMLP6, Side: 100, Hidden: []int{512, 512, 512, 512, 512}, Activation: graph.ReLU, Seed: 1}
}

// Spec returns the graph.MLPSpec (of ArchMLP6) of the configuration at a batch size.
func (c Config) Spec(batch int) graph.MLPSpec {
	s := graph.MLPSpec{Inputs: c.Side * c.Side, Batch: batch, Seed: c.Seed}
	for _, h := range c.Hidden {
		s.Layers = append(s.Layers, graph.LayerSpec{Units: h, Activation: c.Activation})
	}
	s.Layers = append(s.Layers, graph.LayerSpec{Units: 1, Activation: graph.Sigmoid})
	return s
}

// Summary describes the layers, shapes and parameter count.
func (n *Network) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-14s %-10s %s\n", "layer", "shape", "activation", "parameters")
	for _, l := range n.Model.Layers {
		ws := l.W.Shape()
		fmt.Fprintf(&b, "%-8s %-14s %-10s %d\n", l.Name, fmt.Sprintf("%d -> %d", ws[0], ws[1]), l.Activation, ws[0]*ws[1]+ws[1])
	}
	fmt.Fprintf(&b, "total parameters: %d", n.Model.ParamCount())
	return b.String()
}

// Network is the network of a Config compiled on a backend at a fixed batch size.
type Network struct {
	Config  Config
	Model   *graph.Model
	Program backend.Program
	Batch   int
	// Augment transforms the training images of TrainEpoch (the zero
	// value: none).
	Augment Augmentation

	x, y  []float32 // one batch of inputs and targets
	image []uint8   // one augmented image
	probs []float32 // one batch of outputs
}

// NewNetwork builds the network of cfg and compiles it on b.
func NewNetwork(cfg Config, batch int, b backend.Backend, opt graph.Optimizer) (*Network, error) {
	if cfg.Side <= 0 || batch <= 0 || slices.ContainsFunc(cfg.Hidden, func(h int) bool { return h <= 0 }) {
		return nil, fmt.Errorf("catdog: invalid model: side %d, batch %d, hidden %v", cfg.Side, batch, cfg.Hidden)
	}
	m, err := cfg.buildModel(batch)
	if err != nil {
		return nil, err
	}
	obj, err := graph.BinaryClassification(m)
	if err != nil {
		return nil, err
	}
	prog, err := b.Compile(backend.TrainSpec(m, obj, opt))
	if err != nil {
		return nil, fmt.Errorf("catdog: compiling on %s: %w", b.Name(), err)
	}
	n := cfg.Side * cfg.Side
	return &Network{
		Config: cfg, Model: m, Program: prog, Batch: batch,
		x: make([]float32, batch*n), y: make([]float32, batch), probs: make([]float32, batch), image: make([]uint8, n),
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
	set.Fill(n.x, n.y, idx)
	return n.Program.Train(n.x, n.y)
}

// trainAugmented is TrainBatch with each image transformed by the draw of
// Augment for its index in set, in epoch.
func (n *Network) trainAugmented(set *dataset.Set, idx []int, seed uint64, epoch int) (float32, error) {
	size := set.Size()
	for r, i := range idx {
		n.Augment.Draw(seed, epoch, i).Apply(n.image, set.Image(i), set.Side)
		dataset.Scale(n.x[r*size:(r+1)*size], n.image)
		n.y[r] = float32(set.Labels[i])
	}
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
func (n *Network) Probabilities(set *dataset.Set) ([]float32, error) {
	probs := make([]float32, set.Len())
	idx := make([]int, n.Batch)
	for start := 0; start < set.Len(); start += n.Batch {
		real := min(n.Batch, set.Len()-start)
		for i := range idx {
			idx[i] = start + min(i, real-1)
		}
		set.Fill(n.x, nil, idx)
		if err := n.Program.Predict([][]float32{n.probs}, n.x, nil); err != nil {
			return nil, err
		}
		copy(probs[start:start+real], n.probs[:real])
	}
	return probs, nil
}

// Predict returns P(cat) for each image (Side×Side luma bytes).
func (n *Network) Predict(images [][]uint8) ([]float32, error) {
	size := n.Config.Side * n.Config.Side
	out := make([]float32, 0, len(images))
	for start := 0; start < len(images); start += n.Batch {
		real := min(n.Batch, len(images)-start)
		for r := 0; r < n.Batch; r++ {
			img := images[start+min(r, real-1)]
			if len(img) != size {
				return nil, fmt.Errorf("catdog: image %d has %d pixels, want %d", start+r, len(img), size)
			}
			dataset.Scale(n.x[r*size:(r+1)*size], img)
		}
		if err := n.Program.Predict([][]float32{n.probs}, n.x, nil); err != nil {
			return nil, err
		}
		out = append(out, n.probs[:real]...)
	}
	return out, nil
}
