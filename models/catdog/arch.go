package catdog

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// Architectures that NewNetwork builds.
const (
	// ArchMLP6 is the perceptron of Config.Hidden (by default the 6-layer
	// one of the introduction). Checkpoints written before Config.Arch
	// existed hold this architecture.
	ArchMLP6 = "mlp6"
	// ArchCNN is the convolutional network of Config.CNN (by default
	// graph.DefaultCNNSpec's): the same flat images, read as 1×Side×Side.
	ArchCNN = "cnn"
)

// ErrUnknownArch is returned for an architecture name this build does not
// know.
var ErrUnknownArch = errors.New("catdog: unknown architecture")

// architecture is what NewNetwork needs of one: its default layers, and
// how to build its graph at a batch size.
type architecture struct {
	defaults func(c *Config)
	build    func(c Config, batch int) (*graph.Model, error)
}

// builders maps each architecture to its defaults and builder: adding an
// architecture is one entry here.
var builders = map[string]architecture{
	ArchMLP6: {
		defaults: func(c *Config) { c.Hidden, c.Activation, c.CNN = []int{512, 512, 512, 512, 512}, graph.ReLU, nil },
		build:    func(c Config, batch int) (*graph.Model, error) { return graph.MLP(c.MLPSpec(batch)) },
	},
	ArchCNN: {
		defaults: func(c *Config) { c.Hidden, c.Activation, c.CNN = nil, 0, DefaultCNNLayers() },
		build:    func(c Config, batch int) (*graph.Model, error) { return graph.CNN(c.CNNSpec(batch)) },
	},
}

// ConfigFor returns the default configuration of the architecture arch
// (DefaultConfig for ArchMLP6), or an error wrapping ErrUnknownArch.
func ConfigFor(arch string) (Config, error) {
	if err := CheckArch(arch); err != nil {
		return Config{}, err
	}
	c := Config{Arch: arch, Side: 100, Seed: 1, Pixels: dataset.Centred}
	builders[arch].defaults(&c)
	return c, nil
}

// Archs returns the names of the architectures, sorted.
func Archs() []string {
	names := make([]string, 0, len(builders))
	for name := range builders {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// CheckArch returns an error wrapping ErrUnknownArch, naming the known
// architectures, unless name is one of them.
func CheckArch(name string) error {
	if _, ok := builders[name]; !ok {
		return fmt.Errorf("%w %q (want %s)", ErrUnknownArch, name, strings.Join(Archs(), " or "))
	}
	return nil
}

// buildModel builds the graph of cfg's architecture.
func (c Config) buildModel(batch int) (*graph.Model, error) {
	if err := CheckArch(c.Arch); err != nil {
		return nil, err
	}
	return builders[c.Arch].build(c, batch)
}
