package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The samples in testdata are real output: go-bench-cpu.txt is
// `go test -tags openblas -run '^$' -bench 'MLP6/.*/cpu|SGEMM' -benchmem -count 6 ./bench`
// (OpenBLAS was then chosen with a build tag)
// on the 2-core development machine (a shared, noisy one), torch-cpu.jsonl is
// `torch_mlp6.py cpu` with PyTorch 1.13 on the same machine, and
// torch-cnn-cpu.jsonl `torch_cnn.py cpu` there.

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestParseGoBench(t *testing.T) {
	got, err := parseGoBench(bytes.NewReader(readSample(t, "go-bench-cpu.txt")))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.MLP6) != 4 {
		t.Errorf("%d MLP6 configurations, want 4: %v", len(got.MLP6), got.MLP6)
	}
	tests := []struct {
		config                config
		stepMS, samples, peak float64
		runs                  int
	}{
		// Six runs each: the median is the mean of the middle two.
		{config{"train", "cpu", 256, "fp32"}, (116.162385 + 123.359166) / 2, (2075 + 2204) / 2.0, (0.7700 + 0.8177) / 2, 6},
		{config{"infer", "cpu", 64, "fp32"}, (10.468465 + 10.847010) / 2, (5900 + 6114) / 2.0, (0.7298 + 0.7561) / 2, 6},
	}
	for _, tt := range tests {
		m, ok := got.MLP6[tt.config]
		if !ok {
			t.Errorf("%v missing", tt.config)
			continue
		}
		if !near(m.StepMS, tt.stepMS) || !near(m.SamplesPerS, tt.samples) || !near(m.PeakFraction, tt.peak) || m.Runs != tt.runs || m.AllocsPerOp != 1 {
			t.Errorf("%v: got %+v, want %v ms, %v samples/s, peak %v, %d runs, 1 alloc", tt.config, m, tt.stepMS, tt.samples, tt.peak, tt.runs)
		}
	}
	if want := (143.2 + 145.9) / 2; !near(got.SGEMM["cpu"], want) {
		t.Errorf("SGEMM cpu %v GFLOP/s, want %v", got.SGEMM["cpu"], want)
	}
}

