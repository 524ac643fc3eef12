package cpu

import (
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/internal/plan"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/cpukernels"
	"github.com/neurone-dl/neurone/ops"
)

// step runs one node: its op reads the values in slots in and writes the
// value in slot out.
type step struct {
	node *G.Node
	op   G.Op
	pd   G.UsePreallocDoer // nil when the op has no UsePreallocDo
	md   ops.ModeDoer      // nil when the op does not depend on the mode
	// alias marks a reshape whose value shares its input's memory: it
	// runs (a copy) only if the input's value was replaced since planning.
	alias bool
	in    []int
	args  []G.Value // reused argument list, so a step allocates nothing
	out   int
	// fused, when set, runs instead of op (see fuse.go).
	fused fused
}

// program is a compiled Spec.
type program struct {
	spec  backend.Spec
	vals  []G.Value // one value per planned node
	slots map[*G.Node]int
	// inputs are the fed input slots, in Spec order; inputRaw their own
	// buffers (see feed).
	inputs   []int
	inputRaw [][]byte
	loss     int // slot of the loss, or -1
	outputs  []int
	params   []*tensor.Dense
	grads    []int
	// updates are the slots of each Spec.Updates value and buffer.
	updates [][2]int
	// train, eval and predict are the steps of each mode.
	train, eval, predict []step
	state                *optim.State
	mode                 ops.Mode // of the call in progress
	updater              *updater
	gradData             [][]float32         // reused each step
	pool                 *pool               // runs element-wise passes across cores
	sgdAlpha             float32             // −lr of the step in progress (sgd.go)
	replica              *replica            // nil unless Spec.Comm (replica.go)
	poolRoutes           map[*G.Node][]uint8 // by ReLU node: its fused max pooling's routes (relupool.go)
	closed               bool
}

// options are the planner's switches; tests turn fusion off to compare.
type options struct {
	noFusion bool
	// noConvFusion keeps convolutions out of the convolutional blocks'
	// fusions (relupool.go), for tests of those without them.
	noConvFusion bool
}

func compile(spec backend.Spec) (*program, error) { return compileWith(spec, options{}) }

