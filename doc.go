// Package neurone is the front page of Neurone, a deep-learning framework
// for Go: models are Gorgonia computation graphs built from Neurone's own
// ops or Gorgonia's standard ones, differentiated by Gorgonia, and run forward and backward by a
// backend, on the CPU (OpenBLAS, loaded at run time where it is installed,
// or gonum's pure-Go BLAS) or on an NVIDIA GPU through CUDA, the same graph
// on either. This package holds no code; its subpackages are the framework.
//
// # Overview
//
// Where each thing lives, and what may import what (an arrow points at
// what a package imports):
//
//   - graph: what research code imports to build models: initialisers,
//     Dense, MLP, Conv2D, CNN, losses, Grad wiring; pure graph
//     construction, no device code. graph -> ops.
//   - graph/optim: optimizers (SGD, momentum, Adam/AdamW), gradient
//     clipping, learning-rate schedules, and Rate, the one owner of the
//     learning rate during a run. optim -> graph.
//   - ops: the ops graphs are made of, one family per file, each with its
//     shape rule, CPU forward and gradient (built from other ops, in
//     *_grad.go), every one checked by finite differences. Their CPU loops
//     are internal/cpukernels (Go, with AVX and AVX2 paths on amd64 that
//     give the Go loops' bits). ops -> internal/cpukernels.
//   - backend: Open("auto"), "cpu", "cuda:N" or "cuda-emu" returns a
//     Backend; Compile turns a graph into a Program that trains, evaluates
//     and predicts.
//     backend/backendtest is the conformance suite every backend passes;
//     backend/backendtest/zoo, research graphs written with Gorgonia's
//     standard ops, checked on every backend against Gorgonia's
//     TapeMachine.
//   - backend/comm: data-parallel training's communicators: Open MPI
//     between processes, NCCL between GPUs, both loaded at run time
//     (internal/mpidl, internal/nccldl); a Spec with one (Spec.Comm)
//     trains one model over the ranks mpirun starts.
//   - backend/internal/plan: the one planner both backends use: the
//     order of the nodes per mode, who reads each value and last, buffer
//     sharing by liveness, and the fusions each backend asks for; it
//     recognises Gorgonia's standard ops (products, broadcast bias adds,
//     rectifiers) and rewrites them onto Neurone's (StandardOps).
//   - backend/cpu: executes a plan with the CPU kernels; matrix products
//     on the BLAS chosen at run time (internal/blas). Its own fusions
//     include a conv block's bias or batch norm, ReLU and 2x2 max pooling
//     in one pass each way (relupool.go).
//   - backend/cuda: lowers a plan to cuBLAS calls and NVRTC-compiled CUDA C
//     kernels over device buffers, replayed as a CUDA graph. Each op family
//     (activation, matmul, bias, conv, pool, batchnorm, loss, softmax, dropout,
//     reduce, optimizer, and Gorgonia's standard element-wise, broadcast, axis,
//     shape, linear-algebra and softmax ops) is one file with its CUDA C, its
//     lowering and its launches, registered by op type or by a matcher for ops
//     defined elsewhere (family.go); adding an op is one file plus its
//     conformance cases. The device is reached through one interface,
//     implemented by internal/cudadl (libraries loaded at run time, the
//     default) or by gorgonia.org/cu (-tags cu), or, for "cuda-emu", by an
//     emulator on the host (emu*.go): the same program and kernels, the kernels
//     built by the host's C++ compiler and the products on the host BLAS, so
//     that a graph is proved to run on CUDA and to compute the CPU's numbers
//     without a GPU.
//   - models: the cat/dog perceptron and CNN with their training run
//     (catdog.Run and Resume: the epoch loop, validation, early stopping,
//     checkpoints, history and resume, reported to a progress callback;
//     catdog.Settings: a run's settings checked, its data loaded and a
//     resumed checkpoint's settings merged), its report
//     (models/catdog/report: summary.json, plots, console text), data sets
//     (models/catdog/dataset, models/catdog/synthetic) and checkpoints
//     (models/checkpoint). models -> graph, backend.
//   - bench: the benchmarks (MLP6, the CNN, SGEMM) on every backend, the
//     side-by-side driver (bench/compare) and the GPU bundle's script.
//   - cmd: catdog-train, catdog-predict and catdog-samples: flags,
//     progress and output; catdog-train maps its flags to catdog.Settings
//     and catdog.Run.
//     cmd -> everything above.
//   - internal: what no user should import: the BLAS and CUDA loaders,
//     the CPU kernels, atomic file writes, the gradient checker.
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
