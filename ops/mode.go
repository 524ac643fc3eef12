package ops

import G "gorgonia.org/gorgonia"

// Mode is what an executor tells the ops whose result depends on whether
// the network is being trained (DropoutOp): the phase, and which training
// step is running.
//
// Step is the 1-based number of the training step, the optimizer's step
// count once the step's update is applied (optim.State.Step after
// the call to Train): the first Train call of a fresh program runs step 1,
// and a program resumed from a saved optimizer state carries on with the
// same numbers, so it draws the same dropout masks as an uninterrupted run.
// Step means nothing when Train is false.
//
// Sample is the index, in the global batch, of the first sample of the
// batch the executor runs: 0 in a single process; in data-parallel
// training, where rank r of n feeds the r-th of n equal shards of each
// global batch, r times the shard's size. Dropout draws the masks of
// those samples' elements of the global batch, so n ranks draw together
// the masks one process draws for the whole batch.
type Mode struct {
	Train  bool
	Step   uint64
	Sample uint64
}

// ModeDoer is implemented by ops whose result depends on the Mode. Their
// Do and UsePreallocDo compute the inference result (for dropout: the
// identity), so Gorgonia's machines and any executor that knows nothing of
// modes evaluate and predict correctly; an executor that trains calls
// ModeDo instead, with Mode{Train: true, Step: n} for every node of
// training step n (forward and backward alike, so both see one mask), and
// Mode{} to evaluate and predict.
//
// A device backend lowers such an op to a kernel that takes the same
// inputs the CPU code reads from the Mode (for dropout: DropoutOp.Mask).
type ModeDoer interface {
	ModeDo(mode Mode, prealloc G.Value, inputs ...G.Value) (G.Value, error)
}
