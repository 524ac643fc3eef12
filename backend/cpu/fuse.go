package cpu

import (
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend/internal/plan"
	"github.com/neurone-dl/neurone/internal/cpukernels"
	"github.com/neurone-dl/neurone/ops"
)

// A dense layer's element-wise passes each read and write a whole batch of
// activations; run one after the other they stream the same data through
// the caches two or three times. The peephole below merges
//
//	BiasAdd(h, b) → pre, then act(pre) → out       into one pass (biasAct)
//	actBackward(a, dy) → d, then SumRows(d) → db    into one pass (gradSum)
//
// and their convolutional counterparts, a bias per channel,
//
//	ChannelBiasAdd(h, b) → pre, then act(pre) → out       (chanBiasAct)
//	actBackward(a, dy) → d, then SumChannels(d) → db      (chanGradSum)
//
// and, in the training steps, a batch normalisation's three gradients,
// which all need each channel's Σdy and Σdy·x̂,
//
//	BatchNormGrad → dx, BatchNormGammaGrad → dγ, SumChannels(dy) → dβ
//	                                               into one step (bnBackward)
//
// and splits every element-wise pass of a large tensor across cores
// (parallelMap). A fused step runs the ops' own float32 loops
// (cpukernels.Elementwise) on rows or columns in the same order as the
// unfused ops, so its results are bit-identical to theirs.

// fused is a step that runs in place of one to three planned nodes.
type fused interface {
	job
	// prepare takes the step's slices from vals and returns how many
	// parts to run.
	prepare(vals []G.Value, pool *pool) int
	// err reports a failure of the last run.
	err() error
}

// cannotFail is embedded by fused steps whose checks were all done when
// they were planned.
type cannotFail struct{}

func (cannotFail) err() error { return nil }

// The fusions the CPU's executor runs (compileWith lists them in the order
// they pick nodes): a convolutional block's (relupool.go) first, then a
// batch normalisation's gradients, so that β's gradient, a SumChannels,
// is theirs rather than the activation gradient's before it.
var (
	// batchNormGrads finds, for a float32 BatchNormGrad, the
	// BatchNormGammaGrad of the same inputs and, for N×C×H×W maps, the
	// SumChannels of the same dy (β's gradient). They run as one step
	// where the earliest of them stood: their inputs are all there by
	// then, and their outputs are read only later.
	batchNormGrads = &plan.Fusion{Name: "batch normalisation's gradients", PerMode: true, Group: func(pl *plan.Plan, n *G.Node) []*G.Node {
		op, ok := n.Op().(ops.BatchNormGradOp)
		if !ok || !isFloat32(n) {
			return nil
		}
		in := pl.Inputs(n)                                   // x, stats, γ, running mean, running var, dy
		want := []*G.Node{in[0], in[1], in[3], in[4], in[5]} // γ's gradient's inputs
		readers := pl.Consumers(in[0])
		gamma := slices.IndexFunc(readers, func(c *G.Node) bool {
			o, ok := c.Op().(ops.BatchNormGammaGradOp)
			return ok && o.Eps == op.Eps && slices.Equal(pl.Inputs(c), want)
		})
		if gamma < 0 {
			return nil
		}
		group := []*G.Node{n, readers[gamma]}
		if op.Dims == 4 {
			readers = pl.Consumers(in[5])
			if beta := slices.IndexFunc(readers, func(c *G.Node) bool {
				_, ok := c.Op().(ops.SumChannelsOp)
				return ok
			}); beta >= 0 {
				group = append(group, readers[beta])
			}
		}
		return group
	}}

	// convBatchStats joins a float32 convolution with the batch
	// statistics of its output, which then come from each image's maps
	// while they are in cache (cpukernels.ConvBatchNormStats): the
	// output is not read back for them. Outside training only the
	// convolution runs.
	convBatchStats = &plan.Fusion{Name: "convolution+batch statistics", PerMode: true, Pair: func(pl *plan.Plan, conv, stats *G.Node) bool {
		_, isConv := pl.Op(conv).(ops.Conv2DOp)
		op, isStats := pl.Op(stats).(ops.BatchNormStatsOp)
		return isConv && isStats && op.Dims == 4 && isFloat32(conv) && isFloat32(stats)
	}}

	// biasActivation joins a bias addition with the unary element-wise
	// op after it (biasAct, chanBiasAct). A mode that needs only the sum
	// (training, where the loss reads the logits that the sigmoid of the
	// output turns into probabilities) runs the bias addition alone.
	biasActivation = perMode(plan.BiasActivation(func(act *G.Node) bool {
		e, ok := opOf(act).(cpukernels.Elementwise)
		return ok && e.Arity() == 1 && isFloat32(act)
	}))

	// biasRectify joins G.Rectify's mask and product, and the bias
	// addition before them (biasRect).
	biasRectify = plan.BiasRectify(isFloat32)

	// gradientSum joins an activation's gradient with the sum over rows
	// or channels of it, the bias's gradient (gradSum, chanGradSum).
	gradientSum = &plan.Fusion{Name: "activation gradient+bias gradient", PerMode: true, Pair: func(pl *plan.Plan, grad, sum *G.Node) bool {
		switch pl.Op(sum).(type) {
		case ops.SumRowsOp, ops.SumChannelsOp:
		default:
			return false
		}
		e, ok := pl.Op(grad).(cpukernels.Elementwise)
		return ok && e.Arity() == 2 && isFloat32(grad) && isFloat32(sum) && sameShapes(grad)
	}}
)

