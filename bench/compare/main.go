// Command compare times the canonical 6-layer perceptron (MLP6) with
// Neurone's benchmarks and with PyTorch in one run on one machine, and
// writes the side-by-side table to bench/RESULTS.md and, between markers,
// to README.md.
//
// Usage (from the repository root; `make bench-compare` runs it):
//
//	go run ./bench/compare [-count 5] [-devices cpu]
//	    [-python python3] [-torch bench/torch_mlp6.py]
//	    [-torch-cnn bench/torch_cnn.py]
//	    [-threads N] [-out bench/RESULTS.md] [-readme README.md]
//	    [-openblas machine|unset]
//
// It builds the bench package's test binary once, then runs it -count times,
// each run followed by one run of each PyTorch script (the perceptron's,
// then the CNN's) per device, so that both sides see the same load on a
// shared machine. Every figure in the
// table is the median over those runs. GOMAXPROCS, OPENBLAS_NUM_THREADS
// and OMP_NUM_THREADS are set to -threads for both sides; the machine's
// OPENBLAS_CORETYPE is left as it is; with -openblas unset, both sides
// run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from their
// environment, so that OpenBLAS picks its kernels and block sizes from the
// CPU it detects (`make bench-compare` runs both, the second into
// bench/RESULTS-openblas-unset.md). The CPU's BLAS is whichever the
// benchmarks load (OpenBLAS where it is installed; NEURONE_BLAS=gonum in
// the environment asks for gonum's), and the report names the one their
// output's "blas:" line names.
//
// When python3, torch or a script is missing, or a script fails, its
// PyTorch columns say "not run" and the report says why; the command still
// succeeds.
//
// A GPU machine without Go runs the same benchmarks from `make
// gpu-bundle`'s run.sh (bench/gpu-run.sh), whose bench.txt this renders
// instead of running anything:
//
//	go run ./bench/compare -from DIR -out bench/RESULTS-cuda.md -section bench-cuda
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// The PyTorch scripts, in the repository (relative to its root).
const (
	torchScript    = "bench/torch_mlp6.py"
	torchCNNScript = "bench/torch_cnn.py"
)

// options are the command's flags.
type options struct {
	count     int
	devices   []string
	python    string
	script    string
	cnnScript string
	threads   int
	out       string
	readme    string
	bench     string
	benchtime string
	goCmd     string
	from      string
	section   string
	openblas  string // "machine" or "unset"
}

// openblasTuning are the variables -openblas unset removes from both
// sides' environment.
var openblasTuning = []string{"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.count, "count", 5, "runs of each side; the table shows medians")
	devices := fs.String("devices", "cpu", "comma-separated devices to time: cpu, cuda")
	fs.StringVar(&o.python, "python", "python3", "Python interpreter with torch")
	fs.StringVar(&o.script, "torch", torchScript, "PyTorch script, relative to the repository root")
	fs.StringVar(&o.cnnScript, "torch-cnn", torchCNNScript, "PyTorch script of the CNN, relative to the repository root")
	fs.IntVar(&o.threads, "threads", runtime.NumCPU(), "CPU threads for both sides")
	fs.StringVar(&o.out, "out", "bench/RESULTS.md", "report to write (relative to the repository root)")
	fs.StringVar(&o.readme, "readme", "README.md", "README whose bench section to replace; empty: leave it")
	fs.StringVar(&o.bench, "bench", "", "benchmark pattern (default: MLP6 and the CNN on the devices, and SGEMM)")
	fs.StringVar(&o.benchtime, "benchtime", "", "go test -benchtime for our side (default: go test's)")
	fs.StringVar(&o.goCmd, "go", "go", "go command")
	fs.StringVar(&o.from, "from", "", "read the runs recorded in `DIR` (its bench.txt, which make gpu-bundle's run.sh\nwrites on a GPU machine without Go, or the older go-run-N.txt, torch-run-N.txt,\nmachine.txt and commands.txt), or in the bench.txt file DIR, instead of running them here")
	fs.StringVar(&o.section, "section", "bench", "README section to replace: the text between <!-- NAME:begin --> and <!-- NAME:end -->")
	fs.StringVar(&o.openblas, "openblas", "machine", "OpenBLAS tuning of both sides: machine (the environment's\nOPENBLAS_CORETYPE and OPENBLAS_L2_SIZE) or unset (both removed)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.openblas != "machine" && o.openblas != "unset" {
		fmt.Fprintf(stderr, "compare: -openblas %q: want machine or unset\n", o.openblas)
		return 2
	}
	o.devices = strings.Split(*devices, ",")
	if o.count < 1 || o.threads < 1 {
		fmt.Fprintln(stderr, "compare: -count and -threads must be positive")
		return 2
	}
	for _, d := range o.devices {
		if d != "cpu" && d != "cuda" {
			fmt.Fprintf(stderr, "compare: unknown device %q (want cpu or cuda)\n", d)
			return 2
		}
	}
	if o.from != "" {
		if err := fromRecorded(o, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "compare:", err)
			return 1
		}
		return 0
	}
	if o.bench == "" {
		o.bench = "MLP6/.*/(" + strings.Join(o.devices, "|") + ")|SGEMM|CNN/.*/(" + strings.Join(o.devices, "|") + ")"
	}
	if err := compare(o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "compare:", err)
		return 1
	}
	return 0
}

