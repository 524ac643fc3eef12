package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/internal/enum"
	"github.com/neurone-dl/neurone/ops"
)

// Activation is the function a layer applies after its affine part. It
// is written as its name ("relu", "sigmoid", ...) in files (String,
// ParseActivation, and the text encoding of JSON); the zero Activation is
// unset, which the builders refuse.
type Activation uint8

// Activations accepted by Dense, Conv2D, BatchNorm and MLP.
const (
	ReLU      Activation = iota + 1
	LeakyReLU            // negative slope 0.01
	Sigmoid
	Tanh
	Step    // Heaviside; zero gradient
	StepSTE // Heaviside with the straight-through gradient
	Linear  // no activation
	Softmax // across a layer's units: class probabilities
)

var activationNames = enum.Names[Activation]{Pkg: "graph", What: "activation",
	Names: []string{"", "relu", "leakyrelu", "sigmoid", "tanh", "step", "step-ste", "linear", "softmax"}}

// Activations lists the accepted activations.
var Activations = []Activation{ReLU, LeakyReLU, Sigmoid, Tanh, Step, StepSTE, Linear, Softmax}

// ParseActivation returns the activation named s.
func ParseActivation(s string) (Activation, error) { return activationNames.Parse(s) }

// String returns the activation's name.
func (a Activation) String() string { return activationNames.String(a) }

// MarshalText writes the activation's name ("" when unset).
func (a Activation) MarshalText() ([]byte, error) { return activationNames.MarshalText(a) }

// UnmarshalText reads an activation's name ("" is the unset zero).
func (a *Activation) UnmarshalText(text []byte) error {
	return activationNames.UnmarshalText(a, text)
}

func unknownActivation(a Activation) error {
	return fmt.Errorf("graph: unknown activation %q (want %s)", a, activationNames.List())
}

// Activate applies activation to x.
func Activate(x *G.Node, activation Activation) (*G.Node, error) {
	switch activation {
	case ReLU:
		return ops.ReLU(x)
	case LeakyReLU:
		return ops.LeakyReLU(x, 0.01)
	case Sigmoid:
		return ops.Sigmoid(x)
	case Tanh:
		return ops.Tanh(x)
	case Step:
		return ops.Step(x, false)
	case StepSTE:
		return ops.Step(x, true)
	case Linear:
		return x, nil
	case Softmax:
		return ops.Softmax(x)
	}
	return nil, unknownActivation(activation)
}
