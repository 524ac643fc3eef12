package ops

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// DropoutOp is inverted dropout: while training it sets each element of x
// to 0 with probability Rate and multiplies the others by 1/(1−Rate), so
// that the expected value is unchanged and inference needs no rescaling;
// in inference it is the identity. It implements ModeDoer: Do and
// UsePreallocDo compute the identity, ModeDo the mode's result.
//
// The mask is a pure function of (Seed, step, element index), with no
// generator state: see DropoutMask. The element index is that in the
// global batch: a data-parallel rank whose shard begins at sample
// Mode.Sample draws the masks of its samples there (the first axis of x
// is the batch's). A backend reproduces it bit for bit,
// and the forward and backward passes of a step see the same mask.
//
// Dropout is linear and diagonal in x, so its gradient is the same op
// applied to dy (dx = mask·dy/(1−Rate)): DropoutOp is its own backward op.
type DropoutOp struct {
	elementwise
	diffable
	Rate float64 // probability of dropping an element, in [0, 1)
	Seed uint64  // chooses the masks; give each dropout layer its own
}

// Dropout returns the node of inverted dropout of x at the given rate,
// with masks drawn from seed.
func Dropout(x *G.Node, rate float64, seed uint64) (*G.Node, error) {
	op := DropoutOp{elementwise: elementwise{arity: 1}, Rate: rate, Seed: seed}
	if err := op.check(); err != nil {
		return nil, err
	}
	return apply(op, x)
}

func (op DropoutOp) check() error {
	if !(op.Rate >= 0 && op.Rate < 1) {
		return fmt.Errorf("ops: %v: rate must be in [0, 1)", op)
	}
	return nil
}

// DropoutMask is the mask of one training step. With
//
//	splitmix64(s) = mix64(s + 0x9e3779b97f4a7c15)     (SplitMix64's next output from state s)
//	Key           = splitmix64(Seed ^ splitmix64(step))
//	h(i)          = splitmix64(Key + i·0x9e3779b97f4a7c15)   (mod 2⁶⁴)
//
// element i (the flat row-major index) is kept when the high 32 bits of
// h(i) are at least Threshold, and then multiplied by Scale; otherwise it
// is 0. h(i) is output i of a SplitMix64 generator seeded with Key, so a
// GPU thread computes its element's hash from i alone.
type DropoutMask struct {
	Key       uint64
	Threshold uint32  // round(Rate·2³²), at most 2³²−1
	Scale     float64 // 1/(1−Rate), rounded to the element type when applied
}

// Mask returns the mask of training step step.
func (op DropoutOp) Mask(step uint64) DropoutMask {
	t := math.Min(math.Round(op.Rate*(1<<32)), math.MaxUint32)
	return DropoutMask{Key: cpukernels.SplitMix64(op.Seed ^ cpukernels.SplitMix64(step)), Threshold: uint32(t), Scale: 1 / (1 - op.Rate)}
}

// Shift returns the mask whose element i is m's element i+elements: the
// mask of a shard of a batch that begins at that element.
func (m DropoutMask) Shift(elements uint64) DropoutMask {
	m.Key += elements * cpukernels.Golden
	return m
}

// Keep reports whether element i survives.
func (m DropoutMask) Keep(i int) bool {
	return uint32(cpukernels.SplitMix64(m.Key+uint64(i)*cpukernels.Golden)>>32) >= m.Threshold
}

// ModeDo computes dropout of x into prealloc (allocated when nil): masked
// and scaled when mode.Train, copied otherwise.
func (op DropoutOp) ModeDo(mode Mode, p G.Value, vs ...G.Value) (G.Value, error) {
	if err := op.check(); err != nil {
		return nil, err
	}
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	out, err := output(op, p, vs[0].Dtype(), vs[0].Shape())
	if err != nil {
		return nil, err
	}
	active := mode.Train && op.Rate > 0
	m := op.Mask(mode.Step)
	if sh := vs[0].Shape(); mode.Sample > 0 && len(sh) > 0 && sh[0] > 0 {
		m = m.Shift(mode.Sample * uint64(sh.TotalSize()/sh[0])) // the shard's samples' masks
	}
	if vs[0].Dtype() == tensor.Float32 {
		cpukernels.Dropout(active, m.Key, m.Threshold, m.Scale, f32(out), f32(vs[0]))
	} else {
		cpukernels.Dropout(active, m.Key, m.Threshold, m.Scale, f64(out), f64(vs[0]))
	}
	return out, nil
}

// SymDiff returns the same dropout applied to dy.
func (op DropoutOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(op, grad)
	return G.Nodes{dx}, err
}

func (op DropoutOp) String() string { return fmt.Sprintf("Dropout(%g, seed %d)", op.Rate, op.Seed) }
