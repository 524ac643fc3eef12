package cpu

import (
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend/internal/plan"
	"github.com/neurone-dl/neurone/internal/cpukernels"
	"github.com/neurone-dl/neurone/ops"
)

// A convolutional block ends, in the CNNs the project builds, with
//
//	z = ChannelBiasAdd(h, b) or BatchNorm(h, ...), a = ReLU(z), y = MaxPool2D(a) (2×2, stride 2)
//
// and its gradient with MaxPool2DBackward(a, dy) → da, ReLUBackward(z, da)
// → dz and, for the bias, SumChannels(dz). z and a are the block's
// largest maps, and they are read only by these nodes. The two fusions
// below run the forward nodes as one pass that writes y and, per window,
// where its gradient goes (cpukernels.ReLUPool), and the backward ones as
// one pass from those routes (cpukernels.ReLUPoolBackward): z, a and da
// are never written, so the block streams its maps through memory twice
// instead of six times. Where z adds a bias to a convolution's output h,
// the convolution joins the forward pass and its two gradients (of the
// filters and of the input) the backward one, image by image, so that h
// and dz are not written either (cpukernels.ConvReLUPool). With batch
// normalisation, whose statistics need the whole batch of h, its
// gradients join the backward pass instead. All give the ops' bits.
var (
	// reluPoolForward joins z's, a's and y's nodes where a graph's only
	// other readers of z and a are the gradients that reluPoolBackward
	// joins.
	reluPoolForward = &plan.Fusion{Name: "affine+ReLU+max pooling", Group: func(pl *plan.Plan, z *G.Node) []*G.Node {
		act, pool := reluPoolNodes(pl, z)
		if pool == nil {
			return nil
		}
		return []*G.Node{z, act, pool}
	}}

	// convReLUPoolForward joins, before reluPoolForward, a float32
	// convolution whose output only a bias addition reads with that
	// bias's reluPoolForward group: each image's convolution is pooled
	// while in cache (cpukernels.ConvReLUPool), and the convolution's
	// output, four times the pooled maps, is never written. (A batch
	// normalisation reads its input whole, for its statistics, first.)
	convReLUPoolForward = &plan.Fusion{Name: "convolution+bias+ReLU+max pooling", Group: func(pl *plan.Plan, conv *G.Node) []*G.Node {
		readers := pl.Consumers(conv)
		if _, ok := pl.Op(conv).(ops.Conv2DOp); !ok || !isFloat32(conv) || pl.Pinned(conv) || len(readers) != 1 {
			return nil
		}
		z := readers[0]
		if _, ok := pl.Op(z).(ops.ChannelBiasAddOp); !ok || pl.Inputs(z)[0] != conv {
			return nil
		}
		act, pool := reluPoolNodes(pl, z)
		if pool == nil {
			return nil
		}
		return []*G.Node{conv, z, act, pool}
	}}

	// reluPoolBackward joins, after a fused forward step took a block's
	// forward nodes, its MaxPool2DBackward and ReLUBackward and the
	// SumChannels of dz that no earlier fusion took.
	reluPoolBackward = &plan.Fusion{Name: "max pooling gradient+ReLU gradient", Group: func(pl *plan.Plan, n *G.Node) []*G.Node {
		dz, _ := pooledGradient(pl, n)
		if dz == nil {
			return nil
		}
		group := []*G.Node{n, dz}
		for _, c := range pl.Consumers(dz) {
			if _, ok := pl.Op(c).(ops.SumChannelsOp); ok && pl.FusionOf(c) == nil && isFloat32(c) {
				return append(group, c)
			}
		}
		return group
	}}
)

// reluPoolNormBackward joins, after reluPoolForward took a block whose
// affine map is a batch normalisation, its MaxPool2DBackward and
// ReLUBackward with the normalisation's gradients that batchNormGrads
// would join, where those alone read dz: dz is then made a channel at a
// time in a buffer that stays in cache, and never written to memory
// (cpukernels.ReLUPoolNormBackward). It runs where the pooling's gradient
// stood, which everything the group reads precedes: the normalisation's
// input and statistics are the forward pass's.
var reluPoolNormBackward = &plan.Fusion{Name: "max pooling gradient+ReLU gradient+batch normalisation's gradients", Group: pooledNormGrads}

