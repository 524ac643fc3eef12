//go:build cgo

package cudadl

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// On a machine without a driver, LoadDriver must fail with ErrNotLoaded
// naming libcuda; with a driver but no GPU, with cuInit's error; with a GPU,
// not at all. Each case must say what happened.
func TestLoadDriver(t *testing.T) {
	err := LoadDriver()
	var ce *Error
	switch {
	case err == nil:
		n, err := DeviceCount()
		if err != nil || n < 1 {
			t.Fatalf("driver loaded but DeviceCount = %d, %v", n, err)
		}
		t.Logf("driver loaded, %d device(s)", n)
	case errors.Is(err, ErrNotLoaded):
		if !strings.Contains(err.Error(), "libcuda") {
			t.Errorf("error %q does not name libcuda", err)
		}
		t.Logf("no driver: %v", err)
	case errors.As(err, &ce):
		if ce.Call != "cuInit" || ce.Name == "" {
			t.Errorf("error %+v, want cuInit with an error name", ce)
		}
		t.Logf("driver without a device: %v", err)
	default:
		t.Fatalf("LoadDriver = %v", err)
	}
	if again := LoadDriver(); (again == nil) != (err == nil) {
		t.Errorf("second LoadDriver = %v, first %v", again, err)
	}
}

// nvrtcOrSkip skips a test that needs NVRTC where it is missing, saying
// so; in CI (CI=true), which installs it, a missing NVRTC fails the test.
func nvrtcOrSkip(t *testing.T) {
	t.Helper()
	if err := LoadNVRTC(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NVRTC is missing in CI, where .ci/install-cuda-tools installs it: %v", err)
		}
		t.Skipf("NVRTC is not installed here: %v", err)
	}
}

func TestCompile(t *testing.T) {
	nvrtcOrSkip(t)
	archs, err := SupportedArchs()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("NVRTC archs %v", archs)
	arch := 75 // the oldest CUDA 13 still compiles for (11.x and 12.x: 35 and 50)
	if len(archs) > 0 {
		arch = archs[0]
	}
	ptx, err := Compile(`extern "C" __global__ void twice(float *x, int n) {
		int i = blockIdx.x * blockDim.x + threadIdx.x;
		if (i < n) x[i] *= 2.0f;
	}`, "twice.cu", fmt.Sprintf("--gpu-architecture=compute_%d", arch))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ptx, ".entry twice") || !strings.Contains(ptx, fmt.Sprintf(".target sm_%d", arch)) {
		t.Errorf("PTX lacks the entry or the target sm_%d:\n%.400s", arch, ptx)
	}
	_, err = Compile("extern \"C\" __global__ void bad(float *x) {\n x[0] = undeclared;\n}", "bad.cu")
	var cerr *CompileError
	if !errors.As(err, &cerr) || !strings.Contains(cerr.Log, "undeclared") || !strings.Contains(cerr.Log, "bad.cu(2)") {
		t.Errorf("bad source: %v, want a CompileError whose log names the line", err)
	}
}

func TestArgs(t *testing.T) {
	a, err := NewArgs(Ptr(0x1234_5678_9abc), 7, float32(1.5), int32(-3), uint64(1<<40))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Free()
	ptrs := a.Params()
	if len(ptrs) != 5 {
		t.Fatalf("%d parameters, want 5", len(ptrs))
	}
	if got := *(*uint64)(ptrs[0]); got != 0x1234_5678_9abc {
		t.Errorf("Ptr arg = %#x", got)
	}
	// The whole 8-byte slot, as gorgonia.org/cu's Launch copies it.
	if got := *(*uint64)(ptrs[1]); got != 7 {
		t.Errorf("int arg's slot = %#x, want 7", got)
	}
	if got := *(*float32)(ptrs[2]); got != 1.5 {
		t.Errorf("float32 arg = %v", got)
	}
	if got := *(*int32)(ptrs[3]); got != -3 {
		t.Errorf("int32 arg = %d", got)
	}
	if got := *(*uint64)(ptrs[4]); got != 1<<40 {
		t.Errorf("uint64 arg = %d", got)
	}
	none, err := NewArgs()
	if err != nil {
		t.Fatal(err)
	}
	defer none.Free()
	if p := none.Params(); p != nil {
		t.Errorf("no arguments: Params() = %v, want nil", p)
	}
	if _, err := NewArgs(1 << 40); err == nil {
		t.Error("an int beyond 32 bits was accepted")
	}
	if _, err := NewArgs("x"); err == nil {
		t.Error("a string argument was accepted")
	}
}
