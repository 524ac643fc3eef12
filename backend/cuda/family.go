package cuda

import (
	"reflect"

	G "gorgonia.org/gorgonia"
)

// Each op family (activations, matrix products, convolutions, ...) has one
// file that holds its CUDA C, the lowering of its ops to typed instruction
// arguments, and the device work those arguments describe (calls). A
// family registers its lowerings in init, by op type (lowerOp), or, for
// ops whose type another package keeps unexported, such as Gorgonia's own,
// by a function that recognises the op (lowerMatching). Adding an op is
// then one file, or a few lines in its family's, plus its conformance
// case and its simulation (the family's _test.go).

// instrArgs is what a family makes of a node: its arguments, of a type of
// the family's, and the device work they describe.
type instrArgs interface {
	// calls returns the device work of in, in order, on the lowering's
	// buffers. scratch is the buffer shared by the instructions that
	// need scratch memory (-1 if none does); train selects the training
	// behaviour of an instruction that is modal.
	calls(in *instr, scratch int, train bool) []call
}

// modal is implemented by instruction arguments that compute something
// else outside training (dropout, batch normalisation), whose work is then
// prepared twice.
type modal interface{ modal() bool }

// scratchUser is implemented by instruction arguments that need the
// scratch buffer (a convolution's unrolled images), of at least
// scratchSize elements.
type scratchUser interface{ scratchSize() int }

// onesUser is implemented by instruction arguments that sum with cuBLAS
// against a vector of onesSize ones.
type onesUser interface{ onesSize() int }

// lowerFunc lowers node n, whose inputs are kids, to instruction
// arguments, or says why the kernels cannot run it.
type lowerFunc func(n *G.Node, kids []*G.Node) (instrArgs, error)

// lowerings are the families' lowerFuncs, registered in init and only read
// after: by op type, and matchers tried in the order registered.
var lowerings = struct {
	byType   map[reflect.Type]func(op G.Op, n *G.Node, kids []*G.Node) (instrArgs, error)
	matchers []opMatcher
}{byType: map[reflect.Type]func(G.Op, *G.Node, []*G.Node) (instrArgs, error){}}

type opMatcher struct {
	match func(G.Op) bool
	lower lowerFunc
}

// lowerOp registers lower for the ops of type O. It panics if O has a
// lowering already, a programming error.
func lowerOp[O G.Op](lower func(op O, n *G.Node, kids []*G.Node) (instrArgs, error)) {
	t := reflect.TypeFor[O]()
	if _, dup := lowerings.byType[t]; dup {
		panic("backend/cuda: two lowerings of " + t.String())
	}
	lowerings.byType[t] = func(op G.Op, n *G.Node, kids []*G.Node) (instrArgs, error) { return lower(op.(O), n, kids) }
}

// lowerAs registers args as the lowering of every op of type O.
func lowerAs[O G.Op](args instrArgs) {
	lowerOp(func(O, *G.Node, []*G.Node) (instrArgs, error) { return args, nil })
}

// lowerMatching registers lower for the ops that match accepts, by what
// they say of themselves (their String, their arity): ops whose type is
// not ours to name. A lowering by type comes first.
func lowerMatching(match func(G.Op) bool, lower lowerFunc) {
	lowerings.matchers = append(lowerings.matchers, opMatcher{match, lower})
}

// lowererOf returns the lowering of op, or nil. The op may be one the
// plan put in a node's place (plan.StandardOps: always one of the
// project's, lowered by type), which the lowering then reads instead of
// the node's own.
func lowererOf(op G.Op) lowerFunc {
	if f, ok := lowerings.byType[reflect.TypeOf(op)]; ok {
		return func(n *G.Node, kids []*G.Node) (instrArgs, error) { return f(op, n, kids) }
	}
	for _, m := range lowerings.matchers {
		if m.match(op) {
			return m.lower
		}
	}
	return nil
}

// call is one piece of an instruction's device work, described on the
// lowering's buffers: a kernelCall, a gemmCall, a gemvCall or a copyCall.
// A program binds it to device memory once (program.go).
type call interface{ deviceWork() }

// kernelCall launches kernel name of kernelSource: a grid-stride grid over
// elements or, for a reduction (blocks > 0), blocks blocks of
// reduceThreads threads. Its arguments are Go values of the kernel's C
// parameter types (int, uint32, uint64, float32), but for pointers: a
// region of a buffer (null: no buffer), or a place the program owns
// (coefAt, slotAt, partsAt).
type kernelCall struct {
	name     string
	elements int
	blocks   int
	args     []any
}

// kernel describes a launch of an element-wise kernel over n elements.
func kernel(name string, n int, args ...any) kernelCall {
	return kernelCall{name: name, elements: n, args: args}
}

// reduction describes a launch of a reduction kernel in blocks blocks.
func reduction(name string, blocks int, args ...any) kernelCall {
	return kernelCall{name: name, blocks: blocks, args: args}
}

// copyCall copies n elements from src to dst.
type copyCall struct {
	dst, src region
	n        int
}

// null is the kernels' null pointer.
var null = region{buf: -1}

// coefAt points at float off of the step's scalars (struct coef).
type coefAt int

// slotAt points at optimizer slot of parameter param.
type slotAt struct{ param, slot int }

// partsAt points at double off of the gradient clipping's partial sums.
type partsAt int

func (kernelCall) deviceWork() {}
func (copyCall) deviceWork()   {}
func (gemmCall) deviceWork()   {}
func (gemvCall) deviceWork()   {}

// size is the number of elements of in's value.
func (in *instr) size() int { return in.node.Shape().TotalSize() }

// arg is the region of in's input i.
func (in *instr) arg(i int) region { return region{buf: in.in[i]} }

// result is the region of in's value.
func (in *instr) result() region { return region{buf: in.out} }

// outIn returns the regions of in's output and then of its inputs: the
// pointer arguments, in that order, of most kernels.
func (in *instr) outIn() []any {
	ptrs := []any{in.result()}
	for i := range in.in {
		ptrs = append(ptrs, in.arg(i))
	}
	return ptrs
}