// pooledNormGrads returns, for the MaxPool2DBackward n of a pooling that
// a fused forward step runs after a batch normalisation, n, the
// ReLUBackward dz and the normalisation's gradients that batchNormGrads
// would join (dx's, γ's and maybe β's), where those alone read dz; or
// nil.
func pooledNormGrads(pl *plan.Plan, n *G.Node) []*G.Node {
	dz, affine := pooledGradient(pl, n)
	if _, ok := affine.(ops.BatchNormOp); !ok || pl.Pinned(dz) {
		return nil
	}
	readers := pl.Consumers(dz)
	at := slices.IndexFunc(readers, func(c *G.Node) bool {
		_, ok := pl.Op(c).(ops.BatchNormGradOp)
		return ok && pl.Inputs(c)[5] == dz
	})
	if at < 0 {
		return nil
	}
	grads := batchNormGrads.Group(pl, readers[at])
	if len(grads) == 0 || slices.ContainsFunc(readers, func(c *G.Node) bool { return !slices.Contains(grads, c) }) {
		return nil
	}
	return append([]*G.Node{n, dz}, grads...)
}

// convReLUPoolNormBackward joins, before reluPoolNormBackward, the
// nodes that one would join with the gradients of the convolution whose
// output the batch normalisation reads, where those alone read its dx:
// cpukernels.ConvReLUPoolBackward then makes each image's dz and dx in
// cache, and neither is written.
var convReLUPoolNormBackward = &plan.Fusion{Name: "max pooling gradient+ReLU gradient+batch normalisation's and convolution gradients", Group: func(pl *plan.Plan, n *G.Node) []*G.Node {
	group := pooledNormGrads(pl, n)
	if group == nil {
		return nil
	}
	dx := group[2] // the BatchNormGrad
	filter, input := convGrads(pl, dx, nil)
	if filter == nil || pl.Pinned(dx) {
		return nil
	}
	return appendNodes(group, filter, input)
}}

// convReLUPoolBackward joins, after a fused forward step took a block
// whose affine map is a bias, its MaxPool2DBackward and ReLUBackward with
// what reads dz, where that is the bias's SumChannels, its convolution's
// Conv2DFilterGrad and maybe Conv2DInputGrad: each image's dz is made in
// cache and the three gradients computed from it there
// (cpukernels.ConvReLUPoolBackward); dz is never written.
var convReLUPoolBackward = &plan.Fusion{Name: "max pooling gradient+ReLU gradient+bias and convolution gradients", Group: func(pl *plan.Plan, n *G.Node) []*G.Node {
	dz, affine := pooledGradient(pl, n)
	if _, ok := affine.(ops.ChannelBiasAddOp); !ok || pl.Pinned(dz) {
		return nil
	}
	var sum *G.Node // the bias's gradient
	if at := slices.IndexFunc(pl.Consumers(dz), func(c *G.Node) bool {
		_, ok := pl.Op(c).(ops.SumChannelsOp)
		return ok && isFloat32(c)
	}); at >= 0 {
		sum = pl.Consumers(dz)[at]
	}
	filter, input := convGrads(pl, dz, sum)
	if filter == nil {
		return nil
	}
	return appendNodes([]*G.Node{n, dz}, filter, sum, input)
}}

// convGrads returns the Conv2DFilterGrad and the Conv2DInputGrad, or nil,
// of one convolution that read dy as their gradient, where those alone
// read dy (but for except, when not nil); nil, nil if they do not.
func convGrads(pl *plan.Plan, dy, except *G.Node) (filter, input *G.Node) {
	for _, c := range pl.Consumers(dy) {
		var kind **G.Node
		switch pl.Op(c).(type) {
		case ops.Conv2DFilterGradOp:
			kind = &filter
		case ops.Conv2DInputGradOp:
			kind = &input
		}
		switch {
		case c == except:
		case kind == nil || *kind != nil || !isFloat32(c) || pl.Inputs(c)[1] != dy:
			return nil, nil // another reader, a second of a kind, or not dy's gradient
		default:
			*kind = c
		}
	}
	if _, ok := convGradGeometry(pl, filter, input); !ok {
		return nil, nil
	}
	return filter, input
}

// appendNodes appends to group those of nodes that are not nil.
func appendNodes(group []*G.Node, nodes ...*G.Node) []*G.Node {
	for _, n := range nodes {
		if n != nil {
			group = append(group, n)
		}
	}
	return group
}

