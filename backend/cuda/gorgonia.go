package cuda

import (
	"fmt"
	"reflect"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Gorgonia's standard ops (G.Mul, G.Exp, G.Sum, G.Transpose, ... and the
// nodes G.Grad makes of them) have unexported types. The families that
// lower them recognise an op by its type's name in package gorgonia and
// read the fields that parametrise it (axes, transposes, a slice) by
// reflection: reading an unexported field is allowed, and a field that
// Gorgonia renames makes the lowering fail with ErrUnsupported, which
// TestStdOpsLower catches, rather than compute something else.

// gorgoniaPkg is the import path of Gorgonia's ops.
const gorgoniaPkg = "gorgonia.org/gorgonia"

// gorgoniaOp returns a matcher for Gorgonia's op type name (a struct, held
// by value or by pointer).
func gorgoniaOp(name string) func(G.Op) bool {
	return func(op G.Op) bool {
		t := reflect.TypeOf(op)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		return t.PkgPath() == gorgoniaPkg && t.Name() == name
	}
}

// opField returns field name of op's struct, or an invalid Value when it
// has none.
func opField(op G.Op, name string) reflect.Value {
	v := reflect.ValueOf(op)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return v.FieldByName(name)
}

// opInt returns the integer field name of op.
func opInt(op G.Op, name string) (int, error) {
	f := opField(op, name)
	switch {
	case !f.IsValid():
		return 0, fmt.Errorf("%T has no field %s", op, name)
	case f.CanInt():
		return int(f.Int()), nil
	case f.CanUint():
		return int(f.Uint()), nil
	}
	return 0, fmt.Errorf("%T.%s is a %v, not an integer", op, name, f.Kind())
}

// opBool returns the boolean field name of op.
func opBool(op G.Op, name string) (bool, error) {
	f := opField(op, name)
	if !f.IsValid() || f.Kind() != reflect.Bool {
		return false, fmt.Errorf("%T has no boolean field %s", op, name)
	}
	return f.Bool(), nil
}

// opInts returns the []int field name of op (Gorgonia's axes).
func opInts(op G.Op, name string) ([]int, error) {
	f := opField(op, name)
	if !f.IsValid() || f.Kind() != reflect.Slice || !f.Type().Elem().ConvertibleTo(reflect.TypeFor[int]()) {
		return nil, fmt.Errorf("%T has no []int field %s", op, name)
	}
	out := make([]int, f.Len())
	for i := range out {
		out[i] = int(f.Index(i).Int())
	}
	return out, nil
}

// unsupportedHints are the ops that the CUDA backend does not run, or
// runs only in part, by the start of the op's String: the API that makes
// them, and what to use instead. doc.go lists the same (which
// TestUnsupportedListed checks).
var unsupportedHints = []struct{ prefix, api, hint string }{
	{"Tensordot", "G.Tensordot", "reshape to matrices with G.Reshape and use G.Mul"},
	{"At(", "G.At", "use G.Slice"},
	{"DiagFlat", "G.DiagFlat", "build the matrix as a constant"},
	{"im2col", "G.Conv2d", "use graph.Conv2D (ops.Conv2D)"},
	{"col2im", "G.Conv2d", "use graph.Conv2D (ops.Conv2D)"},
	{"MaxPool", "G.MaxPool2D", "use ops.MaxPool2D"},
	{"AvgPool", "G.AveragePool2D", "use ops.AvgPool2D"},
	{"GlobalAveragePool", "G.GlobalAveragePool2D", "use ops.AvgPool2D over the whole map"},
	{"batchnorm", "G.BatchNorm", "use ops.BatchNorm (graph's batch normalisation)"},
	{"Dropout{", "G.Dropout", "use ops.Dropout"},
	{"dropoutDiff", "G.Dropout", "use ops.Dropout"},
	{"GroupNorm", "G.GroupNorm", "use ops.BatchNorm"},
	{"groupNormDiff", "G.GroupNorm", "use ops.BatchNorm"},
	{"ByIndices", "G.ByIndices", "multiply by a one-hot constant with G.Mul"},
	{"CTCLoss", "G.CTCLoss", "no replacement yet"},
	{"ctcLossDiff", "G.CTCLoss", "no replacement yet"},
	{"MinBetween", "G.MinBetween", "use G.Lt (retSame) and G.HadamardProd to select"},
	{"MaxBetween", "G.MaxBetween", "use G.Gt (retSame) and G.HadamardProd to select"},
	{"Sparsemax", "G.Sparsemax", "use G.SoftMax"},
	{"Upsample", "G.Upsample2D", "use G.Concat or a repeat (G.Broadcast)"},
	{"YOLO", "G.YOLOv3", "no replacement yet"},
	{"Softmax{", "G.SoftMax along an axis other than the last", "make it the last axis with G.Transpose"},
	{"SoftmaxDiff{", "G.SoftMax along an axis other than the last", "make it the last axis with G.Transpose"},
	{"MaxAlong", "G.Max over more than 4 axes that do not merge", "merge neighbouring axes with G.Reshape first"},
	{"Σ", "G.Sum over more than 4 axes that do not merge", "merge neighbouring axes with G.Reshape first"},
	{"Aᵀ{", "G.Transpose of more than 4 axes that do not merge", "merge neighbouring axes with G.Reshape first"},
	{"T[", "G.Slice with a step that does not divide end − start", "pick such a step, or slice without steps"},
	{"< false", "comparisons that return booleans", "pass retSame: G.Lt(a, b, true)"},
	{"> false", "comparisons that return booleans", "pass retSame: G.Gt(a, b, true)"},
	{"<= false", "comparisons that return booleans", "pass retSame: G.Lte(a, b, true)"},
	{">= false", "comparisons that return booleans", "pass retSame: G.Gte(a, b, true)"},
	{"== false", "comparisons that return booleans", "pass retSame: G.Eq(a, b, true)"},
	{"!= false", "comparisons that return booleans", "pass retSame: G.Ne(a, b, true)"},
}

// hintFor returns the closest supported way to do what op does, or
// otherwise.
func hintFor(op G.Op, otherwise string) string {
	s := op.String()
	for _, h := range unsupportedHints {
		if strings.HasPrefix(s, h.prefix) {
			return h.hint
		}
	}
	return otherwise
}

// graphInputs returns the nodes n reads in its graph, in order.
func graphInputs(n *G.Node) []*G.Node {
	var in []*G.Node
	for it := n.Graph().From(n.ID()); it.Next(); {
		in = append(in, it.Node().(*G.Node))
	}
	return in
}

// strides returns the row-major strides of shape s.
func strides(s tensor.Shape) []int {
	st := make([]int, len(s))
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= s[i]
	}
	return st
}
