package graph_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestREADMEExample builds and runs the README's example of the graph
// builders, so the README cannot drift from the API: its Go block (an
// import list, then statements) becomes the body of a main that feeds it a
// batch, and its training step must give a finite loss. The program lives
// in this module only through the go command's -overlay, so nothing is
// written into the tree.
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
	imports, body, err := readmeExample(string(readme))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	src := fmt.Sprintf(`package main

import (
	"fmt"
%s
)

func main() {
	xBatch := make([]float32, 64*784) // the example's MLP: 784 inputs, batch 64
	yBatch := make([]float32, 64)
	for i := range xBatch {
		xBatch[i] = float32(i%%13) / 13
	}
	for i := range yBatch {
		yBatch[i] = float32(i %% 2)
	}
%s
	fmt.Println(l)
}
`, imports, body)
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
	cmd := exec.Command(goTool, "run", "-overlay="+overlayFile, "./internal/readmeexample")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's example does not build or run: %v\n%s\nprogram:\n%s", err, out, src)
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) == 0 {
		t.Fatalf("the README's example printed nothing")
	}
	loss, err := strconv.ParseFloat(lines[len(lines)-1], 64)
	if err != nil || math.IsNaN(loss) || math.IsInf(loss, 0) || loss <= 0 {
		t.Fatalf("the README's example's training step gave loss %q, want a finite positive number", lines[len(lines)-1])
	}
}

// readmeExample returns the import specs and the statements of the first
// Go block of a README.
func readmeExample(readme string) (imports, body string, err error) {
	_, rest, ok := strings.Cut(readme, "```go\n")
	if !ok {
		return "", "", fmt.Errorf("no ```go block")
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		return "", "", fmt.Errorf("the ```go block does not end")
	}
	block = strings.TrimSpace(block)
	if !strings.HasPrefix(block, "import (") {
		return "", "", fmt.Errorf("the Go block does not start with an import list")
	}
	imports, body, ok = strings.Cut(strings.TrimPrefix(block, "import ("), "\n)\n")
	if !ok {
		return "", "", fmt.Errorf("the Go block's import list does not end")
	}
	return imports, body, nil
}