// convGradGeometry returns the convolution whose filters' gradient filter
// computes, checking that input, when not nil, is the same convolution's
// input gradient.
func convGradGeometry(pl *plan.Plan, filter, input *G.Node) (cpukernels.Conv, bool) {
	if filter == nil {
		return cpukernels.Conv{}, false
	}
	fop := pl.Op(filter).(ops.Conv2DFilterGradOp)
	x, dy := pl.Inputs(filter)[0].Shape(), pl.Inputs(filter)[1].Shape()
	g, err := fop.Conv.Geometry(x, tensor.Shape{dy[1], x[1], fop.KH, fop.KW})
	if err != nil {
		return g, false
	}
	if input == nil {
		return g, true
	}
	iop := pl.Op(input).(ops.Conv2DInputGradOp)
	w := pl.Inputs(input)[0].Shape()
	gi, err := iop.Conv.Geometry(tensor.Shape{dy[0], w[1], iop.H, iop.W}, w)
	return g, err == nil && gi == g
}

// pooledGradient returns, when n is the MaxPool2DBackward of a pooling
// that a fused forward step runs, the ReLUBackward dz that reads it and
// the op of the affine map z before the ReLU; otherwise nil, nil.
func pooledGradient(pl *plan.Plan, n *G.Node) (dz *G.Node, affine G.Op) {
	if _, ok := pl.Op(n).(ops.MaxPool2DBackwardOp); !ok || !pooled(pl, pl.Inputs(n)[0]) {
		return nil, nil
	}
	dz = pl.Consumers(n)[0] // the ReLUBackward, as reluPoolNodes checked
	return dz, pl.Op(pl.Inputs(dz)[0])
}

// pooled reports whether a fused forward step pools ReLU node act and
// writes the routes of its windows.
func pooled(pl *plan.Plan, act *G.Node) bool {
	f := pl.FusionOf(act)
	return f == reluPoolForward || f == convReLUPoolForward
}

// reluPoolNodes returns the ReLU act of z and the max pooling of act when
// z, a float32 map, is a bias addition or batch normalisation per channel
// that only they and their gradients read (see reluPoolForward).
func reluPoolNodes(pl *plan.Plan, z *G.Node) (act, pool *G.Node) {
	switch op := pl.Op(z).(type) {
	case ops.ChannelBiasAddOp:
	case ops.BatchNormOp:
		if op.Dims != 4 {
			return nil, nil
		}
	default:
		return nil, nil
	}
	if !isFloat32(z) || pl.Pinned(z) {
		return nil, nil
	}
	for _, c := range pl.Consumers(z) {
		if _, ok := pl.Op(c).(ops.ReLUOp); ok && act == nil {
			act = c
		}
	}
	if act == nil || pl.Pinned(act) {
		return nil, nil
	}
	for _, c := range pl.Consumers(act) {
		if op, ok := pl.Op(c).(ops.MaxPool2DOp); ok && pool == nil && op.Kernel == [2]int{2, 2} && op.Stride == [2]int{2, 2} {
			pool = c
		}
	}
	if pool == nil || !onlyGradients(pl, z, act, pool) {
		return nil, nil
	}
	return act, pool
}

// onlyGradients reports whether z's readers are act and ReLUBackward(z,
// da) nodes, and act's are pool and the MaxPool2DBackward(act, ·) nodes
// that compute those da, each read only by its ReLUBackward.
func onlyGradients(pl *plan.Plan, z, act, pool *G.Node) bool {
	isReLUGrad := func(n, da *G.Node) bool {
		_, ok := pl.Op(n).(ops.ReLUBackwardOp)
		return ok && slices.Equal(pl.Inputs(n), []*G.Node{z, da})
	}
	for _, c := range pl.Consumers(act) {
		if c == pool {
			continue
		}
		op, ok := pl.Op(c).(ops.MaxPool2DBackwardOp)
		readers := pl.Consumers(c)
		if !ok || op.Pool != pl.Op(pool) || pl.Inputs(c)[0] != act || pl.Pinned(c) || len(readers) != 1 || !isReLUGrad(readers[0], c) {
			return false
		}
	}
	for _, c := range pl.Consumers(z) {
		if c != act && (!isReLUGrad(c, pl.Inputs(c)[1]) || !slices.Contains(pl.Consumers(act), pl.Inputs(c)[1])) {
			return false
		}
	}
	return true
}

