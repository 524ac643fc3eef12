package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/neurone-dl/neurone/bench"
)

// config identifies one measured configuration of MLP6.
type config struct {
	Mode      string // "train" or "infer"
	Device    string // "cpu", "cuda"
	Batch     int
	Precision string // "fp32" or "tf32"
}

func (c config) String() string {
	return fmt.Sprintf("%s, %s, batch %d, %s", c.Mode, c.Device, c.Batch, c.Precision)
}

// measure is the median of repeated runs of one configuration.
type measure struct {
	StepMS       float64
	SamplesPerS  float64
	PeakFraction float64 // 0 when not reported
	AllocsPerOp  float64
	Runs         int
	// MinMS and MaxMS are the fastest and slowest of the runs' steps
	// (PyTorch's CNN, whose step time can differ a lot between runs).
	MinMS, MaxMS float64
}

// goBench is what the project's benchmark output says: MLP6 configurations
// and SGEMM rates per device.
type goBench struct {
	MLP6  map[config]measure
	SGEMM map[string]float64 // device → median GFLOP/s
	// Other holds the benchmarks besides MLP6 and SGEMM (the CNN's, which
	// torch_cnn.py's lines name), by name, in the order they ran.
	Other      map[string]measure
	OtherOrder []string
	// BLAS is what the benchmarks' "blas:" line names (the first one).
	BLAS string
}

