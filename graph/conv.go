package graph

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/ops"
)

// Layer kinds.
const (
	KindDense     = "dense"
	KindConv2D    = "conv2d"
	KindMaxPool2D = "maxpool2d"
	KindAvgPool2D = "avgpool2d"
	KindGlobalAvg = "globalavgpool2d"
	KindBatchNorm = "batchnorm"
	KindDropout   = "dropout"
	KindFlatten   = "flatten"
)

// ConvSpec describes a convolution layer: Filters filters of
// Kernel×Kernel over all input channels, Stride pixels apart, over the
// input with Padding zero pixels added on each side.
type ConvSpec struct {
	Filters    int
	Kernel     int
	Stride     int // 0 means 1
	Padding    int
	Activation Activation
	// NoBias leaves the bias out: before batch normalisation, which
	// subtracts each channel's mean, a bias has no effect.
	NoBias bool `json:",omitempty"`
}

// Conv2D adds a convolution layer on top of x (N×C×H×W) to x's graph:
// Output = act(conv(x, W) + B), W the F×C×K×K filters drawn by init
// (InitializerFor(spec.Activation) when nil; fan-in C·K·K, fan-out F·K·K)
// from rng, B one zero bias per filter (none with spec.NoBias). Its
// parameters are named name+".weight" and name+".bias".
func Conv2D(x *G.Node, spec ConvSpec, name string, init Initializer, rng *rand.Rand) (*Layer, error) {
	if x.Dims() != 4 {
		return nil, fmt.Errorf("graph: convolution %s: input %v is not N×C×H×W", name, x.Shape())
	}
	stride := max(spec.Stride, 1)
	if spec.Filters <= 0 || spec.Kernel <= 0 || spec.Stride < 0 || spec.Padding < 0 {
		return nil, fmt.Errorf("graph: convolution %s: %d filters of %d×%d, stride %d, padding %d", name, spec.Filters, spec.Kernel, spec.Kernel, spec.Stride, spec.Padding)
	}
	if init == nil {
		var err error
		if init, err = InitializerFor(spec.Activation); err != nil {
			return nil, fmt.Errorf("graph: convolution %s: %w", name, err)
		}
	}
	c, k, f := x.Shape()[1], spec.Kernel, spec.Filters
	g := x.Graph()
	w := make([]float32, f*c*k*k)
	init(w, c*k*k, f*k*k, rng)
	W := G.NewTensor(g, tensor.Float32, 4, G.WithShape(f, c, k, k), G.WithName(name+".weight"),
		G.WithValue(tensor.New(tensor.WithShape(f, c, k, k), tensor.WithBacking(w))))
	pre, err := ops.Conv2D(x, W, [2]int{stride, stride}, [2]int{spec.Padding, spec.Padding})
	if err != nil {
		return nil, fmt.Errorf("graph: convolution %s: %w", name, err)
	}
	var B *G.Node
	if !spec.NoBias {
		B = G.NewVector(g, tensor.Float32, G.WithShape(f), G.WithName(name+".bias"),
			G.WithValue(tensor.New(tensor.WithShape(f), tensor.Of(tensor.Float32))))
		if pre, err = ops.ChannelBiasAdd(pre, B); err != nil {
			return nil, fmt.Errorf("graph: convolution %s: %w", name, err)
		}
	}
	out, err := Activate(pre, spec.Activation)
	if err != nil {
		return nil, fmt.Errorf("graph: convolution %s: %w", name, err)
	}
	return &Layer{Name: name, Kind: KindConv2D, Activation: spec.Activation, W: W, B: B, Pre: pre, Output: out}, nil
}

// MaxPool2D adds max pooling of size×size windows, stride apart (0 means
// size: windows side by side), on top of x (N×C×H×W).
func MaxPool2D(x *G.Node, size, stride int, name string) (*Layer, error) {
	if stride == 0 {
		stride = size
	}
	out, err := ops.MaxPool2D(x, [2]int{size, size}, [2]int{stride, stride})
	if err != nil {
		return nil, fmt.Errorf("graph: pooling %s: %w", name, err)
	}
	return passive(name, KindMaxPool2D, out), nil
}

// AvgPool2D adds average pooling of size×size windows, stride apart (0
// means size: windows side by side), on top of x (N×C×H×W).
func AvgPool2D(x *G.Node, size, stride int, name string) (*Layer, error) {
	if stride == 0 {
		stride = size
	}
	out, err := ops.AvgPool2D(x, [2]int{size, size}, [2]int{stride, stride})
	if err != nil {
		return nil, fmt.Errorf("graph: pooling %s: %w", name, err)
	}
	return passive(name, KindAvgPool2D, out), nil
}

