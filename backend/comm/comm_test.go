package comm_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/backend/comm/commtest"
)

func TestMain(m *testing.M) {
	commtest.Main(m, map[string]func() error{
		"collectives": collectives,
		"die":         dieMidRun,
		"hang":        hangMidRun,
	})
}

// collectives checks every collective against what each rank can compute
// alone, and writes "ok" into $OUT/rank-N.
func collectives() error {
	c, err := commtest.World()
	if err != nil {
		return err
	}
	defer c.Close()
	r, n := c.Rank(), c.Size()
	sum := []float32{float32(r), 1, float32(r * r)}
	if err := c.AllReduceSum(sum); err != nil {
		return err
	}
	var want [3]float32
	for k := range n {
		want[0], want[1], want[2] = want[0]+float32(k), want[1]+1, want[2]+float32(k*k)
	}
	if !slices.Equal(sum, want[:]) {
		return fmt.Errorf("rank %d: AllReduceSum gave %v, want %v", r, sum, want)
	}
	mean := []float32{float32(2 * r)}
	if err := c.AllReduceMean(mean); err != nil {
		return err
	}
	if mean[0] != float32(n-1) {
		return fmt.Errorf("rank %d: AllReduceMean gave %v, want %d", r, mean[0], n-1)
	}
	big := make([]float32, 1<<20) // larger than one eager message
	for i := range big {
		big[i] = float32(r*len(big) + i)
	}
	if err := c.Broadcast(big, n-1); err != nil {
		return err
	}
	if big[0] != float32((n-1)*len(big)) || big[len(big)-1] != float32(n*len(big)-1) {
		return fmt.Errorf("rank %d: Broadcast from %d gave %v...%v", r, n-1, big[0], big[len(big)-1])
	}
	if err := bucketMeans(c); err != nil {
		return err
	}
	if err := c.Barrier(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(os.Getenv("OUT"), fmt.Sprintf("rank-%d", r)), []byte(c.Name()), 0o644)
}

// bucketMeans averages buffers of several sizes, some packed and one in
// place, holding rank·(index+1) + element: the mean is (n−1)/2·(index+1)
// + element.
func bucketMeans(c comm.Communicator) error {
	sizes := []int{3, 700, 5, 2000, 1}
	bufs := make([][]float32, len(sizes))
	for i, n := range sizes {
		bufs[i] = make([]float32, n)
		for j := range bufs[i] {
			bufs[i][j] = float32(c.Rank()*(i+1) + j)
		}
	}
	b := comm.NewBuckets(c, sizes, 1024)
	if err := b.Mean(bufs); err != nil {
		return err
	}
	for i, buf := range bufs {
		for j, v := range buf {
			if want := float32(c.Size()-1)/2*float32(i+1) + float32(j); v != want {
				return fmt.Errorf("rank %d: Buckets.Mean: buffer %d element %d = %v, want %v", c.Rank(), i, j, v, want)
			}
		}
	}
	if err := b.Mean(bufs[1:]); err == nil {
		return errors.New("Buckets.Mean of too few buffers succeeded")
	}
	return nil
}

func TestCollectives(t *testing.T) {
	for _, np := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("np=%d", np), func(t *testing.T) {
			dir := t.TempDir()
			out, err := commtest.Run(t, np, "collectives", []string{"OUT=" + dir}, 0)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for r := range np {
				name, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("rank-%d", r)))
				if err != nil {
					t.Fatalf("rank %d wrote nothing: %v\n%s", r, err, out)
				}
				if want := fmt.Sprintf("rank %d of %d", r, np); !strings.Contains(string(name), want) {
					t.Errorf("rank %d is named %q, want it to say %q", r, name, want)
				}
			}
		})
	}
}

// faultAt returns a rank body in which every rank all-reduces in a loop
// and rank 1 calls fault at its third step.
func faultAt(fault func()) func() error {
	return func() error {
		c, err := commtest.World()
		if err != nil {
			return err
		}
		buf := make([]float32, 1000)
		for step := range 1000 {
			if c.Rank() == 1 && step == 3 {
				fault()
			}
			if err := c.AllReduceMean(buf); err != nil {
				return err
			}
			time.Sleep(time.Millisecond)
		}
		return c.Close()
	}
}

