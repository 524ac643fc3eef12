package plan

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/backend"
)

// Mode is one of the computations a program runs.
type Mode int

const (
	Train   Mode = iota // forward, loss and backward: the loss, the gradients, the updated state
	Eval                // forward and loss: the loss and the outputs
	Predict             // forward: the outputs

	numModes = 3
)

// Modes are the modes, in the order New plans them.
var Modes = [numModes]Mode{Train, Eval, Predict}

func (m Mode) String() string { return [numModes]string{"train", "eval", "predict"}[m] }

// Kind says where a value comes from.
type Kind int

const (
	Computed Kind = iota // written by a step
	Input                // fed by the caller
	Param                // a parameter, or state that training updates (a Spec.Updates buffer)
	Const                // a constant of the graph: its node's value
)

// A Fusion is a way of running several nodes as one step, which a
// backend's executor knows how to run. Set Pair or Group, or Rewrite.
type Fusion struct {
	// Name says what a fused step computes, for messages and tests.
	Name string
	// Pair reports whether consumer, whose first input is producer, runs
	// with producer as one step.
	Pair func(p *Plan, producer, consumer *G.Node) bool
	// Group returns the nodes that run with n as one step, n first, or
	// nil.
	Group func(p *Plan, n *G.Node) []*G.Node
	// Rewrite, instead of joining nodes, returns an op that computes
	// what node n computes and the values it reads, or nil (as OpOf
	// does): the plan then holds that op and those inputs for n (Op,
	// Inputs), and what only n's old inputs read is not planned. The
	// first Rewrite among New's fusions is used.
	Rewrite func(n *G.Node) (G.Op, []*G.Node)
	// PerMode lets nodes join that some mode needs only some of: the
	// step is then that mode's too, and the backend runs there the nodes
	// the mode needs (Plan.Needs), as it sees fit. Without it, nodes join
	// only where every mode needs all of them or none.
	PerMode bool
}

// Step is what a backend runs: one node, or several that a Fusion joined.
type Step struct {
	// Nodes are the nodes the step computes: one, or a fused pair
	// (producer, consumer) or group in its Fusion's order.
	Nodes []*G.Node
	// Host is the earliest of Nodes in Order, in whose place the step
	// runs: whatever any of Nodes reads is computed by then.
	Host *G.Node
	// In are the values the step reads, in the order of Nodes' inputs:
	// a value one node reads twice appears twice, one that another of
	// Nodes computes not at all.
	In []*G.Node
	// Fusion joined Nodes; nil for a single node.
	Fusion *Fusion
}

// Node is the step's result: the last of its nodes (a fused pair's
// consumer).
func (s *Step) Node() *G.Node { return s.Nodes[len(s.Nodes)-1] }

// Plan is a Spec's graph, planned.
type Plan struct {
	Spec backend.Spec
	// Order holds every node that a mode needs, each after its inputs:
	// the depth-first order from the training targets, then from the
	// evaluation and the prediction ones. The training step's nodes are
	// therefore in the order a plan of that step alone would give them.
	Order []*G.Node
	// Steps compute the nodes of Order that are not leaves, in its order.
	Steps []Step

	targets   [numModes][]*G.Node
	needs     [numModes]map[*G.Node]bool
	modes     [numModes][]int // indices into Steps
	inputs    map[*G.Node][]*G.Node
	ops       map[*G.Node]G.Op // rewritten nodes' ops
	rewrite   func(n *G.Node) (G.Op, []*G.Node)
	consumers map[*G.Node][]*G.Node
	pinned    map[*G.Node]bool // targets: read after a run
	kinds     map[*G.Node]Kind
	position  map[*G.Node]int       // index in Order
	group     map[*G.Node][]*G.Node // a fused node's step's Nodes
	fusion    map[*G.Node]*Fusion
	stepOf    map[*G.Node]int // a computed node's index in Steps
}