// session is one run of the comparison: what ran, what it printed.
type session struct {
	opt      options
	root     string
	started  time.Time
	env      []string // the thread settings, as NAME=value
	unset    []string // variables removed from the children's environment
	commands []string
	// goRuns and torchRuns hold each run's standard output.
	goRuns, torchRuns []string
	// torchSkipped says why PyTorch did not run (or stopped); "" if it ran.
	// cnnSkipped says the same of the CNN's script.
	torchSkipped, cnnSkipped string
}

func compare(o options, stdout, stderr io.Writer) error {
	root, err := output("git", "rev-parse", "--show-toplevel")
	if err != nil {
		return fmt.Errorf("finding the repository root: %w", err)
	}
	s := &session{opt: o, root: root, started: time.Now().UTC()}
	n := fmt.Sprint(o.threads)
	s.env = []string{"GOMAXPROCS=" + n, "OPENBLAS_NUM_THREADS=" + n, "OMP_NUM_THREADS=" + n}
	if o.openblas == "unset" {
		s.unset = openblasTuning
	}
	info := s.machine() // before the runs, so the dirty mark is the tree's, not the report's

	tmp, err := os.MkdirTemp("", "neurone-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	testBin := filepath.Join(tmp, "bench.test")
	build := []string{o.goCmd, "test", "-c", "-o", testBin, "./bench"}
	s.commands = append(s.commands, shellQuote([]string{o.goCmd, "test", "-c", "-o", "bench.test", "./bench"}))
	if err := s.exec(build, nil, stderr); err != nil {
		return fmt.Errorf("building the benchmarks: %w", err)
	}
	benchArgs := []string{"-test.run", "^$", "-test.bench", o.bench, "-test.benchmem", "-test.count", "1"}
	if o.benchtime != "" {
		benchArgs = append(benchArgs, "-test.benchtime", o.benchtime)
	}
	s.commands = append(s.commands, fmt.Sprintf("%s bench.test %s   # %d times, each followed by:",
		s.envText(), shellQuote(benchArgs), o.count))
	benchArgs = append([]string{testBin}, benchArgs...)
	script := s.path(o.script)
	if _, err := os.Stat(script); err != nil {
		s.torchSkipped = fmt.Sprintf("the PyTorch script is missing (%v)", err)
	}
	cnnScript := s.path(o.cnnScript)
	if _, err := os.Stat(cnnScript); err != nil {
		s.cnnSkipped = fmt.Sprintf("the PyTorch CNN script is missing (%v)", err)
	}
	for _, d := range o.devices {
		s.commands = append(s.commands, fmt.Sprintf("%s %s %s %s", s.envText(), o.python, o.script, d),
			fmt.Sprintf("%s %s %s %s", s.envText(), o.python, o.cnnScript, d))
	}
	for i := range o.count {
		fmt.Fprintf(stderr, "compare: run %d of %d: ours\n", i+1, o.count)
		var goOut, torchOut bytes.Buffer
		if err := s.exec(benchArgs, &goOut, stderr); err != nil {
			return fmt.Errorf("running the benchmarks: %w", err)
		}
		s.goRuns = append(s.goRuns, goOut.String())
		// The two scripts run, and fail, independently: each failure
		// drops only its own figures (finish).
		for _, d := range o.devices {
			for _, sc := range []struct {
				what, path, flag string
				skipped          *string
			}{{"PyTorch", script, o.script, &s.torchSkipped}, {"PyTorch's CNN", cnnScript, o.cnnScript, &s.cnnSkipped}} {
				if *sc.skipped != "" {
					continue
				}
				fmt.Fprintf(stderr, "compare: run %d of %d: %s on %s\n", i+1, o.count, sc.what, d)
				var out, errOut bytes.Buffer
				if err := s.exec([]string{o.python, sc.path, d}, &out, &errOut); err != nil {
					*sc.skipped = fmt.Sprintf("`%s %s %s` failed: %v: %s", o.python, sc.flag, d, err, lastLine(errOut.String()))
					continue
				}
				torchOut.Write(out.Bytes())
			}
		}
		s.torchRuns = append(s.torchRuns, torchOut.String())
	}
	info.loadAfter = loadAverage()
	return s.finish(info, stdout, stderr)
}

// finish parses the runs and writes the report and the README section.
func (s *session) finish(info machineInfo, stdout, stderr io.Writer) error {
	o := s.opt
	res, err := parseRuns(s.goRuns, s.torchRuns)
	if err != nil {
		return err
	}
	if len(res.ours.MLP6) == 0 {
		return fmt.Errorf("the benchmarks printed no MLP6 results:\n%s", strings.Join(s.goRuns, ""))
	}
	// A script that failed in some run leaves no figures at all: from
	// only some runs, its medians and ratios would mean something else.
	for i := -1; i < len(res.torchRuns); i++ {
		t := &res.torch
		if i >= 0 {
			t = &res.torchRuns[i]
		}
		if s.torchSkipped != "" {
			t.MLP6 = nil
		}
		if s.cnnSkipped != "" {
			t.CNN, t.Failed = nil, nil
		}
	}
	info.torch = res.torch
	if name := res.ours.BLAS; name != "" {
		info.blas = name
		if info.coretype != "" && strings.HasPrefix(name, "OpenBLAS") {
			info.blas += ", OPENBLAS_CORETYPE " + info.coretype
		}
	}
	table := &bytes.Buffer{}
	renderTable(table, rows(res))
	fmt.Fprint(stdout, table.String())
	if s.torchSkipped != "" {
		fmt.Fprintln(stdout, "PyTorch:", s.torchSkipped)
	} else if s.cnnSkipped != "" {
		fmt.Fprintln(stdout, "PyTorch's CNN:", s.cnnSkipped)
	}
	report := &bytes.Buffer{}
	s.renderReport(report, info, res, table.String())
	if err := writeFile(s.path(o.out), report.Bytes()); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "compare: wrote", o.out)
	if o.readme != "" {
		section := &bytes.Buffer{}
		s.renderReadme(section, info, res, table.String())
		if err := replaceSection(s.path(o.readme), o.section, section.String()); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "compare: updated", o.readme)
	}
	return nil
}

// path resolves a path flag against the repository root.
func (s *session) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.root, p)
}

// shellQuote joins args for a shell, quoting those that need it.
func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " ^$|()*'\"") {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

// exec runs argv in the repository root with the thread settings, its
// standard output going to stdout (discarded when nil) and also to the
// terminal's standard error so progress shows.
func (s *session) exec(argv []string, stdout io.Writer, stderr io.Writer) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.root
	cmd.Env = append(withoutVars(os.Environ(), s.unset), s.env...)
	if stdout == nil {
		stdout = io.Discard
	}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	return cmd.Run()
}

// envText is the children's environment changes, as env(1) takes them.
func (s *session) envText() string {
	var b strings.Builder
	for _, name := range s.unset {
		b.WriteString("env -u " + name + " ")
	}
	return b.String() + strings.Join(s.env, " ")
}

// withoutVars returns env without the variables named in names.
func withoutVars(env, names []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			out = append(out, kv)
		}
	}
	return out
}

// output runs a command and returns its trimmed standard output.
func output(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return "", fmt.Errorf("%s: %w: %s", name, err, lastLine(string(ee.Stderr)))
		}
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// lastLine returns the last non-empty line of s (a Python traceback ends
// with the error).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
