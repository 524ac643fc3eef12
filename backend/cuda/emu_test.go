//go:build cgo

package cuda

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// The CUDA backend's program is also checked whole without a GPU: on
// hostDevice, whose memory is on the host and whose kernels are
// kernelSource built for the host with g++. The threads of a block are
// real threads that run together and meet at __syncthreads, a barrier;
// the blocks of a grid run one after another. A reduction's block has
// emuReduceThreads threads (REDUCE_THREADS of the host build), any other
// block emuThreads, deliberately not a power of two and not the GPU's
// 256, since a grid-stride kernel must be right for any block size. The
// conformance suite and the op cases then run the real program, plan,
// launches, kernels, optimizer kernels, capture and replay, against the
// CPU: a wrong index, a thread index used where the global one was meant,
// a swapped argument, a formula that differs from the CPU's, a step off by
// one or a leaked buffer fails here, before a GPU sees it. What this
// cannot check is what needs a GPU: warps, blocks running at once, the
// driver, cuBLAS itself (products run as colMajorGemm computes them).

// The host build's block sizes (see above).
const (
	emuThreads       = 5
	emuReduceThreads = 8
)

// emulator is the host build of the kernels, running as a subprocess that
// takes one launch at a time on its standard input.
type emulator struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  *bufio.Writer
	out *bufio.Reader
}

var emu struct {
	once sync.Once
	e    *emulator
	err  error
}

// hostKernels returns the emulator, building it once per test process; it
// skips the test when there is no g++.
func hostKernels(t *testing.T) *emulator {
	t.Helper()
	if _, err := exec.LookPath("g++"); err != nil {
		t.Skip("no g++ to build the kernels for the host")
	}
	emu.once.Do(func() { emu.e, emu.err = buildEmulator(kernelParams(t)) })
	if emu.err != nil {
		t.Fatal(emu.err)
	}
	return emu.e
}

const emuPrelude = `#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
struct nrn_dim3 { unsigned x, y, z; };
static nrn_dim3 blockIdx, blockDim, gridDim;
static __thread nrn_dim3 threadIdx;
static pthread_barrier_t nrn_sync; // the running block's threads
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static
#define __syncthreads() pthread_barrier_wait(&nrn_sync)
#define REDUCE_THREADS EMU_REDUCE_THREADS
`

const emuMain = `
// The pool: EMU_MAX_THREADS workers wait at nrn_start for a block, the
// first blockDim.x of them run it, and all meet the launcher at nrn_end.
static pthread_barrier_t nrn_start, nrn_end;
static const char *nrn_kernel;
static int nrn_unknown;

static void *nrn_worker(void *arg) {
	unsigned tid = (unsigned)(uintptr_t)arg;
	for (;;) {
		pthread_barrier_wait(&nrn_start);
		if (tid < blockDim.x) {
			threadIdx.x = tid;
			threadIdx.y = threadIdx.z = 0;
			if (dispatch(nrn_kernel)) nrn_unknown = 1;
		}
		pthread_barrier_wait(&nrn_end);
	}
	return NULL;
}

int main() {
	pthread_barrier_init(&nrn_start, NULL, EMU_MAX_THREADS + 1);
	pthread_barrier_init(&nrn_end, NULL, EMU_MAX_THREADS + 1);
	for (uintptr_t t = 0; t < EMU_MAX_THREADS; t++) {
		pthread_t th;
		if (pthread_create(&th, NULL, nrn_worker, (void *)t) != 0) return 3;
	}
	unsigned synced = 0; // the thread count nrn_sync is set up for
	char name[64];
	while (scanf("%63s", name) == 1) {
		unsigned grid, block;
		int nbuf, narg;
		if (scanf("%u %u %d %d", &grid, &block, &nbuf, &narg) != 4) return 2;
		float *bufs[64];
		long sizes[64];
		for (int b = 0; b < nbuf; b++) {
			if (scanf("%ld", &sizes[b]) != 1) return 2;
			getchar();
			bufs[b] = (float *)malloc(4 * (sizes[b] > 0 ? sizes[b] : 1));
			if (fread(bufs[b], 4, sizes[b], stdin) != (size_t)sizes[b]) return 2;
		}
		for (int a = 0; a < narg; a++) {
			char kind;
			if (scanf(" %c", &kind) != 1) return 2;
			if (kind == 'p') {
				int id; long off;
				if (scanf("%d %ld", &id, &off) != 2) return 2;
				ptrs[a] = id < 0 ? NULL : (void *)((char *)bufs[id] + off);
			} else if (kind == 'f') {
				unsigned bits;
				if (scanf("%u", &bits) != 1) return 2;
				memcpy(&flts[a], &bits, 4);
			} else {
				unsigned long long v;
				if (scanf("%llu", &v) != 1) return 2;
				ints[a] = v;
			}
		}
		gridDim.x = grid; gridDim.y = gridDim.z = 1;
		blockDim.x = block; blockDim.y = blockDim.z = 1;
		if (block < 1 || block > EMU_MAX_THREADS) { fprintf(stderr, "block of %u threads\n", block); return 1; }
		if (block != synced) {
			if (synced) pthread_barrier_destroy(&nrn_sync);
			pthread_barrier_init(&nrn_sync, NULL, block);
			synced = block;
		}
		nrn_kernel = name;
		for (unsigned b = 0; b < grid; b++) {
			blockIdx.x = b; blockIdx.y = blockIdx.z = 0;
			pthread_barrier_wait(&nrn_start);
			pthread_barrier_wait(&nrn_end);
			if (nrn_unknown) { fprintf(stderr, "unknown kernel %s\n", name); return 1; }
		}
		for (int b = 0; b < nbuf; b++) {
			fwrite(bufs[b], 4, sizes[b], stdout);
			free(bufs[b]);
		}
		fflush(stdout);
	}
	return 0;
}
`