// New plans spec, joining nodes with each of fusions in turn: a node
// joins one step at most, so an earlier fusion takes precedence. Nodes
// join only when whatever they read is computed before the earliest of
// them, and (unless the fusion is PerMode) when every mode needs all of
// them or none.
func New(spec backend.Spec, fusions ...*Fusion) (*Plan, error) {
	p := &Plan{Spec: spec, inputs: map[*G.Node][]*G.Node{}, consumers: map[*G.Node][]*G.Node{},
		pinned: map[*G.Node]bool{}, kinds: map[*G.Node]Kind{}, position: map[*G.Node]int{},
		group: map[*G.Node][]*G.Node{}, fusion: map[*G.Node]*Fusion{}, stepOf: map[*G.Node]int{}, ops: map[*G.Node]G.Op{}}
	for _, f := range fusions {
		if f.Rewrite != nil && p.rewrite == nil {
			p.rewrite = f.Rewrite
		}
	}
	if err := p.setTargets(); err != nil {
		return nil, err
	}
	p.sort()
	if err := p.classify(); err != nil {
		return nil, err
	}
	for _, f := range fusions {
		if f.Rewrite == nil {
			p.fuse(f)
		}
	}
	p.makeSteps()
	for _, u := range spec.Updates {
		if !p.needs[Train][u.Buffer] {
			return nil, fmt.Errorf("%w: updated buffer %s is not read by the training step", backend.ErrSpec, u.Buffer.Name())
		}
		if p.kinds[u.Value] != Computed {
			return nil, fmt.Errorf("%w: the update of %s is not computed by the training step", backend.ErrSpec, u.Buffer.Name())
		}
	}
	return p, nil
}

// setTargets sets what each mode computes: training the loss, the
// gradients and the updated state, evaluation the loss and the outputs,
// prediction the outputs.
func (p *Plan) setTargets() error {
	spec := p.Spec
	if spec.Loss != nil {
		train := append([]*G.Node{spec.Loss}, spec.Grads...)
		for _, u := range spec.Updates {
			train = append(train, u.Value)
		}
		p.targets[Train] = train
		p.targets[Eval] = append([]*G.Node{spec.Loss}, spec.Outputs...)
	}
	p.targets[Predict] = spec.Outputs
	for _, targets := range p.targets {
		for _, t := range targets {
			if t == nil {
				return fmt.Errorf("%w: nil target node", backend.ErrSpec)
			}
			p.pinned[t] = true
		}
	}
	return nil
}

// sort sets Order, every node's inputs and readers, and what each mode
// needs.
func (p *Plan) sort() {
	for m, targets := range p.targets {
		p.needs[m] = map[*G.Node]bool{}
		for _, t := range targets {
			p.walk(t, p.needs[m], nil)
		}
	}
	seen := map[*G.Node]bool{}
	for _, targets := range p.targets {
		for _, t := range targets {
			p.walk(t, seen, func(n *G.Node) {
				p.position[n] = len(p.Order)
				p.Order = append(p.Order, n)
			})
		}
	}
	for _, n := range p.Order {
		for _, c := range p.inputs[n] {
			p.consumers[c] = append(p.consumers[c], n)
		}
	}
}

// walk visits n and the nodes it depends on that seen does not hold,
// depth first, and calls emit (when not nil) on each after its inputs.
func (p *Plan) walk(n *G.Node, seen map[*G.Node]bool, emit func(*G.Node)) {
	if seen[n] {
		return
	}
	seen[n] = true
	for _, c := range p.Inputs(n) {
		p.walk(c, seen, emit)
	}
	if emit != nil {
		emit(n)
	}
}

// Inputs returns the nodes n reads, in order: those its Op reads.
func (p *Plan) Inputs(n *G.Node) []*G.Node {
	if in, ok := p.inputs[n]; ok {
		return in
	}
	if p.rewrite != nil {
		if op, in := p.rewrite(n); op != nil {
			p.ops[n], p.inputs[n] = op, in
			return in
		}
	}
	in := children(n)
	p.inputs[n] = in
	return in
}

// Op returns the op that computes n: its own, or the one a Rewrite put
// in its place.
func (p *Plan) Op(n *G.Node) G.Op {
	p.Inputs(n)
	if op, ok := p.ops[n]; ok {
		return op
	}
	return n.Op()
}

// classify sets the kind of every value: the fed inputs, the parameters
// and updated state, the other leaves (constants, which must hold a
// value), and the computed nodes.
func (p *Plan) classify() error {
	for _, prm := range p.Spec.Params {
		p.kinds[prm] = Param
	}
	for _, u := range p.Spec.Updates {
		p.kinds[u.Buffer] = Param
	}
	for _, in := range p.Spec.Inputs {
		p.kinds[in] = Input
	}
	for _, n := range p.Order {
		if _, known := p.kinds[n]; known && len(p.inputs[n]) == 0 {
			continue
		}
		switch {
		case len(p.inputs[n]) > 0:
			p.kinds[n] = Computed
		case n.Value() != nil:
			p.kinds[n] = Const
		default:
			return fmt.Errorf("%w: node %s has no value and is not a fed input", backend.ErrSpec, n.Name())
		}
	}
	return nil
}

