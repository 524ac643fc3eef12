//go:build cgo && cu

package cuda

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"

	"gorgonia.org/cu"
	"gorgonia.org/cu/nvrtc"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// cuHandles is what the cu layer keeps of a device: the primary context
// and the kernels as gorgonia.org/cu loaded them.
type cuHandles struct {
	dev      cu.Device
	ctx      cu.CUContext
	retained bool
	module   cu.Module
	image    *cuImage
	kernels  map[string]cu.Function
}

// open opens device index through gorgonia.org/cu, or says in an
// ErrUnavailable what is missing. The driver, cuBLAS and NVRTC are linked
// into the binary, which does not start without them, and cu initialises
// the driver when the process starts (and ends it when that fails), so
// what can be missing here is the device.
func open(index int) (backend.Backend, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n, err := cu.NumDevices()
	if err != nil {
		return nil, unavailable(index, "the NVIDIA driver found no usable GPU", cuError("cuDeviceGetCount", err))
	}
	if index < 0 || index >= n {
		return nil, unavailable(index, "no such device", fmt.Errorf("gorgonia.org/cu: no CUDA device %d (this machine has %d)", index, n))
	}
	b := &Backend{kernels: map[string]cudadl.Function{}}
	if b.cu.dev, err = cu.GetDevice(index); err != nil {
		return nil, unavailable(index, "no such device", cuError("cuDeviceGet", err))
	}
	if b.dev, err = describe(index, b.cu.dev); err != nil {
		return nil, unavailable(index, "no such device", err)
	}
	b.name = deviceName(index, b.dev)
	if b.cu.ctx, err = b.cu.dev.RetainPrimaryCtx(); err != nil {
		return nil, unavailable(index, "the NVIDIA driver found no usable GPU", cuError("cuDevicePrimaryCtxRetain", err))
	}
	b.cu.retained = true
	b.newDevice = func(tf32 bool) (device, error) { return newCuDevice(b.cu.kernels, tf32) }
	if err := b.load(); err != nil {
		b.unload()
		return nil, unavailable(index, "the CUDA libraries are incomplete", err)
	}
	return b, nil
}

// describe reads device index's name, compute capability and
// multiprocessors into the description the rest of the backend reads.
func describe(index int, d cu.Device) (*cudadl.Device, error) {
	desc := &cudadl.Device{Ordinal: index}
	var err error
	if desc.Name, err = d.Name(); err != nil {
		return nil, cuError("cuDeviceGetName", err)
	}
	for _, a := range []struct {
		attr cu.DeviceAttribute
		v    *int
	}{{cu.ComputeCapabilityMajor, &desc.Major}, {cu.ComputeCapabilityMinor, &desc.Minor}, {cu.MultiprocessorCount, &desc.SMs}} {
		if *a.v, err = d.Attribute(a.attr); err != nil {
			return nil, cuError("cuDeviceGetAttribute", err)
		}
	}
	return desc, nil
}

// load compiles (once per process and architecture) and loads the kernels.
func (b *Backend) load() error {
	if err := b.makeCurrent(); err != nil {
		return err
	}
	var err error
	if b.cu.image, err = cuKernelImage(10*b.dev.Major + b.dev.Minor); err != nil {
		return err
	}
	if b.cu.module, err = cu.LoadData(b.cu.image.ptx); err != nil {
		return fmt.Errorf("loading the kernels (%v): %w", b.cu.image, cuError("cuModuleLoadData", err))
	}
	b.cu.kernels = map[string]cu.Function{}
	for _, name := range kernelNames {
		f, err := b.cu.module.Function(name)
		if err != nil {
			return fmt.Errorf("kernel %s: %w", name, cuError("cuModuleGetFunction", err))
		}
		b.cu.kernels[name] = f
	}
	return nil
}

func (b *Backend) makeCurrent() error {
	return cuError("cuCtxSetCurrent", cu.SetCurrentContext(b.cu.ctx))
}

// unload unloads the kernels and releases the primary context, keeping the
// first error.
func (b *Backend) unload() error {
	var err error
	if b.cu.kernels != nil {
		err = cuError("cuModuleUnload", b.cu.module.Unload())
		b.cu.kernels = nil
	}
	if b.cu.retained {
		if rerr := cuError("cuDevicePrimaryCtxRelease", b.cu.dev.ReleasePrimaryCtx()); err == nil {
			err = rerr
		}
		b.cu.retained = false
	}
	return err
}

func (b *Backend) memInfo() (free, total uint64, err error) {
	f, t, err := cu.MemInfo()
	return uint64(f), uint64(t), cuError("cuMemGetInfo", err)
}

// Versions says which CUDA libraries run and how the kernels were built,
// e.g. "gorgonia.org/cu: driver 13.0 /usr/lib/x86_64-linux-gnu/libcuda.so.1;
// cuBLAS /usr/local/cuda/lib64/libcublas.so.13.0.0.19; NVRTC 13.0 ...;
// kernels: PTX for compute_90 (...)". The libraries are the ones the
// dynamic loader linked at start-up (cu/blas does not expose cuBLAS's
// version; its file name carries it).
func (b *Backend) Versions() string {
	if b.emu != nil {
		return b.emuVersions()
	}
	parts := []string{"gorgonia.org/cu: driver " + cudaVersion(cu.Version()) + " " + linkedLibrary("libcuda.so")}
	parts = append(parts, "cuBLAS "+linkedLibrary("libcublas.so"))
	major, minor, err := nvrtc.Version()
	if err != nil {
		parts = append(parts, fmt.Sprintf("NVRTC (%v) %s", cuError("nvrtcVersion", err), linkedLibrary("libnvrtc.so")))
	} else {
		parts = append(parts, fmt.Sprintf("NVRTC %d.%d %s", major, minor, linkedLibrary("libnvrtc.so")))
	}
	if b.cu.image != nil {
		parts = append(parts, "kernels: "+b.cu.image.String())
	}
	return strings.Join(parts, "; ")
}

