// Package bench holds Neurone's benchmarks: the canonical 6-layer
// perceptron "MLP6" (10000 → 512 ×5 ReLU → 1 sigmoid, binary cross-entropy,
// SGD, float32) trained and run on every backend built in, and the small
// cat/dog CNN (graph.DefaultCNNSpec on 100×100 images) trained.
//
// Run them with
//
//	go test -bench . ./bench                 # gonum BLAS
//	go test -tags openblas -bench . ./bench  # OpenBLAS (make bench picks it)
//
// Each sub-benchmark is named model/mode/device/batch
// (MLP6/train/cpu/batch=256) and reports samples/s, GFLOP/s, the fraction
// of the device's matrix-multiply peak measured in the same run
// (peak-fraction), and allocations per step. Sub-benchmarks of a device
// that is not built in or not present are skipped with the reason.
package bench

// MLP6 FLOPs per sample: 2·(10000·512 + 4·512·512 + 512·1) multiply-adds
// for the forward pass; a training step does about three times that
// (forward, gradient of the activations, gradient of the weights).
const (
	mlp6ForwardFLOPs = 2 * (10000*512 + 4*512*512 + 512)
)