// fuse joins the nodes that f picks, visiting them in Order.
func (p *Plan) fuse(f *Fusion) {
	for _, n := range p.Order {
		if p.kinds[n] != Computed || p.group[n] != nil {
			continue
		}
		var nodes []*G.Node
		switch {
		case f.Group != nil:
			nodes = f.Group(p, n)
		case f.Pair != nil:
			if x := p.inputs[n][0]; p.kinds[x] == Computed && f.Pair(p, x, n) {
				nodes = []*G.Node{x, n}
			}
		}
		if len(nodes) > 1 && p.canJoin(nodes, f.PerMode) {
			for _, m := range nodes {
				p.group[m], p.fusion[m] = nodes, f
			}
		}
	}
}

// canJoin reports whether nodes may run as one step: computed nodes, in
// no other step, needed by the same modes unless perMode, reading nothing
// computed after the earliest of them.
func (p *Plan) canJoin(nodes []*G.Node, perMode bool) bool {
	host := nodes[0]
	for i, n := range nodes {
		if p.kinds[n] != Computed || p.group[n] != nil || slices.Contains(nodes[:i], n) {
			return false
		}
		for m := range numModes {
			if !perMode && p.needs[m][n] != p.needs[m][nodes[0]] {
				return false
			}
		}
		if p.position[n] < p.position[host] {
			host = n
		}
	}
	for _, n := range nodes {
		for _, c := range p.inputs[n] {
			if p.kinds[c] == Computed && !slices.Contains(nodes, c) && p.position[c] > p.position[host] {
				return false
			}
		}
	}
	return true
}

// makeSteps sets Steps, each where its earliest node is in Order, and the
// steps of each mode: those that compute something it needs.
func (p *Plan) makeSteps() {
	for _, n := range p.Order {
		if _, done := p.stepOf[n]; done || p.kinds[n] != Computed {
			continue
		}
		nodes := p.group[n]
		if nodes == nil {
			nodes = []*G.Node{n}
		}
		at := len(p.Steps)
		for _, m := range nodes {
			p.stepOf[m] = at
		}
		p.Steps = append(p.Steps, Step{Nodes: nodes, Host: n, In: p.reads(nodes), Fusion: p.fusion[n]})
		for m := range numModes {
			if slices.ContainsFunc(nodes, func(n *G.Node) bool { return p.needs[m][n] }) {
				p.modes[m] = append(p.modes[m], at)
			}
		}
	}
}

// reads returns what a step computing nodes reads (see Step.In).
func (p *Plan) reads(nodes []*G.Node) []*G.Node {
	var in []*G.Node
	for i, n := range nodes {
		for _, c := range p.inputs[n] {
			if slices.Contains(nodes, c) || (i > 0 && slices.Contains(in, c)) {
				continue
			}
			in = append(in, c)
		}
	}
	return in
}

// InMode returns the indices into Steps of the steps mode m runs, in
// order: those computing a value m needs (with a PerMode fusion, maybe not
// all of the step's).
func (p *Plan) InMode(m Mode) []int { return p.modes[m] }

// Needs reports whether mode m needs the value of n.
func (p *Plan) Needs(m Mode, n *G.Node) bool { return p.needs[m][n] }

// Consumers returns the nodes that read n, in Order (one that reads it
// twice, twice).
func (p *Plan) Consumers(n *G.Node) []*G.Node { return p.consumers[n] }

// FusionOf returns the fusion that joined n with other nodes into one
// step, or nil: a later fusion's rule may ask whether an earlier one took
// a node.
func (p *Plan) FusionOf(n *G.Node) *Fusion { return p.fusion[n] }

// Kind says where the value of n comes from.
func (p *Plan) Kind(n *G.Node) Kind { return p.kinds[n] }

// Pinned reports whether the caller reads n after a run (n is a target of
// a mode), so that its memory must hold it to the end.
func (p *Plan) Pinned(n *G.Node) bool { return p.pinned[n] }

// Kept reports whether the value of n must be stored: it is not a
// computed value that only its own fused step reads.
func (p *Plan) Kept(n *G.Node) bool {
	at, computed := p.stepOf[n]
	if !computed || p.pinned[n] {
		return true
	}
	return slices.ContainsFunc(p.consumers[n], func(c *G.Node) bool { return p.stepOf[c] != at })
}

// LastReads returns, for each value that the steps of mode m read, the
// index in InMode(m) of the last step that reads it.
func (p *Plan) LastReads(m Mode) map[*G.Node]int { return p.lastReads(p.modes[m]) }

func (p *Plan) lastReads(steps []int) map[*G.Node]int {
	last := map[*G.Node]int{}
	for k, i := range steps {
		for _, c := range p.Steps[i].In {
			last[c] = k
		}
	}
	return last
}
