// Package optim says how a training run updates a model's parameters: the
// optimizers (SGD, momentum, Adam with decoupled weight decay), gradient
// clipping by global norm, and the learning-rate schedules.
//
// # Overview
//
// An Optimizer holds the method and its hyper-parameters. Backends carry
// out its update where the parameters live; Optimizer.Update is the CPU
// implementation and the reference every backend is checked against, and
// Coefficients are the per-step scalars every backend uses alike. State is
// what an optimizer remembers between steps (its step count and per
// parameter its slots), which checkpoints save.
//
// A Schedule (none, cosine, step, with an optional warm-up) turns a base
// learning rate into the rate of each epoch, or of each step with PerStep.
// A Rate pairs the base rate with the schedule and is the rate's one
// owner during a run: the training loop asks it for the rate of every
// step and hands that to its backend (backend.Program.SetLearningRate);
// nothing else sets the rate.
//
// # Errors and concurrency
//
// Validate reports hyper-parameters out of range and unknown names; New
// returns the same errors. The types are values without shared state.
package optim