// reluPoolStep returns the pass of the fused forward step of group (z,
// act, pool), which reads the slots in, z's inputs.
func (p *program) reluPoolStep(group []*G.Node, in []int) *reluPool {
	z, act, pool := group[0], group[1], group[2]
	shape := z.Shape() // N×C×H×W
	f := &reluPool{x: in[0], bias: -1, y: p.slots[pool], mode: &p.mode}
	f.k = cpukernels.ReLUPool{Layout: cpukernels.Channels{N: shape[0], C: shape[1], Inner: shape[2] * shape[3]},
		H: shape[2], W: shape[3], Route: p.routes(act)}
	if op, ok := z.Op().(ops.BatchNormOp); ok {
		f.eps, f.stats, f.gamma, f.beta, f.rmean, f.rvar = op.Eps, in[1], in[2], in[3], in[4], in[5]
		f.k.Scale, f.k.Shift = make([]float64, shape[1]), make([]float64, shape[1])
	} else {
		f.bias = in[1]
	}
	return f
}

// convReLUPoolStep returns the pass of the fused forward step of group
// (conv, z, act, pool), which reads the slots in: the convolution's
// input and filters, then the bias.
func (p *program) convReLUPoolStep(pl *plan.Plan, group []*G.Node, in []int) *convReLUPool {
	conv, z, act, pool := group[0], group[1], group[2], group[3]
	x, w := pl.Inputs(conv)[0], pl.Inputs(conv)[1]
	g, err := pl.Op(conv).(ops.Conv2DOp).Geometry(x.Shape(), w.Shape())
	if err != nil {
		panic("backend/cpu: a planned convolution's shapes: " + err.Error()) // the graph checked them
	}
	shape := z.Shape() // N×F×OH×OW
	f := &convReLUPool{x: in[0], w: in[1], bias: in[2], y: p.slots[pool], g: g}
	f.k = cpukernels.ReLUPool{Layout: cpukernels.Channels{N: shape[0], C: shape[1], Inner: shape[2] * shape[3]},
		H: shape[2], W: shape[3], Route: p.routes(act)}
	return f
}

// convReLUPool runs cpukernels.ConvReLUPool, which splits the images
// across cores itself.
type convReLUPool struct {
	cannotFail
	x, w, bias, y int // slots
	g             cpukernels.Conv
	k             cpukernels.ReLUPool
	xv, wv        []float32
}

func (f *convReLUPool) prepare(vals []G.Value, _ *pool) int {
	f.xv, f.wv = cpukernels.Float32s(vals[f.x]), cpukernels.Float32s(vals[f.w])
	f.k.Bias, f.k.Y = cpukernels.Float32s(vals[f.bias]), cpukernels.Float32s(vals[f.y])
	return 1
}

func (f *convReLUPool) runPart(int, int) { cpukernels.ConvReLUPool(f.g, &f.k, f.xv, f.wv) }

// routes returns the routes of the max pooling of act, which its fused
// forward step writes and its fused gradient reads.
func (p *program) routes(act *G.Node) []uint8 {
	if p.poolRoutes == nil {
		p.poolRoutes = map[*G.Node][]uint8{}
	}
	r, ok := p.poolRoutes[act]
	if !ok {
		s := act.Shape()
		r = make([]uint8, s[0]*s[1]*(s[2]/2)*(s[3]/2))
		p.poolRoutes[act] = r
	}
	return r
}

// reluPool runs cpukernels.ReLUPool, maps split across cores; a batch
// normalisation's coefficients follow the mode (batch statistics while
// training, running ones otherwise).
type reluPool struct {
	cannotFail
	x, y                            int // slots
	bias                            int // slot; < 0: a batch normalisation
	stats, gamma, beta, rmean, rvar int // slots of a batch normalisation's inputs
	eps                             float64
	mode                            *ops.Mode
	k                               cpukernels.ReLUPool
}

func (f *reluPool) prepare(vals []G.Value, pool *pool) int {
	f.k.X, f.k.Y = cpukernels.Float32s(vals[f.x]), cpukernels.Float32s(vals[f.y])
	if f.bias >= 0 {
		f.k.Bias = cpukernels.Float32s(vals[f.bias])
	} else {
		stats, gamma, beta := cpukernels.Float32s(vals[f.stats]), cpukernels.Float32s(vals[f.gamma]), cpukernels.Float32s(vals[f.beta])
		rmean, rvar := cpukernels.Float32s(vals[f.rmean]), cpukernels.Float32s(vals[f.rvar])
		for c := range f.k.Scale {
			f.k.Scale[c], f.k.Shift[c] = cpukernels.BatchNormCoefficients(f.k.Layout, f.eps, f.mode.Train, c, stats, gamma, beta, rmean, rvar)
		}
	}
	return min(pool.parts(len(f.k.X)), f.k.Layout.N*f.k.Layout.C)
}

