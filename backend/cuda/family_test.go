package cuda

import (
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"maps"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/ops"
)

// outsideReLU is an op defined outside package ops, as a user's or
// Gorgonia's is: ReLU under another name.
type outsideReLU struct{ ops.ReLUOp }

func (outsideReLU) String() string { return "outside ReLU" }

func (o outsideReLU) WriteHash(h hash.Hash) { fmt.Fprint(h, o) }

func (o outsideReLU) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// An op defined outside package ops has no lowering until a family
// registers one, by its type or by a function that recognises it; then it
// lowers, fuses with the bias addition before it as any activation does,
// and computes what the CPU computes.
func TestLowerOpsDefinedElsewhere(t *testing.T) {
	build := func() (backend.Spec, []float32) {
		g := G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 4), G.WithName("x"))
		b := G.NewVector(g, tensor.Float32, G.WithShape(4), G.WithName("b"),
			G.WithValue(tensor.New(tensor.WithShape(4), tensor.WithBacking([]float32{-1, 0.5, 0, 2}))))
		h, err := ops.BiasAdd(x, b)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ops.ReLU(h)
		if err != nil {
			t.Fatal(err)
		}
		y, err := G.ApplyOp(outsideReLU{r.Op().(ops.ReLUOp)}, h)
		if err != nil {
			t.Fatal(err)
		}
		return backend.Spec{Inputs: []*G.Node{x}, Outputs: []*G.Node{y}}, []float32{1, -2, 3, -4, 0.5, 0.25, -0.5, 1, 2, 2, -3, -1}
	}
	spec, _ := build()
	if _, err := lower(spec); !errors.Is(err, backend.ErrUnsupported) {
		t.Fatalf("lower before registration = %v, want ErrUnsupported", err)
	}
	for name, register := range map[string]func(){
		"by type": func() { lowerAs[outsideReLU](actArgs{kind: actReLU}) },
		"by matcher": func() {
			lowerMatching(func(op G.Op) bool { return op.String() == "outside ReLU" },
				func(*G.Node, []*G.Node) (instrArgs, error) { return actArgs{kind: actReLU}, nil })
		},
	} {
		t.Run(name, func(t *testing.T) {
			byType, matchers := maps.Clone(lowerings.byType), slices.Clone(lowerings.matchers)
			t.Cleanup(func() { lowerings.byType, lowerings.matchers = byType, matchers })
			register()
			spec, _ := build()
			l, err := lower(spec)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.instrs) != 1 || biasAct(l.instrs[0].args).act.kind != actReLU {
				t.Fatalf("lowered to %d instructions, the first %s; want one fused bias_act with ReLU", len(l.instrs), what(&l.instrs[0]))
			}
			if e := relDiff(predictOnSim(t, build, 0)); e > 0 {
				t.Errorf("relative error %.2g against the CPU", e)
			}
		})
	}
}
