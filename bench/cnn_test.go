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
					m, err := build()
					if err != nil {
						b.Fatal(err)
					}
					benchModel(b, device, "train", false, build, forwardFLOPs(m))
				})
			}
		}
	}
}

// forwardFLOPs counts the multiply-adds of m's convolution and dense
// layers for one sample, two FLOPs each; pooling, activations and biases
// are left out.
func forwardFLOPs(m *graph.Model) float64 {
	var f float64
	for _, l := range m.Layers {
		switch l.Kind {
		case graph.KindConv2D:
			out := l.Output.Shape() // N×F×OH×OW
			f += 2 * float64(l.W.Shape().TotalSize()*out[2]*out[3])
		case graph.KindDense:
			f += 2 * float64(l.W.Shape().TotalSize())
		}
	}
	return f
}
