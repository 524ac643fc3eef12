package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Initializer fills a weight matrix of fanIn×fanOut values.
type Initializer func(w []float32, fanIn, fanOut int, rng *rand.Rand)

// He draws from N(0, 2/fanIn), which keeps activations' variance steady
// through ReLU layers (He et al., 2015).
func He(w []float32, fanIn, _ int, rng *rand.Rand) {
	std := math.Sqrt(2 / float64(fanIn))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
}

// Glorot draws from U(−l, l) with l = √(6/(fanIn+fanOut)), suited to
// sigmoid and tanh layers (Glorot and Bengio, 2010).
func Glorot(w []float32, fanIn, fanOut int, rng *rand.Rand) {
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((rng.Float64()*2 - 1) * limit)
	}
}

// Activation names accepted by Dense and MLP.
const (
	ReLU      = "relu"
	LeakyReLU = "leakyrelu" // negative slope 0.01
	Sigmoid   = "sigmoid"
	Tanh      = "tanh"
	Step      = "step"     // Heaviside; zero gradient
	StepSTE   = "step-ste" // Heaviside with the straight-through gradient
	Linear    = "linear"   // no activation
	Softmax   = "softmax"  // across a layer's units: class probabilities
)

// Activations lists the accepted activation names.
var Activations = []string{ReLU, LeakyReLU, Sigmoid, Tanh, Step, StepSTE, Linear, Softmax}

// InitializerFor returns the initialiser suited to an activation.
func InitializerFor(activation string) (Initializer, error) {
	switch activation {
	case ReLU, LeakyReLU, Step, StepSTE:
		return He, nil
	case Sigmoid, Tanh, Linear, Softmax:
		return Glorot, nil
	}
	return nil, fmt.Errorf("graph: unknown activation %q (want one of %v)", activation, Activations)
}
