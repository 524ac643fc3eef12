package bench

import (
	"fmt"
	"testing"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph"
)

// BenchmarkCNN times training steps of the default cat/dog CNN on 100×100
// images, plain and with batch normalisation in its blocks, on every
// device. On the CPU, OpenBLAS gets one thread, as catdog-train gives the
// CNN (cpu.SetBLASThreads says why).
func BenchmarkCNN(b *testing.B) {
	defer cpu.SetBLASThreads(cpu.SetBLASThreads(1))
	for _, device := range []string{"cpu", "cuda"} {
		for _, batch := range []int{64} {
			for _, bn := range []bool{false, true} {
				mode := "train"
				if bn {
					mode = "train-batchnorm" // --model cnn --batchnorm
				}
				b.Run(fmt.Sprintf("%s/%s/batch=%d", mode, device, batch), func(b *testing.B) {
					spec := graph.DefaultCNNSpec(100, 100, batch)
					for i := range spec.Blocks {
						spec.Blocks[i].BatchNorm = bn
					}
					build := func() (*graph.Model, error) { return graph.CNN(spec) }
					benchModel(b, device, "train", false, build)
				})
			}
		}
	}
}

// stepFLOPs counts, per sample, the FLOPs of a prediction and of a
// training step of m: two for each multiply-add of its convolutions' and
// dense layers' products; pooling, activations, biases and the loss are
// left out. A training step adds to the forward products, for each layer,
// the gradient of its weights and, for each layer but the first, the
// gradient of its input, each as much work as the forward product (a
// convolution's input gradient is the transposed convolution). The first
// layer's input is the images: no parameter needs their gradient, and
// neither backend computes it.
func stepFLOPs(m *graph.Model) (forward, train float64) {
	first := true
	for _, l := range m.Layers {
		var f float64
		switch l.Kind {
		case graph.KindConv2D:
			out := l.Output.Shape() // N×F×OH×OW
			f = 2 * float64(l.W.Shape().TotalSize()*out[2]*out[3])
		case graph.KindDense:
			f = 2 * float64(l.W.Shape().TotalSize())
		default:
			continue
		}
		forward += f
		train += 2 * f // forward and the weights' gradient
		if !first {
			train += f // the input's gradient
		}
		first = false
	}
	return forward, train
}
