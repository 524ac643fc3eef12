package cuda

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/internal/plan"
)

// This file turns a Spec's graph, planned by package plan, into a
// lowering: device buffers and the instructions of each mode (train,
// eval, predict). It touches no device, so it is tested on machines
// without a GPU; program.go carries a lowering out.

// instr is one step of a lowering: what its op's family made of a node
// (or of a bias addition and the activation after it), on the lowering's
// buffers.
type instr struct {
	node *G.Node // the node computed, for error messages
	in   []int   // buffers read, in the order of the step's inputs
	out  int     // buffer of node's value
	out2 int     // a fused step's first value (the bias addition's) when something else reads it, else -1
	args instrArgs
}

type buffer struct {
	plan.Buffer
	value []float32 // a constant's contents
}

// name says what the buffer holds, for messages.
func (b buffer) name() string {
	if b.Node == nil {
		return "the convolutions' unrolled images"
	}
	return b.Node.Name()
}

// lowering is a compiled Spec, device-independent: its buffers and the
// instructions of each mode.
type lowering struct {
	bufs    []buffer
	instrs  []instr // every instruction, in one dependency order
	train   []int   // indices into instrs, per mode
	eval    []int
	predict []int
	inputs  []int // buffer of each Spec.Inputs
	params  []int // buffer of each Spec.Params
	grads   []int // buffer of each Spec.Grads
	loss    int   // buffer of Spec.Loss, or -1
	outputs []int // buffer of each Spec.Outputs
	// updates are, per Spec.Updates, the buffers of its value and of the
	// state it replaces after each training step.
	updates [][2]int
	// ones is the length of the vector of ones that sums over rows need.
	ones int
	// scratch is the buffer that convolutions unroll their images into,
	// shared by all (one instruction runs at a time), or -1.
	scratch int
}

// lower plans spec (package plan: the order, the fusion of a bias addition
// with its activation, buffers shared by liveness) and lowers each step to
// an instruction. An op without a device implementation is an
// ErrUnsupported naming the op and the node.
func lower(spec backend.Spec) (*lowering, error) {
	for _, in := range spec.Inputs {
		if in.Dtype() != tensor.Float32 {
			return nil, fmt.Errorf("%w: input %s is %v, want float32", backend.ErrSpec, in.Name(), in.Dtype())
		}
	}
	pl, err := plan.New(spec, plan.StandardOps, biasActivation, broadcastBinary)
	if err != nil {
		return nil, err
	}
	l := &lowering{loss: -1, scratch: -1}
	for i := range pl.Steps {
		in, err := lowerStep(pl, &pl.Steps[i])
		if err != nil {
			return nil, err
		}
		l.instrs = append(l.instrs, in)
	}
	bufs := pl.ShareBuffers()
	if err := l.setBuffers(pl, bufs); err != nil {
		return nil, err
	}
	l.train, l.eval, l.predict = pl.InMode(plan.Train), pl.InMode(plan.Eval), pl.InMode(plan.Predict)
	l.bind(spec, bufs)
	return l, nil
}

// lowerStep lowers plan step s: its node, a bias addition and the
// activation after it as one bias_act, or a binary op with the
// broadcasts of its operands as one broadcast_binary.
func lowerStep(pl *plan.Plan, s *plan.Step) (instr, error) {
	n := s.Node()
	in, err := lowerNode(pl.Op(n), n, pl.Inputs(n))
	if err != nil {
		return instr{}, err
	}
	if s.Fusion == broadcastBinary {
		in.args, err = lowerBroadcast(pl, s)
		if err != nil {
			return instr{}, fmt.Errorf("%w: %v (node %s, id %d) with its broadcasts: %w", backend.ErrUnsupported, n.Op(), n.Name(), n.ID(), err)
		}
	}
	if s.Fusion == biasActivation {
		bias, err := lowerNode(pl.Op(s.Nodes[0]), s.Nodes[0], pl.Inputs(s.Nodes[0]))
		if err != nil {
			return instr{}, err
		}
		in.args = fuseBiasAct(bias.args, in.args)
	}
	return in, nil
}

