package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// stub stands in for every program of the bundle and of the GPU machine
// (by the name it is called by): the tests pass, except TestTF32; the
// benchmarks and PyTorch print one line each in their formats; the
// commands write what the next step looks for.
const stub = `#!/bin/bash
name=$(basename "$0")
case $name in
nvidia-smi)
	[[ $* == *query-gpu* ]] && echo "Stub GPU, 580.1, 1000 MiB" || echo "| Driver Version: 580.1     CUDA Version: 13.0 |" ;;
compute-sanitizer)
	[ "$1" = --version ] && { echo "Version stub"; exit 0; }
	tool=memcheck; [[ $* == *"--tool racecheck"* ]] && tool=racecheck
	while [ $# -gt 0 ] && [[ $1 != *.test ]]; do shift; done
	"$@"; rc=$?
	# Each tool's own last line, as compute-sanitizer 2025.3 prints them.
	if [ $tool = racecheck ]; then
		echo "========= RACECHECK SUMMARY: 0 hazards displayed (0 errors, 0 warnings)"
	else
		echo "========= ERROR SUMMARY: 0 errors"
	fi
	exit $rc ;;
python3)
	if [ "$1" = -c ]; then echo "2.11.0 CUDA 13.0 available"; exit 0; fi
	echo '{"torch": "2.11.0", "threads": 16, "gpu": "Stub GPU"}'
	case $1 in
	*mlp6*) echo '{"device": "cuda", "batch": 256, "mode": "train-graph", "tf32": false, "step_ms": 1.0, "samples_per_s": 256000}' ;;
	*cnn*) echo '{"model": "cnn", "bench": "CNN/train/cuda/batch=64", "variant": "eager", "step_ms": 4.0, "samples_per_s": 16000}' ;;
	esac ;;
bench.test)
	if [[ $* == *MLP6/train/cpu* ]]; then
		echo "BenchmarkMLP6/train/cpu/batch=256-16 	 20 	 25600000 ns/op 	 10000 samples/s"
	else
		echo "BenchmarkMLP6/train/cuda/batch=256-16 	 1000 	 500000 ns/op 	 512000 samples/s"
		echo "BenchmarkCNN/train/cuda/batch=64-16 	 500 	 2000000 ns/op 	 32000 samples/s 	 1 allocs/op"
	fi ;;
*.test)
	test=TestAll
	while [ $# -gt 0 ]; do [ "$1" = -test.run ] && test=${2//[\^\$]/}; shift; done
	echo "=== RUN   $test"
	if [ "$test" = TestTF32 ]; then echo "    program_test.go:9: TF32 too far off"; echo "--- FAIL: $test (0.01s)"; echo FAIL; exit 1; fi
	echo "--- PASS: $test (0.01s)"; echo PASS ;;
catdog-train | catdog-samples)
	while [ $# -gt 0 ]; do [ "$1" = --out ] && out=$2; shift; done
	mkdir -p "$out" && touch "$out/last.safetensors" && echo '{"accuracy": 0.9}' >"$out/summary.json" ;;
catdog-predict)
	echo '{"path":"cat-1.png","label":"cat","p_cat":0.75}' ;;
esac
`