// perMode returns f, joining nodes where a mode needs only some of them:
// the CPU runs those one by one in that mode.
func perMode(f *plan.Fusion) *plan.Fusion {
	f.PerMode = true
	return f
}

// fuse returns the pass that runs the fused plan step s. Every value the
// step's nodes compute is still written, so outputs, gradients and other
// modes' steps see the same slots.
func (p *program) fuse(pl *plan.Plan, s *plan.Step) fused {
	in := p.slotsOf(s.In)
	switch s.Fusion {
	case biasActivation:
		bias, act := s.Nodes[0], s.Nodes[1]
		k, param := pl.Op(act).(cpukernels.Elementwise).Kernel()
		if _, perChannel := pl.Op(bias).(ops.ChannelBiasAddOp); perChannel {
			shape := bias.Shape() // N×C×H×W
			return &chanBiasAct{h: in[0], bias: in[1], pre: p.slots[bias], out: p.slots[act], k: k, param: param, inner: shape[2] * shape[3]}
		}
		return &biasAct{h: in[0], bias: in[1], pre: p.slots[bias], out: p.slots[act], k: k, param: param}
	case gradientSum:
		grad, sum := s.Nodes[0], s.Nodes[1]
		k, param := pl.Op(grad).(cpukernels.Elementwise).Kernel()
		if _, perChannel := pl.Op(sum).(ops.SumChannelsOp); perChannel {
			shape := grad.Shape() // N×C×H×W
			return &chanGradSum{a: in[0], dy: in[1], d: p.slots[grad], db: p.slots[sum], k: k, param: param,
				n: shape[0], c: shape[1], inner: shape[2] * shape[3]}
		}
		return &gradSum{a: in[0], dy: in[1], d: p.slots[grad], db: p.slots[sum], k: k, param: param}
	case biasRectify:
		return p.biasRect(pl, s.Nodes, in)
	case batchNormGrads:
		return p.bnBackward(s.Nodes, in)
	case convBatchStats:
		return p.convStats(pl, s.Nodes, in)
	case reluPoolForward:
		return p.reluPoolStep(s.Nodes, in)
	case convReLUPoolForward:
		return p.convReLUPoolStep(pl, s.Nodes, in)
	case reluPoolBackward:
		return p.reluPoolGradStep(pl, s.Nodes, in)
	case convReLUPoolBackward, convReLUPoolNormBackward:
		return p.convReLUPoolGradStep(pl, s.Nodes)
	case reluPoolNormBackward:
		return p.reluPoolNormGradStep(pl, s.Nodes)
	}
	panic("backend/cpu: a fusion without an executor: " + s.Fusion.Name)
}

// parallelize marks the large element-wise steps to run across cores.
func parallelize(steps []step) {
	for i := range steps {
		s := &steps[i]
		e, ok := s.op.(cpukernels.Elementwise)
		if !ok || s.fused != nil || !isFloat32(s.node) || !sameShapes(s.node) || s.node.Shape().TotalSize() < 2*parallelMin {
			continue
		}
		k, param := e.Kernel()
		m := &parallelMap{out: s.out, k: k, param: param, a: s.in[0], b: -1}
		if len(s.in) == 2 {
			m.b = s.in[1]
		}
		s.fused = m
	}
}

// opOf is the op the plan runs for n: the CPU plans with
// plan.StandardOps, so that of plan.OpOf where there is one.
func opOf(n *G.Node) G.Op {
	if op, _ := plan.OpOf(n); op != nil {
		return op
	}
	return n.Op()
}

func isFloat32(n *G.Node) bool { return n.Dtype() == tensor.Float32 && !n.Shape().IsScalar() }

// sameShapes reports whether every input of n has n's shape.
func sameShapes(n *G.Node) bool {
	children := n.Graph().From(n.ID())
	for children.Next() {
		if !children.Node().(*G.Node).Shape().Eq(n.Shape()) {
			return false
		}
	}
	return true
}

