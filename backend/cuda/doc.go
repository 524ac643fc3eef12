// Package cuda is Neurone's CUDA backend. Importing it registers the "cuda"
// kind with backend.Open ("cuda" or "cuda:N").
//
// It runs the same Gorgonia graphs as the CPU backend. Compile lowers a
// graph once (see lower.go): matrix products become cuBLAS SGEMM calls,
// bias gradients SGEMV, and every other op a kernel compiled at run time by
// NVRTC from CUDA C kept in this package (kernels.go), with a bias add and
// the activation after it fused into one kernel. Device buffers are
// planned once and shared between values whose lifetimes do not overlap;
// parameters and optimizer state stay on the GPU, and a training step
// moves only the batch in and the loss out. From its second call on, the
// training step is replayed as a CUDA graph captured from the first eager
// one (set NEURONE_CUDA_GRAPHS=0 to run every step eagerly).
//
// The CUDA libraries are loaded when a device is opened (package
// internal/cudadl), so any build with cgo includes this backend and runs on
// machines without a GPU: there, opening "cuda" returns
// backend.ErrUnavailable saying what is missing (driver, device, cuBLAS or
// NVRTC), and backend.Open("auto") falls back to the CPU.
//
// Spec.AllowTF32 lets cuBLAS use TensorFloat-32 tensor cores for the
// matrix products (inputs rounded to 10-bit mantissas, float32 sums).
package cuda