// parseGoBench reads `go test -bench` output (the standard benchmark
// format: name-procs, iterations, then value-unit pairs) and returns the
// median of every metric over the runs of each benchmark, and the BLAS
// the "blas:" configuration line names. Other lines are skipped.
func parseGoBench(r io.Reader) (goBench, error) {
	samples := map[string]map[string][]float64{} // name → unit → values
	var order []string
	var blas string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "blas: "); ok && blas == "" {
			blas = strings.TrimSpace(v)
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		if samples[name] == nil {
			samples[name] = map[string][]float64{}
			order = append(order, name)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return goBench{}, fmt.Errorf("benchmark line %q: value %q: %w", sc.Text(), f[i], err)
			}
			samples[name][f[i+1]] = append(samples[name][f[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return goBench{}, err
	}
	out := goBench{MLP6: map[config]measure{}, SGEMM: map[string]float64{}, Other: map[string]measure{}, BLAS: blas}
	for _, name := range order {
		s := samples[name]
		parts := strings.Split(name, "/")
		switch {
		case parts[0] == "SGEMM" && len(parts) >= 2:
			key := parts[1] // the device; "cuda/tf32" for cuBLAS's TF32 rate
			if parts[len(parts)-1] == "tf32" {
				key += "/tf32"
			}
			out.SGEMM[key] = median(s["GFLOP/s"])
		case parts[0] == "CNN":
			out.Other[name] = measureOf(s)
			out.OtherOrder = append(out.OtherOrder, name)
		case parts[0] == "MLP6" && len(parts) >= 4 && strings.HasPrefix(parts[3], "batch="):
			batch, err := strconv.Atoi(strings.TrimPrefix(parts[3], "batch="))
			if err != nil {
				return goBench{}, fmt.Errorf("benchmark %s: %w", name, err)
			}
			c := config{Mode: parts[1], Device: parts[2], Batch: batch, Precision: "fp32"}
			if len(parts) > 4 {
				c.Precision = parts[4]
			}
			out.MLP6[c] = measureOf(s)
		}
	}
	return out, nil
}

// measureOf is the medians of one benchmark's samples, by unit.
func measureOf(s map[string][]float64) measure {
	return measure{
		StepMS:       median(s["ns/op"]) / 1e6,
		SamplesPerS:  median(s["samples/s"]),
		PeakFraction: median(s["peak-fraction"]),
		AllocsPerOp:  median(s["allocs/op"]),
		Runs:         len(s["ns/op"]),
	}
}

// torchRun is what torch_mlp6.py printed over one or more runs.
type torchRun struct {
	Version string
	Threads int
	GPU     string
	// Allocator is what the scripts did to malloc (torch_alloc.py); ""
	// from scripts that predate it.
	Allocator string
	// MLP6 maps each configuration to its variants: "eager" and, on CUDA,
	// "graph" (a captured CUDA graph).
	MLP6 map[config]map[string]measure
	// CNN maps the name of the Go benchmark a torch_cnn.py line stands
	// beside (e.g. "CNN/train/cpu/batch=64") to its variants, as MLP6.
	CNN map[string]map[string]measure
	// Failed lists what torch_cnn.py said it could not time, and why.
	Failed []string
}

// torchLine is any of the script's JSON lines: the header (torch, threads,
// gpu), a GEMM rate, or one configuration.
type torchLine struct {
	Torch     *string  `json:"torch"`
	Threads   int      `json:"threads"`
	Allocator string   `json:"allocator"`
	GPU       *string  `json:"gpu"`
	Device    string   `json:"device"`
	Batch     int      `json:"batch"`
	Mode      string   `json:"mode"`
	TF32      bool     `json:"tf32"`
	StepMS    *float64 `json:"step_ms"`
	Samples   float64  `json:"samples_per_s"`
	// torch_cnn.py's lines: model "cnn", the Go benchmark's name, the
	// variant, or an error for a configuration it could not time.
	Model   string `json:"model"`
	Bench   string `json:"bench"`
	Variant string `json:"variant"`
	Error   string `json:"error"`
}

// parseTorch reads the JSON lines of one or more runs of torch_mlp6.py and
// torch_cnn.py and returns the median of each configuration over the runs.
func parseTorch(r io.Reader) (torchRun, error) {
	type key struct {
		c       config
		variant string
	}
	type cnnKey struct{ bench, variant string }
	steps, rates := map[key][]float64{}, map[key][]float64{}
	cnnSteps, cnnRates := map[cnnKey][]float64{}, map[cnnKey][]float64{}
	out := torchRun{MLP6: map[config]map[string]measure{}, CNN: map[string]map[string]measure{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var l torchLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return torchRun{}, fmt.Errorf("torch line %q: %w", line, err)
		}
		switch {
		case l.Torch != nil:
			out.Version, out.Threads, out.Allocator = *l.Torch, l.Threads, l.Allocator
			if l.GPU != nil {
				out.GPU = *l.GPU
			}
		case l.Model == "cnn" && l.Error != "":
			if !slices.Contains(out.Failed, l.Error) {
				out.Failed = append(out.Failed, l.Error)
			}
		case l.Model == "cnn" && l.StepMS != nil:
			k := cnnKey{l.Bench, l.Variant}
			cnnSteps[k] = append(cnnSteps[k], *l.StepMS)
			cnnRates[k] = append(cnnRates[k], l.Samples)
		case l.StepMS != nil:
			mode, variant, _ := strings.Cut(l.Mode, "-")
			if variant == "" {
				variant = "eager"
			}
			c := config{Mode: mode, Device: l.Device, Batch: l.Batch, Precision: "fp32"}
			if l.TF32 {
				c.Precision = "tf32"
			}
			k := key{c, variant}
			steps[k] = append(steps[k], *l.StepMS)
			rates[k] = append(rates[k], l.Samples)
		}
	}
	if err := sc.Err(); err != nil {
		return torchRun{}, err
	}
	for k, s := range steps {
		if out.MLP6[k.c] == nil {
			out.MLP6[k.c] = map[string]measure{}
		}
		out.MLP6[k.c][k.variant] = measure{StepMS: median(s), SamplesPerS: median(rates[k]), Runs: len(s)}
	}
	for k, s := range cnnSteps {
		if out.CNN[k.bench] == nil {
			out.CNN[k.bench] = map[string]measure{}
		}
		out.CNN[k.bench][k.variant] = measure{StepMS: median(s), SamplesPerS: median(cnnRates[k]), Runs: len(s), MinMS: slices.Min(s), MaxMS: slices.Max(s)}
	}
	return out, nil
}

// median returns the middle value (the mean of the two middle ones for an
// even count), or 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// results are the outputs of the interleaved runs: medians over all runs,
// and each run on its own, so that ratios can be taken within a run (both
// sides under the same load) before their median is.
type results struct {
	ours      goBench
	torch     torchRun
	oursRuns  []goBench
	torchRuns []torchRun // empty when PyTorch did not run
}

// parseRuns parses the output of each run of each side.
func parseRuns(ours, torch []string) (results, error) {
	var res results
	var err error
	if res.ours, err = parseGoBench(strings.NewReader(strings.Join(ours, "\n"))); err != nil {
		return res, err
	}
	if res.torch, err = parseTorch(strings.NewReader(strings.Join(torch, "\n"))); err != nil {
		return res, err
	}
	for _, o := range ours {
		r, err := parseGoBench(strings.NewReader(o))
		if err != nil {
			return res, err
		}
		res.oursRuns = append(res.oursRuns, r)
	}
	for _, t := range torch {
		r, err := parseTorch(strings.NewReader(t))
		if err != nil {
			return res, err
		}
		res.torchRuns = append(res.torchRuns, r)
	}
	return res, nil
}

// ratio returns the median over runs of ours ÷ PyTorch in samples/s for c
// and PyTorch's variant, and whether any run had both.
func (res results) ratio(c config, variant string) (float64, bool) {
	return res.paired(func(o goBench) (measure, bool) { m, ok := o.MLP6[c]; return m, ok },
		func(t torchRun) (measure, bool) { m, ok := t.MLP6[c][variant]; return m, ok })
}

// otherRatio is ratio for one of the benchmarks in goBench.Other, against
// torch_cnn.py's line of the same name.
func (res results) otherRatio(name, variant string) (float64, bool) {
	return res.paired(func(o goBench) (measure, bool) { m, ok := o.Other[name]; return m, ok },
		func(t torchRun) (measure, bool) { m, ok := t.CNN[name][variant]; return m, ok })
}

// paired returns the median over runs of ours ÷ PyTorch in samples/s, each
// side's measure picked from a run's results, and whether any run had
// both.
func (res results) paired(ours func(goBench) (measure, bool), theirs func(torchRun) (measure, bool)) (float64, bool) {
	var rs []float64
	for i := range min(len(res.oursRuns), len(res.torchRuns)) {
		o, ok := ours(res.oursRuns[i])
		t, tok := theirs(res.torchRuns[i])
		if ok && tok && t.SamplesPerS > 0 {
			rs = append(rs, o.SamplesPerS/t.SamplesPerS)
		}
	}
	return median(rs), len(rs) > 0
}

// deviceRatio is one line of the CUDA-against-CPU table: our CUDA
// configuration against our CPU one of the same mode and batch (fp32).
type deviceRatio struct {
	CUDA, CPU config
	GPU, Host measure
	Ratio     float64 // median over runs of CUDA ÷ CPU samples/s
}

// deviceRatios pairs each CUDA configuration of ours with the CPU's of the
// same mode and batch, the ratio taken within each run.
func deviceRatios(res results) []deviceRatio {
	var out []deviceRatio
	for c, m := range res.ours.MLP6 {
		if c.Device != "cuda" {
			continue
		}
		host := config{Mode: c.Mode, Device: "cpu", Batch: c.Batch, Precision: "fp32"}
		hm, ok := res.ours.MLP6[host]
		if !ok {
			continue
		}
		var rs []float64
		for _, run := range res.oursRuns {
			g, gok := run.MLP6[c]
			h, hok := run.MLP6[host]
			if gok && hok && h.SamplesPerS > 0 {
				rs = append(rs, g.SamplesPerS/h.SamplesPerS)
			}
		}
		if len(rs) > 0 {
			out = append(out, deviceRatio{CUDA: c, CPU: host, GPU: m, Host: hm, Ratio: median(rs)})
		}
	}
	slices.SortFunc(out, func(a, b deviceRatio) int { return compareConfigs(a.CUDA, b.CUDA) })
	return out
}

// renderDeviceRatios writes the CUDA-against-CPU table as Markdown.
func renderDeviceRatios(w io.Writer, rs []deviceRatio) {
	fmt.Fprintln(w, "| configuration | CPU ms/step | CUDA ms/step | CPU samples/s | CUDA samples/s | CUDA ÷ CPU (samples/s) |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s, batch %d, %s | %s | %s | %.0f | %.0f | %.1fx |\n", r.CUDA.Mode, r.CUDA.Batch, r.CUDA.Precision,
			formatMS(r.Host.StepMS), formatMS(r.GPU.StepMS), r.Host.SamplesPerS, r.GPU.SamplesPerS, r.Ratio)
	}
}

// row is one line of the side-by-side table.
type row struct {
	Config  config
	Variant string   // PyTorch's: "eager" or "graph"; "" when it did not run
	Ours    *measure // nil: not run
	Torch   *measure // nil: not run
	Ratio   float64  // median of the runs' ours ÷ PyTorch; 0 when none
}

// rows pairs every configuration of ours with every PyTorch variant of the
// same configuration, and lists the configurations only one side ran.
func rows(res results) []row {
	var out []row
	var all []config
	for c := range res.ours.MLP6 {
		all = append(all, c)
	}
	for c := range res.torch.MLP6 {
		if _, ok := res.ours.MLP6[c]; !ok {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, compareConfigs)
	for _, c := range all {
		var o *measure
		if m, ok := res.ours.MLP6[c]; ok {
			o = &m
		}
		variants := res.torch.MLP6[c]
		if len(variants) == 0 {
			out = append(out, row{Config: c, Ours: o})
			continue
		}
		for _, v := range []string{"eager", "graph"} {
			if m, ok := variants[v]; ok {
				r := row{Config: c, Variant: v, Ours: o, Torch: &m}
				r.Ratio, _ = res.ratio(c, v)
				out = append(out, r)
			}
		}
	}
	return out
}

// compareConfigs orders by device, mode (train first), precision, batch.
func compareConfigs(a, b config) int {
	if a.Device != b.Device {
		return strings.Compare(a.Device, b.Device)
	}
	if a.Mode != b.Mode {
		return -strings.Compare(a.Mode, b.Mode) // "train" before "infer"
	}
	if a.Precision != b.Precision {
		return strings.Compare(a.Precision, b.Precision)
	}
	return a.Batch - b.Batch
}

// notRun fills a column whose side did not run.
const notRun = "not run"

// renderTable writes the side-by-side table as Markdown.
func renderTable(w io.Writer, rs []row) {
	fmt.Fprintln(w, "| configuration | PyTorch mode | ours ms/step | ours samples/s | PyTorch ms/step | PyTorch samples/s | ours ÷ PyTorch (samples/s) | ours: fraction of SGEMM peak |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rs {
		ourMS, ourRate, peak := notRun, notRun, "—"
		if r.Ours != nil {
			ourMS, ourRate = formatMS(r.Ours.StepMS), fmt.Sprintf("%.0f", r.Ours.SamplesPerS)
			if r.Ours.PeakFraction > 0 {
				peak = fmt.Sprintf("%.2f", r.Ours.PeakFraction)
			}
		}
		torchMS, torchRate, ratio := notRun, notRun, "—"
		if r.Torch != nil {
			torchMS, torchRate = formatMS(r.Torch.StepMS), fmt.Sprintf("%.0f", r.Torch.SamplesPerS)
			if r.Ratio > 0 {
				ratio = fmt.Sprintf("%.2fx", r.Ratio)
			}
		}
		variant := r.Variant
		if variant == "" {
			variant = "—"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Config, variant, ourMS, ourRate, torchMS, torchRate, ratio, peak)
	}
}

// renderBounds writes, for each CPU configuration of ours, the time its
// matrix products alone take at the SGEMM rate measured in the same runs,
// and how far the measured step is above it (the median of each run's
// step ÷ bound, both from one process).
func renderBounds(w io.Writer, res results) {
	rate := res.ours.SGEMM["cpu"]
	if rate <= 0 {
		return
	}
	var cs []config
	for c := range res.ours.MLP6 {
		if c.Device == "cpu" {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return
	}
	slices.SortFunc(cs, compareConfigs)
	fmt.Fprintf(w, "| configuration | matmul GFLOP per step | ms at %.0f GFLOP/s (SGEMM) | ours ms/step | ours ÷ bound |\n", rate)
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: |")
	for _, c := range cs {
		gflop := matMulGFLOP(c)
		var ratios []float64
		for _, r := range res.oursRuns {
			if m, ok := r.MLP6[c]; ok && r.SGEMM["cpu"] > 0 {
				ratios = append(ratios, m.StepMS/(gflop/r.SGEMM["cpu"]*1e3))
			}
		}
		fmt.Fprintf(w, "| %s | %.2f | %s | %s | %.2f |\n", c, gflop, formatMS(gflop/rate*1e3), formatMS(res.ours.MLP6[c].StepMS), median(ratios))
	}
}

// matMulGFLOP returns the matrix-product work of one step of c.
func matMulGFLOP(c config) float64 {
	perSample := float64(bench.MLP6ForwardFLOPs)
	if c.Mode == "train" {
		perSample = bench.MLP6TrainFLOPs
	}
	return perSample * float64(c.Batch) / 1e9
}

// formatMS prints a time in milliseconds with three significant digits.
func formatMS(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f", ms)
	case ms >= 1:
		return fmt.Sprintf("%.2f", ms)
	}
	return fmt.Sprintf("%.3f", ms)
}
