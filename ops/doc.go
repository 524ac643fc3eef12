// Package ops holds Neurone's own Gorgonia operations.
//
// # Overview
//
// Every op here is a type implementing gorgonia.Op, with a CPU forward pass
// on gorgonia.org/tensor values (float32 and float64), and, where it is
// differentiable, gorgonia.SDOp: its gradient is built from other ops of this
// package. A forward and backward graph made with these ops therefore holds
// only ops whose type and parameters the project knows, which is what lets a
// device backend lower every node (gorgonia.Grad adds nothing else, except a
// "+" node when one value feeds several consumers).
//
// Each op also implements gorgonia.UsePreallocDoer, so an executor can plan
// every node's buffer once and run training steps without allocating.
//
// The node constructors (MatMul, BiasAdd, ReLU, Conv2D, MaxPool2D,
// Dropout, Flatten, ...) wrap gorgonia.ApplyOp; most users reach them
// through package graph. Convolutions run as im2col and one GEMM per image
// through the BLAS internal/blas selects, in float32 and float64.
//
// An op here is its type, shape rule, gradient and the choice of kernel;
// the CPU loops themselves are in internal/cpukernels, which the CPU
// backend also calls directly when it fuses ops. The ops without
// parameters (Add, ReLU, BiasAdd, Softmax, ...) get every Gorgonia method
// from one generic embedded type (fixed.go); the others share one set of
// helpers for their shape rule and Do, with the one-line methods Go needs
// per type listed together in methods.go. A gradient op is in the file
// of its forward op's name with _grad (relu's in activation_grad.go).
//
// # Modes
//
// Dropout masks its input while training and is the identity otherwise;
// batch normalisation (and its gradients) uses the batch's statistics
// while training and the running ones otherwise. Ops like them implement
// ModeDoer: their Do gives the inference result, and
// an executor that trains calls ModeDo with the Mode (training or not, and
// the number of the training step). The mask is a pure function of the
// op's seed, the step and the element's index (DropoutMask), so every
// backend draws the same one.
//
// # Gradients
//
// The backward ops (ReLUBackward, SigmoidBackward, Conv2DFilterGrad, ...) are not themselves
// differentiable: asking for a second derivative through them is an error.
// Step (the Heaviside function) has a zero derivative almost everywhere;
// Step.StraightThrough makes its gradient pass through where |x| <= 1
// instead, the usual straight-through estimator.
//
// # Errors and concurrency
//
// Shape and type mismatches are reported when a node is built, as errors.
// An op value is immutable and may be shared between graphs and goroutines.
package ops
