package catdog

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/neurone-dl/neurone/graph"
)

// Architectures that NewNetwork builds.
const (
	// ArchMLP6 is the perceptron of Config.Hidden (by default the 6-layer
	// one of the introduction). Checkpoints written before Config.Arch
	// existed hold this architecture.
	ArchMLP6 = "mlp6"
)

// ErrUnknownArch is returned for an architecture name this build does not
// know.
var ErrUnknownArch = errors.New("catdog: unknown architecture")

// builders maps each architecture to the function that builds its graph at
// a batch size: adding an architecture is one entry here.
var builders = map[string]func(cfg Config, batch int) (*graph.Model, error){
	ArchMLP6: func(cfg Config, batch int) (*graph.Model, error) { return graph.MLP(cfg.Spec(batch)) },
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
	return builders[c.Arch](c, batch)
}
