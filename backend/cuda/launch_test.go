//go:build cgo

package cuda

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// kernelParams is kernelSignatures, failing t on a parameter of a type
// the emulator does not know.
func kernelParams(t *testing.T) map[string][]kparam {
	t.Helper()
	sigs, err := kernelSignatures()
	if err != nil {
		t.Fatal(err)
	}
	return sigs
}

func goType(v any) string {
	switch v.(type) {
	case cudadl.Ptr:
		return "ptr"
	case int, int32:
		return "int"
	case uint32:
		return "uint32"
	case uint64:
		return "uint64"
	case float32:
		return "float"
	}
	return "unknown"
}

// Every launch the program prepares passes its kernel exactly the
// parameters the CUDA C declares, in type and number, and reductions run
// in blocks of REDUCE_THREADS. Checked without a GPU on the programs of
// the conformance networks, every op case, and each optimizer.
func TestLaunchesMatchKernels(t *testing.T) {
	sigs := kernelParams(t)
	for _, name := range kernelNames {
		if _, ok := sigs[name]; !ok {
			t.Fatalf("kernel %s is not in kernelSource", name)
		}
	}
	specs := map[string]func() (backend.Spec, error){
		"mlp6": func() (backend.Spec, error) {
			s, _, err := backendtest.MLP6Train(4, 1, optim.NewAdam(1e-3))
			return s, err
		},
		"cnn": func() (backend.Spec, error) {
			m, err := graph.CNN(graph.DefaultCNNSpec(100, 100, 2))
			if err != nil {
				return backend.Spec{}, err
			}
			obj, err := graph.BinaryClassification(m)
			if err != nil {
				return backend.Spec{}, err
			}
			return backend.TrainSpec(m, obj, optim.NewMomentum(0.01, 0.9)), nil
		},
	}
	for _, c := range opCases {
		specs[c.name] = func() (backend.Spec, error) {
			s, _, err := c.build()
			return s, err
		}
	}
	for _, c := range stdCases {
		specs["std/"+c.name] = c.build
	}
	reductions := reductionKernels(t)
	used := map[string]bool{}
	for name, build := range specs {
		t.Run(name, func(t *testing.T) {
			spec, err := build()
			if err != nil {
				t.Fatal(err)
			}
			pl, err := lower(spec)
			if err != nil {
				t.Fatal(err)
			}
			p := &program{b: &Backend{dev: &cudadl.Device{SMs: 4}, kernels: map[string]cudadl.Function{}},
				spec: spec, plan: pl, opt: spec.Optimizer, coef: 1 << 40, parts: 2 << 40}
			p.mem = make([]cudadl.Ptr, len(pl.bufs))
			for i := range p.mem {
				p.mem[i] = cudadl.Ptr(i+1) << 32
			}
			p.slots = make([][]cudadl.Ptr, len(spec.Params))
			for i := range p.slots {
				for j := range p.opt.Slots() {
					p.slots[i] = append(p.slots[i], cudadl.Ptr(1000+10*i+j)<<32)
				}
			}
			if err := p.prepareInstrs(); err != nil {
				t.Fatal(err)
			}
			for i, work := range slices.Concat(p.work, p.infer) {
				for _, a := range work {
					var err error
					switch a := a.(type) {
					case gemmAction:
						err = cublasArgs(a.g)
					case gemvAction:
						err = cublasGemvArgs(a.g)
					}
					if err != nil {
						t.Errorf("instruction %d: %v", i%len(p.work), err)
					}
				}
			}
			if err := p.prepareUpdates(); err != nil {
				t.Fatal(err)
			}
			for _, l := range p.launches {
				defer l.args.Free() // only the C memory: no device was touched
				used[l.name] = true
				var got, want []string
				for _, v := range l.vals {
					got = append(got, goType(v))
				}
				for _, p := range sigs[l.name] {
					want = append(want, p.class)
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("kernel %s: launched with (%s), declared (%s)", l.name, strings.Join(got, ", "), strings.Join(want, ", "))
				}
				if reductions[l.name] != (l.block.X == reduceThreads) {
					t.Errorf("kernel %s: blocks of %d threads", l.name, l.block.X)
				}
			}
		})
	}
	for _, name := range kernelNames {
		if !used[name] {
			t.Logf("kernel %s not launched by these programs", name)
		}
	}
}

// reductionKernels returns the kernels of kernelSource marked REDUCTION,
// which must run in blocks of reduceThreads threads.
func reductionKernels(t *testing.T) map[string]bool {
	t.Helper()
	r := map[string]bool{}
	for _, m := range regexp.MustCompile(`void REDUCTION (\w+)\(`).FindAllStringSubmatch(kernelSource, -1) {
		r[m[1]] = true
	}
	if len(r) == 0 {
		t.Fatal("no kernel of kernelSource is marked REDUCTION")
	}
	return r
}

// TestCublasArgs checks the checker: the leading dimensions cuBLAS refuses
// are refused, for each transpose.
func TestCublasArgs(t *testing.T) {
	ok := gemmCall{m: 4, n: 3, k: 2, lda: 4, ldb: 2, ldc: 4, batch: 1}
	if err := cublasArgs(ok); err != nil {
		t.Errorf("%+v: %v", ok, err)
	}
	bad := []gemmCall{
		{m: 4, n: 3, k: 2, lda: 3, ldb: 2, ldc: 4, batch: 1},               // lda < m
		{m: 4, n: 3, k: 2, lda: 1, ldb: 2, ldc: 4, batch: 1, transA: true}, // lda < k
		{m: 4, n: 3, k: 2, lda: 4, ldb: 2, ldc: 4, batch: 1, transB: true}, // ldb < n
		{m: 4, n: 3, k: 2, lda: 4, ldb: 2, ldc: 3, batch: 1},               // ldc < m
		{m: 4, n: 3, k: 2, lda: 4, ldb: 2, ldc: 4},                         // no batch
	}
	for _, g := range bad {
		if cublasArgs(g) == nil {
			t.Errorf("%+v: accepted", g)
		}
	}
	if cublasGemvArgs(gemvCall{m: 5, n: 2, lda: 5}) != nil || cublasGemvArgs(gemvCall{m: 5, n: 2, lda: 4}) == nil {
		t.Error("cublasGemvArgs: wrong verdict on lda 5 or 4 for m 5")
	}
}
