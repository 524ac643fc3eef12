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
	"github.com/neurone-dl/neurone/backend/cpu"
	_ "github.com/neurone-dl/neurone/backend/cuda"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/blas"
)

// devices and the batch sizes benchmarked on each; CUDA also with TF32
// matrix products (sub-benchmarks ending in /tf32). The CPU's batch 1024
// is there to set CUDA against it at the same batch.
var devices = []struct {
	name    string
	batches []int
	tf32    bool
}{
	{"cpu", []int{64, 256, 1024}, false},
	{"cuda", []int{64, 256, 1024, 4096}, true},
}

func BenchmarkMLP6(b *testing.B) {
	for _, mode := range []string{"train", "infer"} {
		for _, dev := range devices {
			for _, batch := range dev.batches {
				for _, tf32 := range []bool{false, true} {
					if tf32 && !dev.tf32 {
						continue
					}
					name := fmt.Sprintf("%s/%s/batch=%d", mode, dev.name, batch)
					if tf32 {
						name += "/tf32"
					}
					b.Run(name, func(b *testing.B) {
						build := func() (*graph.Model, error) { return graph.MLP(backendtest.MLP6Spec(batch, 1)) }
						benchModel(b, dev.name, mode, tf32, build)
					})
				}
			}
		}
	}
}

// BenchmarkPlainGorgonia times training steps of MLP6 written with
// Gorgonia's standard ops only (backendtest.PlainMLP: G.Mul,
// G.BroadcastAdd, G.Rectify, G.Sigmoid, a cross-entropy from G.Log), as
// research code that does not use the graph builders writes it; set it
// against BenchmarkMLP6's train sub-benchmark of the same device and batch.
func BenchmarkPlainGorgonia(b *testing.B) {
	const batch = 256
	for _, dev := range devices {
		b.Run(fmt.Sprintf("train/%s/batch=%d", dev.name, batch), func(b *testing.B) {
			build := func() (*graph.Model, *graph.Objective, error) {
				return backendtest.PlainMLP(backendtest.MLP6Spec(batch, 1))
			}
			benchObjective(b, dev.name, "train", false, build)
		})
	}
}

// benchModel times training steps (mode "train") or predictions ("infer")
// of the model build makes, on random inputs, and reports samples/s,
// GFLOP/s from the FLOPs the step computes (stepFLOPs) and the fraction of
// the device's measured SGEMM peak.
//
// The batch is fed once and then kept where the program holds it (nil
// inputs), as PyTorch's benchmark keeps its batch on the device: the
// figures are the step's, without the host-to-device copy of the batch.
func benchModel(b *testing.B, device, mode string, tf32 bool, build func() (*graph.Model, error)) {
	benchObjective(b, device, mode, tf32, func() (*graph.Model, *graph.Objective, error) {
		m, err := build()
		if err != nil {
			return nil, nil, err
		}
		obj, err := graph.BinaryClassification(m)
		return m, obj, err
	})
}

