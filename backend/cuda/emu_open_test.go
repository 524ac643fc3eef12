//go:build cgo

package cuda

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
)

// The first Open builds the emulator into the cache, and the next one
// finds it there; all run it. Two first Opens at once, each building,
// leave one whole binary.
func TestEmuCache(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the cache's place is set through XDG_CACHE_HOME, which only Linux's os.UserCacheDir reads")
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	var bins []os.FileInfo
	for _, open := range []string{"first, building", "second, cached"} {
		start := time.Now()
		backends := make([]*Backend, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range backends {
			wg.Go(func() { backends[i], errs[i] = newEmulated(0) })
		}
		wg.Wait()
		t.Logf("%s Open (two at once): %v", open, time.Since(start).Round(time.Millisecond))
		for i, b := range backends {
			if errs[i] != nil {
				noEmulator(t, errs[i])
			}
			t.Cleanup(func() { b.Close() })
			trainOnce(t, b)
		}
		files, err := filepath.Glob(filepath.Join(emuCacheDir(), "*"))
		if err != nil || len(files) != 1 {
			t.Fatalf("after the %s Open, the cache holds %v (%v), want one binary", open, files, err)
		}
		fi, err := os.Stat(files[0])
		if err != nil {
			t.Fatal(err)
		}
		bins = append(bins, fi)
	}
	if !bins[0].ModTime().Equal(bins[1].ModTime()) {
		t.Errorf("the second Open built the emulator again")
	}
}

// smallMLP is a perceptron of MLP6's inputs and one hidden layer of 16,
// at batch 2, trained with opt: quick to run on cuda-emu.
func smallMLP(t *testing.T, opt optim.Optimizer) backend.Spec {
	m, obj := backendtest.BinaryMLP(t, graph.MLPSpec{Inputs: 100 * 100, Batch: 2, Seed: 7,
		Layers: []graph.LayerSpec{{Units: 16, Activation: graph.ReLU}, {Units: 1, Activation: graph.Sigmoid}}})
	return backend.TrainSpec(m, obj, opt)
}

// trainOnce compiles a small perceptron on b and trains it one step.
func trainOnce(t *testing.T, b *Backend) {
	xs, ys := randomBatches(1, 2)
	prog, err := b.Compile(smallMLP(t, optim.NewSGD(0.01)))
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	if _, err := prog.Train(xs[0], ys[0]); err != nil {
		t.Fatal(err)
	}
}

// Without a C++ compiler, opening cuda-emu is ErrUnavailable saying what
// it needs and what it tried.
func TestEmuNoCompiler(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CXX", "no-such-c++")
	_, err := backend.Open("cuda-emu")
	if !errors.Is(err, backend.ErrUnavailable) {
		t.Fatalf("Open without a compiler = %v, want ErrUnavailable", err)
	}
	for _, want := range []string{"C++ compiler", "no-such-c++", "c++, g++, clang++"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open without a compiler = %q, want it to say %q", err, want)
		}
	}
}

// A compiler that fails is an error that shows what it said.
func TestEmuCompileError(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "broken-c++")
	err := os.WriteFile(script, []byte("#!/bin/sh\nif [ \"$1\" = --version ]; then echo broken-c++ 1.0; exit 0; fi\necho 'kernels.cpp:1: error: the compiler is broken' >&2\nexit 1\n"), 0o755)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CXX", script)
	t.Setenv("XDG_CACHE_HOME", dir)
	_, err = backend.Open("cuda-emu")
	if err == nil || !strings.Contains(err.Error(), "the compiler is broken") || !strings.Contains(err.Error(), "broken-c++ 1.0") {
		t.Fatalf("Open with a failing compiler = %v, want an error with its name and its output", err)
	}
}

// Closing the backend ends the emulator's process; an emulator that
// stopped makes launches fail saying so, and closing after it is no error.
func TestEmuProcessEnds(t *testing.T) {
	b := hostBackend(t)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if b.emu.cmd.ProcessState == nil || !b.emu.cmd.ProcessState.Exited() {
		t.Errorf("after Close, the emulator's process is %v, want it ended", b.emu.cmd.ProcessState)
	}
	if _, err := b.Compile(smallMLP(t, optim.NewSGD(0.01))); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Compile after Close = %v, want ErrClosed", err)
	}
	b = hostBackend(t)
	xs, ys := randomBatches(1, 2)
	prog, err := b.Compile(smallMLP(t, optim.NewSGD(0.01)))
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	if err := b.emu.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := prog.Train(xs[0], ys[0]); !errors.Is(err, errEmulatorStopped) || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Train after the emulator was killed = %v, want an error saying it stopped", err)
	}
}

// Programs on one cuda-emu backend may train at once, from goroutines of
// their own, and each computes what it computes alone.
func TestEmuConcurrentPrograms(t *testing.T) {
	b := hostBackend(t)
	xs, ys := randomBatches(2, 2)
	const programs = 2
	specs := make(chan backend.Spec, programs+1)
	for range programs + 1 {
		specs <- smallMLP(t, optim.NewAdam(1e-3))
	}
	train := func() ([]float32, error) {
		prog, err := b.Compile(<-specs)
		if err != nil {
			return nil, err
		}
		defer prog.Close()
		var losses []float32
		for i := range xs {
			l, err := prog.Train(xs[i], ys[i])
			if err != nil {
				return nil, err
			}
			losses = append(losses, l)
		}
		return losses, nil
	}
	want, err := train()
	if err != nil {
		t.Fatal(err)
	}
	got := make([][]float32, programs)
	errs := make([]error, programs)
	var wg sync.WaitGroup
	for i := range programs {
		wg.Go(func() { got[i], errs[i] = train() })
	}
	wg.Wait()
	for i := range programs {
		if errs[i] != nil {
			t.Fatalf("program %d: %v", i, errs[i])
		}
		if !slices.Equal(got[i], want) {
			t.Errorf("program %d: losses %v, alone %v", i, got[i], want)
		}
	}
}

// The emulator does not outlive a process killed without a chance to
// close it: its input closes, and it ends. The test runs itself as that
// process.
func TestEmuEndsWithItsParent(t *testing.T) {
	if os.Getenv("NEURONE_EMU_PARENT") == "1" {
		b := hostBackend(t)
		fmt.Println(b.emu.cmd.Process.Pid)
		time.Sleep(time.Minute) // until killed
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads the emulator's state from /proc")
	}
	parent := exec.Command(os.Args[0], "-test.run=^TestEmuEndsWithItsParent$")
	parent.Env = append(os.Environ(), "NEURONE_EMU_PARENT=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	pid, perr := strconv.Atoi(strings.TrimSpace(line))
	if err == nil && perr == nil {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			t.Errorf("the emulator (pid %d) is not running before its parent is killed: %v", pid, err)
		}
	}
	parent.Process.Kill()
	parent.Wait()
	if err != nil || perr != nil {
		t.Skipf("the parent process did not start an emulator: %q (%v)", line, err)
	}
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(stat), ") Z ") { // gone, or a zombie waiting for init
			return
		}
	}
	t.Errorf("the emulator (pid %d) still runs 10s after its parent was killed", pid)
}
