package cuda

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend/internal/plan"
)

// Broadcasting binary ops. Gorgonia broadcasts an operand (G.BroadcastAdd
// and the other Broadcast ops, and the gradients of sums) by reshaping
// it, repeating it along each broadcast axis (each repeat reading the
// size from a G.SizeOf node), then applying the element-wise op to tensors
// of one shape. The plan joins such a chain, when nothing else reads its
// links, with the binary op into one step (broadcastBinary), which one
// kernel runs: it reads each operand with stride 0 along its broadcast
// axes, so the repeated copies are never made.

const broadcastSource = `
// broadcast_binary writes d[i] = a[Σ c_k·as_k] ∘ b[Σ c_k·bs_k] for each
// element c = (c0, c1, c2, c3) of d, a row-major d0×d1×d2×d3 tensor (d0 =
// n / (d1·d2·d3)): an operand's stride along an axis it is broadcast
// along is 0.
extern "C" __global__ void broadcast_binary(float *d, const float *a, const float *b, int n, int kind, int d1,
                                            int d2, int d3, int as0, int as1, int as2, int as3, int bs0, int bs1,
                                            int bs2, int bs3) {
	FOR_EACH(i, n) {
		d[i] = binary_op(kind, a[view_offset(i, d1, d2, d3, as0, as1, as2, as3)],
		                 b[view_offset(i, d1, d2, d3, bs0, bs1, bs2, bs3)]);
	}
}

`

// broadcastBinary joins Gorgonia's broadcasts (reshape, repeats, sizes)
// with the element-wise binary op that reads them.
var broadcastBinary = &plan.Fusion{Name: "broadcast+binary", Group: broadcastGroup}

// operandChain is one operand of a binary op as Gorgonia broadcasts it:
// the value it starts from, the nodes that broadcast it (which the step
// computes no more), and the shape the value has when broadcast (the
// reshape's, with size 1 along the broadcast axes).
type operandChain struct {
	source *G.Node
	links  []*G.Node
	shape  []int
}

// broadcastGroup returns the nodes that the binary op n runs with: the
// broadcasts of its operands, followed by n; nil if n is no binary op or
// broadcasts neither operand.
func broadcastGroup(p *plan.Plan, n *G.Node) []*G.Node {
	if !gorgoniaOp("elemBinOp")(n.Op()) || !slices.Equal(p.Inputs(n), graphInputs(n)) {
		return nil // not a binary op, or one the plan rewrote to read other values (a bias addition)
	}
	var group []*G.Node
	for _, x := range p.Inputs(n) {
		c := chainOf(p, x, n)
		group = append(group, c.links...)
	}
	if len(group) == 0 {
		return nil
	}
	if _, err := lowerBroadcastNodes(p, n); err != nil {
		return nil
	}
	return append(group, n)
}

// chainOf follows operand x of reader back through the repeats of size 1
// along an axis, their sizes and a reshape before them, as long as each
// has no other reader and no caller reads it.
func chainOf(p *plan.Plan, x, reader *G.Node) operandChain {
	only := func(v, by *G.Node) bool {
		return p.Kind(v) == plan.Computed && !p.Pinned(v) && slices.Equal(p.Consumers(v), []*G.Node{by})
	}
	c := operandChain{source: x, shape: x.Shape().Clone()}
	for by := reader; only(c.source, by) && gorgoniaOp("repeatOp")(c.source.Op()); {
		in := p.Inputs(c.source)
		along, err := opInt(c.source.Op(), "along")
		if err != nil || len(in) != 2 || in[0].Shape().Dims() != c.source.Shape().Dims() || in[0].Shape()[along] != 1 {
			break
		}
		c.links = append(c.links, c.source)
		if gorgoniaOp("sizeOp")(in[1].Op()) && only(in[1], c.source) {
			c.links = append(c.links, in[1])
		}
		by, c.source, c.shape = c.source, in[0], in[0].Shape().Clone()
		if gorgoniaOp("reshapeOp")(c.source.Op()) && only(c.source, by) {
			c.links = append(c.links, c.source)
			c.source = p.Inputs(c.source)[0]
			break
		}
	}
	return c
}

// lowerBroadcast lowers a broadcastBinary step.
func lowerBroadcast(pl *plan.Plan, s *plan.Step) (instrArgs, error) {
	a, err := lowerBroadcastNodes(pl, s.Node())
	if err != nil {
		return nil, err
	}
	for i, c := range s.In {
		for k := range 2 {
			if c == a.sources[k] && a.at[k] < 0 {
				a.at[k] = i
			}
		}
	}
	if a.at[0] < 0 || a.at[1] < 0 {
		return nil, fmt.Errorf("the fused step reads neither operand's source")
	}
	return a, nil
}

// lowerBroadcastNodes lowers binary op n with its operands' broadcasts.
func lowerBroadcastNodes(p *plan.Plan, n *G.Node) (broadcastArgs, error) {
	args, err := lowerBinary(n, p.Inputs(n))
	if err != nil {
		return broadcastArgs{}, err
	}
	kind := binAdd
	switch a := args.(type) {
	case ewBinaryArgs:
		kind = a.kind
	case binaryArgs:
		kind = map[string]binaryKind{"add": binAdd, "mul": binMul}[a.kernel]
	}
	out := n.Shape()
	var st [2][]int
	b := broadcastArgs{kind: kind, at: [2]int{-1, -1}}
	for k, x := range p.Inputs(n) {
		c := chainOf(p, x, n)
		b.sources[k] = c.source
		switch size := tensor.Shape(c.shape).TotalSize(); {
		case len(c.shape) == out.Dims():
		case size == 1: // a scalar
			c.shape = slices.Repeat([]int{1}, out.Dims())
		case size == out.TotalSize():
			c.shape = out
		default:
			return broadcastArgs{}, fmt.Errorf("operand %s of shape %v for a result of %v", x.Name(), c.shape, out)
		}
		st[k] = strides(c.shape)
		for i, d := range c.shape {
			if d == 1 && out[i] != 1 {
				st[k][i] = 0
			}
		}
	}
	b.view, err = newView(out, st[0], st[1], nil)
	return b, err
}

// broadcastArgs is d = a ∘ b of a view whose strides ys and xs are those
// of a and b (0 along a broadcast axis); at are the positions of a's and
// b's sources among the step's inputs.
type broadcastArgs struct {
	view
	kind    binaryKind
	sources [2]*G.Node
	at      [2]int
}

func (a broadcastArgs) calls(in *instr, _ int, _ bool) []call {
	v, n := a.view, a.size()
	return []call{kernel("broadcast_binary", n, in.result(), in.arg(a.at[0]), in.arg(a.at[1]), n, int(a.kind),
		v.dims[1], v.dims[2], v.dims[3], v.ys[0], v.ys[1], v.ys[2], v.ys[3], v.xs[0], v.xs[1], v.xs[2], v.xs[3])}
}
