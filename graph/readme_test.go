package graph_test

import (
	"encoding/json"
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
)

// readmeSection is the README's section whose first Go block is a whole
// program that uses the graph builders.
const readmeSection = "## Using the graph builders"

// stepLine is a line the README's program prints: the backend, as it
// prints itself, the step and the loss.
var stepLine = regexp.MustCompile(`^(.+): step (\d+), loss (\S+)$`)

// TestREADMEExample builds and runs the README's example of the graph
// builders exactly as a reader would paste it, so the README cannot drift
// from the API. The program lives in this module only through the go
// command's -overlay, so nothing is written into the tree. It must print
// the backend by name and a loss that falls as the network learns.
func TestREADMEExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the README's example with")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := readmeProgram(string(readme))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
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
	// Without symbols and DWARF, which only slow the link down here.
	cmd := exec.Command(goTool, "run", "-overlay="+overlayFile, "-ldflags=-s -w", "./internal/readmeexample")
	cmd.Dir = root
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README's example does not build or run: %v\n%s%s\nprogram:\n%s", err, stdout.String(), stderr.String(), src)
	}
	var losses []float64
	for line := range strings.Lines(stdout.String()) {
		m := stepLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			t.Fatalf("the README's example printed %q, want \"BACKEND: step N, loss L\"", line)
		}
		if strings.ContainsAny(m[1], "{}&") {
			t.Errorf("the backend prints as %q, not as its name", m[1])
		}
		loss, err := strconv.ParseFloat(m[3], 64)
		if err != nil || math.IsNaN(loss) || math.IsInf(loss, 0) || loss < 0 {
			t.Fatalf("loss %q, want a finite number of 0 or more", m[3])
		}
		losses = append(losses, loss)
	}
	if len(losses) < 2 || !(losses[len(losses)-1] < losses[0]) {
		t.Errorf("losses %v: want at least two, the last below the first\n%s", losses, stdout.String())
	}
}

// readmeProgram returns the first Go block of the README's section on the
// graph builders, which must be a whole program.
func readmeProgram(readme string) (string, error) {
	_, section, ok := strings.Cut(readme, "\n"+readmeSection+"\n")
	if !ok {
		return "", fmt.Errorf("no section %q", readmeSection)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	_, rest, ok := strings.Cut(section, "```go\n")
	if !ok {
		return "", fmt.Errorf("no ```go block in %q", readmeSection)
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		return "", fmt.Errorf("the ```go block in %q does not end", readmeSection)
	}
	if !strings.HasPrefix(block, "package main\n") || !strings.Contains(block, "\nfunc main() {\n") {
		return "", fmt.Errorf("the Go block in %q is not a whole program (package main, func main) that a reader can run", readmeSection)
	}
	if formatted, err := format.Source([]byte(block)); err != nil {
		return "", fmt.Errorf("the Go block in %q: %w", readmeSection, err)
	} else if string(formatted) != block {
		return "", fmt.Errorf("the Go block in %q is not gofmt-formatted; gofmt gives:\n%s", readmeSection, formatted)
	}
	return block, nil
}
