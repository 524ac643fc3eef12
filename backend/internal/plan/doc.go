// Package plan is the planning every backend shares: it turns a
// backend.Spec's graph into the steps that each mode (training,
// evaluation, prediction) runs, and says what a backend needs to know to
// give the values memory and to run several nodes as one step.
//
// # Overview
//
// New sorts the nodes that the modes need into one dependency order, so
// that the steps of each mode are a subsequence of it and memory planned
// on it is safe in all of them. It classifies the leaves (fed inputs,
// parameters and the state that training updates, constants) and finds
// each value's readers. A backend passes the Fusions its executor runs:
// pairs, such as a bias addition and the activation that reads it
// (BiasActivation), or groups of nodes a rule picks; each fused pair or
// group becomes one Step, run where its earliest node stood. With
// StandardOps among them, Gorgonia's standard ops that compute what one
// of the project's ops computes (G.Mul of matrices, G.BroadcastAdd of a
// row bias, ...) are planned as that op (OpOf, Plan.Op), so the backend's
// kernels and fusions run them too; BiasRectify joins G.Rectify with the
// bias before it. A backend
// that shares memory between values whose lifetimes do not overlap asks
// ShareBuffers for the assignment; one that gives every value its own
// buffer reads Order.
//
// The plan holds no memory and touches no device: each backend keeps only
// what it executes.
//
// # Errors
//
// New returns an error wrapping backend.ErrSpec for a spec whose graph
// cannot be planned: a nil target, a leaf that is neither fed nor holds a
// value, an update of state that the training step does not read or does
// not compute.
package plan