func TestParseGoBenchSkipsOtherLines(t *testing.T) {
	in := "goos: linux\nBenchmarkMLP6/train/cuda/batch=64-16 \t--- SKIP: cuda: not built in\nPASS\nok  \tx\t1s\n" +
		"BenchmarkMLP6/train/cuda/batch=256/tf32-16 \t 100\t 320000 ns/op\t 800000 samples/s\n"
	got, err := parseGoBench(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := got.MLP6[config{"train", "cuda", 256, "tf32"}]
	if len(got.MLP6) != 1 || !ok || !near(m.StepMS, 0.32) || m.SamplesPerS != 800000 {
		t.Errorf("got %+v", got.MLP6)
	}
}

func TestParseTorch(t *testing.T) {
	sample := readSample(t, "torch-cpu.jsonl")
	got, err := parseTorch(bytes.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != "1.13.0a0" || got.Threads != 2 || got.GPU != "" || got.Allocator != "" {
		t.Errorf("header: %q, %d threads, GPU %q, allocator %q", got.Version, got.Threads, got.GPU, got.Allocator)
	}
	// The scripts that set the allocator say what they did.
	kept := bytes.Replace(sample, []byte(`"threads": 2,`), []byte(`"threads": 2, "allocator": "glibc, freed memory kept",`), 1)
	if got, err := parseTorch(bytes.NewReader(kept)); err != nil || got.Allocator != "glibc, freed memory kept" {
		t.Errorf("header with the allocator: %q, %v", got.Allocator, err)
	}
	m := got.MLP6[config{"train", "cpu", 256, "fp32"}]["eager"]
	if m.StepMS != 167.4101 || m.SamplesPerS != 1529 || m.Runs != 1 {
		t.Errorf("train batch 256: %+v", m)
	}
	// Runs appended one after the other: medians over them.
	three := bytes.Join([][]byte{sample, sample, bytes.ReplaceAll(sample, []byte(`"step_ms": 167.4101`), []byte(`"step_ms": 1`))}, nil)
	got, err = parseTorch(bytes.NewReader(three))
	if err != nil {
		t.Fatal(err)
	}
	if m := got.MLP6[config{"train", "cpu", 256, "fp32"}]["eager"]; m.StepMS != 167.4101 || m.Runs != 3 {
		t.Errorf("three runs: %+v", m)
	}
}

// torch_cnn.py's lines go by the Go benchmark they name, not into MLP6;
// the MLP6 script's lines in the same stream are unaffected.
func TestParseTorchCNN(t *testing.T) {
	both := append(readSample(t, "torch-cpu.jsonl"), readSample(t, "torch-cnn-cpu.jsonl")...)
	got, err := parseTorch(bytes.NewReader(both))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.MLP6) != 4 {
		t.Errorf("%d MLP6 configurations, want 4: %v", len(got.MLP6), got.MLP6)
	}
	if m := got.CNN["CNN/train-batchnorm/cpu/batch=64"]["eager"]; m.StepMS != 35.5278 || m.SamplesPerS != 1801 || m.Runs != 1 {
		t.Errorf("batchnorm CNN: %+v", m)
	}
	if len(got.CNN) != 2 {
		t.Errorf("CNN: %v", got.CNN)
	}
}

// Several runs of PyTorch's CNN show their range beside the median, so
// that a median between two modes of its step time shows as one.
func TestTorchCNNSpread(t *testing.T) {
	in := `{"model": "cnn", "bench": "CNN/train/cpu/batch=64", "variant": "eager", "step_ms": 65.0, "samples_per_s": 985}
{"model": "cnn", "bench": "CNN/train/cpu/batch=64", "variant": "eager", "step_ms": 29.0, "samples_per_s": 2207}
{"model": "cnn", "bench": "CNN/train/cpu/batch=64", "variant": "eager", "step_ms": 72.5, "samples_per_s": 883}
`
	torch, err := parseTorch(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := parseGoBench(strings.NewReader("BenchmarkCNN/train/cpu/batch=64-2 \t 90 \t 12200000 ns/op \t 0.27 peak-fraction \t 5250 samples/s \t 1 allocs/op\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	renderOther(&b, results{ours: ours, torch: torch})
	if want := "| CNN/train/cpu/batch=64 | eager | 12.2 | 5250 | 65.0 (29.0-72.5) | 985 |"; !strings.Contains(b.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, b.String())
	}
}

func TestParseTorchCUDAModes(t *testing.T) {
	in := `{"torch": "2.11.0", "threads": 16, "gpu": "NVIDIA H100 80GB HBM3"}
{"gemm8192_fp32_tf32": false, "tflops": 51.5}
{"device": "cuda", "batch": 256, "mode": "train-graph", "tf32": true, "step_ms": 0.32, "samples_per_s": 800000, "tflops": 29.6}
`
	got, err := parseTorch(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := got.MLP6[config{"train", "cuda", 256, "tf32"}]["graph"]
	if got.GPU != "NVIDIA H100 80GB HBM3" || !ok || m.StepMS != 0.32 {
		t.Errorf("got %+v", got)
	}
}

func TestTable(t *testing.T) {
	ours, torch := string(readSample(t, "go-bench-cpu.txt")), string(readSample(t, "torch-cpu.jsonl"))
	tests := []struct {
		name   string
		torch  []string
		golden string
	}{
		{"with PyTorch", []string{torch}, "table.md"},
		{"without PyTorch", nil, "table-no-torch.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := parseRuns([]string{ours}, tt.torch)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			renderTable(&b, rows(res))
			b.WriteString("\n")
			renderBounds(&b, res)
			checkGolden(t, tt.golden, b.Bytes())
		})
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it); got\n%s", path, got)
	}
}

func TestSetSection(t *testing.T) {
	doc := "# Title\n\n" + beginMarker + "\nold table\n" + endMarker + "\n\nmore\n"
	got, err := setSection(doc, "bench", "new table\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# Title\n\n" + beginMarker + "\nnew table\n" + endMarker + "\n\nmore\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := setSection("no markers", "bench", "x"); err == nil {
		t.Error("no error for a README without markers")
	}
}

func TestParseCPUInfo(t *testing.T) {
	in := "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu\n\nprocessor\t: 1\nmodel name\t: AMD EPYC\n"
	if got, want := parseCPUInfo([]byte(in)), "AMD EPYC, 2 logical CPUs"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRatioWithinRuns checks that a ratio is the median of the runs' own
// ratios, not the ratio of the medians: run 1 was under load for both sides.
func TestRatioWithinRuns(t *testing.T) {
	ours := func(rate string) string {
		return "BenchmarkMLP6/train/cpu/batch=256-2 \t 10\t 1000000 ns/op\t " + rate + " samples/s\n"
	}
	torch := func(rate string) string {
		return `{"device": "cpu", "batch": 256, "mode": "train", "tf32": false, "step_ms": 1, "samples_per_s": ` + rate + "}\n"
	}
	res, err := parseRuns([]string{ours("10"), ours("100"), ours("110")}, []string{torch("10"), torch("50"), torch("44")})
	if err != nil {
		t.Fatal(err)
	}
	rs := rows(res)
	// Per-run ratios 1, 2 and 2.5: median 2 (the medians' ratio would be 100/44).
	if len(rs) != 1 || rs[0].Ratio != 2 {
		t.Errorf("rows %+v, want one with ratio 2", rs)
	}
}

// TestDeviceRatios pairs our CUDA configurations with our CPU ones of the
// same mode and batch, fp32 and TF32 alike, the ratio taken within each
// run; a CUDA configuration without a CPU counterpart has no line.
func TestDeviceRatios(t *testing.T) {
	run := func(cpu, cuda, tf32 string) string {
		return "BenchmarkMLP6/train/cpu/batch=1024-16 \t 10\t 1000000 ns/op\t " + cpu + " samples/s\n" +
			"BenchmarkMLP6/train/cuda/batch=1024-16 \t 10\t 1000 ns/op\t " + cuda + " samples/s\n" +
			"BenchmarkMLP6/train/cuda/batch=1024/tf32-16 \t 10\t 1000 ns/op\t " + tf32 + " samples/s\n" +
			"BenchmarkMLP6/train/cuda/batch=4096-16 \t 10\t 1000 ns/op\t 9 samples/s\n"
	}
	// Run 2's CPU was slowed down: its CUDA ÷ CPU is 300, the others 100
	// and 120, so the median is 120 (the medians' ratio would be 110/1).
	res, err := parseRuns([]string{run("10", "1000", "3000"), run("1", "300", "900"), run("10", "1200", "3600")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs := deviceRatios(res)
	if len(rs) != 2 {
		t.Fatalf("%d lines, want 2 (fp32 and tf32 at batch 1024): %+v", len(rs), rs)
	}
	if rs[0].CUDA.Precision != "fp32" || rs[0].Ratio != 120 || rs[1].CUDA.Precision != "tf32" || rs[1].Ratio != 360 {
		t.Errorf("lines %+v, want fp32 120x then tf32 360x", rs)
	}
	var b bytes.Buffer
	renderDeviceRatios(&b, rs)
	if !strings.Contains(b.String(), "| train, batch 1024, fp32 | 1.00 | 0.001 | 10 | 1000 | 120.0x |") {
		t.Errorf("table:\n%s", b.String())
	}
}

// TestFromRecorded renders runs recorded on a GPU machine without Go: the
// report names the GPU and pairs our CUDA figures with PyTorch's, eager and
// CUDA-graph, fp32 and TF32. (The recorded lines are in the formats the
// benchmarks and torch_mlp6.py print; they were not taken from a GPU.)
func TestFromRecorded(t *testing.T) {
	report, table := renderRecorded(t, map[string]string{"bench.txt": benchTxt("started=2026-11-27T15:00:00Z\ncommit=abc123\ncpu=Some CPU, 16 logical CPUs\ngpu=NVIDIA H100 80GB HBM3\ngo=go1.26.8\nblas=gonum (pure Go)\nthreads=16\nload_before=0.1 0.1 0.1\nload_after=0.2 0.2 0.2\n",
		"bench.test -test.bench cuda\npython3 torch_mlp6.py cuda\n",
		[]string{"BenchmarkMLP6/train/cuda/batch=256-16 \t 1000 \t 500000 ns/op \t 0.5 peak-fraction \t 512000 samples/s\n" +
			"BenchmarkMLP6/train/cuda/batch=256/tf32-16 \t 1000 \t 300000 ns/op \t 0.3 peak-fraction \t 853333 samples/s\n" +
			"BenchmarkCNN/train/cuda/batch=64-16 \t 500 \t 2000000 ns/op \t 32000 samples/s \t 1 allocs/op\n" +
			"BenchmarkMLP6/train/cpu/batch=256-16 \t 20 \t 25600000 ns/op \t 0.9 peak-fraction \t 10000 samples/s\n"},
		[]string{`{"torch": "2.11.0", "threads": 16, "gpu": "NVIDIA H100 80GB HBM3"}
{"device": "cuda", "batch": 256, "mode": "train", "tf32": false, "step_ms": 3.2, "samples_per_s": 80000, "tflops": 2.0}
{"device": "cuda", "batch": 256, "mode": "train-graph", "tf32": false, "step_ms": 0.6, "samples_per_s": 426667, "tflops": 10.0}
{"device": "cuda", "batch": 256, "mode": "train", "tf32": true, "step_ms": 3.0, "samples_per_s": 85333, "tflops": 2.1}
{"device": "cuda", "batch": 256, "mode": "train-graph", "tf32": true, "step_ms": 0.4, "samples_per_s": 640000, "tflops": 15.0}
{"torch": "2.11.0", "threads": 16, "gpu": "NVIDIA H100 80GB HBM3"}
{"model": "cnn", "bench": "CNN/train/cuda/batch=64", "variant": "eager", "step_ms": 4.0, "samples_per_s": 16000}
{"model": "cnn", "bench": "CNN/train/cuda/batch=64", "variant": "graph", "step_ms": 1.0, "samples_per_s": 64000}
{"model": "cnn", "error": "batchnorm=True graph=True: capture failed"}
`})})
	for _, want := range []string{"NVIDIA H100 80GB HBM3", "abc123", "2.11.0", "train, cuda, batch 256, fp32", "train, cuda, batch 256, tf32", "GPU machine", "| CNN/train/cuda/batch=64 | eager | 2.00 | 32000 | 4.00 | 16000 | 2.00x |", "| CNN/train/cuda/batch=64 | graph | 2.00 | 32000 | 1.00 | 64000 | 0.50x |",
		"PyTorch could not time batchnorm=True graph=True: capture failed",
		"## CUDA against the CPU (ours)", "| train, batch 256, fp32 | 25.6 | 0.500 | 10000 | 512000 | 51.2x |"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	// 512000 samples/s against PyTorch eager's 80000 and graph's 426667.
	for _, want := range []string{"6.40x", "1.20x"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks the ratio %s:\n%s", want, table)
		}
	}
}

// Without PyTorch's CNN figures, each CNN benchmark still gets its row,
// saying PyTorch did not run it.
func TestOtherWithoutTorch(t *testing.T) {
	ours, err := parseGoBench(strings.NewReader("BenchmarkCNN/train/cpu/batch=64-2 \t 40 \t 25000000 ns/op \t 0.13 peak-fraction \t 2560 samples/s \t 106 allocs/op\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	renderOther(&b, results{ours: ours, oursRuns: []goBench{ours}})
	if want := "| CNN/train/cpu/batch=64 | — | 25.0 | 2560 | not run | not run | — | 0.13 | 106 |"; !strings.Contains(b.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, b.String())
	}
}

// A run without PyTorch's output leaves no PyTorch figures at all, rather
// than medians and ratios over only some runs; ours are all kept.
func TestFromRecordedMissingTorchRun(t *testing.T) {
	ours := "BenchmarkMLP6/train/cuda/batch=256-16 \t 1000 \t 500000 ns/op \t 512000 samples/s\n" +
		"BenchmarkCNN/train/cuda/batch=64-16 \t 500 \t 2000000 ns/op \t 32000 samples/s \t 1 allocs/op\n"
	report, _ := renderRecorded(t, map[string]string{"bench.txt": benchTxt(
		"started=2026-11-27T15:00:00Z\ncommit=abc123\ngpu=NVIDIA H100 80GB HBM3\nthreads=16\n", "",
		[]string{ours, ours},
		[]string{`{"torch": "2.11.0", "threads": 16, "gpu": "NVIDIA H100 80GB HBM3"}
{"device": "cuda", "batch": 256, "mode": "train", "tf32": false, "step_ms": 3.2, "samples_per_s": 80000, "tflops": 2.0}
{"model": "cnn", "bench": "CNN/train/cuda/batch=64", "variant": "eager", "step_ms": 4.0, "samples_per_s": 16000}
`})})
	for _, want := range []string{"no PyTorch output for run 2", "| train, cuda, batch 256, fp32 | — | 0.500 | 512000 | not run | not run | — |",
		"| CNN/train/cuda/batch=64 | — | 2.00 | 32000 | not run | not run | — |"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "6.40x") || strings.Contains(report, "2.00x") {
		t.Errorf("report has ratios from run 1 alone:\n%s", report)
	}
}

// benchTxt lays out a bench.txt as bench/gpu-run.sh writes it; a run
// without PyTorch output has no torch section at all.
func benchTxt(machine, commands string, goRuns, torchRuns []string) string {
	var b strings.Builder
	b.WriteString("# a comment line\n== machine\n" + machine + "== commands\n" + commands)
	for i, g := range goRuns {
		fmt.Fprintf(&b, "== go run %d\n%s", i+1, g)
		if i < len(torchRuns) {
			fmt.Fprintf(&b, "== torch run %d\n%s", i+1, torchRuns[i])
		}
	}
	return b.String()
}

// The report names the BLAS the benchmarks' "blas:" line names, over what
// the machine's facts say; without such a line, the facts'.
func TestBLASNamedByTheBenchmarks(t *testing.T) {
	run := "BenchmarkMLP6/train/cpu/batch=256-16 \t 20 \t 25600000 ns/op \t 10000 samples/s\n"
	machine := "started=2026-11-27T15:00:00Z\ncommit=abc123\nthreads=16\nblas=gonum (pure Go)\n"
	for _, tt := range []struct{ goRun, want string }{
		{"goos: linux\nblas: OpenBLAS 0.3.21, Haswell kernels, 16 threads\n" + run, "| BLAS (ours) | OpenBLAS 0.3.21, Haswell kernels, 16 threads |"},
		{run, "| BLAS (ours) | gonum (pure Go) |"},
	} {
		report, _ := renderRecorded(t, map[string]string{"machine.txt": machine, "go-run-1.txt": tt.goRun})
		if !strings.Contains(report, tt.want) {
			t.Errorf("report lacks %q:\n%s", tt.want, report)
		}
	}
}

// The PyTorch scripts that compare and the Makefile's bench-compare run
// by default are in the repository.
func TestTorchScriptsInRepository(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, script := range []string{torchScript, torchCNNScript} {
		if _, err := os.Stat(filepath.Join(root, script)); err != nil {
			t.Errorf("default script: %v", err)
		}
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "TORCH_SCRIPT ?= " + torchScript + "\n"; !strings.Contains(string(makefile), want) {
		t.Errorf("the Makefile lacks the line %q", want)
	}
}

// renderRecorded writes files (name → text) into a folder as a GPU
// machine's run.sh would, runs compare -from on it and returns the report
// and the table it printed.
func renderRecorded(t *testing.T, files map[string]string) (report, table string) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return renderFrom(t, dir)
}

// renderFrom runs compare -from from and returns the report and the table
// it printed.
func renderFrom(t *testing.T, from string) (report, table string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "RESULTS.md")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-from", from, "-out", out, "-readme", ""}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(data), stdout.String()
}

// The first GPU run, recorded in the older layout of files (kept readable,
// so that it can be rendered again) and the same in bench.txt's form,
// renders the same report, with the figures the README shows.
func TestFromRecordedLayoutsAgree(t *testing.T) {
	oldDir := filepath.Join("testdata", "gpu-run-h200-old")
	old, oldTable := renderFrom(t, oldDir)
	txt, table := renderFrom(t, filepath.Join("testdata", "bench-h200.txt"))
	if old = strings.ReplaceAll(old, filepath.Base(oldDir), "bench-h200.txt"); old != txt || oldTable != table {
		t.Errorf("the layouts render differently:\n%s\n---\n%s", old, txt)
	}
	for _, want := range []string{"| GPU | NVIDIA H200 (driver 580.159.04, CUDA 13.0) |",
		"| train, cuda, batch 256, fp32 | eager | 0.406 | 630665 | 2.18 | 117354 | 5.37x | 0.46 |",
		"| CNN/train/cuda/batch=64 | — | 0.394 | 162441 | not run | not run | — | 0.03 | 1 |"} {
		if !strings.Contains(txt, want) {
			t.Errorf("report lacks %q:\n%s", want, txt)
		}
	}
}

// bench-dry.txt is what bench/gpu-run.sh wrote on a machine without a GPU
// (the development machine): only our CPU figures, no PyTorch.
func TestFromDryRun(t *testing.T) {
	report, _ := renderFrom(t, filepath.Join("testdata", "bench-dry.txt"))
	for _, want := range []string{"| GPU | none", "| train, cpu, batch 1024, fp32 | — |", "PyTorch | not run: no PyTorch output for run 1"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

func TestParseBenchTxtRejectsBadSection(t *testing.T) {
	if _, err := parseBenchTxt(strings.NewReader("== go run one\n")); err == nil {
		t.Error("no error for a section \"go run one\"")
	}
}

// TestUnsetRemovesVariablesFromChildren checks the -openblas unset
// machinery on a variable of the test's own: the children run without
// it, the rest of the environment kept.
func TestUnsetRemovesVariablesFromChildren(t *testing.T) {
	if _, err := exec.LookPath("env"); err != nil {
		t.Skip("no env command")
	}
	t.Setenv("NEURONE_COMPARE_GONE", "1")
	t.Setenv("NEURONE_COMPARE_KEPT", "2")
	s := &session{root: t.TempDir(), unset: []string{"NEURONE_COMPARE_GONE"}, env: []string{"GOMAXPROCS=3"}}
	var out bytes.Buffer
	if err := s.exec([]string{"env"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, "NEURONE_COMPARE_GONE") || !strings.Contains(got, "NEURONE_COMPARE_KEPT=2") || !strings.Contains(got, "GOMAXPROCS=3") {
		t.Errorf("child environment:\n%s", got)
	}
	if want := "env -u NEURONE_COMPARE_GONE GOMAXPROCS=3"; s.envText() != want {
		t.Errorf("envText = %q, want %q", s.envText(), want)
	}
	if !strings.Contains(s.tuning(), "NEURONE_COMPARE_GONE removed") {
		t.Errorf("tuning = %q", s.tuning())
	}
}