func compileWith(spec backend.Spec, opt options) (*program, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	fusions := []*plan.Fusion{plan.StandardOps}
	if !opt.noFusion {
		fusions = append(fusions, convReLUPoolForward, reluPoolForward, convReLUPoolNormBackward, reluPoolNormBackward, batchNormGrads, convReLUPoolBackward, reluPoolBackward, convBatchStats, biasRectify, biasActivation, gradientSum)
		if opt.noConvFusion {
			fusions = slices.DeleteFunc(fusions, func(f *plan.Fusion) bool {
				return f == convReLUPoolForward || f == convReLUPoolNormBackward || f == convReLUPoolBackward || f == convBatchStats
			})
		}
	}
	pl, err := plan.New(spec, fusions...)
	if err != nil {
		return nil, err
	}
	p := &program{spec: spec, slots: map[*G.Node]int{}, loss: -1}
	if err := p.allocate(pl); err != nil {
		return nil, err
	}
	if spec.Loss != nil {
		p.train, p.eval, p.loss = p.steps(pl, plan.Train), p.steps(pl, plan.Eval), p.slots[spec.Loss]
		for _, u := range spec.Updates {
			p.updates = append(p.updates, [2]int{p.slots[u.Value], p.slots[u.Buffer]})
		}
	}
	p.predict = p.steps(pl, plan.Predict)
	for _, o := range spec.Outputs {
		p.outputs = append(p.outputs, p.slots[o])
	}
	sizes := make([]int, len(spec.Params))
	for i, prm := range spec.Params {
		p.params = append(p.params, p.vals[p.slots[prm]].(*tensor.Dense))
		p.grads = append(p.grads, p.slots[spec.Grads[i]])
		sizes[i] = prm.Shape().TotalSize()
	}
	p.state = spec.Optimizer.NewState(sizes)
	paramData := make([][]float32, len(p.params))
	for i, prm := range p.params {
		paramData[i] = cpukernels.Float32s(prm)
	}
	p.gradData = make([][]float32, len(p.params))
	var folded []bool // parameters the training steps update themselves
	if !opt.noFusion {
		parallelize(p.train)
		parallelize(p.eval)
		parallelize(p.predict)
		if spec.Comm == nil { // a folded update would use this rank's gradient alone
			folded = p.foldSGD(pl)
		}
	}
	p.updater = newUpdater(spec.Optimizer, paramData, p.state.Slots, folded)
	p.pool = newPool()
	if spec.Comm != nil {
		if err := p.newReplica(pl, spec.Comm); err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// slot returns the value slot of n, creating an empty one if needed.
func (p *program) slot(n *G.Node) int {
	if s, ok := p.slots[n]; ok {
		return s
	}
	p.slots[n] = len(p.vals)
	p.vals = append(p.vals, nil)
	return len(p.vals) - 1
}

// allocate gives every value of the plan a slot: a buffer of its own for
// each fed input (see feed) and each computed value, its node's value for
// the other leaves.
func (p *program) allocate(pl *plan.Plan) error {
	for _, in := range p.spec.Inputs {
		slot := p.slot(in)
		buf := tensor.New(tensor.WithShape(in.Shape()...), tensor.Of(in.Dtype()))
		p.vals[slot] = buf
		p.inputs = append(p.inputs, slot)
		p.inputRaw = append(p.inputRaw, buf.Raw)
	}
	for _, n := range pl.Order {
		slot := p.slot(n)
		switch {
		case p.vals[slot] != nil: // a fed input
		case pl.Kind(n) != plan.Computed:
			p.vals[slot] = n.Value()
		default:
			_, reshape := pl.Op(n).(ops.ReshapeOp)
			v, err := p.newValue(n, p.slotsOf(pl.Inputs(n)), reshape)
			if err != nil {
				return fmt.Errorf("backend/cpu: node %s: %w", n.Name(), err)
			}
			p.vals[slot] = v
		}
	}
	return nil
}

func (p *program) slotsOf(nodes []*G.Node) []int {
	in := make([]int, len(nodes))
	for i, n := range nodes {
		in[i] = p.slots[n]
	}
	return in
}

// steps returns the steps of mode m. A fused plan step runs as one pass
// (fuse.go) where m needs all its nodes, but batch normalisation's
// gradients outside training, where they are not the training formulas
// that pass computes; otherwise the nodes m needs run one by one.
// (Gradients outside training are outputs that a caller asked for.)
func (p *program) steps(pl *plan.Plan, m plan.Mode) []step {
	var steps []step
	for _, i := range pl.InMode(m) {
		s := &pl.Steps[i]
		all := !slices.ContainsFunc(s.Nodes, func(n *G.Node) bool { return !pl.Needs(m, n) })
		switch {
		case s.Fusion == nil:
			steps = append(steps, p.step(pl, s.Node()))
		case (s.Fusion == reluPoolNormBackward || s.Fusion == convReLUPoolNormBackward) && m != plan.Train:
			// The pooling's and ReLU's gradients fused, writing dz, then
			// the normalisation's gradients one by one.
			st := p.step(pl, s.Host)
			st.in = p.slotsOf(pl.Inputs(s.Host))
			st.fused = p.reluPoolGradStep(pl, s.Nodes[:2], st.in)
			steps = append(steps, st)
			for _, n := range s.Nodes[2:] {
				steps = append(steps, p.step(pl, n))
			}
		case !all || s.Fusion == batchNormGrads && m != plan.Train:
			for _, n := range s.Nodes {
				if pl.Needs(m, n) {
					steps = append(steps, p.step(pl, n))
				}
			}
		default:
			st := p.step(pl, s.Host)
			st.in, st.fused = p.slotsOf(s.In), p.fuse(pl, s)
			steps = append(steps, st)
		}
	}
	return steps
}

// step returns the step that runs n's op.
func (p *program) step(pl *plan.Plan, n *G.Node) step {
	in, out := p.slotsOf(pl.Inputs(n)), p.slots[n]
	op := pl.Op(n)
	s := step{node: n, op: op, in: in, args: make([]G.Value, len(in)), out: out}
	s.pd, _ = op.(G.UsePreallocDoer)
	if _, dense := p.vals[out].(*tensor.Dense); !dense && reflect.TypeOf(op).PkgPath() == gorgoniaPkg {
		// Gorgonia's ops preallocate tensors only: a product of two
		// vectors, a scalar, is made anew by Do.
		s.pd = nil
	}
	s.md, _ = op.(ops.ModeDoer)
	_, reshape := op.(ops.ReshapeOp)
	s.alias = reshape && n.Dtype() == tensor.Float32 && sameData(p.vals[in[0]], p.vals[out])
	return s
}

// gorgoniaPkg is the import path of Gorgonia's own ops.
var gorgoniaPkg = reflect.TypeFor[G.Node]().PkgPath()

// newValue returns the buffer of node n, whose inputs are in the slots in:
// for a float32 reshape, a tensor of n's shape over its input's memory.
func (p *program) newValue(n *G.Node, in []int, reshape bool) (G.Value, error) {
	if reshape && n.Dtype() == tensor.Float32 {
		if src, ok := p.vals[in[0]].(*tensor.Dense); ok {
			return tensor.New(tensor.WithShape(n.Shape()...), tensor.WithBacking(cpukernels.Float32s(src))), nil
		}
	}
	return ops.NewValue(n.Dtype(), n.Shape())
}

// sameData reports whether two float32 values start at the same element.
func sameData(a, b G.Value) bool {
	if a == nil || b == nil || a.Dtype() != tensor.Float32 || b.Dtype() != tensor.Float32 {
		return false
	}
	x, y := cpukernels.Float32s(a), cpukernels.Float32s(b)
	return len(x) > 0 && len(x) == len(y) && &x[0] == &y[0]
}

// run executes steps in order, in the program's current mode.
func (p *program) run(steps []step) error {
	for i := range steps {
		s := &steps[i]
		if s.alias && sameData(p.vals[s.in[0]], p.vals[s.out]) {
			continue
		}
		if s.fused != nil {
			p.pool.run(s.fused, s.fused.prepare(p.vals, p.pool))
			if err := s.fused.err(); err != nil {
				return fmt.Errorf("backend/cpu: %v (node %s): %w", s.op, s.node.Name(), err)
			}
			continue
		}
		for j, slot := range s.in {
			s.args[j] = p.vals[slot]
		}
		var v G.Value
		var err error
		switch {
		case s.md != nil:
			v, err = s.md.ModeDo(p.mode, p.vals[s.out], s.args...)
		case s.pd != nil:
			v, err = s.pd.UsePreallocDo(p.vals[s.out], s.args...)
		default:
			v, err = s.op.Do(s.args...)
		}
		if err != nil {
			return fmt.Errorf("backend/cpu: %v (node %s): %w", s.op, s.node.Name(), err)
		}
		p.vals[s.out] = v
	}
	return nil
}

// feed points the input buffers at the caller's inputs instead of copying
// them (a batch of MLP6 images is 10 MB): the ops only read their inputs.
// A nil input keeps the slice fed before (the program's own zeros before
// the first), read in place again: a caller reusing a batch with nil must
// leave it unchanged in between.
func (p *program) feed(inputs [][]float32) error {
	if len(inputs) != len(p.inputs) {
		return fmt.Errorf("%w: got %d inputs, the spec has %d", backend.ErrSpec, len(inputs), len(p.inputs))
	}
	for i, own := range p.inputRaw {
		if inputs[i] == nil {
			continue
		}
		if n := len(own) / 4; len(inputs[i]) != n {
			return fmt.Errorf("%w: input %s needs %d values %v, got %d", backend.ErrSpec,
				p.spec.Inputs[i].Name(), n, p.spec.Inputs[i].Shape(), len(inputs[i]))
		}
	}
	for i, slot := range p.inputs {
		if len(inputs[i]) > 0 {
			p.vals[slot].(*tensor.Dense).Raw = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(inputs[i]))), 4*len(inputs[i]))
		}
	}
	return nil
}