// setBuffers takes the plan's buffers, with the constants' contents, and
// the instructions' buffers; then adds the scratch buffer, and checks that
// the kernels' 32-bit indices reach every element.
func (l *lowering) setBuffers(pl *plan.Plan, bufs plan.Buffers) error {
	for _, b := range bufs.List {
		buf := buffer{Buffer: b}
		if b.Kind == plan.Const {
			data, err := constData(b.Node.Value())
			if err != nil {
				return fmt.Errorf("%w: constant %s: %w", backend.ErrSpec, b.Node.Name(), err)
			}
			buf.value = data
		}
		l.bufs = append(l.bufs, buf)
	}
	scratch := 0
	for i, s := range pl.Steps {
		in := &l.instrs[i]
		for _, c := range s.In {
			in.in = append(in.in, bufs.Of[c])
		}
		in.out, in.out2 = bufs.Of[s.Node()], -1
		if at, kept := bufs.Of[s.Nodes[0]]; kept && len(s.Nodes) > 1 {
			in.out2 = at
		}
		if a, ok := in.args.(onesUser); ok {
			l.ones = max(l.ones, a.onesSize())
		}
		if a, ok := in.args.(scratchUser); ok {
			scratch = max(scratch, a.scratchSize())
		}
	}
	if scratch > 0 {
		l.scratch = len(l.bufs)
		l.bufs = append(l.bufs, buffer{Buffer: plan.Buffer{Size: scratch}})
	}
	for _, b := range l.bufs {
		if b.Size > math.MaxInt32 {
			return fmt.Errorf("%w: %s takes %d values, more than the CUDA kernels' 32-bit indices reach (%d): use a smaller batch",
				backend.ErrSpec, b.name(), b.Size, math.MaxInt32)
		}
	}
	return nil
}

// bind finds the buffers of what spec feeds, reads and updates.
func (l *lowering) bind(spec backend.Spec, bufs plan.Buffers) {
	for _, in := range spec.Inputs {
		l.inputs = append(l.inputs, bufs.Of[in])
	}
	for _, prm := range spec.Params {
		l.params = append(l.params, bufs.Of[prm])
	}
	if spec.Loss != nil { // the gradients are the training step's
		l.loss = bufs.Of[spec.Loss]
		for _, g := range spec.Grads {
			l.grads = append(l.grads, bufs.Of[g])
		}
	}
	for _, o := range spec.Outputs {
		l.outputs = append(l.outputs, bufs.Of[o])
	}
	for _, u := range spec.Updates {
		l.updates = append(l.updates, [2]int{bufs.Of[u.Value], bufs.Of[u.Buffer]})
	}
}

// lowerNode maps one non-leaf node, computed by op (its own, or the
// project's op the plan put in its place) from kids, to an instruction
// (without buffers).
func lowerNode(op G.Op, n *G.Node, kids []*G.Node) (instr, error) {
	unsupported := func(why, otherwise string) (instr, error) {
		return instr{}, fmt.Errorf("%w: %v (node %s, id %d)%s (%s)", backend.ErrUnsupported, n.Op(), n.Name(), n.ID(), why,
			hintFor(n.Op(), otherwise))
	}
	if n.Dtype() != tensor.Float32 {
		return unsupported(fmt.Sprintf(": dtype %v, the CUDA backend runs float32", n.Dtype()), "build the graph in float32")
	}
	lower := lowererOf(op)
	if lower == nil {
		return unsupported("", "package backend/cuda's documentation lists the ops it runs")
	}
	args, err := lower(n, kids)
	if err != nil {
		return unsupported(": "+err.Error(), "package backend/cuda's documentation lists what its ops take")
	}
	return instr{node: n, args: args}, nil
}

// constData returns a constant's contents as float32s.
func constData(v G.Value) ([]float32, error) {
	switch v := v.(type) {
	case *G.F32:
		return []float32{float32(*v)}, nil
	case *G.F64:
		return []float32{float32(*v)}, nil
	case *tensor.Dense:
		switch d := v.Data().(type) {
		case []float32:
			return append([]float32(nil), d...), nil
		case float32:
			return []float32{d}, nil
		case []float64:
			out := make([]float32, len(d))
			for i, x := range d {
				out[i] = float32(x)
			}
			return out, nil
		case float64:
			return []float32{float32(d)}, nil
		}
	}
	return nil, fmt.Errorf("unsupported value %T", v)
}
