// Package neurone is the front page of Neurone, a deep-learning framework
// for Go: models are Gorgonia computation graphs built from Neurone's own
// ops, differentiated by Gorgonia, and run forward and backward by a
// backend, on the CPU (OpenBLAS, loaded at run time where it is installed,
// or gonum's pure-Go BLAS) or on an NVIDIA GPU through CUDA, the same graph
// on either. This package holds no code; its subpackages are the framework.
//
// # Overview
//
//   - graph: what research code imports to build models: initialisers,
//     Dense, MLP, Conv2D, CNN, losses, Grad, optimizers.
//   - ops: the ops the graphs are made of, each with its gradient.
//   - backend: Open("auto"), "cpu" or "cuda:N", and Compile a graph into a
//     Program that trains and predicts; backend/cpu and backend/cuda run it.
//   - models: the cat/dog perceptron and CNN, their data sets and
//     checkpoints.
//   - bench: the benchmarks, the 6-layer perceptron (MLP6) on every
//     backend.
//   - cmd: catdog-train, catdog-predict and catdog-samples.
//
// # Benchmarks
//
// From the repository root,
//
//	go test -bench . ./bench
//
// runs the benchmarks, and so does
//
//	go test -bench ./bench
//
// which go test reads as the pattern "./bench" for this package's
// benchmarks: this package's test turns a -bench value that is a path into
// a run of that package's benchmarks, with the other flags given (-benchtime,
// -count, -benchmem, -cpu, -run, -skip, -timeout, -v).
package neurone