func (p *program) scalarAt(slot int) float32 {
	switch v := p.vals[slot].(type) {
	case *G.F32:
		return float32(*v)
	case *G.F64:
		return float32(*v)
	case *tensor.Dense:
		switch d := v.Data().(type) {
		case []float32:
			return d[0]
		case float32:
			return d
		}
	}
	return float32(0)
}

func (p *program) check() error {
	if p.closed {
		return backend.ErrClosed
	}
	return nil
}

// Train runs forward, backward and the optimizer update.
func (p *program) Train(inputs ...[]float32) (float32, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	if p.loss < 0 {
		return 0, fmt.Errorf("%w: Train needs a loss", backend.ErrSpec)
	}
	if err := p.feed(inputs); err != nil {
		return 0, err
	}
	p.mode = ops.Mode{Train: true, Step: uint64(p.state.Step) + 1}
	if p.replica != nil {
		p.mode.Sample = p.replica.sample
	}
	c := p.spec.Optimizer.Coefficients(p.state.Step + 1)
	p.sgdAlpha = -c.LR // for the products that update their weights (sgd.go)
	if err := p.run(p.train); err != nil {
		return 0, err
	}
	loss := p.scalarAt(p.loss)
	if p.replica != nil {
		var err error
		if loss, err = p.average(loss); err != nil {
			return 0, err
		}
	}
	for _, u := range p.updates { // the buffers are their nodes' values
		copy(cpukernels.Float32s(p.vals[u[1]]), cpukernels.Float32s(p.vals[u[0]]))
	}
	p.state.Step++
	for i, slot := range p.grads {
		p.gradData[i] = cpukernels.Float32s(p.vals[slot])
	}
	p.updater.step(c, p.gradData)
	return loss, nil
}

// Evaluate runs forward and the loss.
func (p *program) Evaluate(outputs [][]float32, inputs ...[]float32) (float32, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	if p.loss < 0 {
		return 0, fmt.Errorf("%w: Evaluate needs a loss", backend.ErrSpec)
	}
	if err := p.feed(inputs); err != nil {
		return 0, err
	}
	p.mode = ops.Mode{}
	if err := p.run(p.eval); err != nil {
		return 0, err
	}
	return p.scalarAt(p.loss), p.readOutputs(outputs)
}

