package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// recorded is what a GPU machine without Go recorded (bench/gpu-run.sh):
// the machine's facts as key=value (started, commit, go, cpu, gpu, blas,
// threads, load_before, load_after), the commands, and each run's output of
// our benchmarks and of the PyTorch scripts, paired by index ("" for a run
// that has no PyTorch output).
type recorded struct {
	facts             map[string]string
	commands          []string
	goRuns, torchRuns []string
}

// readRecorded reads path: a folder holding bench.txt (parseBenchTxt) or,
// from runs before it, go-run-N.txt and torch-run-N.txt in pairs,
// machine.txt and commands.txt; or a bench.txt file itself.
func readRecorded(path string) (recorded, error) {
	info, err := os.Stat(path)
	if err != nil {
		return recorded{}, err
	}
	file := path
	if info.IsDir() {
		file = filepath.Join(path, "bench.txt")
	}
	data, err := os.ReadFile(file)
	switch {
	case err == nil:
		return parseBenchTxt(bytes.NewReader(data))
	case info.IsDir() && errors.Is(err, fs.ErrNotExist):
		return readRunFiles(path)
	default:
		return recorded{}, err
	}
}

// parseBenchTxt reads bench.txt: lines "== machine", "== commands",
// "== go run N" and "== torch run N" open its sections; lines before the
// first are comments.
func parseBenchTxt(r io.Reader) (recorded, error) {
	rec := recorded{facts: map[string]string{}}
	goRuns, torchRuns := map[int]*strings.Builder{}, map[int]*strings.Builder{}
	runs := 0
	var section string
	var out *strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "== "); ok {
			section, out = name, nil
			side, n, ok := strings.Cut(name, " run ")
			if !ok {
				continue
			}
			i, err := strconv.Atoi(n)
			if err != nil || i < 1 || (side != "go" && side != "torch") {
				return rec, fmt.Errorf("bench.txt: section %q: want \"go run N\" or \"torch run N\", N from 1", name)
			}
			runs = max(runs, i)
			m := goRuns
			if side == "torch" {
				m = torchRuns
			}
			if m[i] == nil {
				m[i] = &strings.Builder{}
			}
			out = m[i]
			continue
		}
		switch {
		case out != nil:
			out.WriteString(line + "\n")
		case section == "machine":
			if k, v, ok := strings.Cut(line, "="); ok {
				rec.facts[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		case section == "commands" && strings.TrimSpace(line) != "":
			rec.commands = append(rec.commands, line)
		}
	}
	if err := sc.Err(); err != nil {
		return rec, fmt.Errorf("bench.txt: %w", err)
	}
	for i := 1; i <= runs; i++ {
		var g, t string
		if goRuns[i] != nil {
			g = goRuns[i].String()
		}
		if torchRuns[i] != nil {
			t = torchRuns[i].String()
		}
		rec.goRuns, rec.torchRuns = append(rec.goRuns, g), append(rec.torchRuns, t)
	}
	return rec, nil
}

// readRunFiles reads the layout run.sh wrote before bench.txt.
func readRunFiles(dir string) (recorded, error) {
	rec := recorded{facts: map[string]string{}}
	data, err := os.ReadFile(filepath.Join(dir, "machine.txt"))
	if err != nil {
		return rec, fmt.Errorf("no bench.txt, nor the older machine.txt: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			rec.facts[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if c, err := os.ReadFile(filepath.Join(dir, "commands.txt")); err == nil {
		rec.commands = strings.Split(strings.TrimSpace(string(c)), "\n")
	}
	for i := 1; ; i++ {
		g, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("go-run-%d.txt", i)))
		if err != nil {
			break
		}
		t, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("torch-run-%d.txt", i))) // empty for a missing run, to keep runs paired
		rec.goRuns, rec.torchRuns = append(rec.goRuns, string(g)), append(rec.torchRuns, string(t))
	}
	return rec, nil
}

// fromRecorded renders the runs a GPU machine recorded (readRecorded).
func fromRecorded(o options, stdout, stderr io.Writer) error {
	root, err := output("git", "rev-parse", "--show-toplevel")
	if err != nil {
		return fmt.Errorf("finding the repository root: %w", err)
	}
	rec, err := readRecorded(o.from)
	if err != nil {
		return fmt.Errorf("-from %s: %w", o.from, err)
	}
	s := &session{opt: o, root: root, commands: rec.commands, goRuns: rec.goRuns, torchRuns: rec.torchRuns}
	facts := rec.facts
	s.started, err = time.Parse(time.RFC3339, facts["started"])
	if err != nil {
		return fmt.Errorf("-from %s: started=%q: %w", o.from, facts["started"], err)
	}
	info := machineInfo{commit: facts["commit"], cpu: facts["cpu"], gpu: facts["gpu"], goVer: facts["go"],
		blas: facts["blas"], blasPkg: "n/a", loadBefore: facts["load_before"], loadAfter: facts["load_after"]}
	if t := facts["threads"]; t != "" {
		s.env = []string{"GOMAXPROCS=" + t, "OPENBLAS_NUM_THREADS=" + t, "OMP_NUM_THREADS=" + t}
	}
	if len(s.goRuns) == 0 {
		return fmt.Errorf("-from %s: no run of our benchmarks recorded", o.from)
	}
	for i, t := range s.torchRuns {
		if len(bytes.TrimSpace([]byte(t))) == 0 {
			s.torchSkipped = fmt.Sprintf("no PyTorch output for run %d in %s", i+1, o.from)
			s.cnnSkipped = s.torchSkipped
		}
	}
	s.opt.count = len(s.goRuns)
	return s.finish(info, stdout, stderr)
}
