//go:build cgo

package cuda

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/graph/optim"
)

// cField is one field of a C struct: its name, offset and size in bytes.
type cField struct {
	name         string
	offset, size int
}

// cStruct parses struct name of kernelSource and lays its fields out as a
// C compiler does on the targets CUDA supports: each scalar aligned to its
// size, the whole to its largest field.
func cStruct(t *testing.T, name string) (fields []cField, size int) {
	t.Helper()
	m := regexp.MustCompile(`(?s)\nstruct ` + name + ` \{(.*?)\n\};`).FindStringSubmatch(kernelSource)
	if m == nil {
		t.Fatalf("kernelSource has no struct %s", name)
	}
	sizes := map[string]int{"float": 4, "int": 4, "unsigned": 4, "double": 8, "unsigned long long": 8}
	align := 1
	for _, line := range strings.Split(m[1], "\n") {
		decl, _, _ := strings.Cut(line, "//")
		decl = strings.TrimSpace(decl)
		if decl == "" {
			continue
		}
		decl, ok := strings.CutSuffix(decl, ";")
		if !ok {
			t.Fatalf("struct %s: cannot read %q", name, line)
		}
		names := strings.Split(decl, ",")
		first := strings.Fields(names[0])
		typ := strings.Join(first[:len(first)-1], " ")
		n, known := sizes[typ]
		if !known {
			t.Fatalf("struct %s: field of unknown type %q", name, typ)
		}
		names[0] = first[len(first)-1]
		for _, f := range names {
			size = (size + n - 1) / n * n
			fields = append(fields, cField{name: strings.TrimSpace(f), offset: size, size: n})
			size += n
		}
		align = max(align, n)
	}
	return fields, (size + align - 1) / align * align
}

// TestCoefLayout checks the Go side of struct coef, the step's scalars
// that the host writes and the kernels read, against the C struct in
// kernelSource: its size (coefLen floats), where the step number is
// (stepOffset, which dropout's launch points to), and where
// putCoefficients puts each value. A field added, moved or retyped on
// either side fails here, not as wrong updates on a GPU.
func TestCoefLayout(t *testing.T) {
	fields, size := cStruct(t, "coef")
	if size != 4*coefLen {
		t.Errorf("struct coef is %d bytes; coefLen is %d floats", size, coefLen)
	}
	// Distinct values, each the field's own.
	c := optim.Coefficients{LR: 1, WD: 2, Mu: 3, Beta1: 4, Beta2: 5, Eps: 6, Bias1: 7, Bias2: 8, GradScale: 9}
	const step = 1<<40 + 3 // both halves of the uint64 matter
	want := map[string]float64{"lr": 1, "wd": 2, "mu": 3, "beta1": 4, "beta2": 5, "eps": 6, "bias1": 7, "bias2": 8,
		"gscale": 9, "step": step}
	host := make([]float32, coefLen)
	putCoefficients(host, c, step)
	seen := map[string]bool{}
	for _, f := range fields {
		w, known := want[f.name]
		if !known {
			t.Errorf("struct coef has field %s, which putCoefficients does not write", f.name)
			continue
		}
		seen[f.name] = true
		if f.offset%4 != 0 || f.offset+f.size > 4*coefLen {
			t.Errorf("field %s at byte %d (%d bytes) is not within coefLen floats", f.name, f.offset, f.size)
			continue
		}
		at := f.offset / 4
		var got float64
		switch f.size {
		case 4:
			got = float64(host[at])
		case 8:
			got = float64(uint64(math.Float32bits(host[at])) | uint64(math.Float32bits(host[at+1]))<<32)
		}
		if got != w {
			t.Errorf("field %s (byte %d): putCoefficients writes %v there, want %v", f.name, f.offset, got, w)
		}
		if f.name == "step" && at != stepOffset {
			t.Errorf("step is at float %d of struct coef; stepOffset is %d", at, stepOffset)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("struct coef has no field %s", name)
		}
	}
}
