package cpu_test

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/backend/cpu"
)

func TestConformance(t *testing.T) {
	backendtest.RunAll(t, cpu.New())
}

// TestBLASSetting opens "cpu" in a process whose NEURONE_BLAS asks for
// each BLAS in turn (TestOpenInChild is that process): the backend's name
// says which runs, and a setting that cannot be met is an error from Open,
// not a crash mid-training.
func TestBLASSetting(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("the child's own run")
	}
	for _, tt := range []struct {
		setting string
		want    []string // the line the child prints starts with one of these
	}{
		{"gonum", []string{"opened cpu (gonum, pure Go; NEURONE_BLAS=gonum)"}},
		{"openblas", []string{"opened cpu (OpenBLAS 0.", "error: backend: not available: cpu: blas: NEURONE_BLAS=openblas, but no OpenBLAS"}},
		{"bogus", []string{`error: backend: not available: cpu: blas: NEURONE_BLAS="bogus": want openblas, gonum or auto`}},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOpenInChild$", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"=1", "NEURONE_BLAS="+tt.setting)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("NEURONE_BLAS=%s: %v\n%s", tt.setting, err, out)
		}
		if !slices.ContainsFunc(tt.want, func(w string) bool { return strings.Contains(string(out), "\n"+w) }) {
			t.Errorf("NEURONE_BLAS=%q: the process said\n%s\nwant a line starting with one of %q", tt.setting, out, tt.want)
		}
	}
}

// childEnv marks the process TestBLASSetting starts.
const childEnv = "NEURONE_CPU_TEST_CHILD"

// TestOpenInChild opens "cpu" and says what it got, in the process that
// TestBLASSetting starts; elsewhere it does nothing.
func TestOpenInChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs in TestBLASSetting's child")
	}
	b, err := backend.Open("cpu")
	if err != nil {
		if !errors.Is(err, backend.ErrUnavailable) {
			t.Errorf("%v is not ErrUnavailable", err)
		}
		os.Stdout.WriteString("\nerror: " + err.Error() + "\n")
		return
	}
	defer b.Close()
	os.Stdout.WriteString("\nopened " + b.Name() + "\n")
}
