//go:build cgo

package cuda

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Every loop of kernelSource over elements or threads steps with FOR_EACH
// or FOR_BLOCK, whose index cannot overflow (TestStridedNear2to31), not
// with an int of its own.
func TestKernelsStrideWithMacros(t *testing.T) {
	own := regexp.MustCompile(`\+=\s*\(?(long long\)\s*)?(blockDim|gridDim)`)
	for n, line := range strings.Split(kernelSource, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#define STRIDED") {
			continue
		}
		if own.MatchString(line) {
			t.Errorf("kernelSource line %d strides by hand: %s", n+1, strings.TrimSpace(line))
		}
	}
}

// FOR_EACH and FOR_BLOCK visit exactly the indices below n that fall to a
// thread, also for n = 2^31 − 1, where the last index plus the stride
// does not fit an int. Built for the host with g++ from kernelSource's
// own macros, on the grid the program launches on a 132-multiprocessor
// GPU (H100 SXM, H200) and on the largest block of threads, for the
// threads whose last index is nearest n.
func TestStridedNear2to31(t *testing.T) {
	if _, err := exec.LookPath("g++"); err != nil {
		t.Skip("no g++ to build the kernels' loops for the host")
	}
	const n = math.MaxInt32
	type run struct {
		macro         string
		grid, block   int
		blockIdx, tid int
	}
	grid := 8 * 132 // program.kernel's grid on 132 multiprocessors
	var runs []run
	stride := grid * 256
	for _, g := range []int{0, 1, stride - 1, (n - 1) % stride, (n-1)%stride - 1, (n-1)%stride + 1} {
		runs = append(runs, run{"FOR_EACH", grid, 256, g / 256, g % 256})
	}
	for _, tid := range []int{0, 1023, (n - 1) % 1024, (n-1)%1024 + 1} {
		runs = append(runs, run{"FOR_BLOCK", 1, 1024, 0, tid})
	}
	var src strings.Builder
	src.WriteString(emuPrelude)
	src.WriteString(kernelSource)
	src.WriteString(`
// probe runs one thread's loop, counting its indices, the first and the
// last, and those out of [0, n); it gives up after limit indices (a
// wrapped index would loop for ever).
#define PROBE(name, LOOP) \
	static void name(int n, long long limit) { \
		long long count = 0, bad = 0, first = -1, last = -1; \
		LOOP(i, n) { \
			if (i < 0 || i >= n) bad++; \
			if (first < 0) first = i; \
			last = i; \
			if (++count >= limit) break; \
		} \
		printf("%lld %lld %lld %lld\n", count, bad, first, last); \
	}
PROBE(probe_each, FOR_EACH)
PROBE(probe_block, FOR_BLOCK)
int main() {
	char macro[16];
	unsigned grid, block, b, tid;
	while (scanf("%15s %u %u %u %u", macro, &grid, &block, &b, &tid) == 5) {
		gridDim.x = grid; blockDim.x = block; blockIdx.x = b; threadIdx.x = tid;
		gridDim.y = gridDim.z = blockDim.y = blockDim.z = 1;
		blockIdx.y = blockIdx.z = threadIdx.y = threadIdx.z = 0;
		if (strcmp(macro, "FOR_EACH") == 0) probe_each(2147483647, 10000000LL);
		else probe_block(2147483647, 10000000LL);
	}
	return 0;
}
`)
	dir := t.TempDir()
	cpp, bin := filepath.Join(dir, "stride.cpp"), filepath.Join(dir, "stride")
	if err := os.WriteFile(cpp, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("g++", "-O2", "-w", "-pthread", fmt.Sprintf("-DEMU_REDUCE_THREADS=%d", emuReduceThreads),
		"-o", bin, cpp).CombinedOutput(); err != nil {
		t.Fatalf("building the loops for the host: %v\n%s", err, out)
	}
	var in strings.Builder
	for _, r := range runs {
		fmt.Fprintf(&in, "%s %d %d %d %d\n", r.macro, r.grid, r.block, r.blockIdx, r.tid)
	}
	cmd := exec.Command(bin)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running the loops: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(runs) {
		t.Fatalf("%d results for %d runs:\n%s", len(lines), len(runs), out)
	}
	for k, r := range runs {
		var got [4]int64
		for i, f := range strings.Fields(lines[k]) {
			got[i], _ = strconv.ParseInt(f, 10, 64)
		}
		first := int64(r.blockIdx*r.block + r.tid)
		step := int64(r.grid * r.block)
		count := (n - first + step - 1) / step
		want := [4]int64{count, 0, first, first + (count-1)*step}
		if got != want {
			t.Errorf("%s, grid %d of %d threads, thread %d of block %d: %d indices (%d out of range), first %d, last %d; want %d, first %d, last %d",
				r.macro, r.grid, r.block, r.tid, r.blockIdx, got[0], got[1], got[2], got[3], want[0], want[2], want[3])
		}
	}
}
