package bench

import (
	"flag"
	"fmt"
	"testing"

	"github.com/neurone-dl/neurone/backend/comm/commtest"
	"github.com/neurone-dl/neurone/backend/cpu"
)

// TestMain says, before the first benchmark, which BLAS the CPU's matrix
// products run on, as a configuration line beside goos, goarch and cpu
// ("blas: OpenBLAS 0.3.21, Haswell kernels, 2 threads"), which benchstat
// keeps with the results and bench/compare puts in its report.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		fmt.Printf("blas: %s\n", cpu.BLAS())
	}
	// In a rank of BenchmarkDataParallel's job, run the rank instead.
	commtest.Main(m, map[string]func() error{"dataparallel": dataParallelRank})
}
