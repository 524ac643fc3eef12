package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	gonumblas "gonum.org/v1/gonum/blas"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	_ "github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/internal/blas"
)

// devices and the batch sizes benchmarked on each.
var devices = []struct {
	name    string
	batches []int
}{
	{"cpu", []int{64, 256}},
	{"cuda", []int{64, 256, 1024, 4096}},
}

func BenchmarkMLP6(b *testing.B) {
	for _, mode := range []string{"train", "infer"} {
		for _, dev := range devices {
			for _, batch := range dev.batches {
				b.Run(fmt.Sprintf("%s/%s/batch=%d", mode, dev.name, batch), func(b *testing.B) {
					benchMLP6(b, dev.name, mode, batch)
				})
			}
		}
	}
}

func benchMLP6(b *testing.B, device, mode string, batch int) {
	benchModel(b, device, mode, func() (*graph.Model, error) { return graph.MLP(backendtest.MLP6Spec(batch, 1)) }, MLP6ForwardFLOPs)
}

// benchModel times training steps (mode "train") or predictions ("infer")
// of the model build makes, on random inputs, and reports samples/s,
// GFLOP/s from the forward FLOPs per sample (three times that for a
// training step) and, on the CPU, the fraction of the BLAS's peak.
func benchModel(b *testing.B, device, mode string, build func() (*graph.Model, error), forwardFLOPs float64) {
	be, err := backend.Open(device)
	if err != nil {
		b.Skipf("%s: %v", device, err)
	}
	defer be.Close()
	m, err := build()
	if err != nil {
		b.Fatal(err)
	}
	obj, err := graph.BinaryClassification(m)
	if err != nil {
		b.Fatal(err)
	}
	prog, err := be.Compile(backend.TrainSpec(m, obj, graph.NewSGD(0.01)))
	if err != nil {
		b.Fatal(err)
	}
	defer prog.Close()
	batch := m.Batch
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, m.Input.Shape().TotalSize())
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]float32, batch)
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}
	probs := [][]float32{make([]float32, batch)}
	step := func() error {
		if mode == "train" {
			_, err := prog.Train(x, y)
			return err
		}
		// Predict copies the outputs back, which synchronises the device.
		return prog.Predict(probs, x, nil)
	}
	if err := step(); err != nil { // warm up: first-touch of every buffer
		b.Fatal(err)
	}
	if err := prog.Sync(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := step(); err != nil {
			b.Fatal(err)
		}
	}
	// Train returns the loss, which waits for the device: the clock stops
	// after the work is done.
	b.StopTimer()
	perStep := b.Elapsed().Seconds() / float64(b.N)
	flops := forwardFLOPs
	if mode == "train" {
		flops *= 3
	}
	gflops := flops * float64(batch) / perStep / 1e9
	b.ReportMetric(float64(batch)/perStep, "samples/s")
	b.ReportMetric(gflops, "GFLOP/s")
	if device == "cpu" {
		b.ReportMetric(gflops/cpuPeakGFLOPS(), "peak-fraction")
	}
}

var cpuPeak struct {
	once   sync.Once
	gflops float64
}

// cpuPeakGFLOPS measures the SGEMM rate of the BLAS built in on a large
// square product, once per process. It is the best of several runs, not
// their median: a peak, which on a shared machine the median of a few runs
// can undershoot (peak-fractions above 1 were seen).
func cpuPeakGFLOPS() float64 {
	cpuPeak.once.Do(func() {
		const n = 1024
		a, bb, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
		for i := range a {
			a[i], bb[i] = float32(i%7)*0.1, float32(i%5)*0.1
		}
		var rates []float64
		for range 7 {
			start := time.Now()
			blas.Impl.Sgemm(gonumblas.NoTrans, gonumblas.NoTrans, n, n, n, 1, a, n, bb, n, 0, c, n)
			rates = append(rates, 2*n*n*n/time.Since(start).Seconds()/1e9)
		}
		cpuPeak.gflops = slices.Max(rates)
	})
	return cpuPeak.gflops
}

// BenchmarkSGEMM reports the CPU BLAS's matrix-multiply rate on the shape of
// MLP6's first layer at batch 256, the product that dominates a step.
func BenchmarkSGEMM(b *testing.B) {
	const m, k, n = 256, 10000, 512
	a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	b.Run(fmt.Sprintf("cpu/%dx%dx%d", m, k, n), func(b *testing.B) {
		for b.Loop() {
			blas.Impl.Sgemm(gonumblas.NoTrans, gonumblas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
		}
		b.ReportMetric(2*m*k*n/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFLOP/s")
	})
}