// benchObjective is benchModel for a model that build gives with its
// training objective.
func benchObjective(b *testing.B, device, mode string, tf32 bool, build func() (*graph.Model, *graph.Objective, error)) {
	be, err := backend.Open(device)
	if err != nil {
		b.Skipf("%s: %v", device, err)
	}
	defer be.Close()
	m, obj, err := build()
	if err != nil {
		b.Fatal(err)
	}
	spec := backend.TrainSpec(m, obj, optim.NewSGD(0.01))
	spec.AllowTF32 = tf32
	prog, err := be.Compile(spec)
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
	step := func(x, y []float32) error {
		if mode == "train" {
			_, err := prog.Train(x, y)
			return err
		}
		// Predict copies the outputs back, which synchronises the device.
		return prog.Predict(probs, x, nil)
	}
	// Warm up: feed the batch, touch every buffer, and (CUDA) capture the
	// training step as a graph on the second call.
	if err := step(x, y); err != nil {
		b.Fatal(err)
	}
	if err := step(nil, nil); err != nil {
		b.Fatal(err)
	}
	if err := prog.Sync(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := step(nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	// Train returns the loss, which waits for the device: the clock stops
	// after the work is done.
	b.StopTimer()
	perStep := b.Elapsed().Seconds() / float64(b.N)
	flops, trainFLOPs := stepFLOPs(m)
	if mode == "train" {
		flops = trainFLOPs
	}
	gflops := flops * float64(batch) / perStep / 1e9
	b.ReportMetric(float64(batch)/perStep, "samples/s")
	b.ReportMetric(gflops, "GFLOP/s")
	switch device {
	case "cpu":
		b.ReportMetric(gflops/cpuPeakGFLOPS(), "peak-fraction")
	case "cuda":
		if peak, err := cudaPeakGFLOPS(be, tf32); err == nil {
			b.ReportMetric(gflops/peak, "peak-fraction")
		} else {
			b.Logf("no CUDA peak: %v", err)
		}
	}
}

// sgemmRate is the CUDA backend's SGEMMRate. The benchmarks ask for the
// method, not the type: a build without cgo has no CUDA backend type.
func sgemmRate(be backend.Backend, n int, tf32 bool) (float64, error) {
	r, ok := be.(interface {
		SGEMMRate(n int, tf32 bool) (float64, error)
	})
	if !ok {
		return 0, fmt.Errorf("%s cannot measure its SGEMM rate", be.Name())
	}
	return r.SGEMMRate(n, tf32)
}

var cudaPeak struct {
	sync.Mutex
	gflops map[bool]float64
}

// cudaPeakGFLOPS measures cuBLAS's SGEMM rate (with TF32 or without) on an
// 8192³ product, once per process, as PyTorch's script measures its peak.
func cudaPeakGFLOPS(be backend.Backend, tf32 bool) (float64, error) {
	cudaPeak.Lock()
	defer cudaPeak.Unlock()
	if g, ok := cudaPeak.gflops[tf32]; ok {
		return g, nil
	}
	g, err := sgemmRate(be, 8192, tf32)
	if err != nil {
		return 0, err
	}
	if cudaPeak.gflops == nil {
		cudaPeak.gflops = map[bool]float64{}
	}
	cudaPeak.gflops[tf32] = g
	return g, nil
}

var cpuPeak struct {
	once   sync.Once
	gflops float64
}

// startBLASThreads is the BLAS's thread setting as the process started,
// before a benchmark changed it (the CNN's take one thread).
var startBLASThreads = cpu.BLASThreads()

// cpuPeakGFLOPS measures the SGEMM rate of the BLAS built in on a large
// square product, once per process, on the BLAS threads the process started
// with, whichever benchmark asks first. It is the best of several runs, not
// their median: a peak, which on a shared machine the median of a few runs
// can undershoot (peak-fractions above 1 were seen).
func cpuPeakGFLOPS() float64 {
	cpuPeak.once.Do(func() {
		if startBLASThreads > 0 {
			defer cpu.SetBLASThreads(cpu.SetBLASThreads(startBLASThreads))
		}
		const n = 1024
		a, bb, c := nonZero(n*n, 1), nonZero(n*n, 2), make([]float32, n*n)
		var rates []float64
		for range 7 {
			start := time.Now()
			blas.Impl().Sgemm(gonumblas.NoTrans, gonumblas.NoTrans, n, n, n, 1, a, n, bb, n, 0, c, n)
			rates = append(rates, 2*n*n*n/time.Since(start).Seconds()/1e9)
		}
		cpuPeak.gflops = slices.Max(rates)
	})
	return cpuPeak.gflops
}

// BenchmarkSGEMM reports the CPU BLAS's matrix-multiply rate on the shape of
// MLP6's first layer at batch 256, the product that dominates a step, and
// cuBLAS's on an 8192³ product, with TF32 and without.
func BenchmarkSGEMM(b *testing.B) {
	for _, tf32 := range []bool{false, true} {
		name := "cuda/8192"
		if tf32 {
			name = "cuda/8192/tf32"
		}
		b.Run(name, func(b *testing.B) {
			be, err := backend.Open("cuda")
			if err != nil {
				b.Skipf("cuda: %v", err)
			}
			defer be.Close()
			var rate float64
			for b.Loop() {
				if rate, err = sgemmRate(be, 8192, tf32); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(rate, "GFLOP/s")
		})
	}
	const m, k, n = 256, 10000, 512
	a, bb, c := nonZero(m*k, 1), nonZero(k*n, 2), make([]float32, m*n)
	b.Run(fmt.Sprintf("cpu/%dx%dx%d", m, k, n), func(b *testing.B) {
		for b.Loop() {
			blas.Impl().Sgemm(gonumblas.NoTrans, gonumblas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
		}
		b.ReportMetric(2*m*k*n/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFLOP/s")
	})
}

// nonZero returns n values drawn from ±[0.5, 1). A BLAS may skip zeros
// (gonum's skips each zero element of a), so a rate measured on zeros,
// or on operands with many, is one no real product reaches.
func nonZero(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	x := make([]float32, n)
	for i := range x {
		x[i] = 0.5 + rng.Float32()/2
		if rng.IntN(2) == 0 {
			x[i] = -x[i]
		}
	}
	return x
}