// cudaVersion is a CUDA version number as major.minor: 13000 is "13.0".
func cudaVersion(v int) string {
	if v < 0 {
		return "?"
	}
	return fmt.Sprintf("%d.%d", v/1000, v%1000/10)
}

// linkedLibrary is the file mapped into this process whose name starts
// with prefix (e.g. "libcublas.so"), from /proc/self/maps, or "(no file in
// unknown)".
func linkedLibrary(prefix string) string {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return "(no file in /proc/self/maps)"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) == 6 && strings.HasPrefix(filepath.Base(fields[5]), prefix) {
			return fields[5]
		}
	}
	return "(no file in /proc/self/maps)"
}

// cuImage is the kernels compiled by cu/nvrtc: PTX, which the driver
// compiles for the device when it loads the module (cu/nvrtc v0.9.6 has
// no nvrtcGetCUBIN).
type cuImage struct {
	ptx  string
	arch int
}

func (im *cuImage) String() string {
	return fmt.Sprintf("PTX for compute_%d (%d bytes) by gorgonia.org/cu/nvrtc, compiled for the device by the driver", im.arch, len(im.ptx))
}

var cuBuilds struct {
	sync.Mutex
	done map[int]*cuImage
}

// virtualArchs are the virtual architectures tried, newest first, below a
// device that this NVRTC does not know: cu/nvrtc cannot ask NVRTC which it
// knows (nvrtcGetSupportedArchs), so each is tried in turn.
var virtualArchs = []int{120, 103, 101, 100, 90, 89, 87, 86, 80, 75, 72, 70, 62, 61, 60, 53, 52, 50}

// cuKernelImage compiles kernelSource to PTX for compute capability cc
// (10·major+minor), or for the newest architecture below it that NVRTC
// knows, once per process.
func cuKernelImage(cc int) (*cuImage, error) {
	cuBuilds.Lock()
	defer cuBuilds.Unlock()
	if im, ok := cuBuilds.done[cc]; ok {
		return im, nil
	}
	archs := []int{cc}
	for _, a := range virtualArchs {
		if a < cc {
			archs = append(archs, a)
		}
	}
	var err error
	for _, arch := range archs {
		var ptx string
		if ptx, err = cuCompile(arch); err == nil {
			im := &cuImage{ptx: ptx, arch: arch}
			if cuBuilds.done == nil {
				cuBuilds.done = map[int]*cuImage{}
			}
			cuBuilds.done[cc] = im
			return im, nil
		}
		if !errors.Is(err, errUnknownArch) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("NVRTC compiles for none of compute_%d and the architectures below it: %w", cc, err)
}

// errUnknownArch says NVRTC rejected the architecture asked for.
var errUnknownArch = errors.New("NVRTC does not know this architecture")

// cuCompile compiles kernelSource to PTX for compute_arch with cu/nvrtc.
func cuCompile(arch int) (string, error) {
	const name = "neurone_kernels.cu"
	prog, err := nvrtc.CreateProgram(kernelSource, name)
	if err != nil {
		return "", cuError("nvrtcCreateProgram", err)
	}
	defer prog.Destroy()
	if err := prog.Compile(fmt.Sprintf("--gpu-architecture=compute_%d", arch)); err != nil {
		if errors.Is(err, nvrtc.InvalidOption) {
			return "", fmt.Errorf("compute_%d: %w: %w", arch, errUnknownArch, cuError("nvrtcCompileProgram", err))
		}
		log, _ := prog.GetLog()
		return "", &cudadl.CompileError{Name: name, Log: log, Err: cuError("nvrtcCompileProgram", err)}
	}
	ptx, err := prog.GetPTX()
	if err != nil {
		return "", cuError("nvrtcGetPTX", err)
	}
	return strings.TrimRight(ptx, "\x00"), nil
}

// cuError turns an error of gorgonia.org/cu, cu/blas or cu/nvrtc into a
// *cudadl.Error naming call and the library's own name for the result
// (CUDA_ERROR_OUT_OF_MEMORY, CUBLAS_STATUS_ALLOC_FAILED,
// NVRTC_ERROR_COMPILATION), as the default layer reports them, so that
// both layers' errors read alike and cudadl.IsOutOfMemory recognises
// them. cu's result types are unexported integers named after the
// libraries' constants in CamelCase (OutOfMemory for
// CUDA_ERROR_OUT_OF_MEMORY); cuBLAS's statuses take cudadl's names.
func cuError(call string, err error) error {
	if err == nil {
		return nil
	}
	inner := err
	for u := errors.Unwrap(inner); u != nil; u = errors.Unwrap(u) {
		inner = u
	}
	v := reflect.ValueOf(inner)
	if !v.CanInt() {
		return fmt.Errorf("%s: %w", call, err)
	}
	code := int(v.Int())
	e := &cudadl.Error{Call: call, Code: code}
	switch text := inner.Error(); {
	case strings.HasPrefix(call, "cublas"):
		e.Name = cudadl.BLASStatusName(code)
	case strings.ContainsAny(text, ": "): // cu's "UnknownErrorCode:N"
		e.Name = "UNKNOWN"
	case strings.HasPrefix(call, "nvrtc"):
		e.Name = "NVRTC_ERROR_" + upperSnake(text)
	default:
		e.Name = "CUDA_ERROR_" + upperSnake(text)
	}
	return e
}

// upperSnake turns CamelCase into UPPER_SNAKE: "OutOfMemory" into
// "OUT_OF_MEMORY", "InvalidPtx" into "INVALID_PTX".
func upperSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}