// biasAct computes pre = h + b (b added to each row) and out = act(pre),
// row by row, rows split across cores.
type biasAct struct {
	cannotFail
	h, bias, pre, out int // slots
	k                 cpukernels.Map[float32]
	param             float32

	hv, bv, prev, outv []float32
}

func (f *biasAct) prepare(vals []G.Value, pool *pool) int {
	f.hv, f.bv, f.prev, f.outv = cpukernels.Float32s(vals[f.h]), cpukernels.Float32s(vals[f.bias]), cpukernels.Float32s(vals[f.pre]), cpukernels.Float32s(vals[f.out])
	return min(pool.parts(len(f.prev)), len(f.prev)/len(f.bv))
}

func (f *biasAct) runPart(part, parts int) {
	m := len(f.bv)
	lo, hi := span(len(f.prev)/m, part, parts)
	for r := lo * m; r < hi*m; r += m {
		pre, h := f.prev[r:r+m], f.hv[r:r+m]
		for j, v := range f.bv {
			pre[j] = h[j] + v
		}
		f.k(f.outv[r:r+m], pre, nil, f.param)
	}
}

// gradSum computes d = actBackward(a, dy) and db = Σ_rows d, split by
// columns across cores so that each column is summed in row order, as
// SumRows does.
type gradSum struct {
	cannotFail
	a, dy, d, db int // slots
	k            cpukernels.Map[float32]
	param        float32

	av, dyv, dv, dbv []float32
}

func (f *gradSum) prepare(vals []G.Value, pool *pool) int {
	f.av, f.dyv, f.dv, f.dbv = cpukernels.Float32s(vals[f.a]), cpukernels.Float32s(vals[f.dy]), cpukernels.Float32s(vals[f.d]), cpukernels.Float32s(vals[f.db])
	return min(pool.parts(len(f.dv)), len(f.dbv))
}

func (f *gradSum) runPart(part, parts int) {
	m := len(f.dbv)
	lo, hi := span(m, part, parts)
	db := f.dbv[lo:hi]
	clear(db)
	for r := 0; r+m <= len(f.dv); r += m {
		d := f.dv[r+lo : r+hi]
		f.k(d, f.av[r+lo:r+hi], f.dyv[r+lo:r+hi], f.param)
		for j, v := range d {
			db[j] += v
		}
	}
}

// chanBiasAct computes pre = h + b[c] over each H×W plane of channel c and
// out = act(pre), plane by plane, planes split across cores.
type chanBiasAct struct {
	cannotFail
	h, bias, pre, out int // slots
	k                 cpukernels.Map[float32]
	param             float32
	inner             int // H·W

	hv, bv, prev, outv []float32
}

func (f *chanBiasAct) prepare(vals []G.Value, pool *pool) int {
	f.hv, f.bv, f.prev, f.outv = cpukernels.Float32s(vals[f.h]), cpukernels.Float32s(vals[f.bias]), cpukernels.Float32s(vals[f.pre]), cpukernels.Float32s(vals[f.out])
	return min(pool.parts(len(f.prev)), len(f.prev)/f.inner)
}

func (f *chanBiasAct) runPart(part, parts int) {
	lo, hi := span(len(f.prev)/f.inner, part, parts)
	for p := lo; p < hi; p++ {
		at := p * f.inner
		pre, h, v := f.prev[at:at+f.inner], f.hv[at:at+f.inner], f.bv[p%len(f.bv)]
		for i, x := range h {
			pre[i] = x + v
		}
		f.k(f.outv[at:at+f.inner], pre, nil, f.param)
	}
}

// chanGradSum computes d = actBackward(a, dy) and db[c] = Σ d over channel
// c's planes, channels split across cores, each summed as SumChannels sums
// it (cpukernels.Sum of each plane, in image order).
type chanGradSum struct {
	cannotFail
	a, dy, d, db int // slots
	k            cpukernels.Map[float32]
	param        float32
	n, c, inner  int

	av, dyv, dv, dbv []float32
}

func (f *chanGradSum) prepare(vals []G.Value, pool *pool) int {
	f.av, f.dyv, f.dv, f.dbv = cpukernels.Float32s(vals[f.a]), cpukernels.Float32s(vals[f.dy]), cpukernels.Float32s(vals[f.d]), cpukernels.Float32s(vals[f.db])
	return min(pool.parts(len(f.dv)), f.c)
}

func (f *chanGradSum) runPart(part, parts int) {
	lo, hi := span(f.c, part, parts)
	for ch := lo; ch < hi; ch++ {
		var s float64
		for img := range f.n {
			at := (img*f.c + ch) * f.inner
			d := f.dv[at : at+f.inner]
			f.k(d, f.av[at:at+f.inner], f.dyv[at:at+f.inner], f.param)
			s += cpukernels.Sum(d)
		}
		f.dbv[ch] = float32(s)
	}
}

