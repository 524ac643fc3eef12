package comm

import "fmt"

// DefaultBucketSize is the number of float32 values (4 MiB) Buckets packs
// into one all-reduce: enough that a message's fixed cost is small next to
// its transfer, few enough that packing does not double the memory.
const DefaultBucketSize = 1 << 20

// Buckets averages a fixed list of buffers over the ranks of a
// communicator in few large all-reduces rather than one per buffer, as a
// backend averages its gradients after the backward pass: small buffers
// are copied into a flat bucket, summed over the ranks, and copied back
// multiplied by 1/Size; a buffer of a bucket's size or more is summed in
// place. Buffers are taken in the order given (the order in which the
// backward pass makes the gradients), so every rank builds the same
// buckets. A Buckets allocates only at creation.
type Buckets struct {
	c      Communicator
	sizes  []int
	groups []group
	buf    []float32
}

// group is one all-reduce: the buffers lo to hi−1, packed into Buckets.buf
// (n values) or, when not packed, buffer lo alone in place.
type group struct {
	lo, hi, n int
	packed    bool
}

// NewBuckets plans the all-reduces of buffers of the given sizes, packing
// up to bucketSize values (0: DefaultBucketSize) in each.
func NewBuckets(c Communicator, sizes []int, bucketSize int) *Buckets {
	if bucketSize <= 0 {
		bucketSize = DefaultBucketSize
	}
	b := &Buckets{c: c, sizes: append([]int(nil), sizes...)}
	cur, largest := group{packed: true}, 0
	flush := func() {
		if cur.hi > cur.lo {
			b.groups = append(b.groups, cur)
			largest = max(largest, cur.n)
		}
		cur = group{lo: cur.hi, hi: cur.hi, packed: true}
	}
	for i, n := range sizes {
		switch {
		case n >= bucketSize:
			flush()
			b.groups = append(b.groups, group{lo: i, hi: i + 1, n: n})
			cur = group{lo: i + 1, hi: i + 1, packed: true}
		case cur.n+n > bucketSize:
			flush()
			fallthrough
		default:
			cur.hi, cur.n = i+1, cur.n+n
		}
	}
	flush()
	b.buf = make([]float32, largest)
	return b
}

// Len is the number of all-reduces Mean makes.
func (b *Buckets) Len() int { return len(b.groups) }

// Mean replaces each of buffers, on every rank, by its mean over the
// ranks. The buffers must have the sizes given to NewBuckets.
func (b *Buckets) Mean(buffers [][]float32) error {
	if len(buffers) != len(b.sizes) {
		return fmt.Errorf("comm: Buckets.Mean of %d buffers, planned for %d", len(buffers), len(b.sizes))
	}
	for i, buf := range buffers {
		if len(buf) != b.sizes[i] {
			return fmt.Errorf("comm: Buckets.Mean: buffer %d has %d values, planned for %d", i, len(buf), b.sizes[i])
		}
	}
	size := b.c.Size()
	for _, g := range b.groups {
		if !g.packed {
			if err := b.c.AllReduceSum(buffers[g.lo]); err != nil {
				return err
			}
			scale(buffers[g.lo], size)
			continue
		}
		flat, off := b.buf[:g.n], 0
		for _, buf := range buffers[g.lo:g.hi] {
			off += copy(flat[off:], buf)
		}
		if err := b.c.AllReduceSum(flat); err != nil {
			return err
		}
		s, off := 1/float32(size), 0
		for _, buf := range buffers[g.lo:g.hi] {
			for i, v := range flat[off : off+len(buf)] {
				buf[i] = v * s
			}
			off += len(buf)
		}
	}
	return nil
}
