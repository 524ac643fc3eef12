package cli

import (
	"flag"
	"slices"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/cpu"
)

func TestParseInts(t *testing.T) {
	tests := []struct {
		in   string
		want []int // nil: an error
	}{
		{"512,512,512", []int{512, 512, 512}},
		{"32", []int{32}},
		{" 64, 32 ", []int{64, 32}},
		{"", nil},
		{"x", nil},
		{"512,x", nil},
		{"512,,512", nil},
		{"512,0", nil},
		{"-1", nil},
	}
	for _, tt := range tests {
		got, err := ParseInts("--hidden", tt.in)
		switch {
		case tt.want == nil && (err == nil || !IsUsage(err) || !strings.HasPrefix(err.Error(), "--hidden: ")):
			t.Errorf("ParseInts(%q) = %v, %v; want a usage error about --hidden", tt.in, got, err)
		case tt.want != nil && (err != nil || !slices.Equal(got, tt.want)):
			t.Errorf("ParseInts(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestCheckDevice(t *testing.T) {
	for _, ok := range []string{"auto", "cpu", "cuda", "cuda:0", "cuda:12", "cuda-emu"} {
		if err := CheckDevice(ok); err != nil {
			t.Errorf("CheckDevice(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "gpu", "cuda:", "cuda:-1", "cuda:x", "cpu:0", "CUDA", "cuda-emu:0"} {
		if err := CheckDevice(bad); err == nil || !IsUsage(err) {
			t.Errorf("CheckDevice(%q) = %v, want a usage error", bad, err)
		}
	}
}

func TestPrintUsageGroupsFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Int("b", 3, "the `N` of b")
	fs.String("a", "", "a folder")
	fs.Bool("c", false, "turn c on")
	var out strings.Builder
	PrintUsage(&out, fs, "Usage: x\n", []FlagGroup{{Title: "First", Flags: []string{"b", "a"}}})
	want := "Usage: x\n\nFirst:\n  --b N\n    \tthe N of b (default 3)\n  --a string\n    \ta folder\n\nOther:\n  --c\n    \tturn c on\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TuneBLAS gives a convolutional network on the CPU one BLAS thread and
// says so; it leaves other networks, other devices and a thread count
// chosen in the environment alone. (With gonum's BLAS there is no pool:
// nothing changes and nothing is said.)
func TestTuneBLAS(t *testing.T) {
	before := cpu.BLASThreads()
	t.Cleanup(func() { cpu.SetBLASThreads(before) })
	cpuDev := cpu.New()
	for _, tt := range []struct {
		name          string
		dev           backend.Backend
		convolutional bool
		env           string // a variable set to 2
		one           bool
	}{
		{"cnn on the cpu", cpuDev, true, "", true},
		{"cnn on the cpu that auto fell back to", nil, true, "", true}, // dev: autoCPU
		{"perceptron on the cpu", cpuDev, false, "", false},
		{"cnn, OPENBLAS_NUM_THREADS set", cpuDev, true, "OPENBLAS_NUM_THREADS", false},
		{"cnn, GOTO_NUM_THREADS set", cpuDev, true, "GOTO_NUM_THREADS", false},
		{"cnn, OMP_NUM_THREADS set", cpuDev, true, "OMP_NUM_THREADS", false},
		{"cnn on another device", namedBackend{cpuDev, "cuda:0 (NVIDIA H100)"}, true, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range blasThreadVars {
				t.Setenv(v, "")
			}
			if tt.env != "" {
				t.Setenv(tt.env, "2")
			}
			if before > 0 {
				cpu.SetBLASThreads(2)
			}
			dev := tt.dev
			if dev == nil {
				dev = autoCPU(t)
			}
			var w strings.Builder
			TuneBLAS(dev, tt.convolutional, &w)
			changed := before > 0 && tt.one
			if got := cpu.BLASThreads(); changed && got != 1 || !changed && before > 0 && got != 2 {
				t.Errorf("BLAS threads %d after TuneBLAS", got)
			}
			if said := strings.Contains(w.String(), "1 thread instead of 2"); said != changed {
				t.Errorf("TuneBLAS said %q", w.String())
			}
		})
	}
}

// namedBackend is a backend under another name.
type namedBackend struct {
	backend.Backend
	name string
}

func (b namedBackend) Name() string { return b.name }

// autoCPU returns the backend that "auto" opens where no GPU answers, or
// skips t where one does.
func autoCPU(t *testing.T) backend.Backend {
	b, err := backend.Open("auto")
	if err != nil {
		t.Fatal(err)
	}
	if backend.Note(b) == "" {
		t.Skipf("auto opened %s, not the CPU as a fallback", b.Name())
	}
	return b
}