// buildEmulator writes the host program (prelude, kernelSource, a dispatch
// calling each kernel with its arguments cast to its declared types, main),
// builds it with g++ and starts it.
func buildEmulator(sigs map[string][]kparam) (*emulator, error) {
	var src strings.Builder
	src.WriteString(emuPrelude)
	src.WriteString(kernelSource)
	src.WriteString("\nstatic void *ptrs[32];\nstatic unsigned long long ints[32];\nstatic float flts[32];\n")
	src.WriteString("static int dispatch(const char *name) {\n")
	for name, params := range sigs {
		var args []string
		for i, p := range params {
			switch p.class {
			case "ptr":
				args = append(args, fmt.Sprintf("(%s)ptrs[%d]", p.ctype, i))
			case "float":
				args = append(args, fmt.Sprintf("flts[%d]", i))
			default:
				args = append(args, fmt.Sprintf("(%s)ints[%d]", p.ctype, i))
			}
		}
		fmt.Fprintf(&src, "\tif (strcmp(name, %q) == 0) { %s(%s); return 0; }\n", name, name, strings.Join(args, ", "))
	}
	src.WriteString("\treturn -1;\n}\n")
	src.WriteString(emuMain)
	dir, err := os.MkdirTemp("", "neurone-kernels-")
	if err != nil {
		return nil, err
	}
	cpp, bin := filepath.Join(dir, "kernels.cpp"), filepath.Join(dir, "kernels")
	if err := os.WriteFile(cpp, []byte(src.String()), 0o644); err != nil {
		return nil, err
	}
	// -ffp-contract=off: no fused multiply-adds, like the CPU's Go code.
	if out, err := exec.Command("g++", "-O1", "-ffp-contract=off", "-w", "-pthread",
		fmt.Sprintf("-DEMU_REDUCE_THREADS=%d", emuReduceThreads),
		fmt.Sprintf("-DEMU_MAX_THREADS=%d", max(emuThreads, emuReduceThreads)),
		"-o", bin, cpp).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the kernels for the host: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &emulator{cmd: cmd, in: bufio.NewWriter(stdin), out: bufio.NewReader(stdout)}, nil
}

// hostMem maps the fake device addresses of an emulated program to host
// memory.
type hostMem map[cudadl.Ptr][]float32

// find returns the buffer holding address p and p's offset in it, in
// bytes.
func (m hostMem) find(p cudadl.Ptr) (cudadl.Ptr, int, error) {
	for base, buf := range m {
		if p >= base && p < base+cudadl.Ptr(4*max(len(buf), 1)) {
			return base, int(p - base), nil
		}
	}
	return 0, 0, fmt.Errorf("address %#x is in no buffer", uint64(p))
}

