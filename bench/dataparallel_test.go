package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/backend/comm/commtest"
	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph/optim"
)

// dpShard is the batch each rank trains on per step in
// BenchmarkDataParallel: the global batch grows with the ranks (weak
// scaling, as data-parallel training is run).
const dpShard = 128

// dpMeasure is how long the ranks time their steps, after warming up.
const dpMeasure = 3 * time.Second

// dpTiming is what rank 0 of BenchmarkDataParallel's job reports.
type dpTiming struct {
	Ranks   int
	Steps   int
	Seconds float64
	BLAS    string
}

// BenchmarkDataParallel trains MLP6 on the CPU over 1 and 2 ranks, real
// processes started by mpirun and averaging their gradients through Open
// MPI, each rank on dpShard samples per step, and reports the global
// samples/s and the scaling efficiency: samples/s over ranks times the one
// rank's samples/s. The cores are split between the ranks (each rank's
// BLAS threads and GOMAXPROCS are the machine's cores over the ranks), as
// one rank per core or per socket is run. Each run of the sub-benchmark
// is one mpirun job timing dpMeasure of steps after 3 steps of warm-up
// (the figures exclude the job's start).
func BenchmarkDataParallel(b *testing.B) {
	var alone float64 // samples/s of 1 rank
	for _, np := range []int{1, 2} {
		b.Run(fmt.Sprintf("MLP6/train/cpu/shard=%d/ranks=%d", dpShard, np), func(b *testing.B) {
			var t dpTiming
			for range b.N {
				t = dataParallelJob(b, np)
			}
			perStep := t.Seconds / float64(t.Steps)
			rate := float64(np*dpShard) / perStep
			b.ReportMetric(perStep*1e9, "ns/op") // a step's, not a job's
			b.ReportMetric(rate, "samples/s")
			if np == 1 {
				alone = rate
			} else if alone > 0 {
				b.ReportMetric(rate/(float64(np)*alone), "efficiency")
			}
		})
	}
}

// dataParallelJob runs one mpirun job of np ranks and returns rank 0's
// timing.
func dataParallelJob(b *testing.B, np int) dpTiming {
	dir := b.TempDir()
	out, err := commtest.Run(b, np, "dataparallel", []string{"OUT=" + dir}, 5*time.Minute)
	if err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "timing.json"))
	if err != nil {
		b.Fatalf("rank 0 wrote no timing: %v\n%s", err, out)
	}
	var t dpTiming
	if err := json.Unmarshal(data, &t); err != nil {
		b.Fatal(err)
	}
	if t.Ranks != np || t.Steps == 0 {
		b.Fatalf("the job reports %d steps over %d ranks, want %d ranks", t.Steps, t.Ranks, np)
	}
	return t
}

// dataParallelRank is one rank of BenchmarkDataParallel's job: MLP6 on
// its shard, timed until rank 0 says dpMeasure has passed (rank 0 decides,
// in the step's all-reduce, so every rank runs the same steps).
func dataParallelRank() error {
	c, err := commtest.World()
	if err != nil {
		return err
	}
	defer c.Close()
	cores := max(1, runtime.NumCPU()/c.Size())
	runtime.GOMAXPROCS(cores)
	cpu.SetBLASThreads(cores)
	spec, m, err := backendtest.MLP6Train(dpShard, 1, optim.NewSGD(0.01))
	if err != nil {
		return err
	}
	spec.Comm = c
	prog, err := cpu.New().Compile(spec)
	if err != nil {
		return err
	}
	defer prog.Close()
	rng := rand.New(rand.NewPCG(uint64(c.Rank()), 2))
	x, y := make([]float32, m.Input.Shape().TotalSize()), make([]float32, dpShard)
	for i := range x {
		x[i] = rng.Float32()
	}
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}
	for range 3 { // warm up
		if _, err := prog.Train(x, y); err != nil {
			return err
		}
	}
	steps, start := 0, time.Now()
	for more := true; more; steps++ {
		if _, err := prog.Train(x, y); err != nil {
			return err
		}
		flag := []float32{0}
		if c.Rank() == 0 && time.Since(start) < dpMeasure {
			flag[0] = 1
		}
		if err := c.Broadcast(flag, 0); err != nil {
			return err
		}
		more = flag[0] == 1
	}
	if c.Rank() != 0 {
		return nil
	}
	data, err := json.Marshal(dpTiming{Ranks: c.Size(), Steps: steps, Seconds: time.Since(start).Seconds(), BLAS: cpu.BLAS()})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(os.Getenv("OUT"), "timing.json"), data, 0o644)
}