func (f *reluPool) runPart(part, parts int) {
	lo, hi := span(f.k.Layout.N*f.k.Layout.C, part, parts)
	f.k.Planes(lo, hi)
}

// reluPoolGradStep returns the pass of the fused backward step of group
// (MaxPool2DBackward, ReLUBackward and maybe SumChannels), which reads the
// slots in: a and dy.
func (p *program) reluPoolGradStep(pl *plan.Plan, group []*G.Node, in []int) *reluPoolGrad {
	dz := group[1]
	shape := dz.Shape() // N×C×H×W
	f := &reluPoolGrad{dy: in[1], dz: p.slots[dz], dbias: -1}
	if len(group) > 2 {
		f.dbias = p.slots[group[2]]
	}
	f.k = cpukernels.ReLUPoolBackward{Layout: cpukernels.Channels{N: shape[0], C: shape[1], Inner: shape[2] * shape[3]},
		H: shape[2], W: shape[3], Route: p.routes(pl.Inputs(group[0])[0])}
	return f
}

// reluPoolGrad runs cpukernels.ReLUPoolBackward, channels split across
// cores.
type reluPoolGrad struct {
	cannotFail
	dy, dz, dbias int // slots; dbias < 0: none
	k             cpukernels.ReLUPoolBackward
}

func (f *reluPoolGrad) prepare(vals []G.Value, pool *pool) int {
	f.k.Dy, f.k.DZ = cpukernels.Float32s(vals[f.dy]), cpukernels.Float32s(vals[f.dz])
	if f.dbias >= 0 {
		f.k.DBias = cpukernels.Float32s(vals[f.dbias])
	}
	return max(1, min(pool.workers, f.k.Layout.C, len(f.k.DZ)/parallelMin))
}

func (f *reluPoolGrad) runPart(part, parts int) {
	lo, hi := span(f.k.Layout.C, part, parts)
	f.k.Channels(lo, hi)
}

// reluPoolNormGradStep returns the pass of the fused backward step of
// group (MaxPool2DBackward, ReLUBackward, BatchNormGrad,
// BatchNormGammaGrad and maybe SumChannels).
func (p *program) reluPoolNormGradStep(pl *plan.Plan, group []*G.Node) *reluPoolNormGrad {
	pool, dz, dx := group[0], group[1], group[2]
	in := p.slotsOf(pl.Inputs(dx)) // x, stats, γ, running mean, running variance, dz
	shape := dz.Shape()            // N×C×H×W
	layout := cpukernels.Channels{N: shape[0], C: shape[1], Inner: shape[2] * shape[3]}
	f := &reluPoolNormGrad{dy: p.slots[pl.Inputs(pool)[1]], x: in[0], stats: in[1], gamma: in[2],
		dx: p.slots[dx], dgamma: p.slots[group[3]], dbeta: -1}
	if len(group) > 4 {
		f.dbeta = p.slots[group[4]]
	}
	f.k.Pool = cpukernels.ReLUPoolBackward{Layout: layout, H: shape[2], W: shape[3], Route: p.routes(pl.Inputs(pool)[0])}
	f.k.Norm = cpukernels.BatchNormBackward{Layout: layout, Eps: pl.Op(dx).(ops.BatchNormGradOp).Eps}
	return f
}

// reluPoolNormGrad runs cpukernels.ReLUPoolNormBackward, channels split
// across cores.
type reluPoolNormGrad struct {
	cannotFail
	dy, x, stats, gamma, dx, dgamma, dbeta int // slots; dbeta < 0: none
	k                                      cpukernels.ReLUPoolNormBackward
}

