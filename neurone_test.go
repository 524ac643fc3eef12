package neurone_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain makes `go test -bench ./bench`, typed in the repository root,
// do what its user means. go test reads "./bench" as the -bench pattern
// and, given no package, tests this one, which has no benchmarks; so when
// the pattern is a path, this runs that package's benchmarks instead, with
// `go test -bench .` and the flags given.
func TestMain(m *testing.M) {
	flag.Parse()
	if pkg, ok := benchPath(flag.Lookup("test.bench").Value.String()); ok {
		set := map[string]string{}
		flag.Visit(func(f *flag.Flag) {
			if name, ok := strings.CutPrefix(f.Name, "test."); ok {
				set[name] = f.Value.String()
			}
		})
		cmd := exec.Command("go", goTestArgs(pkg, set)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			if _, exited := err.(*exec.ExitError); !exited {
				fmt.Fprintf(os.Stderr, "go test -bench %s: %v\n", pkg, err)
			}
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// benchPath reports whether a -bench pattern is a package path (./bench,
// ../x, ./bench/...) rather than a regular expression, which would not
// begin with "./" or "../" to match a benchmark's name.
func benchPath(pattern string) (string, bool) {
	if strings.HasPrefix(pattern, "./") || strings.HasPrefix(pattern, "../") {
		return pattern, true
	}
	return "", false
}

// forwarded are the test flags (without "test.") passed on to the
// benchmarks' run.
var forwarded = []string{"benchmem", "benchtime", "count", "cpu", "failfast", "run", "short", "skip", "timeout", "v"}

// goTestArgs returns the go test arguments that run pkg's benchmarks with
// the flags set (name without "test." → value): all of its benchmarks, and
// none of its tests unless -run chooses some.
func goTestArgs(pkg string, set map[string]string) []string {
	args := []string{"test", "-bench", "."}
	if _, ok := set["run"]; !ok {
		args = append(args, "-run", "^$")
	}
	for _, name := range forwarded {
		v, ok := set[name]
		switch {
		case !ok:
		case name == "v": // "test2json" under go test -json
			if v != "false" {
				args = append(args, "-v")
			}
		default:
			args = append(args, "-"+name+"="+v)
		}
	}
	return append(args, pkg)
}

func TestBenchPath(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		path    bool
	}{
		{"./bench", true}, {"./bench/...", true}, {"../neurone/bench", true},
		{".", false}, {"MLP6/train", false}, {"", false}, {".*/cpu", false},
	} {
		if _, got := benchPath(tt.pattern); got != tt.path {
			t.Errorf("benchPath(%q) = %t, want %t", tt.pattern, got, tt.path)
		}
	}
}

func TestGoTestArgs(t *testing.T) {
	for _, tt := range []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"bench": "./bench", "paniconexit0": "true", "timeout": "10m0s"},
			"test -bench . -run ^$ -timeout=10m0s ./bench"},
		{map[string]string{"bench": "./bench", "benchtime": "3x", "count": "5", "benchmem": "true", "v": "test2json", "run": "FLOPs"},
			"test -bench . -benchmem=true -benchtime=3x -count=5 -run=FLOPs -v ./bench"},
		{map[string]string{"v": "false", "cpu": "1,2", "skip": "CNN"},
			"test -bench . -run ^$ -cpu=1,2 -skip=CNN ./bench"},
	} {
		if got := strings.Join(goTestArgs("./bench", tt.set), " "); got != tt.want {
			t.Errorf("flags %v:\n got go %s\nwant go %s", tt.set, got, tt.want)
		}
	}
}

// TestBenchFromRoot types the command as a user would, in the repository
// root, limited to the CPU's SGEMM rate (one product) to stay short (the
// data-parallel benchmark's mpirun jobs left out too).
func TestBenchFromRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bench package's benchmarks")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command:", err)
	}
	out, err := exec.Command("go", "test", "-bench", "./bench", "-benchtime", "1x", "-skip", "MLP6|CNN|DataParallel").CombinedOutput()
	if err != nil {
		t.Fatalf("go test -bench ./bench: %v\n%s", err, out)
	}
	for _, want := range []string{"\nblas: ", "\npkg: github.com/neurone-dl/neurone/bench\n", "\nBenchmarkSGEMM/cpu/256x10000x512"} {
		if !strings.Contains("\n"+string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