// TestGPURunScript runs bench/gpu-run.sh on a stand-in bundle and GPU
// machine (stub): it must leave its three files, report each step, offer
// to repeat the failed one, and write a bench.txt that -from renders.
func TestGPURunScript(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the script twice, about 10 s")
	}
	for _, tool := range []string{"bash", "tar", "xz", "timeout", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: %v", tool, err)
		}
	}
	dir := t.TempDir()
	bundle, tools, out := filepath.Join(dir, "bin"), filepath.Join(dir, "tools"), filepath.Join(dir, "out")
	for _, d := range []string{filepath.Join(bundle, "lib"), tools} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, text string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"cudadl.test", "cuda.test", "catdog.test", "zoo.test", "bench.test",
		"catdog-train", "catdog-predict", "catdog-samples"} {
		write(filepath.Join(bundle, name), stub, 0o755)
	}
	for _, name := range []string{"nvidia-smi", "compute-sanitizer", "python3"} {
		write(filepath.Join(tools, name), stub, 0o755)
	}
	write(filepath.Join(bundle, "torch_mlp6.py"), "", 0o644)
	write(filepath.Join(bundle, "torch_cnn.py"), "", 0o644)
	write(filepath.Join(bundle, "lib", "libopenblas.so.0"), "", 0o644)
	write(filepath.Join(bundle, "BUILD"), "commit=abc123\ngo=go1.26.8\n", 0o644)
	if b, err := exec.Command("tar", "cJf", filepath.Join(dir, "bundle.tar.xz"), "-C", bundle, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, b)
	}
	script, err := os.ReadFile(filepath.Join("..", "gpu-run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(dir, "run.sh"), string(script), 0o755)

	cmd := exec.Command("bash", filepath.Join(dir, "run.sh"))
	cmd.Env = append(os.Environ(), "OUT="+out, "PATH="+tools+":"+os.Getenv("PATH"), "CUDA_HOME="+filepath.Join(dir, "no-cuda"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run.sh: %v: %s", err, b)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "bench.txt logs.tgz summary.md" {
		t.Errorf("$OUT holds %s, want bench.txt logs.tgz summary.md", got)
	}
	summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| GPU | Stub GPU, 1000 MiB |", "| driver | 580.1 ", "| PyTorch | 2.11.0 CUDA 13.0 available |",
		// (The seconds column between result and detail varies.)
		"| TestOpsAgainstCPU | pass |", "| TestCatdogAgainstCPU | pass |", "| TestZooAgainstTapeMachine | pass |", "| TestTF32 | **fail** |", "| program_test.go:9: TF32 too far off |",
		"| e2e-predict | pass |", "| bench-torch-cnn | pass |", "| 1 configurations |", "| memcheck | pass |", "| ERROR SUMMARY: 0 errors; 1 passed, 0 skipped |",
		"| racecheck | pass |", "| RACECHECK SUMMARY: 0 hazards displayed (0 errors, 0 warnings); 1 passed, 0 skipped |",
		"`OUT=$OUT bash build/gpu/run.sh TestTF32`",
		"| MLP6/train/cuda/batch=256 | 0.5 | 512000 | — | 1 | — | 2.00x |"} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, summary)
		}
	}
	if strings.Contains(string(summary), "no GPU") {
		t.Errorf("summary.md says there is no GPU:\n%s", summary)
	}
	report, _ := renderFrom(t, out)
	for _, want := range []string{"| GPU | Stub GPU (driver 580.1, CUDA 13.0) |", "| commit | abc123 |",
		"| train, cuda, batch 256, fp32 | graph | 0.500 | 512000 | 1.00 | 256000 | 2.00x |",
		"| CNN/train/cuda/batch=64 | eager | 2.00 | 32000 | 4.00 | 16000 | 2.00x |"} {
		if !strings.Contains(report, want) {
			t.Errorf("compare -from's report lacks %q:\n%s", want, report)
		}
	}

	// Named steps alone, within a deadline that leaves no time for them.
	cmd = exec.Command("bash", filepath.Join(dir, "run.sh"), "TestOpen", "bench")
	cmd.Env = append(os.Environ(), "OUT="+out, "PATH="+tools+":"+os.Getenv("PATH"), "DEADLINE=20")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run.sh TestOpen bench: %v: %s", err, b)
	}
	if summary, err = os.ReadFile(filepath.Join(out, "summary.md")); err != nil {
		t.Fatal(err)
	}
	if s := string(summary); !strings.Contains(s, "| TestOpen | skipped (deadline) |") || strings.Contains(s, "TestOpsAgainstCPU") ||
		!strings.Contains(s, "run.sh TestOpen bench-go bench-cpu bench-torch-mlp6 bench-torch-cnn`") {
		t.Errorf("summary.md of TestOpen and bench at DEADLINE=20:\n%s", s)
	}
}
