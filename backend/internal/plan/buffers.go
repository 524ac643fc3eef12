package plan

import (
	"slices"

	G "gorgonia.org/gorgonia"
)

// Buffer is memory for values: one leaf's, or those of computed values
// whose lifetimes do not overlap.
type Buffer struct {
	Size int // elements
	Kind Kind
	Node *G.Node // the first value stored in it
}

// Buffers assigns values to buffers.
type Buffers struct {
	List []Buffer
	// Of is the buffer of each value; a fused step's value that Kept
	// says no one else reads has none.
	Of map[*G.Node]int
}

// ShareBuffers gives every leaf a buffer of its own (the inputs, the
// parameters and the updated state first, in Spec order; a constant at
// its first reader) and every computed value a buffer of its size that
// no value still to be read holds: the steps run one at a time, so once
// a value's last reader has run, its buffer may take the next value. The
// values a caller reads after a run (Pinned) keep buffers of their own.
func (p *Plan) ShareBuffers() Buffers {
	b := Buffers{Of: map[*G.Node]int{}}
	leaves := slices.Concat(p.Spec.Inputs, p.Spec.Params)
	for _, u := range p.Spec.Updates {
		leaves = append(leaves, u.Buffer)
	}
	for _, n := range leaves {
		b.add(n, p.kinds[n])
	}
	last := p.lastReads(p.all())
	free := map[int][]int{} // size → buffers no live value holds
	for i, s := range p.Steps {
		for _, c := range s.In {
			if _, ok := b.Of[c]; !ok {
				b.add(c, p.kinds[c])
			}
		}
		for _, n := range s.Nodes {
			if p.Kept(n) {
				b.alloc(n, free, p.pinned[n])
			}
		}
		for k, c := range s.In {
			// Once each, even if read twice (x in x·x).
			if last[c] == i && !p.pinned[c] && p.kinds[c] == Computed && !slices.Contains(s.In[:k], c) {
				size := b.List[b.Of[c]].Size
				free[size] = append(free[size], b.Of[c])
			}
		}
	}
	for _, n := range p.Order { // leaves no step reads, such as an output
		if _, ok := b.Of[n]; !ok && p.kinds[n] != Computed {
			b.add(n, p.kinds[n])
		}
	}
	return b
}

// all returns the indices of every step.
func (p *Plan) all() []int {
	steps := make([]int, len(p.Steps))
	for i := range steps {
		steps[i] = i
	}
	return steps
}

// add gives n a new buffer.
func (b *Buffers) add(n *G.Node, kind Kind) int {
	if at, ok := b.Of[n]; ok {
		return at
	}
	b.Of[n] = len(b.List)
	b.List = append(b.List, Buffer{Size: n.Shape().TotalSize(), Kind: kind, Node: n})
	return len(b.List) - 1
}

// alloc gives computed value n a free buffer of its size, unless it is
// pinned, or a new one.
func (b *Buffers) alloc(n *G.Node, free map[int][]int, pinned bool) {
	size := n.Shape().TotalSize()
	if l := free[size]; len(l) > 0 && !pinned {
		b.Of[n] = l[len(l)-1]
		free[size] = l[:len(l)-1]
		return
	}
	b.add(n, Computed)
}
