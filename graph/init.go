package graph

import (
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

// InitializerFor returns the initialiser suited to an activation.
func InitializerFor(activation Activation) (Initializer, error) {
	switch activation {
	case ReLU, LeakyReLU, Step, StepSTE:
		return He, nil
	case Sigmoid, Tanh, Linear, Softmax:
		return Glorot, nil
	}
	return nil, unknownActivation(activation)
}