// launch runs l on the host memory m.
func (e *emulator) launch(m hostMem, l *launch) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var bases []cudadl.Ptr
	index := map[cudadl.Ptr]int{}
	var args strings.Builder
	for _, v := range l.vals {
		switch v := v.(type) {
		case cudadl.Ptr:
			if v == 0 {
				args.WriteString("p -1 0\n")
				continue
			}
			base, off, err := m.find(v)
			if err != nil {
				return fmt.Errorf("kernel %s: %w", l.name, err)
			}
			id, ok := index[base]
			if !ok {
				id = len(bases)
				index[base] = id
				bases = append(bases, base)
			}
			fmt.Fprintf(&args, "p %d %d\n", id, off)
		case float32:
			fmt.Fprintf(&args, "f %d\n", math.Float32bits(v))
		case int:
			fmt.Fprintf(&args, "i %d\n", uint64(int64(v)))
		case int32:
			fmt.Fprintf(&args, "i %d\n", uint64(int64(v)))
		case uint32:
			fmt.Fprintf(&args, "i %d\n", v)
		case uint64:
			fmt.Fprintf(&args, "i %d\n", v)
		default:
			return fmt.Errorf("kernel %s: argument %T", l.name, v)
		}
	}
	// A reduction's block must have REDUCE_THREADS threads, on the GPU and
	// here; any other block may have any number.
	block := emuThreads
	if l.block.X == reduceThreads {
		block = emuReduceThreads
	}
	if l.grid.Y > 1 || l.grid.Z > 1 || l.block.Y > 1 || l.block.Z > 1 {
		return fmt.Errorf("kernel %s: a grid or block of more than one dimension", l.name)
	}
	fmt.Fprintf(e.in, "%s %d %d %d %d\n", l.name, l.grid.X, block, len(bases), len(l.vals))
	for _, b := range bases {
		fmt.Fprintf(e.in, "%d\n", len(m[b]))
		if err := binary.Write(e.in, binary.LittleEndian, m[b]); err != nil {
			return err
		}
	}
	e.in.WriteString(args.String())
	if err := e.in.Flush(); err != nil {
		return err
	}
	for _, b := range bases {
		if err := binary.Read(e.out, binary.LittleEndian, m[b]); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return fmt.Errorf("kernel %s: the host build of the kernels stopped", l.name)
			}
			return err
		}
	}
	return nil
}

// hostDevice is the tests' stand-in for a GPU: "device" memory on the
// host at made-up addresses, kernels run by the emulator, products as
// cuBLAS computes them (colMajorGemm), and capture that records the queued
// work and runs it only when replayed, as a CUDA graph does. It refuses
// what a GPU would make an error or a leak: copies while capturing, freeing
// an address twice or one never allocated, and closing with memory still
// allocated.
type hostDevice struct {
	e         *emulator
	m         hostMem
	limit     int // floats it can hold; 0: no limit
	used      int
	next      cudadl.Ptr
	recording []func() error
	capturing bool
	replays   int
}

func newHostDevice(e *emulator) *hostDevice {
	return &hostDevice{e: e, m: hostMem{}, next: 1 << 40}
}

func (h *hostDevice) alloc(n int) (cudadl.Ptr, error) {
	if h.limit > 0 && h.used+max(n, 1) > h.limit {
		return 0, fmt.Errorf("allocating %d bytes: %w", 4*n, &cudadl.Error{Call: "cuMemAlloc", Code: 2, Name: "CUDA_ERROR_OUT_OF_MEMORY", Message: "out of memory"})
	}
	h.used += max(n, 1)
	at := h.next
	h.m[at] = make([]float32, max(n, 1))
	h.next += cudadl.Ptr(4*max(n, 1)+4096) &^ 255
	return at, nil
}

func (h *hostDevice) free(p cudadl.Ptr) error {
	if p == 0 {
		return nil
	}
	buf, ok := h.m[p]
	if !ok {
		return fmt.Errorf("free of %#x, which is not allocated", uint64(p))
	}
	h.used -= len(buf)
	delete(h.m, p)
	return nil
}

// span returns the host memory of n floats at device address p.
func (h *hostDevice) span(p cudadl.Ptr, n int) ([]float32, error) {
	base, off, err := h.m.find(p)
	if err != nil {
		return nil, err
	}
	buf := h.m[base][off/4:]
	if len(buf) < n {
		return nil, fmt.Errorf("%d floats at %#x overrun its buffer", n, uint64(p))
	}
	return buf[:n], nil
}

// queue runs op, or records it while capturing.
func (h *hostDevice) queue(op func() error) error {
	if h.capturing {
		h.recording = append(h.recording, op)
		return nil
	}
	return op()
}

func (h *hostDevice) toDevice(dst cudadl.Ptr, src []float32) error {
	if h.capturing {
		return fmt.Errorf("a copy from the host while capturing")
	}
	d, err := h.span(dst, len(src))
	if err != nil {
		return err
	}
	copy(d, src)
	return nil
}