// dieMidRun: rank 1 exits, as a crashed process would.
var dieMidRun = faultAt(func() {
	fmt.Fprintln(os.Stderr, "rank 1: exiting on purpose")
	os.Exit(3)
})

// hangMidRun: rank 1 stops calling collectives, alive but stuck; the
// others' watchdog must end the job.
var hangMidRun = faultAt(func() { time.Sleep(time.Hour) })

// TestDeadRank checks that a job whose rank dies, or hangs, ends with an
// error instead of waiting forever.
func TestDeadRank(t *testing.T) {
	// A dead rank is mpirun's to notice (the watchdog's limit is long
	// enough not to fire first on a loaded machine); a hung one is the
	// watchdog's.
	cases := []struct {
		body, timeout, want string
	}{
		{"die", "40s", "exited with non-zero status"},
		{"hang", "2s", "did not complete within 2s"},
	}
	for _, tc := range cases {
		t.Run(tc.body, func(t *testing.T) {
			start := time.Now()
			out, err := commtest.Run(t, 3, tc.body, []string{comm.TimeoutEnv + "=" + tc.timeout}, 60*time.Second)
			t.Logf("mpirun ended after %v:\n%s", time.Since(start).Round(time.Millisecond), out)
			if err == nil {
				t.Fatal("the job succeeded, want it to fail")
			}
			if strings.Contains(err.Error(), "still running") {
				t.Fatalf("the job hung: %v", err)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output does not say %q", tc.want)
			}
		})
	}
}

func TestFromEnvAlone(t *testing.T) {
	if comm.Launched() {
		t.Skip("started by mpirun")
	}
	c, err := comm.FromEnv()
	if c != nil || err != nil {
		t.Errorf("FromEnv without mpirun = %v, %v; want nil, nil", c, err)
	}
}

func TestTimeoutFromEnv(t *testing.T) {
	cases := []struct {
		value string
		want  time.Duration
		bad   bool
	}{
		{"", 0, false}, {"90s", 90 * time.Second, false}, {"2.5", 2500 * time.Millisecond, false},
		{"-1s", 0, true}, {"soon", 0, true},
	}
	for _, tc := range cases {
		t.Setenv(comm.TimeoutEnv, tc.value)
		got, err := comm.TimeoutFromEnv()
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("%s=%q: got %v, %v; want %v (error: %v)", comm.TimeoutEnv, tc.value, got, err, tc.want, tc.bad)
		}
	}
}

func TestShard(t *testing.T) {
	cases := []struct {
		rank, size, batch, lo, hi int
		bad                       bool
	}{
		{0, 1, 8, 0, 8, false}, {1, 2, 8, 4, 8, false}, {3, 4, 8, 6, 8, false},
		{0, 3, 8, 0, 0, true}, {2, 2, 8, 0, 0, true}, {0, 4, 2, 0, 0, true},
	}
	for _, tc := range cases {
		lo, hi, err := comm.Shard(tc.rank, tc.size, tc.batch)
		if (err != nil) != tc.bad || lo != tc.lo || hi != tc.hi {
			t.Errorf("Shard(%d, %d, %d) = %d, %d, %v; want %d, %d (error: %v)", tc.rank, tc.size, tc.batch, lo, hi, err, tc.lo, tc.hi, tc.bad)
		}
	}
}

func TestLocalRank(t *testing.T) {
	for value, want := range map[string]int{"": 0, "3": 3, "x": 0, "-1": 0} {
		t.Setenv("OMPI_COMM_WORLD_LOCAL_RANK", value)
		if got := comm.LocalRank(); got != want {
			t.Errorf("LocalRank with %q = %d, want %d", value, got, want)
		}
	}
}

// TestLoadNCCL: where NCCL is missing (machines without a GPU), loading it
// is ErrUnavailable naming the library; where it is there, it loads.
func TestLoadNCCL(t *testing.T) {
	err := comm.LoadNCCL()
	if err == nil {
		t.Log("NCCL loaded")
		return
	}
	if !errors.Is(err, comm.ErrUnavailable) || !strings.Contains(err.Error(), "libnccl.so.2") {
		t.Errorf("LoadNCCL = %v, want ErrUnavailable naming libnccl.so.2", err)
	}
}