// Predict runs forward to the outputs.
func (p *program) Predict(outputs [][]float32, inputs ...[]float32) error {
	if err := p.check(); err != nil {
		return err
	}
	if err := p.feed(inputs); err != nil {
		return err
	}
	p.mode = ops.Mode{}
	if err := p.run(p.predict); err != nil {
		return err
	}
	return p.readOutputs(outputs)
}

func (p *program) readOutputs(outputs [][]float32) error {
	if outputs == nil {
		return nil
	}
	if len(outputs) != len(p.outputs) {
		return fmt.Errorf("%w: got %d output slices, the spec has %d outputs", backend.ErrSpec, len(outputs), len(p.outputs))
	}
	for i, slot := range p.outputs {
		if outputs[i] == nil {
			continue
		}
		src := cpukernels.Float32s(p.vals[slot])
		if len(outputs[i]) != len(src) {
			return fmt.Errorf("%w: output %s has %d values, got a slice of %d", backend.ErrSpec, p.spec.Outputs[i].Name(), len(src), len(outputs[i]))
		}
		copy(outputs[i], src)
	}
	return nil
}

// OptimizerState returns a copy of the optimizer state.
func (p *program) OptimizerState() (*optim.State, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	s := &optim.State{Step: p.state.Step, Slots: make([][][]float32, len(p.state.Slots))}
	for i, slots := range p.state.Slots {
		for _, v := range slots {
			s.Slots[i] = append(s.Slots[i], append([]float32(nil), v...))
		}
	}
	return s, nil
}

// SetOptimizerState replaces the optimizer state after checking its sizes;
// with Spec.Comm, every rank then takes rank 0's.
func (p *program) SetOptimizerState(s *optim.State) error {
	if err := p.check(); err != nil {
		return err
	}
	if len(s.Slots) != len(p.state.Slots) {
		return fmt.Errorf("%w: optimizer state for %d parameters, the program has %d", backend.ErrSpec, len(s.Slots), len(p.state.Slots))
	}
	for i, slots := range p.state.Slots {
		if len(s.Slots[i]) != len(slots) {
			return fmt.Errorf("%w: parameter %s: %d optimizer slots, want %d", backend.ErrSpec, p.spec.Params[i].Name(), len(s.Slots[i]), len(slots))
		}
		for j, v := range slots {
			if len(s.Slots[i][j]) != len(v) {
				return fmt.Errorf("%w: parameter %s: optimizer slot of %d values, want %d", backend.ErrSpec, p.spec.Params[i].Name(), len(s.Slots[i][j]), len(v))
			}
		}
	}
	for i, slots := range p.state.Slots {
		for j, v := range slots {
			copy(v, s.Slots[i][j])
		}
	}
	p.state.Step = s.Step
	if p.replica != nil {
		return p.spec.BroadcastState(p.state)
	}
	return nil
}

// SetLearningRate changes the learning rate of the following steps.
func (p *program) SetLearningRate(lr float64) error {
	if err := p.check(); err != nil {
		return err
	}
	opt := p.spec.Optimizer
	opt.LearningRate = lr
	if err := opt.Validate(); err != nil {
		return fmt.Errorf("%w: %w", backend.ErrSpec, err)
	}
	p.spec.Optimizer = opt
	return nil
}

// Sync does nothing: parameters and buffers are updated in their nodes'
// values.
func (p *program) Sync() error { return p.check() }

// Load picks up parameter and buffer values that were replaced on their
// nodes (with gorgonia.Let) since Compile; values changed in place need
// nothing. With Spec.Comm, every rank then takes rank 0's values.
func (p *program) Load() error {
	if err := p.check(); err != nil {
		return err
	}
	if p.replica != nil { // rank 0's values, before they are taken up
		if err := p.spec.BroadcastValues(); err != nil {
			return err
		}
	}
	held := func(n *G.Node, mine *tensor.Dense) error {
		v, ok := n.Value().(*tensor.Dense)
		if !ok || !v.Shape().Eq(mine.Shape()) || v.Dtype() != tensor.Float32 {
			return fmt.Errorf("%w: %s changed shape or type", backend.ErrSpec, n.Name())
		}
		if v != mine {
			copy(mine.Data().([]float32), v.Data().([]float32))
		}
		return nil
	}
	for i, prm := range p.spec.Params {
		if err := held(prm, p.params[i]); err != nil {
			return err
		}
	}
	for i, u := range p.spec.Updates {
		if err := held(u.Buffer, p.vals[p.updates[i][1]].(*tensor.Dense)); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the buffers.
func (p *program) Close() error {
	if p.closed {
		return nil
	}
	p.updater.close()
	p.pool.close()
	p.closed = true
	p.vals = nil
	return nil
}
