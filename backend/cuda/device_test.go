//go:build cgo

package cuda

import (
	"math"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// Filling the device until an allocation fails gives CUDA's out-of-memory
// error; a program compiled on the full device fails with an error that
// says so and leaks nothing; once the memory is freed the device is whole
// again: its free memory back where it was, and a program compiles and
// trains as it did before. The test fills it through a device as programs
// make them, so it checks the binding the binary was built with.
func TestFillDevice(t *testing.T) {
	g := gpu(t)
	dev := testDevice(t, g)
	xs, ys := randomBatches(1, 8)
	step := func() (float32, error) {
		prog, err := g.Compile(mlp6(t, 8, optim.NewSGD(0.01)))
		if err != nil {
			return 0, err
		}
		defer prog.Close()
		return prog.Train(xs[0], ys[0])
	}
	want, err := step()
	if err != nil {
		t.Fatal(err)
	}
	before, total, err := g.MemInfo()
	if err != nil {
		t.Fatal(err)
	}
	held, oom := fillDevice(t, g, dev, total)
	defer freeAll(t, g, dev, held) // again if the test stops early: a second free of each is skipped
	if !cudadl.IsOutOfMemory(oom) || !strings.Contains(oom.Error(), "CUDA_ERROR_OUT_OF_MEMORY") {
		t.Errorf("the allocation that did not fit failed with %v, want CUDA_ERROR_OUT_OF_MEMORY", oom)
	}
	full, _, _ := g.MemInfo()
	t.Logf("filled: %.1f GB in %d allocations, %.0f MB free of %.1f GB; then %v",
		bytesHeld(held)/1e9, len(held), float64(full)/1e6, float64(total)/1e9, oom)

	args := cudadl.ArgsInUse()
	_, err = step()
	if err == nil || !cudadl.IsOutOfMemory(err) || !strings.Contains(err.Error(), "smaller batch") {
		t.Errorf("training on the full device: %v, want an out-of-memory error suggesting a smaller batch", err)
	}
	t.Logf("on the full device: %v", err)
	if got := cudadl.ArgsInUse(); got != args {
		t.Errorf("the failed Compile left %d kernel argument lists allocated", got-args)
	}

	freeAll(t, g, dev, held)
	after, _, err := g.MemInfo()
	if err != nil {
		t.Fatal(err)
	}
	if after+(64<<20) < before {
		t.Errorf("free device memory %d MB before filling, %d MB after freeing", before>>20, after>>20)
	}
	got, err := step()
	if err != nil {
		t.Fatalf("after freeing the device: %v", err)
	}
	if math.Abs(float64(got-want)) > 1e-6*math.Abs(float64(want)) {
		t.Errorf("loss %v after filling and freeing the device, %v before", got, want)
	}
}

// testDevice makes a device of g as a program makes one, closed when the
// test ends.
func testDevice(t *testing.T, g *Backend) device {
	t.Helper()
	leave, err := g.enter()
	if err != nil {
		t.Fatal(err)
	}
	defer leave()
	dev, err := g.newDevice(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if leave, err := g.enter(); err == nil {
			defer leave()
			if err := dev.close(); err != nil {
				t.Errorf("closing the test's device: %v", err)
			}
		}
	})
	return dev
}

// allocation is a piece of device memory held by a test.
type allocation struct {
	p     cudadl.Ptr
	bytes int
}

func bytesHeld(held []*allocation) float64 {
	n := 0.0
	for _, a := range held {
		n += float64(a.bytes)
	}
	return n
}

// fillDevice allocates pieces of 4 GiB, then ever smaller ones down to
// 1 MiB, until none fits, and returns them with the error of the last
// allocation tried; it fails the test on any other error.
func fillDevice(t *testing.T, g *Backend, dev device, total uint64) ([]*allocation, error) {
	t.Helper()
	leave, err := g.enter()
	if err != nil {
		t.Fatal(err)
	}
	defer leave()
	var held []*allocation
	var last error
	sum := 0
	for piece := 4 << 30; piece >= 1<<20; {
		if uint64(sum+piece) > 2*total { // the driver would have to be lying
			t.Fatalf("allocated %d bytes of a %d-byte device", sum, total)
		}
		p, err := dev.alloc(piece / 4)
		if err != nil {
			if !cudadl.IsOutOfMemory(err) {
				freeAll(t, g, dev, held)
				t.Fatalf("allocating %d bytes with %d held: %v", piece, sum, err)
			}
			last = err
			piece /= 4
			continue
		}
		held = append(held, &allocation{p, piece})
		sum += piece
	}
	return held, last
}

// freeAll frees the allocations not freed yet.
func freeAll(t *testing.T, g *Backend, dev device, held []*allocation) {
	t.Helper()
	leave, err := g.enter()
	if err != nil {
		t.Error(err)
		return
	}
	defer leave()
	for _, a := range held {
		if a.p == 0 {
			continue
		}
		if err := dev.free(a.p); err != nil {
			t.Errorf("freeing %d bytes: %v", a.bytes, err)
		}
		a.p = 0
	}
}

// A grid-stride kernel and a block-stride reduction over 2^31 − 1
// elements, the most a buffer may hold, reach every element and nothing
// past the end (TestStridedNear2to31 checks the loops on the host).
func TestKernelsNear2to31(t *testing.T) {
	g := gpu(t)
	dev := testDevice(t, g)
	leave, err := g.enter()
	if err != nil {
		t.Fatal(err)
	}
	defer leave()
	const n = math.MaxInt32
	if free, _, err := g.memInfo(); err != nil || free < 4*n+(1<<30) {
		t.Skipf("%d MB free (%v): too little for %d floats", free>>20, err, n)
	}
	x, err := dev.alloc(n)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.free(x)
	v, err := dev.alloc(2)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.free(v)
	if err := dev.toDevice(v, []float32{7, 0}); err != nil {
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
		if err := dev.launch(l); err != nil {
			t.Fatalf("%s: %v", l.name, err)
		}
		if err := dev.sync(); err != nil {
			t.Fatalf("%s over %d elements: %v", l.name, n, err)
		}
	}
	chunk := make([]float32, 1<<26)
	for at := 0; at < n; at += len(chunk) {
		part := chunk[:min(len(chunk), n-at)]
		if err := dev.toHost(part, x+cudadl.Ptr(4*at)); err != nil {
			t.Fatal(err)
		}
		for i, got := range part {
			if got != 7 {
				t.Fatalf("x[%d] = %v after expand, want 7", at+i, got)
			}
		}
	}
	got := make([]float32, 2)
	if err := dev.toHost(got, v); err != nil {
		t.Fatal(err)
	}
	if want := float32(7 * float64(n)); got[1] != want {
		t.Errorf("sum_all over %d sevens = %v, want %v", n, got[1], want)
	}
}
