//go:build cgo

package cudadl

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

const twiceSource = `extern "C" __global__ void twice(float *x, int n) {
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n) x[i] *= 2.0f;
}`

// Build gives a CUBIN for an architecture NVRTC knows, compiled once per
// process; for one newer than NVRTC knows, PTX for the newest it does know
// below it; for one older than it knows, an error naming both.
func TestBuild(t *testing.T) {
	nvrtcOrSkip(t)
	archs, err := SupportedArchs()
	if err != nil {
		t.Fatal(err)
	}
	if len(archs) == 0 {
		t.Skip("this NVRTC does not list its architectures")
	}
	newest := archs[len(archs)-1]
	im, err := Build(twiceSource, "twice.cu", newest)
	if err != nil {
		t.Fatal(err)
	}
	if im.PTX || im.Arch != newest || !bytes.HasPrefix(im.Code, []byte("\x7fELF")) {
		t.Errorf("Build for sm_%d = %v, want an ELF CUBIN for sm_%d", newest, im, newest)
	}
	if again, err := Build(twiceSource, "twice.cu", newest); err != nil || again != im {
		t.Errorf("the same build again was compiled again (%v)", err)
	}
	if other, err := Build(twiceSource, "twice.cu", newest, "--use_fast_math"); err != nil || other == im {
		t.Errorf("a build with other options came from the cache (%v)", err)
	}

	future := 10*(newest/10) + 50 // an architecture this NVRTC does not know yet
	im, err = Build(twiceSource, "twice.cu", future)
	if err != nil {
		t.Fatal(err)
	}
	if target := fmt.Sprintf(".target sm_%d", newest); !im.PTX || im.Arch != newest || !bytes.Contains(im.Code, []byte(target)) {
		t.Errorf("Build for sm_%d = %v, want PTX for compute_%d", future, im, newest)
	}

	_, err = Build(twiceSource, "twice.cu", archs[0]-1)
	if err == nil || !strings.Contains(err.Error(), "this device has") {
		t.Errorf("Build for an architecture older than NVRTC's = %v, want an error saying so", err)
	}
}

// The image handed to the driver is a copy in C memory, NUL-terminated
// (PTX is read as a C string), with every byte of a binary image kept.
func TestCImage(t *testing.T) {
	for _, image := range [][]byte{[]byte(".version 8.0\n.target sm_90\n"), {0x7f, 'E', 'L', 'F', 0, 1, 0, 2}, {}} {
		c := cImage(image)
		got := unsafe.Slice((*byte)(c), len(image)+1)
		if !bytes.Equal(got[:len(image)], image) || got[len(image)] != 0 {
			t.Errorf("cImage(%q) = %q, want the bytes and a NUL", image, got)
		}
		cFree(c)
	}
}

// NewArgs and Free keep ArgsInUse: what a program prepares and closes
// leaves it where it was.
func TestArgsInUse(t *testing.T) {
	before := ArgsInUse()
	a, err := NewArgs(Ptr(1), 2)
	if err != nil {
		t.Fatal(err)
	}
	if ArgsInUse() != before+1 {
		t.Errorf("ArgsInUse = %d after NewArgs, want %d", ArgsInUse(), before+1)
	}
	a.Free()
	a.Free() // a second Free does nothing
	if _, err := NewArgs("not an argument"); err == nil {
		t.Error("a string argument was accepted")
	}
	if ArgsInUse() != before {
		t.Errorf("ArgsInUse = %d after Free and a refused NewArgs, want %d", ArgsInUse(), before)
	}
}

// Each library is looked for under its versioned sonames, newest first,
// before its bare development name, on the loader's path and in the
// folders where NVIDIA's installers and container runtime put it.
func TestLibrarySearch(t *testing.T) {
	for _, l := range []*loader{&driverLib, &blasLib, &nvrtcLib} {
		last := l.names[len(l.names)-1]
		if !strings.HasSuffix(last, ".so") {
			t.Errorf("%s: the bare name is not last in %v", l.what, l.names)
		}
		for _, n := range l.names[:len(l.names)-1] {
			if strings.HasSuffix(n, ".so") {
				t.Errorf("%s: bare name %s before a versioned one in %v", l.what, n, l.names)
			}
		}
	}
	dirs := strings.Join(libDirs(), " ")
	for _, d := range []string{"/usr/local/cuda/lib64", "/usr/local/nvidia/lib64"} {
		if !strings.Contains(dirs, d) {
			t.Errorf("libDirs() = %s, without %s", dirs, d)
		}
	}
}

// Libraries names each library as loaded, with its file and version, or
// why it is not loaded; it loads nothing itself.
func TestLibraries(t *testing.T) {
	LoadNVRTC() // whether it loads or not, Libraries says which
	libs := Libraries()
	if len(libs) != 3 || libs[0].Name != "driver" || libs[1].Name != "cuBLAS" || libs[2].Name != "NVRTC" {
		t.Fatalf("Libraries() = %v", libs)
	}
	nv := libs[2]
	if err := LoadNVRTC(); err == nil {
		major, minor, _ := NVRTCVersion()
		if !strings.Contains(nv.Path, "libnvrtc.so") || nv.Version != fmt.Sprintf("%d.%d", major, minor) || nv.Err != nil {
			t.Errorf("NVRTC loaded, but Libraries says %v", nv)
		}
	} else if nv.Path != "" || nv.Err == nil {
		t.Errorf("NVRTC not loaded (%v), but Libraries says %v", err, nv)
	}
	t.Log(Versions())
}

// On a GPU, a CUBIN and PTX of the same kernel both load and run.
func TestLoadModule(t *testing.T) {
	nvrtcOrSkip(t)
	if err := LoadDriver(); err != nil {
		t.Skipf("no GPU: %v", err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d, err := RetainDevice(0)
	if err != nil {
		t.Skipf("no GPU: %v", err)
	}
	defer d.Release()
	if err := d.MakeCurrent(); err != nil {
		t.Fatal(err)
	}
	cc := 10*d.Major + d.Minor
	im, err := Build(twiceSource, "twice.cu", cc)
	if err != nil {
		t.Fatal(err)
	}
	ptx, err := Compile(twiceSource, "twice.cu", fmt.Sprintf("--gpu-architecture=compute_%d", min(cc, im.Arch)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s, compute %d.%d: %v; %s", d.Name, d.Major, d.Minor, im, Versions())
	s, err := NewStream()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	for _, image := range []*Image{im, {Code: []byte(ptx), PTX: true, Arch: im.Arch}} {
		m, err := LoadModule(image.Code)
		if err != nil {
			t.Fatalf("%v: %v", image, err)
		}
		f, err := m.Function("twice")
		if err != nil {
			t.Fatal(err)
		}
		const n = 1000
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i)
		}
		p, err := Alloc(4 * n)
		if err != nil {
			t.Fatal(err)
		}
		args, err := NewArgs(p, n)
		if err != nil {
			t.Fatal(err)
		}
		err = CopyToDevice(p, x, s)
		if err == nil {
			err = Launch(f, Dim3{X: (n + 255) / 256}, Dim3{X: 256}, 0, s, args)
		}
		if err == nil {
			err = CopyToHost(x, p, s)
		}
		args.Free()
		Free(p)
		m.Unload()
		if err != nil {
			t.Fatalf("%v: %v", image, err)
		}
		for i, v := range x {
			if v != float32(2*i) {
				t.Fatalf("%v: x[%d] = %v, want %d", image, i, v, 2*i)
			}
		}
	}
}
