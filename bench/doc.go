// Package bench holds Neurone's benchmarks: the canonical 6-layer
// perceptron "MLP6" (10000 → 512 ×5 ReLU → 1 sigmoid, binary cross-entropy,
// SGD, float32) trained and run on every backend built in, and the small
// cat/dog CNN (graph.DefaultCNNSpec on 100×100 images) trained, and MLP6
// written with Gorgonia's standard ops only (PlainGorgonia/train/cpu/...,
// backendtest.PlainMLP), which every backend should train as fast as the
// graph builders' MLP6.
//
// Run them with
//
//	go test -bench . ./bench                     # OpenBLAS where installed, else gonum's BLAS
//	NEURONE_BLAS=gonum go test -bench . ./bench  # gonum's pure-Go BLAS, to compare
//
// The CPU's BLAS is chosen at run time (package internal/blas); a line
// before the results names it ("blas: OpenBLAS 0.3.21, Haswell kernels,
// 2 threads").
//
// Each sub-benchmark is named model/mode/device/batch
// (MLP6/train/cpu/batch=256) and reports samples/s, GFLOP/s, the fraction
// of the device's matrix-multiply peak measured in the same run
// (peak-fraction), and allocations per step. Sub-benchmarks of a device
// that is not built in or not present are skipped with the reason.
//
// BenchmarkDataParallel trains MLP6 on the CPU over 1 and 2 ranks that
// mpirun starts (each rank on a shard of 128 samples per step, the cores
// split between the ranks) and reports the global samples/s and the
// scaling efficiency, samples/s over ranks times one rank's; it needs
// Open MPI (skipped, saying so, without mpirun).
//
// bench/compare times PyTorch beside them in the same run: the perceptron
// with torch_mlp6.py here, the CNN with torch_cnn.py, which
// builds the network of graph.DefaultCNNSpec layer for layer.
package bench

// MLP6 FLOPs per sample, two for each multiply-add of the matrix products
// (activations, biases and the loss are left out), as GFLOP/s and
// peak-fraction count them. The forward pass multiplies by each layer's
// weights: 2·(10000·512 + 4·512·512 + 512·1). A training step adds, for
// each layer, the gradient of its weights and, for each layer but the
// first, the gradient of its input, each as much work as the layer's
// forward product. The first layer's input is the images, whose gradient no
// parameter needs and no backend computes (nor does PyTorch): a step is
// 3·forward − 2·10000·512 = 26.8 MFLOP, not the 3·forward = 37.0 often
// quoted, which overstated what the hardware does by 38%.
const (
	MLP6ForwardFLOPs = 2 * (10000*512 + 4*512*512 + 512*1)
	MLP6TrainFLOPs   = 3*MLP6ForwardFLOPs - 2*10000*512
)
