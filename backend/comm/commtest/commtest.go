// Package commtest runs test bodies as the ranks of a real MPI job: a test
// starts its own test binary under mpirun, N processes on this machine
// talking through Open MPI over loopback and shared memory, and the
// binary's TestMain, seeing mpirun's environment, runs the named body in
// each rank instead of the tests.
//
//	func TestMain(m *testing.M) { commtest.Main(m, bodies) }
//
//	out, err := commtest.Run(t, 2, "train", nil)
//
// Without mpirun on the path Run skips the test, saying why, unless the
// environment has CI=true, where it fails: CI installs Open MPI.
package commtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/backend/comm"
)

// BodyEnv names the rank body a test binary runs under mpirun.
const BodyEnv = "NEURONE_COMMTEST_BODY"

// Main runs m's tests, or, in a process mpirun started with BodyEnv set,
// the body of that name, exiting with 0 when it returns nil and 1 with the
// error on standard error otherwise.
func Main(m *testing.M, bodies map[string]func() error) {
	name := os.Getenv(BodyEnv)
	if name == "" || !comm.Launched() {
		os.Exit(m.Run())
	}
	body, ok := bodies[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "commtest: no rank body %q\n", name)
		os.Exit(2)
	}
	if err := body(); err != nil {
		fmt.Fprintf(os.Stderr, "commtest: rank body %s: %v\n", name, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// World returns the communicator of the rank a body runs in
// (comm.FromEnv), and an error outside mpirun.
func World() (comm.Communicator, error) {
	c, err := comm.FromEnv()
	if err == nil && c == nil {
		err = fmt.Errorf("commtest: no communicator: not started by mpirun")
	}
	return c, err
}

// Launcher returns mpirun's path, skipping t (or failing it under
// CI=true) when there is none.
func Launcher(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("mpirun")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mpirun not found (%v): CI installs Open MPI (.ci/run: openmpi-bin, libopenmpi-dev)", err)
		}
		t.Skipf("mpirun not found (%v): install Open MPI (Debian: openmpi-bin libopenmpi-dev) to run the multi-process tests", err)
	}
	return p
}

// Run starts np ranks of this test binary under mpirun, each running the
// body named body with env added to its environment, and returns what
// they printed together and how mpirun ended. The job is killed after
// limit (0: 2 minutes).
func Run(t testing.TB, np int, body string, env []string, limit time.Duration) (string, error) {
	t.Helper()
	return launch(t, np, "^$", append(env, BodyEnv+"="+body), limit)
}

// RunTest is Run for a rank body that needs a *testing.T: each rank runs
// the test named test, which sees comm.Launched and runs as a rank. The
// test's result is the rank's exit status.
func RunTest(t testing.TB, np int, test string, env []string, limit time.Duration) (string, error) {
	t.Helper()
	return launch(t, np, "^"+test+"$", env, limit)
}

func launch(t testing.TB, np int, run string, env []string, limit time.Duration) (string, error) {
	t.Helper()
	mpirun := Launcher(t)
	if limit == 0 {
		limit = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	// As root mpirun needs --allow-run-as-root; --oversubscribe lets it
	// start more ranks than this machine has cores.
	cmd := exec.CommandContext(ctx, mpirun, "--allow-run-as-root", "--oversubscribe", "-np", strconv.Itoa(np),
		os.Args[0], "-test.run="+run, "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("mpirun -np %d %v still running after %v: %w", np, env, limit, ctx.Err())
	}
	return string(out), err
}
