// Package cuda is the place of Neurone's CUDA backend. Importing it
// registers the "cuda" kind with backend.Open.
//
// This build has no CUDA code yet: opening "cuda" or "cuda:N" returns
// backend.ErrUnavailable with a message saying so, and backend.Open("auto")
// falls back to the CPU with that message as its note. The CUDA backend
// (build tag "cuda", on gorgonia.org/cu) is tracked in the project's issues.
package cuda
