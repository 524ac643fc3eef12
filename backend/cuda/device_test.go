//go:build cgo

package cuda

import (
	"math"
	"testing"

	"github.com/neurone-dl/neurone/internal/cudadl"
)

// A grid-stride kernel and a block-stride reduction over 2^31 − 1
// elements, the most a buffer may hold, reach every element and nothing
// past the end (TestStridedNear2to31 checks the loops on the host).
func TestKernelsNear2to31(t *testing.T) {
	g := gpu(t)
	leave, err := g.enter()
	if err != nil {
		t.Fatal(err)
	}
	defer leave()
	const n = math.MaxInt32
	if free, _, err := cudadl.MemInfo(); err != nil || free < 4*n+(1<<30) {
		t.Skipf("%d MB free (%v): too little for %d floats", free>>20, err, n)
	}
	s, err := cudadl.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	x, err := cudadl.Alloc(4 * n)
	if err != nil {
		t.Fatal(err)
	}
	defer cudadl.Free(x)
	v, err := cudadl.Alloc(8)
	if err != nil {
		t.Fatal(err)
	}
	defer cudadl.Free(v)
	if err := cudadl.CopyToDevice(v, []float32{7, 0}, s); err != nil {
		t.Fatal(err)
	}
	p := &program{b: g}
	fill, err := p.kernel("expand", n, x, v, n) // x[i] = 7 for every i
	if err != nil {
		t.Fatal(err)
	}
	defer fill.args.Free()
	sum, err := p.reduction("sum_all", 1, v+4, x, n) // one block of reduceThreads
	if err != nil {
		t.Fatal(err)
	}
	defer sum.args.Free()
	for _, l := range []*launch{fill, sum} {
		if err := cudadl.Launch(l.fn, l.grid, l.block, 0, s, l.args); err != nil {
			t.Fatalf("%s: %v", l.name, err)
		}
		if err := s.Sync(); err != nil {
			t.Fatalf("%s over %d elements: %v", l.name, n, err)
		}
	}
	chunk := make([]float32, 1<<26)
	for at := 0; at < n; at += len(chunk) {
		part := chunk[:min(len(chunk), n-at)]
		if err := cudadl.CopyToHost(part, x+cudadl.Ptr(4*at), s); err != nil {
			t.Fatal(err)
		}
		for i, got := range part {
			if got != 7 {
				t.Fatalf("x[%d] = %v after expand, want 7", at+i, got)
			}
		}
	}
	got := make([]float32, 2)
	if err := cudadl.CopyToHost(got, v, s); err != nil {
		t.Fatal(err)
	}
	if want := float32(7 * float64(n)); got[1] != want {
		t.Errorf("sum_all over %d sevens = %v, want %v", n, got[1], want)
	}
}
