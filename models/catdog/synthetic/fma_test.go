package synthetic

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fmaAllArchs makes TestNoFusedMultiplyAdd compile the package for every
// architecture in fmaArchs, not only for arm64: a few minutes more on a
// cold build cache, for each needs its own standard library.
var fmaAllArchs = flag.Bool("fma-all-archs", false, "TestNoFusedMultiplyAdd: compile for every architecture that fuses, not arm64 alone")

// fmaArchs are the targets whose compilers fuse x*y + z into one
// instruction (amd64 from GOAMD64=v3).
var fmaArchs = []struct {
	name string
	env  []string
}{
	{name: "arm64", env: []string{"GOARCH=arm64"}},
	{name: "ppc64le", env: []string{"GOARCH=ppc64le"}},
	{name: "s390x", env: []string{"GOARCH=s390x"}},
	{name: "riscv64", env: []string{"GOARCH=riscv64"}},
	{name: "loong64", env: []string{"GOARCH=loong64"}},
	{name: "amd64-v3", env: []string{"GOARCH=amd64", "GOAMD64=v3"}},
}

// fusedInstruction matches the fused multiply-add instructions of fmaArchs.
var fusedInstruction = regexp.MustCompile(`\b(V?F(N?)M(ADD|SUB)[A-Z0-9]*|WFM[AS]DB|FN?M(ADD|SUB)[DS]?)\b`)

// fusedLines compiles the package in dir for the target env and returns
// the places ("file.go:line") of its fused multiply-add instructions in
// files whose path contains within.
func fusedLines(t *testing.T, dir string, env []string, within string) map[string]bool {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	cmd := exec.Command(goTool, "build", "-o", os.DevNull, "-gcflags=-S", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GOOS=linux", "CGO_ENABLED=0"}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	place := regexp.MustCompile(`\(([^()\s]+\.go:\d+)\)`)
	fused := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		if !fusedInstruction.MatchString(line) {
			continue
		}
		if m := place.FindStringSubmatch(line); m != nil && strings.Contains(m[1], within) {
			fused[filepath.Base(m[1])] = true
		}
	}
	return fused
}

// TestNoFusedMultiplyAdd compiles the package for arm64 (with
// -fma-all-archs, for every architecture in fmaArchs) and fails if a fused
// multiply-add instruction appears: fusing skips a rounding, which can
// change a pixel and break the promise that Generate gives the same bytes
// everywhere. Wrap the product in float64(...) to forbid the fusion.
// arm64 stands for the others because its compiler fuses every shape of
// multiply and add that theirs do (TestARM64FusesWhatOthersFuse), and a
// cold build cache compiles the standard library once instead of six
// times.
func TestNoFusedMultiplyAdd(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the package")
	}
	for _, tt := range fmaArchs {
		if tt.name != "arm64" && !*fmaAllArchs {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			for place := range fusedLines(t, ".", tt.env, "/synthetic/") {
				t.Errorf("fused multiply-add at %s", place)
			}
		})
	}
}

// fusionProbe holds each shape of multiply and add that a compiler may
// fuse, one per line, in float64 and float32. It imports nothing, so it
// compiles for any target in a moment.
const fusionProbe = `package probe

func AddMul(x, y, z float64) float64          { return x*y + z }
func MulSub(x, y, z float64) float64          { return x*y - z }
func SubMul(x, y, z float64) float64          { return z - x*y }
func NegMulSub(x, y, z float64) float64       { return -(x * y) - z }
func AddNegMul(x, y, z float64) float64       { return z + -(x * y) }
func SubNegMul(x, y, z float64) float64       { return z - -(x * y) }
func MulNegAdd(x, y, z float64) float64       { return (-x)*y + z }
func AcrossStatements(x, y, z float64) float64 { p := x * y; return p + z }
func AddMul32(x, y, z float32) float32        { return x*y + z }
func MulSub32(x, y, z float32) float32        { return x*y - z }
func SubMul32(x, y, z float32) float32        { return z - x*y }
func NegMulSub32(x, y, z float32) float32     { return -(x * y) - z }
`

// TestARM64FusesWhatOthersFuse compiles fusionProbe for every architecture
// in fmaArchs and fails unless each shape that any of them fuses is fused
// on arm64 too, the premise on which TestNoFusedMultiplyAdd checks arm64
// alone. It fails too if arm64 fuses nothing, as then the instructions
// are no longer recognised.
func TestARM64FusesWhatOthersFuse(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles a probe")
	}
	dir := t.TempDir()
	for name, text := range map[string]string{"go.mod": "module probe\n\ngo 1.26\n", "probe.go": fusionProbe} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// shape names the probe function of a place, "probe.go:N".
	lines := strings.Split(fusionProbe, "\n")
	shape := func(place string) string {
		_, after, _ := strings.Cut(place, ":")
		if n, err := strconv.Atoi(after); err == nil && n >= 1 && n <= len(lines) {
			if name, _, ok := strings.Cut(strings.TrimPrefix(lines[n-1], "func "), "("); ok {
				return name
			}
		}
		return place
	}
	fused := map[string]map[string]bool{}
	for _, tt := range fmaArchs {
		fused[tt.name] = fusedLines(t, dir, tt.env, "probe.go")
		var shapes []string
		for place := range fused[tt.name] {
			shapes = append(shapes, shape(place))
		}
		slices.Sort(shapes)
		t.Logf("%s fuses %s", tt.name, strings.Join(shapes, ", "))
	}
	if len(fused["arm64"]) == 0 {
		t.Fatalf("no fused multiply-add recognised on arm64; update fusedInstruction")
	}
	for _, tt := range fmaArchs {
		for place := range fused[tt.name] {
			if !fused["arm64"][place] {
				t.Errorf("%s fuses %s, arm64 does not: TestNoFusedMultiplyAdd must compile for %s too", tt.name, shape(place), tt.name)
			}
		}
	}
}
