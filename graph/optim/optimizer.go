package optim

import (
	"fmt"
	"math"

	"github.com/neurone-dl/neurone/internal/enum"
)

// Method is how an Optimizer updates the parameters. It is written as its
// name, "sgd", "momentum" or "adam", in flags and files (String,
// ParseMethod, and the text encoding of JSON); the zero Method is unset,
// which Validate refuses.
type Method uint8

// Optimizer methods.
const (
	SGD Method = iota + 1
	Momentum
	Adam
)

var methodNames = enum.Names[Method]{Pkg: "optim", What: "optimizer", Names: []string{"", "sgd", "momentum", "adam"}}

// ParseMethod returns the method named s: "sgd", "momentum" or "adam".
func ParseMethod(s string) (Method, error) { return methodNames.Parse(s) }

// String returns the method's name.
func (m Method) String() string { return methodNames.String(m) }

// MarshalText writes the method's name.
func (m Method) MarshalText() ([]byte, error) { return methodNames.MarshalText(m) }

// UnmarshalText reads a method's name ("" is the unset zero).
func (m *Method) UnmarshalText(text []byte) error { return methodNames.UnmarshalText(m, text) }

// Optimizer says how parameters are updated from their gradients. Backends
// carry out the update where the parameters live; Update is the reference
// every backend is checked against.
//
//	sgd:       p -= lr·(g + wd·p)
//	momentum:  v = μ·v + g + wd·p;  p -= lr·v
//	adam:      m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//	           p -= lr·(m̂/(√v̂ + ε) + wd·p)   with m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ)
//
// For Adam the weight decay is decoupled from the gradient (AdamW); for SGD
// and momentum it is the classic L2 term added to the gradient.
//
// With ClipNorm > 0, every g above is first multiplied by
// min(1, ClipNorm/(‖g‖ + 1e-6)), ‖g‖ the L2 norm of all the parameters'
// gradients together, as torch.nn.utils.clip_grad_norm_ does: a step is
// never longer than a gradient of norm ClipNorm would make it.
type Optimizer struct {
	Method       Method  // SGD, Momentum or Adam
	LearningRate float64 // lr
	Momentum     float64 // μ, for Momentum
	Beta1, Beta2 float64 // for Adam
	Epsilon      float64 // for Adam
	WeightDecay  float64 // wd; 0 disables it
	ClipNorm     float64 `json:",omitempty"` // the gradients' largest global L2 norm; 0 disables clipping
}

// NewSGD returns plain stochastic gradient descent.
func NewSGD(lr float64) Optimizer { return Optimizer{Method: SGD, LearningRate: lr} }

// NewMomentum returns SGD with (PyTorch-style) momentum mu.
func NewMomentum(lr, mu float64) Optimizer {
	return Optimizer{Method: Momentum, LearningRate: lr, Momentum: mu}
}

// NewAdam returns Adam with the usual β1 = 0.9, β2 = 0.999, ε = 1e-8.
func NewAdam(lr float64) Optimizer {
	return Optimizer{Method: Adam, LearningRate: lr, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}
}

// New returns the optimizer of a method with its usual settings: SGD,
// Momentum with μ = 0.9, or Adam (NewAdam's).
func New(method Method, lr float64) (Optimizer, error) {
	switch method {
	case SGD:
		return NewSGD(lr), nil
	case Momentum:
		return NewMomentum(lr, 0.9), nil
	case Adam:
		return NewAdam(lr), nil
	}
	return Optimizer{}, fmt.Errorf("optim: unknown optimizer %q (want %s)", method, methodNames.List())
}

// Validate checks the hyper-parameters.
func (o Optimizer) Validate() error {
	bad := func(what string, v float64) error {
		return fmt.Errorf("optim: %s optimizer: %s %v is out of range", o.Method, what, v)
	}
	if !(o.LearningRate > 0) || math.IsInf(o.LearningRate, 0) {
		return bad("learning rate", o.LearningRate)
	}
	if o.WeightDecay < 0 {
		return bad("weight decay", o.WeightDecay)
	}
	if !(o.ClipNorm >= 0) || math.IsInf(o.ClipNorm, 0) {
		return bad("gradient clipping norm", o.ClipNorm)
	}
	switch o.Method {
	case SGD:
	case Momentum:
		if o.Momentum < 0 || o.Momentum >= 1 {
			return bad("momentum", o.Momentum)
		}
	case Adam:
		if o.Beta1 < 0 || o.Beta1 >= 1 {
			return bad("beta1", o.Beta1)
		}
		if o.Beta2 < 0 || o.Beta2 >= 1 {
			return bad("beta2", o.Beta2)
		}
		if !(o.Epsilon > 0) {
			return bad("epsilon", o.Epsilon)
		}
	default:
		return fmt.Errorf("optim: unknown optimizer %q (want %s)", o.Method, methodNames.List())
	}
	return nil
}

