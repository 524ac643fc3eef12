//go:build cgo

package cuda

import (
	"fmt"
	"os"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/backend/internal/plan"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/cpukernels"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// launch is a kernel launch prepared at compile time.
type launch struct {
	fn          cudadl.Function
	grid, block cudadl.Dim3
	args        *cudadl.Args
	name        string // the kernel's, and the values packed in args,
	vals        []any  // which the tests check against its CUDA signature
}

// program is a lowering carried out on one device.
type program struct {
	b      *Backend
	spec   backend.Spec
	plan   *lowering
	opt    optim.Optimizer
	dev    device
	mem    []cudadl.Ptr // one per buffer of the lowering
	ones   cudadl.Ptr
	coef   cudadl.Ptr // the step's scalars: coefLen floats
	slots  [][]cudadl.Ptr
	work   [][]action // per instruction: its device work while training
	infer  [][]action // per instruction: its work outside training where that differs (modal), else nil
	update []*launch  // per parameter
	clip   []*launch  // before the updates, when the optimizer clips: sum_squares per parameter, clip_scale
	parts  cudadl.Ptr // the partial sums of squares of clipping (doubles)
	state  optim.State
	// launches are all the prepared launches, whose arguments free
	// releases.
	launches []*launch

	useGraphs  bool
	graph      replayer
	graphErr   error // why capture failed, when it did
	trainCalls int

	lossHost []float32
	coefHost []float32
	closed   bool

	// avg averages avgBufs over the ranks after the backward pass when
	// the spec has a communicator (dataparallel.go); nil otherwise.
	avg     averager
	avgBufs []comm.DeviceBuffer
}

// workspaceBytes is cuBLAS's own workspace, given to it so that a captured
// step allocates nothing (cuBLAS asks for 32 MiB on Hopper).
const workspaceBytes = 32 << 20

// Compile lowers spec and prepares it on the device.
func (b *Backend) Compile(spec backend.Spec) (backend.Program, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	pl, err := lower(spec)
	if err != nil {
		return nil, err
	}
	if spec.Comm != nil {
		pl.shard(spec.Comm.Rank() * batchOf(spec))
	}
	leave, err := b.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	p := &program{b: b, spec: spec, plan: pl, opt: spec.Optimizer,
		useGraphs: os.Getenv("NEURONE_CUDA_GRAPHS") != "0",
		lossHost:  make([]float32, 1), coefHost: make([]float32, coefLen)}
	if err := p.setup(); err != nil {
		p.free()
		if cudadl.IsOutOfMemory(err) {
			return nil, fmt.Errorf("%s: out of device memory for this program (%.0f MB of buffers at batch %d%s): use a smaller batch: %w",
				b.name, float64(p.bytes())/1e6, batchOf(spec), b.freeMemory(), err)
		}
		return nil, fmt.Errorf("%s: %w", b.name, err)
	}
	return p, nil
}

func batchOf(spec backend.Spec) int {
	if len(spec.Inputs) > 0 && spec.Inputs[0].Dims() > 0 {
		return spec.Inputs[0].Shape()[0]
	}
	return 0
}

// bytes is the device memory the program's buffers take.
func (p *program) bytes() int {
	n := 0
	for _, b := range p.plan.bufs {
		n += 4 * b.Size
	}
	for _, prm := range p.spec.Params {
		n += 4 * p.opt.Slots() * prm.Shape().TotalSize()
	}
	return n
}

func (p *program) setup() error {
	var err error
	if p.dev, err = p.b.newDevice(p.spec.AllowTF32); err != nil {
		return err
	}
	p.mem = make([]cudadl.Ptr, len(p.plan.bufs))
	for i, buf := range p.plan.bufs {
		if p.mem[i], err = p.dev.alloc(buf.Size); err != nil {
			return fmt.Errorf("buffer of %s: %w", buf.name(), err)
		}
		switch buf.Kind {
		case plan.Const:
			err = p.dev.toDevice(p.mem[i], buf.value)
		case plan.Param:
			// Load copies them below.
		default:
			err = p.dev.fill(p.mem[i], 0, buf.Size)
		}
		if err != nil {
			return err
		}
	}
	if p.plan.ones > 0 {
		if p.ones, err = p.dev.alloc(p.plan.ones); err != nil {
			return err
		}
		if err := p.dev.fill(p.ones, 1, p.plan.ones); err != nil {
			return err
		}
	}
	if p.coef, err = p.dev.alloc(len(p.coefHost)); err != nil {
		return err
	}
	if err := p.prepareInstrs(); err != nil {
		return err
	}
	if p.spec.Loss != nil {
		if err := p.setupOptimizer(); err != nil {
			return err
		}
		if p.spec.Comm != nil {
			if err := p.setupAverage(); err != nil {
				return err
			}
		}
	}
	if err := p.load(); err != nil {
		return err
	}
	return p.dev.sync()
}

// prepareInstrs prepares every instruction's device work on the
// allocated buffers.
func (p *program) prepareInstrs() error {
	for i := range p.plan.instrs {
		in := &p.plan.instrs[i]
		work, err := p.prepareWork(in, true)
		var infer []action
		if m, ok := in.args.(modal); err == nil && ok && m.modal() {
			infer, err = p.prepareWork(in, false)
		}
		if err != nil {
			return fmt.Errorf("%v (node %s): %w", in.node.Op(), in.node.Name(), err)
		}
		p.work, p.infer = append(p.work, work), append(p.infer, infer)
	}
	return nil
}

// prepareWork binds the calls of in (train selecting a modal one's) to the
// program's memory.
func (p *program) prepareWork(in *instr, train bool) ([]action, error) {
	var work []action
	for _, c := range in.args.calls(in, p.plan.scratch, train) {
		a, err := p.bind(c)
		if err != nil {
			return nil, err
		}
		work = append(work, a)
	}
	return work, nil
}

func (p *program) setupOptimizer() error {
	sizes := p.paramSizes()
	p.state = optim.State{Slots: p.opt.NewState(sizes).Slots}
	if p.opt.ClipNorm > 0 {
		_, parts := clipBlocks(sizes, p.b.dev.SMs)
		var err error
		if p.parts, err = p.dev.alloc(2 * parts); err != nil { // doubles
			return err
		}
	}
	p.slots = make([][]cudadl.Ptr, len(sizes))
	for i, n := range sizes {
		for range p.opt.Slots() {
			s, err := p.dev.alloc(n)
			if err != nil {
				return err
			}
			p.slots[i] = append(p.slots[i], s)
			if err := p.dev.fill(s, 0, n); err != nil {
				return err
			}
		}
	}
	return p.prepareUpdates()
}

// prepareUpdates prepares the optimizer's launch for each parameter, on the
// slots setupOptimizer allocated, and those of gradient clipping.
func (p *program) prepareUpdates() error {
	sizes := p.paramSizes()
	var err error
	if p.update, err = p.launchAll(updateCalls(p.opt, p.plan.params, p.plan.grads, sizes)); err != nil {
		return err
	}
	if p.opt.ClipNorm > 0 {
		p.clip, err = p.launchAll(clipCalls(p.opt, p.plan.grads, sizes, p.b.dev.SMs))
	}
	return err
}

// paramSizes returns the elements of each parameter.
func (p *program) paramSizes() []int {
	sizes := make([]int, len(p.spec.Params))
	for i, prm := range p.spec.Params {
		sizes[i] = prm.Shape().TotalSize()
	}
	return sizes
}

// kernel prepares a launch of kernel name over n elements: a grid-stride
// grid of 256-thread blocks, a few per multiprocessor at most.
func (p *program) kernel(name string, n int, args ...any) (*launch, error) {
	a, err := cudadl.NewArgs(args...)
	if err != nil {
		return nil, err
	}
	const threads = 256
	blocks := min((n+threads-1)/threads, 8*p.b.dev.SMs)
	l := &launch{fn: p.b.kernels[name], grid: cudadl.Dim3{X: uint32(max(blocks, 1))}, block: cudadl.Dim3{X: threads}, args: a,
		name: name, vals: args}
	p.launches = append(p.launches, l)
	return l, nil
}

// reduction prepares a launch of a reduction kernel: blocks blocks of
// reduceThreads threads.
func (p *program) reduction(name string, blocks int, args ...any) (*launch, error) {
	a, err := cudadl.NewArgs(args...)
	if err != nil {
		return nil, err
	}
	l := &launch{fn: p.b.kernels[name], grid: cudadl.Dim3{X: uint32(blocks)}, block: cudadl.Dim3{X: reduceThreads}, args: a,
		name: name, vals: args}
	p.launches = append(p.launches, l)
	return l, nil
}

// at is the device address of r.
func (p *program) at(r region) cudadl.Ptr { return p.mem[r.buf] + cudadl.Ptr(4*r.off) }

// run queues the instructions of list on the stream; train selects the
// training behaviour of dropout.
func (p *program) run(list []int, train bool) error {
	for _, i := range list {
		in := &p.plan.instrs[i]
		if err := p.exec(i, train); err != nil {
			return fmt.Errorf("%s: %v (node %s): %w", p.b.name, in.node.Op(), in.node.Name(), err)
		}
	}
	return nil
}

func (p *program) exec(i int, train bool) error {
	work := p.work[i]
	if !train && p.infer[i] != nil {
		work = p.infer[i]
	}
	for _, a := range work {
		if err := a.run(p.dev); err != nil {
			return err
		}
	}
	return nil
}

// trainStep queues the forward and backward passes and the update.
func (p *program) trainStep() error {
	if err := p.run(p.plan.train, true); err != nil {
		return err
	}
	if p.avg != nil {
		if err := p.avg.mean(p.avgBufs); err != nil {
			return fmt.Errorf("%s: averaging over the ranks: %w", p.b.name, err)
		}
	}
	for _, u := range p.plan.updates {
		if err := p.dev.copy(p.mem[u[1]], p.mem[u[0]], p.plan.bufs[u[0]].Size); err != nil {
			return fmt.Errorf("%s: state update: %w", p.b.name, err)
		}
	}
	for _, list := range [][]*launch{p.clip, p.update} {
		for _, l := range list {
			if err := p.dev.launch(l); err != nil {
				return fmt.Errorf("%s: optimizer update: %w", p.b.name, err)
			}
		}
	}
	return nil
}

// capture records the training step as a CUDA graph.
func (p *program) capture() (replayer, error) {
	if err := p.dev.beginCapture(); err != nil {
		return nil, err
	}
	err := p.trainStep()
	g, endErr := p.dev.endCapture()
	if err != nil {
		if g != nil {
			g.destroy()
		}
		return nil, err
	}
	return g, endErr
}

func (p *program) enter() (func(), error) {
	if p.closed {
		return nil, backend.ErrClosed
	}
	return p.b.enter()
}

// feed copies the caller's inputs to the device; a nil input keeps what
// the buffer holds (the previous call's batch).
func (p *program) feed(inputs [][]float32) error {
	if len(inputs) != len(p.plan.inputs) {
		return fmt.Errorf("%w: got %d inputs, the spec has %d", backend.ErrSpec, len(inputs), len(p.plan.inputs))
	}
	for i, b := range p.plan.inputs {
		if inputs[i] == nil {
			continue
		}
		if want := p.plan.bufs[b].Size; len(inputs[i]) != want {
			return fmt.Errorf("%w: input %s needs %d values %v, got %d", backend.ErrSpec,
				p.spec.Inputs[i].Name(), want, p.spec.Inputs[i].Shape(), len(inputs[i]))
		}
		if err := p.dev.toDevice(p.mem[b], inputs[i]); err != nil {
			return err
		}
	}
	return nil
}

// Train runs one training step. The first runs eagerly; the second is
// captured as a CUDA graph that later steps replay.
func (p *program) Train(inputs ...[]float32) (float32, error) {
	leave, err := p.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	if p.plan.loss < 0 {
		return 0, fmt.Errorf("%w: Train needs a loss", backend.ErrSpec)
	}
	if err := p.feed(inputs); err != nil {
		return 0, err
	}
	step := p.state.Step + 1
	putCoefficients(p.coefHost, p.opt.Coefficients(step), step)
	if err := p.dev.toDevice(p.coef, p.coefHost); err != nil {
		return 0, err
	}
	p.trainCalls++
	switch {
	case p.graph != nil:
		err = p.graph.replay()
	case p.useGraphs && p.trainCalls >= 2:
		if p.graph, err = p.capture(); err != nil {
			// Capture is an optimisation: run eagerly from now on.
			p.graph, p.graphErr, p.useGraphs = nil, err, false
			err = p.trainStep()
		} else {
			err = p.graph.replay()
		}
	default:
		err = p.trainStep()
	}
	if err != nil {
		return 0, err
	}
	if err := p.dev.toHost(p.lossHost, p.mem[p.plan.loss]); err != nil {
		return 0, fmt.Errorf("%s: training step: %w", p.b.name, err)
	}
	p.state.Step++
	return p.lossHost[0], nil
}

// Evaluate runs the forward pass and the loss, and reads back the outputs.
func (p *program) Evaluate(outputs [][]float32, inputs ...[]float32) (float32, error) {
	leave, err := p.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	if p.plan.loss < 0 {
		return 0, fmt.Errorf("%w: Evaluate needs a loss", backend.ErrSpec)
	}
	if err := p.feed(inputs); err != nil {
		return 0, err
	}
	if err := p.run(p.plan.eval, false); err != nil {
		return 0, err
	}
	if err := p.read(outputs); err != nil {
		return 0, err
	}
	if err := p.dev.toHost(p.lossHost, p.mem[p.plan.loss]); err != nil {
		return 0, err
	}
	return p.lossHost[0], nil
}

// Predict runs the forward pass to the outputs.
func (p *program) Predict(outputs [][]float32, inputs ...[]float32) error {
	leave, err := p.enter()
	if err != nil {
		return err
	}
	defer leave()
	if err := p.feed(inputs); err != nil {
		return err
	}
	if err := p.run(p.plan.predict, false); err != nil {
		return err
	}
	return p.read(outputs)
}

func (p *program) read(outputs [][]float32) error {
	for i, b := range p.plan.outputs {
		if i >= len(outputs) || outputs[i] == nil {
			continue
		}
		if len(outputs[i]) != p.plan.bufs[b].Size {
			return fmt.Errorf("%w: output %s has %d values, got a slice of %d", backend.ErrSpec,
				p.spec.Outputs[i].Name(), p.plan.bufs[b].Size, len(outputs[i]))
		}
		if err := p.dev.toHost(outputs[i], p.mem[b]); err != nil {
			return err
		}
	}
	return nil
}

// OptimizerState copies the optimizer's state from the device.
func (p *program) OptimizerState() (*optim.State, error) {
	leave, err := p.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	s := &optim.State{Step: p.state.Step, Slots: make([][][]float32, len(p.slots))}
	for i, slots := range p.slots {
		n := p.spec.Params[i].Shape().TotalSize()
		for _, d := range slots {
			h := make([]float32, n)
			if err := p.dev.toHost(h, d); err != nil {
				return nil, err
			}
			s.Slots[i] = append(s.Slots[i], h)
		}
	}
	return s, nil
}

// SetOptimizerState copies s to the device.
func (p *program) SetOptimizerState(s *optim.State) error {
	leave, err := p.enter()
	if err != nil {
		return err
	}
	defer leave()
	if len(s.Slots) != len(p.slots) {
		return fmt.Errorf("%w: optimizer state for %d parameters, the program has %d", backend.ErrSpec, len(s.Slots), len(p.slots))
	}
	for i, slots := range p.slots {
		n := p.spec.Params[i].Shape().TotalSize()
		if len(s.Slots[i]) != len(slots) {
			return fmt.Errorf("%w: %s: %d optimizer slots, want %d", backend.ErrSpec, p.spec.Params[i].Name(), len(s.Slots[i]), len(slots))
		}
		for j := range slots {
			if len(s.Slots[i][j]) != n {
				return fmt.Errorf("%w: %s: optimizer slot of %d values, want %d", backend.ErrSpec, p.spec.Params[i].Name(), len(s.Slots[i][j]), n)
			}
		}
	}
	if err := p.spec.BroadcastState(s); err != nil { // rank 0's, with a communicator
		return err
	}
	for i, slots := range p.slots {
		for j, d := range slots {
			if err := p.dev.toDevice(d, s.Slots[i][j]); err != nil {
				return err
			}
		}
	}
	p.state.Step = s.Step
	return p.dev.sync()
}

// SetLearningRate changes the learning rate from the next step on; a
// captured step reads it from the device, so it needs no new capture.
func (p *program) SetLearningRate(lr float64) error {
	if p.closed {
		return backend.ErrClosed
	}
	opt := p.opt
	opt.LearningRate = lr
	if err := opt.Validate(); err != nil {
		return fmt.Errorf("%w: %w", backend.ErrSpec, err)
	}
	p.opt = opt
	return nil
}

// Sync copies the parameters from the device into the Params' values.
func (p *program) Sync() error {
	leave, err := p.enter()
	if err != nil {
		return err
	}
	defer leave()
	for i, b := range p.plan.params {
		dst, _ := paramData(p.spec.Params[i].Value())
		if err := p.dev.toHost(dst, p.mem[b]); err != nil {
			return err
		}
	}
	for i, u := range p.plan.updates {
		dst, _ := paramData(p.spec.Updates[i].Buffer.Value())
		if err := p.dev.toHost(dst, p.mem[u[1]]); err != nil {
			return err
		}
	}
	return nil
}

// Load copies the Params' values to the device.
func (p *program) Load() error {
	leave, err := p.enter()
	if err != nil {
		return err
	}
	defer leave()
	if err := p.load(); err != nil {
		return err
	}
	return p.dev.sync()
}

func (p *program) load() error {
	if err := p.spec.BroadcastValues(); err != nil {
		return err
	}
	for i, b := range p.plan.params {
		src, err := paramData(p.spec.Params[i].Value())
		if err != nil {
			return err
		}
		if err := p.dev.toDevice(p.mem[b], src); err != nil {
			return err
		}
	}
	for i, u := range p.plan.updates {
		src, err := paramData(p.spec.Updates[i].Buffer.Value())
		if err != nil {
			return err
		}
		if err := p.dev.toDevice(p.mem[u[1]], src); err != nil {
			return err
		}
	}
	return nil
}

// Close frees everything the program holds on the device.
func (p *program) Close() error {
	if p.closed {
		return nil
	}
	leave, err := p.b.enter()
	if err != nil {
		return err
	}
	defer leave()
	p.closed = true
	return p.free()
}

// free releases whatever setup allocated, keeping the first error.
func (p *program) free() error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	for _, l := range p.launches {
		l.args.Free()
	}
	p.launches, p.work, p.infer, p.update, p.clip = nil, nil, nil, nil, nil
	if p.dev == nil {
		return nil
	}
	keep(p.dev.sync())
	if p.avg != nil {
		keep(p.avg.close())
		p.avg = nil
	}
	if p.graph != nil {
		keep(p.graph.destroy())
		p.graph = nil
	}
	for _, m := range p.mem {
		keep(p.dev.free(m))
	}
	for _, s := range p.slots {
		for _, m := range s {
			keep(p.dev.free(m))
		}
	}
	keep(p.dev.free(p.ones))
	keep(p.dev.free(p.coef))
	keep(p.dev.free(p.parts))
	keep(p.dev.close())
	p.mem, p.slots, p.dev = nil, nil, nil
	return first
}

// paramData returns a parameter's float32 elements, aliased.
func paramData(v G.Value) ([]float32, error) {
	d, ok := v.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("no float32 tensor value")
	}
	return cpukernels.Float32s(d), nil
}
