// Package cuda is Neurone's CUDA backend. Importing it registers the "cuda"
// kind with backend.Open ("cuda" or "cuda:N"), and "cuda-emu", the same
// backend emulated on the host (see Checked without a GPU).
//
// # Overview
//
// It runs the same Gorgonia graphs as the CPU backend. Compile plans a
// graph once with the planner every backend shares (backend/internal/plan)
// and lowers each step (lower.go): matrix products become cuBLAS SGEMM
// calls, bias gradients SGEMV, and every other op a kernel compiled at run
// time by NVRTC from CUDA C kept in this package, with a bias add and the
// activation after it fused into one kernel. The kernels are compiled once
// per process to machine code for the device (a CUBIN), or, when NVRTC is
// older than the GPU, to PTX that the driver compiles for it;
// Backend.Versions says which, and which driver, cuBLAS and NVRTC run. Each op family (activations,
// matmul, bias, conv, pool, batchnorm, loss, softmax, dropout, reduce,
// optimizer, and Gorgonia's element-wise, shape, axes, linalg and softmax
// ops) has one file with its CUDA C, the lowering of its ops to
// arguments of its own and the launches they describe, registered by op
// type or, for ops defined elsewhere such as Gorgonia's, by a function
// that recognises them (family.go). Device buffers are
// planned once and shared between values whose lifetimes do not overlap;
// parameters, optimizer state and training state (Spec.Updates: batch
// normalisation's running statistics, refreshed by device-to-device
// copies at the end of each step) stay on the GPU, and a training step
// moves only the batch in and the loss out. Gradient clipping computes
// its factor on the device too, so that nothing of a step waits for the
// host. From its second call on, the
// training step is replayed as a CUDA graph captured from the first eager
// one (set NEURONE_CUDA_GRAPHS=0 to run every step eagerly).
//
// The CUDA libraries are loaded when a device is opened (package
// internal/cudadl), so any build with cgo includes this backend and runs on
// machines without a GPU: there, opening "cuda" returns
// backend.ErrUnavailable saying what is missing (driver, device, cuBLAS or
// NVRTC), and backend.Open("auto") falls back to the CPU. The libraries are
// found under their versioned names (libcuda.so.1, libcublas.so.13, .12,
// .11, libnvrtc.so.13, ...) on the dynamic loader's path, then in
// $CUDA_HOME/lib64, $CUDA_PATH/lib64, /usr/local/cuda/lib64 and
// /usr/local/nvidia/lib64.
//
// Spec.AllowTF32 lets cuBLAS use TensorFloat-32 tensor cores for the
// matrix products (inputs rounded to 10-bit mantissas, float32 sums).
//
// # Data-parallel training
//
// A Spec with a communicator (Spec.Comm, see package backend) joins the
// program's GPU to an NCCL communicator over the communicator's ranks
// (backend/comm.NCCL; NCCL loaded at run time, also from Python's
// site-packages nvidia/nccl/lib), one GPU per rank process. The training
// step averages the gradients, the batch normalisations' statistics and
// the loss with grouped ncclAllReduce calls (ncclAvg) on the program's
// stream right after the backward pass, inside the captured CUDA graph
// (NCCL 2.9 and later allow capture; otherwise the step runs eagerly), and
// dropout's kernel draws the masks of the rank's shard of the global
// batch. Without NCCL, Compile returns comm.ErrUnavailable; the cu layer
// does not support it (backend.ErrUnsupported). The host stand-in runs the
// same program over MPI ranks (TestHostedDataParallel).
//
// # The cu layer (-tags cu)
//
// Built with the tag cu, the backend reaches the GPU through
// gorgonia.org/cu and its blas and nvrtc packages instead
// (backend_cu.go, device_cu.go): device and context, memory, copies,
// kernel launches, cuBLAS products, and the kernels' compilation and
// loading. cu links the driver, cuBLAS and NVRTC when the binary is built
// (internal/cubuild/cu.sh supplies the headers and link stubs), so such a
// binary needs them to start, and cu ends it at start-up where the driver
// cannot initialise. Everything above the device interface is shared, so
// the two layers run the same programs and kernels, and the same
// conformance suite checks both against the CPU. What cu v0.9.6 lacks
// shapes the layer: every training step runs eagerly (no stream capture,
// so no CUDA graph), on the context's legacy default stream (cu/blas
// cannot set cuBLAS's stream); AllowTF32 is backend.ErrUnsupported from
// Compile (no cublasSetMathMode); a batch of products is one SGEMM per
// matrix (no strided batched SGEMM); the kernels are PTX that the driver
// compiles (no nvrtcGetCUBIN). Its errors are *cudadl.Error values too,
// named as the default layer names them.
//
// # Checked without a GPU: cuda-emu
//
// The program reaches the GPU only through a small device interface
// (device.go), which an emulator also implements (emu.go, emu_proc.go,
// emu_mem.go, emu_build.go): backend.Open("cuda-emu") is the real CUDA
// program, lowering, plan, launches, optimizer kernels, capture and
// replay, on the host. It exists so that research code, and this
// project's CI, can prove that a graph will run on CUDA and compute the
// same numbers, on a machine with no GPU. Its kernels are kernelSource,
// the CUDA C that NVRTC compiles, built by the host's C++ compiler ($CXX,
// else c++, g++ or clang++ on the PATH; without one, opening it is
// backend.ErrUnavailable saying so) with a shim that maps CUDA's names
// onto pthreads, and run in a subprocess: the threads of a block are real
// threads that meet at __syncthreads, the blocks of a grid run one after
// another. A reduction's block has 8 threads, any other block 5,
// deliberately not a power of two and not the GPU's 256, so that a
// grid-stride kernel that is wrong for some block size fails. The cuBLAS
// calls run on the host BLAS (internal/blas), and Spec.AllowTF32 is
// ignored (products in float32). The built program is cached in the
// user's cache directory (neurone/cuda-emu, by a hash of the source, the
// compiler and its flags), so that only the first Open compiles (a few
// seconds). The device memory is a file that both processes map, so a
// launch moves no data; the subprocess ends when the backend is closed,
// or when this process ends however it ends (its input closes). It
// refuses what a GPU would make an error or a leak: copies while
// capturing, an address outside the program's buffers, freeing twice,
// memory left allocated when a program closes. It is several times
// slower than the CPU backend: a checking tool, not one to train at
// scale. What it cannot check is what needs a GPU: warps, blocks running
// at once, the driver, cuBLAS itself. MemInfo is backend.ErrUnsupported.
//
// The tests run the conformance suite and the op cases on it against the
// CPU. The lowering alone is also simulated in Go (lower_test.go, and
// each family's _test.go), every launch is checked against its kernel's
// CUDA signature and every cuBLAS call against cuBLAS's argument rules
// (launch_test.go), and the kernels are compiled by NVRTC to CUBINs and
// PTX, and the PTX assembled by ptxas, for Ampere and Hopper
// (kernels_test.go): where those tools are installed, and always in CI
// (CI=true), which installs them. The tests that need a device
// (program_test.go, device_test.go) skip, saying why, without one.
//
// # Gorgonia's standard ops
//
// Graphs built with Gorgonia's own ops run too, forward and backward as
// G.Grad differentiates them, each node one kernel or cuBLAS call on the
// device (nothing falls back to the host). Those the planner recognises
// as one of the project's ops (plan.StandardOps: a product of matrices,
// a row bias added by G.BroadcastAdd, its gradient's sum over rows, ...)
// run as that op, on its kernels and fusions; the others lower as
// follows: products (G.Mul of matrices,
// matrices and vectors, vectors; G.OuterProd; G.BatchedMatMul), with
// transposes as cuBLAS flags (linalg.go); the element-wise unary ops
// (G.Neg, G.Square, G.Sqrt, G.Inverse, G.InverseSqrt, G.Exp, G.Log,
// G.Log2, G.Log1p, G.Expm1, G.Abs, G.Sign, G.Ceil, G.Floor, G.Sin, G.Cos,
// G.Cube, G.Tanh, G.Sigmoid, G.Softplus) and binary ones (G.Add, G.Sub,
// G.HadamardProd, G.HadamardDiv, G.Pow, and the comparisons with retSame
// that G.Rectify and the gradient of G.Max use), between tensors of one
// shape or with a scalar, and the sizes G.Mean divides by
// (elementwise.go); broadcasting (G.BroadcastAdd and the other Broadcast
// ops, G.Auto), whose reshapes and repeats join the binary op that reads
// them in one kernel that reads the operands with stride 0 along the
// broadcast axes (broadcast.go); G.Reshape, G.Transpose, G.Slice,
// G.Concat and the scatters and repeats of their gradients (shape.go); G.Sum, G.Mean and
// G.Max over all axes or given ones (axes.go); G.SoftMax and
// G.LogSoftMax over the last axis (stdsoftmax.go); G.LogSumExp of a
// vector; constants and scalars.
//
// Not supported, each an ErrUnsupported from Compile that says what to
// use instead: G.Tensordot, G.At, G.DiagFlat, G.Conv2d, G.MaxPool2D,
// G.AveragePool2D, G.GlobalAveragePool2D, G.BatchNorm, G.Dropout,
// G.GroupNorm, G.ByIndices, G.CTCLoss, G.MinBetween, G.MaxBetween,
// G.Sparsemax, G.Upsample2D, G.YOLOv3 (the project's ops in package ops
// replace the network layers among them); G.SoftMax along an axis other
// than the last; G.Sum over more than 4 axes that do not merge, G.Max
// over more than 4 axes that do not merge, G.Transpose of more than 4
// axes that do not merge (neighbouring axes that are contiguous merge);
// G.Slice with a step that does not divide end − start (Gorgonia's shape
// and value then disagree); comparisons that return booleans (the kernels
// run float32); any dtype but float32. Gorgonia's gradient of G.OuterProd
// is wrong, and of the wrong shape for vectors of different lengths,
// which Compile then refuses; G.LogSumExp of a matrix fails in Gorgonia
// itself.
//
// # Errors
//
// An op the lowering does not know is backend.ErrUnsupported from Compile,
// naming the op, the node and, for the ops listed above, the closest
// supported way. A program that does not fit in device memory,
// or whose tensors outgrow the kernels' 32-bit indices, is an error from
// Compile that suggests a smaller batch. CUDA, cuBLAS and
// NVRTC failures are *cudadl.Error values naming the call and the CUDA
// error. A closed Program or Backend returns backend.ErrClosed.
//
// # Concurrency
//
// As for every backend, use a Program from one goroutine at a time. Each
// call locks its goroutine to its OS thread and makes the device's context
// current there for the duration of the call, so calls may come from any
// goroutine.
package cuda
