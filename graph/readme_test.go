package graph_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/format"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	_ "github.com/neurone-dl/neurone/backend/cuda"
)

// readmePrograms are the README's sections whose first Go block is a whole
// program, each with the argument lists it is run with (none: run once,
// without arguments). The program on your own graphs takes the backend's
// name, and must run on the CPU and on the CUDA program emulated on the
// host alike.
var readmePrograms = []struct {
	section string
	runs    [][]string
}{
	{"## Using the graph builders", [][]string{nil}},
	{"## Your own graphs", [][]string{{"cpu"}, {"cuda-emu"}}},
}

// stepLine is a line the README's programs print: the backend, as it
// prints itself, the step and the loss.
var stepLine = regexp.MustCompile(`^(.+): step (\d+), loss (\S+)$`)

// TestREADMEExamples builds and runs the README's programs exactly as a
// reader would paste them, so the README cannot drift from the API. A
// program lives in this module only through the go command's -overlay, so
// nothing is written into the tree. It must print the backend by name and
// a loss that falls as the network learns.
func TestREADMEExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the README's examples with")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range readmePrograms {
		t.Run(strings.TrimPrefix(p.section, "## "), func(t *testing.T) {
			src, err := readmeProgram(string(readme), p.section)
			if err != nil {
				t.Fatalf("README.md: %v", err)
			}
			bin := buildProgram(t, goTool, src)
			for _, args := range p.runs {
				if len(args) > 0 && !deviceAvailable(t, args[0]) {
					continue
				}
				runProgram(t, bin, args, src)
			}
		})
	}
}

// deviceAvailable says whether the backend a program is given can be
// opened here. It may be missing only outside CI (CI=true fails instead).
func deviceAvailable(t *testing.T, name string) bool {
	b, err := backend.Open(name)
	if err == nil {
		b.Close()
		return true
	}
	if errors.Is(err, backend.ErrUnavailable) && os.Getenv("CI") == "" {
		t.Logf("not run on %s: %v (CI=true makes this a failure)", name, err)
		return false
	}
	t.Fatalf("the README's program needs %s: %v", name, err)
	return false
}

// buildProgram builds src as a program of this module and returns the
// binary's path.
func buildProgram(t *testing.T, goTool, src string) string {
	t.Helper()
	dir := t.TempDir()
	mainGo := filepath.Join(dir, "main.go")
	if err := os.WriteFile(mainGo, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	overlay, err := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(root, "internal", "readmeexample", "main.go"): mainGo},
	})
	if err != nil {
		t.Fatal(err)
	}
	overlayFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "example")
	// Without symbols and DWARF, which only slow the link down here.
	cmd := exec.Command(goTool, "build", "-overlay="+overlayFile, "-ldflags=-s -w", "-o", bin, "./internal/readmeexample")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's example does not build: %v\n%s\nprogram:\n%s", err, out, src)
	}
	return bin
}

// runProgram runs bin with args and checks what it prints.
func runProgram(t *testing.T, bin string, args []string, src string) {
	t.Helper()
	var stdout, stderr strings.Builder
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README's example %v fails: %v\n%s%s\nprogram:\n%s", args, err, stdout.String(), stderr.String(), src)
	}
	var losses []float64
	for line := range strings.Lines(stdout.String()) {
		m := stepLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			t.Fatalf("the README's example %v printed %q, want \"BACKEND: step N, loss L\"", args, line)
		}
		if strings.ContainsAny(m[1], "{}&") {
			t.Errorf("the backend prints as %q, not as its name", m[1])
		}
		if len(args) > 0 && !strings.HasPrefix(m[1], args[0]) {
			t.Errorf("the README's example given %q ran on %q", args[0], m[1])
		}
		loss, err := strconv.ParseFloat(m[3], 64)
		if err != nil || math.IsNaN(loss) || math.IsInf(loss, 0) || loss < 0 {
			t.Fatalf("loss %q, want a finite number of 0 or more", m[3])
		}
		losses = append(losses, loss)
	}
	if len(losses) < 2 || !(losses[len(losses)-1] < losses[0]) {
		t.Errorf("%v: losses %v: want at least two, the last below the first\n%s", args, losses, stdout.String())
	}
}

// readmeProgram returns the first Go block of the README's section, which
// must be a whole program.
func readmeProgram(readme, heading string) (string, error) {
	_, section, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		return "", fmt.Errorf("no section %q", heading)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	_, rest, ok := strings.Cut(section, "```go\n")
	if !ok {
		return "", fmt.Errorf("no ```go block in %q", heading)
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		return "", fmt.Errorf("the ```go block in %q does not end", heading)
	}
	if !strings.HasPrefix(block, "package main\n") || !strings.Contains(block, "\nfunc main() {\n") {
		return "", fmt.Errorf("the Go block in %q is not a whole program (package main, func main) that a reader can run", heading)
	}
	if formatted, err := format.Source([]byte(block)); err != nil {
		return "", fmt.Errorf("the Go block in %q: %w", heading, err)
	} else if string(formatted) != block {
		return "", fmt.Errorf("the Go block in %q is not gofmt-formatted; gofmt gives:\n%s", heading, formatted)
	}
	return block, nil
}