// Slots is the number of state vectors the optimizer keeps per parameter,
// each as long as the parameter.
func (o Optimizer) Slots() int {
	switch o.Method {
	case Momentum:
		return 1
	case Adam:
		return 2
	}
	return 0
}

// State is what an optimizer remembers between steps: the number
// of steps taken and, per parameter, its Slots() vectors.
type State struct {
	Step  int
	Slots [][][]float32 // [parameter][slot][element]
}

// NewState returns a zero state for parameters of the given sizes.
func (o Optimizer) NewState(sizes []int) *State {
	s := &State{Slots: make([][][]float32, len(sizes))}
	for i, n := range sizes {
		s.Slots[i] = make([][]float32, o.Slots())
		for j := range s.Slots[i] {
			s.Slots[i][j] = make([]float32, n)
		}
	}
	return s
}

// Coefficients are the per-step scalars of an update, computed once per
// step in float64 so that every backend uses the same values.
type Coefficients struct {
	LR, WD, Mu   float32
	Beta1, Beta2 float32
	Eps          float32
	Bias1, Bias2 float32 // Adam's 1/(1−β1ᵗ) and 1/(1−β2ᵗ)
	// GradScale multiplies every gradient: ClipScale of the step's
	// gradients when clipping, else 1.
	GradScale float32
}

// Coefficients returns the scalars of update number step (1-based), with
// GradScale 1: a backend that clips sets it from ClipScale.
func (o Optimizer) Coefficients(step int) Coefficients {
	c := Coefficients{
		LR: float32(o.LearningRate), WD: float32(o.WeightDecay), Mu: float32(o.Momentum),
		Beta1: float32(o.Beta1), Beta2: float32(o.Beta2), Eps: float32(o.Epsilon), GradScale: 1,
	}
	if o.Method == Adam {
		c.Bias1 = float32(1 / (1 - math.Pow(o.Beta1, float64(step))))
		c.Bias2 = float32(1 / (1 - math.Pow(o.Beta2, float64(step))))
	}
	return c
}

// ClipScale returns the factor that clips gradients whose squares add up
// to sumSquares (over every parameter) to a norm of ClipNorm:
// min(1, ClipNorm/(√sumSquares + 1e-6)), and 1 when ClipNorm is 0. A
// non-finite sum (a gradient overflowed) gives a non-finite factor, so
// the step fails visibly rather than being silently rescaled.
func (o Optimizer) ClipScale(sumSquares float64) float32 {
	if o.ClipNorm == 0 {
		return 1
	}
	norm := math.Sqrt(sumSquares)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return float32(math.NaN())
	}
	return float32(min(1, o.ClipNorm/(norm+1e-6)))
}

// Update applies one step with coefficients c to param given grad and the
// parameter's slots. It is the CPU implementation and the reference for
// device kernels.
func (o Optimizer) Update(c Coefficients, param, grad []float32, slots [][]float32) {
	grad = grad[:len(param)]
	s := c.GradScale
	switch o.Method {
	case SGD:
		for i, g := range grad {
			param[i] -= c.LR * (g*s + c.WD*param[i])
		}
	case Momentum:
		v := slots[0][:len(param)]
		for i, g := range grad {
			v[i] = c.Mu*v[i] + g*s + c.WD*param[i]
			param[i] -= c.LR * v[i]
		}
	case Adam:
		m, v := slots[0][:len(param)], slots[1][:len(param)]
		for i, g := range grad {
			g *= s
			m[i] = c.Beta1*m[i] + (1-c.Beta1)*g
			v[i] = c.Beta2*v[i] + (1-c.Beta2)*g*g
			mHat := m[i] * c.Bias1
			vHat := v[i] * c.Bias2
			param[i] -= c.LR * (mHat/(float32(math.Sqrt(float64(vHat)))+c.Eps) + c.WD*param[i])
		}
	}
}