// bnBackward returns the pass computing the batch normalisation
// gradients of group (BatchNormGrad, BatchNormGammaGrad and maybe
// SumChannels, see batchNormGrads), which read the slots in, BatchNormGrad's
// inputs.
func (p *program) bnBackward(group []*G.Node, in []int) *bnBackward {
	op := group[0].Op().(ops.BatchNormGradOp)
	f := &bnBackward{eps: op.Eps, x: in[0], stats: in[1], gamma: in[2], dy: in[5],
		dx: p.slots[group[0]], dgamma: p.slots[group[1]], dbeta: -1}
	if len(group) > 2 {
		f.dbeta = p.slots[group[2]]
	}
	shape := group[0].Shape()
	f.n, f.c, f.inner = shape[0], shape[1], shape.TotalSize()/(shape[0]*shape[1])
	return f
}

// bnBackward computes a batch normalisation's dx, dγ and (when dbeta ≥ 0)
// dβ while training, split by channels across cores
// (cpukernels.BatchNormBackward, bit for bit the three ops').
type bnBackward struct {
	cannotFail
	eps                                    float64
	n, c, inner                            int
	x, stats, gamma, dy, dx, dgamma, dbeta int // slots; dbeta < 0: none

	k cpukernels.BatchNormBackward
}

func (f *bnBackward) prepare(vals []G.Value, pool *pool) int {
	f.k = cpukernels.BatchNormBackward{Layout: cpukernels.Channels{N: f.n, C: f.c, Inner: f.inner}, Eps: f.eps,
		X: cpukernels.Float32s(vals[f.x]), Stats: cpukernels.Float32s(vals[f.stats]), Gamma: cpukernels.Float32s(vals[f.gamma]),
		Dy: cpukernels.Float32s(vals[f.dy]), DX: cpukernels.Float32s(vals[f.dx]), DGamma: cpukernels.Float32s(vals[f.dgamma])}
	if f.dbeta >= 0 {
		f.k.DBeta = cpukernels.Float32s(vals[f.dbeta])
	}
	return max(1, min(pool.workers, f.c, len(f.k.X)/parallelMin))
}

func (f *bnBackward) runPart(part, parts int) {
	lo, hi := span(f.c, part, parts)
	f.k.Channels(lo, hi)
}

// convStats returns the pass of the fused step of (conv, stats), which
// reads the slots in: the convolution's input and filters.
func (p *program) convStats(pl *plan.Plan, group []*G.Node, in []int) *convStats {
	conv, stats := group[0], group[1]
	x, w := pl.Inputs(conv)[0], pl.Inputs(conv)[1]
	g, err := pl.Op(conv).(ops.Conv2DOp).Geometry(x.Shape(), w.Shape())
	if err != nil {
		panic("backend/cpu: a planned convolution's shapes: " + err.Error()) // the graph checked them
	}
	return &convStats{x: in[0], w: in[1], y: p.slots[conv], stats: p.slots[stats], g: g}
}

// convStats runs cpukernels.ConvBatchNormStats, which splits the images
// across cores itself.
type convStats struct {
	cannotFail
	x, w, y, stats int // slots
	g              cpukernels.Conv
	vals           []G.Value
}

func (f *convStats) prepare(vals []G.Value, _ *pool) int {
	f.vals = vals
	return 1
}

func (f *convStats) runPart(int, int) {
	v := func(slot int) []float32 { return cpukernels.Float32s(f.vals[slot]) }
	cpukernels.ConvBatchNormStats(f.g, v(f.y), v(f.stats), v(f.x), v(f.w))
}

// parallelMap runs an element-wise op on contiguous ranges across cores.
type parallelMap struct {
	cannotFail
	out, a, b int // slots; b < 0 for a unary op
	k         cpukernels.Map[float32]
	param     float32

	outv, av, bv []float32
}

func (f *parallelMap) prepare(vals []G.Value, pool *pool) int {
	f.outv, f.av, f.bv = cpukernels.Float32s(vals[f.out]), cpukernels.Float32s(vals[f.a]), nil
	if f.b >= 0 {
		f.bv = cpukernels.Float32s(vals[f.b])
	}
	return pool.parts(len(f.outv))
}

func (f *parallelMap) runPart(part, parts int) {
	lo, hi := span(len(f.outv), part, parts)
	var b []float32
	if f.bv != nil {
		b = f.bv[lo:hi]
	}
	f.k(f.outv[lo:hi], f.av[lo:hi], b, f.param)
}