// GlobalAvgPool2D averages each whole feature map of x (N×C×H×W) to one
// value, giving the N×C matrix a dense layer takes: the usual head of a
// convolutional network in place of Flatten, with C inputs to the next
// layer instead of C·H·W.
func GlobalAvgPool2D(x *G.Node, name string) (*Layer, error) {
	if x.Dims() != 4 {
		return nil, fmt.Errorf("graph: pooling %s: input %v is not N×C×H×W", name, x.Shape())
	}
	s := x.Shape()
	pooled, err := ops.AvgPool2D(x, [2]int{s[2], s[3]}, [2]int{1, 1})
	if err != nil {
		return nil, fmt.Errorf("graph: pooling %s: %w", name, err)
	}
	out, err := ops.Flatten(pooled)
	if err != nil {
		return nil, fmt.Errorf("graph: pooling %s: %w", name, err)
	}
	return passive(name, KindGlobalAvg, out), nil
}

// Batch normalisation's settings, PyTorch's defaults.
const (
	BatchNormEps      = 1e-5 // added to the variance
	BatchNormMomentum = 0.1  // weight of each batch in the running statistics
)

// BatchNorm adds batch normalisation of the channels of x (N×C×H×W
// feature maps, or N×C features), then the activation: Output =
// act(γ·(x − μ)/√(σ² + ε) + β) per channel, with the batch's mean and
// variance while training and the running ones in evaluation and
// prediction (see ops.BatchNormOp). γ is the layer's W (name+".weight",
// ones) and β its B (name+".bias", zeros), learnt like any parameters;
// the running statistics, name+".running_mean" (zeros) and
// name+".running_var" (ones), are the Buffers of its Updates, which a
// backend refreshes after each training step (momentum BatchNormMomentum).
// The names are PyTorch's.
func BatchNorm(x *G.Node, activation Activation, name string) (*Layer, error) {
	if d := x.Dims(); d != 2 && d != 4 {
		return nil, fmt.Errorf("graph: batch normalisation %s: input %v is not N×C or N×C×H×W", name, x.Shape())
	}
	c := x.Shape()[1]
	g := x.Graph()
	vector := func(suffix string, v float32) *G.Node {
		data := make([]float32, c)
		for i := range data {
			data[i] = v
		}
		return G.NewVector(g, tensor.Float32, G.WithShape(c), G.WithName(name+suffix),
			G.WithValue(tensor.New(tensor.WithShape(c), tensor.WithBacking(data))))
	}
	gamma, beta := vector(".weight", 1), vector(".bias", 0)
	mean, variance := vector(".running_mean", 0), vector(".running_var", 1)
	stats, err := ops.BatchNormStats(x)
	if err != nil {
		return nil, fmt.Errorf("graph: batch normalisation %s: %w", name, err)
	}
	pre, err := ops.BatchNorm(x, stats, gamma, beta, mean, variance, BatchNormEps)
	if err != nil {
		return nil, fmt.Errorf("graph: batch normalisation %s: %w", name, err)
	}
	newMean, err := ops.BatchNormRunning(x, stats, mean, BatchNormMomentum, false)
	if err != nil {
		return nil, fmt.Errorf("graph: batch normalisation %s: %w", name, err)
	}
	newVar, err := ops.BatchNormRunning(x, stats, variance, BatchNormMomentum, true)
	if err != nil {
		return nil, fmt.Errorf("graph: batch normalisation %s: %w", name, err)
	}
	out, err := Activate(pre, activation)
	if err != nil {
		return nil, fmt.Errorf("graph: batch normalisation %s: %w", name, err)
	}
	return &Layer{Name: name, Kind: KindBatchNorm, Activation: activation, W: gamma, B: beta, Pre: pre, Output: out,
		Updates: []Update{{Buffer: mean, Value: newMean}, {Buffer: variance, Value: newVar}}}, nil
}

// Dropout adds inverted dropout at rate on top of x: while a backend
// trains, each element is zeroed with probability rate and the others
// scaled by 1/(1−rate); in evaluation and prediction it is the identity.
// seed chooses the masks (see ops.DropoutMask); give each dropout layer
// its own.
func Dropout(x *G.Node, rate float64, seed uint64, name string) (*Layer, error) {
	out, err := ops.Dropout(x, rate, seed)
	if err != nil {
		return nil, fmt.Errorf("graph: dropout %s: %w", name, err)
	}
	return passive(name, KindDropout, out), nil
}

// Flatten reshapes x (N×...) into the N×features matrix a dense layer
// takes.
func Flatten(x *G.Node, name string) (*Layer, error) {
	out, err := ops.Flatten(x)
	if err != nil {
		return nil, fmt.Errorf("graph: flatten %s: %w", name, err)
	}
	return passive(name, KindFlatten, out), nil
}

// passive is a layer without parameters or activation.
func passive(name, kind string, out *G.Node) *Layer {
	return &Layer{Name: name, Kind: kind, Activation: Linear, Pre: out, Output: out}
}