func (h *hostDevice) toHost(dst []float32, src cudadl.Ptr) error {
	if h.capturing {
		return fmt.Errorf("a copy to the host while capturing")
	}
	s, err := h.span(src, len(dst))
	if err != nil {
		return err
	}
	copy(dst, s)
	return nil
}

func (h *hostDevice) copy(dst, src cudadl.Ptr, n int) error {
	return h.queue(func() error {
		d, err := h.span(dst, n)
		if err != nil {
			return err
		}
		s, err := h.span(src, n)
		if err != nil {
			return err
		}
		copy(d, s)
		return nil
	})
}

func (h *hostDevice) fill(dst cudadl.Ptr, v float32, n int) error {
	return h.queue(func() error {
		d, err := h.span(dst, n)
		if err != nil {
			return err
		}
		for i := range d {
			d[i] = v
		}
		return nil
	})
}

func (h *hostDevice) launch(l *launch) error {
	return h.queue(func() error { return h.e.launch(h.m, l) })
}

func (h *hostDevice) gemm(g gemmCall, at func(region) cudadl.Ptr) error {
	if err := cublasArgs(g); err != nil {
		return err
	}
	a, b, c := at(g.a), at(g.b), at(g.c)
	return h.queue(func() error {
		for i := range g.batch {
			as, err := h.rest(a + cudadl.Ptr(4*i*g.sa))
			if err != nil {
				return err
			}
			bs, err := h.rest(b + cudadl.Ptr(4*i*g.sb))
			if err != nil {
				return err
			}
			cs, err := h.rest(c + cudadl.Ptr(4*i*g.sc))
			if err != nil {
				return err
			}
			colMajorGemm(g.transA, g.transB, g.m, g.n, g.k, as, g.lda, bs, g.ldb, cs, g.ldc)
		}
		return nil
	})
}

// rest returns the host memory from device address p to the end of its
// buffer.
func (h *hostDevice) rest(p cudadl.Ptr) ([]float32, error) {
	base, off, err := h.m.find(p)
	if err != nil {
		return nil, err
	}
	return h.m[base][off/4:], nil
}

func (h *hostDevice) gemv(g gemvCall, at func(region) cudadl.Ptr, ones cudadl.Ptr) error {
	if err := cublasGemvArgs(g); err != nil {
		return err
	}
	x, y := at(g.x), at(g.y)
	return h.queue(func() error {
		xs, err := h.span(x, g.m*g.n)
		if err != nil {
			return err
		}
		ys, err := h.span(y, g.m)
		if err != nil {
			return err
		}
		os, err := h.span(ones, g.n)
		if err != nil {
			return err
		}
		for i := range g.m {
			var sum float64
			for j := range g.n {
				sum += float64(xs[i+j*g.lda]) * float64(os[j])
			}
			ys[i] = float32(sum)
		}
		return nil
	})
}

func (h *hostDevice) sync() error { return nil }

func (h *hostDevice) beginCapture() error {
	h.capturing, h.recording = true, nil
	return nil
}

func (h *hostDevice) endCapture() (replayer, error) {
	h.capturing = false
	return &hostGraph{h: h, ops: h.recording}, nil
}

func (h *hostDevice) close() error {
	if len(h.m) > 0 {
		return fmt.Errorf("closed with %d buffers still allocated", len(h.m))
	}
	return nil
}

// averager averages over c's ranks on the host, in order with the
// device's other work (recorded while capturing, as NCCL's calls are).
func (h *hostDevice) averager(c comm.Communicator) (averager, error) { return hostAverager{h, c}, nil }

type hostAverager struct {
	h *hostDevice
	c comm.Communicator
}

func (a hostAverager) mean(bufs []comm.DeviceBuffer) error {
	return a.h.queue(func() error {
		for _, b := range bufs {
			s, err := a.h.span(cudadl.Ptr(b.Addr), b.Len)
			if err != nil {
				return err
			}
			if err := a.c.AllReduceMean(s); err != nil {
				return err
			}
		}
		return nil
	})
}

func (hostAverager) close() error { return nil }

type hostGraph struct {
	h   *hostDevice
	ops []func() error
}

func (g *hostGraph) replay() error {
	g.h.replays++
	for _, op := range g.ops {
		if err := op(); err != nil {
			return err
		}
	}
	return nil
}

func (g *hostGraph) destroy() error { return nil }