func (f *reluPoolNormGrad) prepare(vals []G.Value, pool *pool) int {
	f.k.Pool.Dy = cpukernels.Float32s(vals[f.dy])
	b := &f.k.Norm
	b.X, b.Stats, b.Gamma = cpukernels.Float32s(vals[f.x]), cpukernels.Float32s(vals[f.stats]), cpukernels.Float32s(vals[f.gamma])
	b.DX, b.DGamma = cpukernels.Float32s(vals[f.dx]), cpukernels.Float32s(vals[f.dgamma])
	if f.dbeta >= 0 {
		b.DBeta = cpukernels.Float32s(vals[f.dbeta])
	}
	return max(1, min(pool.workers, b.Layout.C, len(b.X)/parallelMin))
}

func (f *reluPoolNormGrad) runPart(part, parts int) {
	lo, hi := span(f.k.Norm.Layout.C, part, parts)
	f.k.Channels(lo, hi)
}

// convReLUPoolGradStep returns the pass of the fused backward step of
// group (MaxPool2DBackward, ReLUBackward, then dz's readers: a
// Conv2DFilterGrad, maybe a SumChannels and a Conv2DInputGrad).
func (p *program) convReLUPoolGradStep(pl *plan.Plan, group []*G.Node) *convReLUPoolGrad {
	pool, dz := group[0], group[1]
	shape := dz.Shape() // N×F×OH×OW
	f := &convReLUPoolGrad{dy: p.slots[pl.Inputs(pool)[1]], dbias: -1, w: -1, dx: -1, norm: -1}
	var filter, input *G.Node
	for _, n := range group[2:] {
		switch op := pl.Op(n).(type) {
		case ops.Conv2DFilterGradOp:
			filter, f.x, f.dw = n, p.slots[pl.Inputs(n)[0]], p.slots[n]
		case ops.Conv2DInputGradOp:
			input, f.w, f.dx = n, p.slots[pl.Inputs(n)[0]], p.slots[n]
		case ops.SumChannelsOp: // the bias's gradient, or β's
			f.dbias = p.slots[n]
		case ops.BatchNormGradOp: // reads x, stats, γ, running mean and variance, dz
			in := pl.Inputs(n)
			f.norm, f.stats, f.gamma, f.eps = p.slots[in[0]], p.slots[in[1]], p.slots[in[2]], op.Eps
		case ops.BatchNormGammaGradOp:
			f.dgamma = p.slots[n]
		}
	}
	f.k.Conv, _ = convGradGeometry(pl, filter, input) // checked when planned
	f.k.Pool = cpukernels.ReLUPoolBackward{Layout: cpukernels.Channels{N: shape[0], C: shape[1], Inner: shape[2] * shape[3]},
		H: shape[2], W: shape[3], Route: p.routes(pl.Inputs(pool)[0])}
	return f
}

// convReLUPoolGrad runs cpukernels.ConvReLUPoolBackward, which splits the
// images across cores itself.
type convReLUPoolGrad struct {
	cannotFail
	dy, x, dw, dbias, w, dx int // slots; dbias, w and dx < 0: none
	// A batch normalisation's input (norm < 0: a bias), statistics, γ
	// and γ's gradient; dbias is then β's.
	norm, stats, gamma, dgamma int
	eps                        float64
	k                          cpukernels.ConvReLUPoolBackward
}

func (f *convReLUPoolGrad) prepare(vals []G.Value, _ *pool) int {
	f.k.Pool.Dy, f.k.X, f.k.DW = cpukernels.Float32s(vals[f.dy]), cpukernels.Float32s(vals[f.x]), cpukernels.Float32s(vals[f.dw])
	var dbias []float32
	if f.dbias >= 0 {
		dbias = cpukernels.Float32s(vals[f.dbias])
	}
	if f.norm >= 0 {
		if f.k.Norm == nil {
			f.k.Norm = &cpukernels.BatchNormBackward{}
		}
		*f.k.Norm = cpukernels.BatchNormBackward{Layout: f.k.Pool.Layout, Eps: f.eps, X: cpukernels.Float32s(vals[f.norm]),
			Stats: cpukernels.Float32s(vals[f.stats]), Gamma: cpukernels.Float32s(vals[f.gamma]),
			DGamma: cpukernels.Float32s(vals[f.dgamma]), DBeta: dbias}
	} else {
		f.k.Pool.DBias = dbias
	}
	if f.dx >= 0 {
		f.k.W, f.k.DX = cpukernels.Float32s(vals[f.w]), cpukernels.Float32s(vals[f.dx])
	}
	return 1
}

func (f *convReLUPoolGrad) runPart(int, int) { f.k.Run() }
