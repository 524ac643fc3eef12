package ops_test

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/gradcheck"
	"github.com/neurone-dl/neurone/ops"
)

func dropoutOp(rate float64, seed uint64) ops.DropoutOp {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(1, 1), G.WithName("x"))
	n, err := ops.Dropout(x, rate, seed)
	if err != nil {
		panic(err)
	}
	return n.Op().(ops.DropoutOp)
}

func ones(dt tensor.Dtype, n int) *tensor.Dense {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return denseOf(dt, []int{n}, v)
}

// TestDropoutRate draws 10⁵ elements at several rates and checks the
// fraction kept, the scale of the kept ones and that the mask is the one
// DropoutMask describes, in both element types.
func TestDropoutRate(t *testing.T) {
	t.Parallel()
	const n = 100000
	for _, rate := range []float64{0.5, 0.1, 0.9} {
		op := dropoutOp(rate, 42)
		mask := op.Mask(7)
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			y, err := op.ModeDo(ops.Mode{Train: true, Step: 7}, nil, ones(dt, n))
			if err != nil {
				t.Fatal(err)
			}
			kept := 0
			for i, v := range float64s(y) {
				switch {
				case v == 0:
					if mask.Keep(i) {
						t.Fatalf("rate %v %v: element %d dropped, DropoutMask keeps it", rate, dt, i)
					}
				case math.Abs(v-1/(1-rate)) < 1e-6*v:
					if !mask.Keep(i) {
						t.Fatalf("rate %v %v: element %d kept, DropoutMask drops it", rate, dt, i)
					}
					kept++
				default:
					t.Fatalf("rate %v %v: element %d = %v, want 0 or %v", rate, dt, i, v, 1/(1-rate))
				}
			}
			if got := 1 - float64(kept)/n; math.Abs(got-rate) > 0.01 {
				t.Errorf("rate %v %v: dropped a fraction %v", rate, dt, got)
			}
		}
	}
}

// TestDropoutMaskIsAFunctionOfSeedAndStep: the same (seed, step) gives the
// same mask on every call; another step or another seed gives another.
func TestDropoutMaskIsAFunctionOfSeedAndStep(t *testing.T) {
	t.Parallel()
	const n = 4096
	run := func(seed, step uint64) []float64 {
		y, err := dropoutOp(0.5, seed).ModeDo(ops.Mode{Train: true, Step: step}, nil, ones(tensor.Float64, n))
		if err != nil {
			t.Fatal(err)
		}
		return float64s(y)
	}
	differ := func(a, b []float64) float64 {
		d := 0
		for i := range a {
			if a[i] != b[i] {
				d++
			}
		}
		return float64(d) / float64(len(a))
	}
	a := run(1, 5)
	if d := differ(a, run(1, 5)); d != 0 {
		t.Errorf("same seed and step: %v of the mask differs", d)
	}
	// Independent masks at rate 0.5 differ in about half the elements.
	for _, o := range []struct{ seed, step uint64 }{{1, 6}, {2, 5}, {0, 5}, {1, 0}} {
		if d := differ(a, run(o.seed, o.step)); math.Abs(d-0.5) > 0.05 {
			t.Errorf("seed %d step %d against seed 1 step 5: %v of the mask differs, want about 0.5", o.seed, o.step, d)
		}
	}
}

// TestDropoutShards: the shards of a global batch of 6 samples, run with
// Mode.Sample at each shard's first sample, draw together the global
// batch's mask, for shards of 1, 2 and 3 samples.
func TestDropoutShards(t *testing.T) {
	t.Parallel()
	const batch, perSample = 6, 35
	op := dropoutOp(0.5, 9)
	mode := ops.Mode{Train: true, Step: 4}
	x := make([]float64, batch*perSample)
	for i := range x {
		x[i] = float64(i + 1)
	}
	whole, err := op.ModeDo(mode, nil, denseOf(tensor.Float64, []int{batch, perSample}, x))
	if err != nil {
		t.Fatal(err)
	}
	want := float64s(whole)
	for _, shard := range []int{1, 2, 3} {
		for first := 0; first < batch; first += shard {
			m := mode
			m.Sample = uint64(first)
			part := x[first*perSample : (first+shard)*perSample]
			y, err := op.ModeDo(m, nil, denseOf(tensor.Float64, []int{shard, perSample}, part))
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range float64s(y) {
				if w := want[first*perSample+i]; v != w {
					t.Fatalf("shard of %d from sample %d: element %d = %v, the global batch has %v", shard, first, i, v, w)
				}
			}
		}
	}
}

// TestDropoutInferenceIsIdentity: outside training (and through Do, which
// knows no mode) dropout returns its input unchanged.
func TestDropoutInferenceIsIdentity(t *testing.T) {
	t.Parallel()
	x := []float64{1.5, -2, 3.25, 0, 7}
	op := dropoutOp(0.5, 3)
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		y1, err := op.ModeDo(ops.Mode{Step: 9}, nil, denseOf(dt, []int{5}, x))
		if err != nil {
			t.Fatal(err)
		}
		y2, err := op.Do(denseOf(dt, []int{5}, x))
		if err != nil {
			t.Fatal(err)
		}
		if !equal(float64s(y1), x) || !equal(float64s(y2), x) {
			t.Errorf("%v: inference gives %v and %v, want %v", dt, float64s(y1), float64s(y2), x)
		}
	}
	if _, err := ops.Dropout(G.NewVector(G.NewGraph(), tensor.Float32, G.WithShape(3), G.WithName("x")), 1, 0); err == nil {
		t.Error("rate 1 accepted")
	}
}

// wrongMaskDropout is dropout whose backward pass draws another mask than
// its forward pass: the bug a backend that does not reproduce the mask
// would have.
type wrongMaskDropout struct{ ops.DropoutOp }

func (op wrongMaskDropout) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := ops.Dropout(grad, op.Rate, op.Seed+1)
	return G.Nodes{dx}, err
}

// TestGradientCheckCatchesWrongMask makes sure the dropout gradient check
// can fail: with another mask in the backward pass it must.
func TestGradientCheckCatchesWrongMask(t *testing.T) {
	t.Parallel()
	op := wrongMaskDropout{dropoutOp(0.5, 7)}
	r, err := gradcheck.Run(gradcheck.Case{
		Inputs: []gradcheck.Input{{Name: "x", Shape: []int{4, 30}}},
		Build:  func(in []*G.Node) (*G.Node, error) { return G.ApplyOp(op, in[0]) },
		Mode:   ops.Mode{Train: true, Step: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxRelErr < 0.5 {
		t.Fatalf("max relative error %v: the check did not notice the wrong mask", r.MaxRelErr)
	}
}