// hostBackend is the CUDA backend, whole, on the host device.
func hostBackend(t *testing.T) *Backend { return hostBackendLimited(t, 0) }

// hostBackendLimited is hostBackend with devices holding at most limit
// floats (0: no limit).
func hostBackendLimited(t *testing.T, limit int) *Backend {
	e := hostKernels(t)
	return &Backend{dev: &cudadl.Device{SMs: 4}, name: "cuda (host stand-in)", kernels: map[string]cudadl.Function{},
		hosted: true, newDevice: func(bool) (device, error) {
			h := newHostDevice(e)
			h.limit = limit
			return h, nil
		}}
}

// A program that does not fit is an error suggesting a smaller batch, after
// which the backend compiles a program that fits; nothing leaks either way.
func TestHostedOutOfMemory(t *testing.T) {
	b := hostBackendLimited(t, 14_000_000) // MLP6: 6.2M weights, as many gradients, then the batch
	args := cudadl.ArgsInUse()
	_, err := b.Compile(mlp6(t, 256, optim.NewSGD(0.01)))
	if got := cudadl.ArgsInUse(); got != args {
		t.Errorf("the failed Compile left %d kernel argument lists allocated", got-args)
	}
	if err == nil || !strings.Contains(err.Error(), "smaller batch") || !cudadl.IsOutOfMemory(err) {
		t.Fatalf("Compile at batch 256 = %v, want an out-of-memory error suggesting a smaller batch", err)
	}
	t.Log(err)
	// Adam's moments do not fit: it fails after the kernels' launches were
	// prepared, and frees their arguments.
	adam := optim.NewAdam(1e-3)
	adam.ClipNorm = 1
	if _, err := b.Compile(mlp6(t, 4, adam)); !cudadl.IsOutOfMemory(err) {
		t.Errorf("Compile with Adam's moments = %v, want out of memory", err)
	}
	if got := cudadl.ArgsInUse(); got != args {
		t.Errorf("the failed Compile with Adam left %d kernel argument lists allocated", got-args)
	}
	prog, err := b.Compile(mlp6(t, 4, optim.NewSGD(0.01)))
	if err != nil {
		t.Fatalf("after running out of memory, batch 4: %v", err)
	}
	if err := prog.Close(); err != nil {
		t.Error(err)
	}
}

// Closing a program frees the argument lists of all its launches: each
// instruction's, inference's, the optimizer's, and gradient clipping's.
func TestHostedCloseFreesArgs(t *testing.T) {
	b := hostBackend(t)
	for _, c := range opCases {
		spec, _, err := c.build()
		if err != nil {
			t.Fatal(err)
		}
		args := cudadl.ArgsInUse()
		prog, err := b.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		p := prog.(*program)
		if spec.Optimizer.ClipNorm > 0 && len(p.clip) == 0 {
			t.Errorf("%s: clipping, without clipping's launches", c.name)
		}
		if err := prog.Close(); err != nil {
			t.Fatal(err)
		}
		if got := cudadl.ArgsInUse(); got != args {
			t.Errorf("%s: closing the program left %d kernel argument lists allocated", c.name, got-args)
		}
	}
}

// The conformance suite and the op cases run the CUDA backend's program,
// unchanged, on the host device: plan, launches, kernels, optimizer
// kernels, capture and replay of the training step, memory lifetimes.
func TestHostedConformance(t *testing.T) { backendtest.RunAll(t, hostBackend(t)) }

func TestHostedOps(t *testing.T) { compareOps(t, cpuBackend(t), hostBackend(t), 1e-5) }

// From the second step on, training replays the captured step, and the
// replayed steps compute exactly what eager ones do.
func TestHostedGraphReplay(t *testing.T) {
	xs, ys := randomBatches(3, 4)
	checkGraphReplay(t, hostBackend(t), xs, ys, 0)
}

// The host twin of TestMLP6AgainstCPU, on fewer and smaller batches: the
// same checks of the gradients, of Adam's first step and of the losses.
func TestHostedMLP6AgainstCPU(t *testing.T) {
	xs, ys := randomBatches(2, 8)
	checkMLP6AgainstCPU(t, hostBackend(t), xs, ys)
}

// randomBatches returns n random batches for MLP6 at batch size batch.
func randomBatches(n, batch int) (xs, ys [][]float32) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range n {
		xs = append(xs, randoms(rng, batch*100*100))
		y := make([]float32, batch)
		for i := range y {
			y[i] = float32(rng.IntN(2))
		}
		ys = append(ys, y)
	}
	return xs, ys
}
