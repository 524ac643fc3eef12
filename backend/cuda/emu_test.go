//go:build cgo

package cuda

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// The kernels' CUDA C is also checked without a GPU: kernelSource is built
// for the host with g++, each block run as one thread (REDUCE_THREADS 1,
// so a block's reduction is its thread's loop), and driven by the launches
// the program prepares (program.prepareInstrs, prepareUpdates) on host
// memory standing in for the device. The conformance suite and the op
// cases then run the real kernels, with their real arguments, against the
// CPU: a wrong index, a swapped argument or a formula that differs from
// the CPU's fails here, before a GPU sees it. What this cannot check is
// what needs a GPU: threads of a block running together, the driver,
// cuBLAS itself (the products run as in the plan's host simulation).

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
struct nrn_dim3 { unsigned x, y, z; };
static nrn_dim3 threadIdx, blockIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __syncthreads() ((void)0)
#define REDUCE_THREADS 1
`

const emuMain = `
int main() {
	char name[64];
	while (scanf("%63s", name) == 1) {
		unsigned grid;
		int nbuf, narg;
		if (scanf("%u %d %d", &grid, &nbuf, &narg) != 3) return 2;
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
		blockDim.x = blockDim.y = blockDim.z = 1;
		threadIdx.x = threadIdx.y = threadIdx.z = 0;
		for (unsigned b = 0; b < grid; b++) {
			blockIdx.x = b;
			if (dispatch(name)) { fprintf(stderr, "unknown kernel %s\n", name); return 1; }
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
	if out, err := exec.Command("g++", "-O1", "-ffp-contract=off", "-w", "-o", bin, cpp).CombinedOutput(); err != nil {
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
	fmt.Fprintf(e.in, "%s %d %d %d\n", l.name, l.grid.X, len(bases), len(l.vals))
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

// emuEngine runs a sim's plan through the program's prepared launches on
// the host build of the kernels.
type emuEngine struct {
	e   *emulator
	p   *program
	m   hostMem
	sim *sim
}

func newEmuEngine(t *testing.T) func(*sim) (engine, error) {
	e := hostKernels(t)
	return func(s *sim) (engine, error) {
		p := &program{b: &Backend{dev: &cudadl.Device{SMs: 4}, kernels: map[string]cudadl.Function{}},
			spec: s.spec, plan: s.plan, opt: s.opt}
		m := hostMem{}
		addr := cudadl.Ptr(1) << 40
		place := func(buf []float32) cudadl.Ptr {
			at := addr
			m[at] = buf
			addr += cudadl.Ptr(4*len(buf)+4096) &^ 255
			return at
		}
		p.mem = make([]cudadl.Ptr, len(s.mem))
		for i, buf := range s.mem {
			p.mem[i] = place(buf)
		}
		p.coef = place(make([]float32, coefLen))
		p.ones = place(s.ones)
		p.slots = make([][]cudadl.Ptr, len(s.state.Slots))
		for i, slots := range s.state.Slots {
			for _, slot := range slots {
				p.slots[i] = append(p.slots[i], place(slot))
			}
		}
		if err := p.prepareInstrs(); err != nil {
			return nil, err
		}
		if s.spec.Loss != nil {
			if err := p.prepareUpdates(); err != nil {
				return nil, err
			}
		}
		return &emuEngine{e: e, p: p, m: m, sim: s}, nil
	}
}

// setStep writes the coefficients and step number of training step step,
// as program.Train does.
func (g *emuEngine) setStep(step int) {
	c := g.sim.opt.Coefficients(step)
	copy(g.m[g.p.coef], []float32{c.LR, c.WD, c.Mu, c.Beta1, c.Beta2, c.Eps, c.Bias1, c.Bias2,
		math.Float32frombits(uint32(step)), math.Float32frombits(uint32(uint64(step) >> 32))})
}

// run mirrors program.exec: the same launches and products, in its order.
func (g *emuEngine) run(s *sim, list []int, train bool) error {
	p := g.p
	if train {
		g.setStep(s.state.Step + 1)
	}
	for _, i := range list {
		in := &p.plan.instrs[i]
		var launches []*launch
		before, after := p.kern[i], (*launch)(nil)
		switch in.kind {
		case opCopy:
			copy(s.mem[in.out], s.mem[in.in[0]][:in.n])
			continue
		case opDropout:
			if !train {
				before = p.infer[i]
			}
		case opConvInputGrad:
			before, after = nil, p.kern[i]
		}
		if before != nil {
			launches = append(launches, before)
		}
		for _, l := range launches {
			if err := g.e.launch(g.m, l); err != nil {
				return fmt.Errorf("%s: %w", in.node.Name(), err)
			}
		}
		g.products(i)
		if after != nil {
			if err := g.e.launch(g.m, after); err != nil {
				return fmt.Errorf("%s: %w", in.node.Name(), err)
			}
		}
	}
	return nil
}

// products carries out instruction i's cuBLAS calls on the host.
func (g *emuEngine) products(i int) {
	s, p := g.sim, g.p
	for _, c := range p.gemms[i] {
		for b := range c.batch {
			colMajorGemm(c.transA, c.transB, c.m, c.n, c.k, s.at(c.a, b*c.sa), c.lda, s.at(c.b, b*c.sb), c.ldb, s.at(c.c, b*c.sc), c.ldc)
		}
	}
	if c := p.sums[i]; c != nil {
		x, y := s.at(c.x, 0), s.at(c.y, 0)
		for r := range c.m {
			var sum float64
			for j := range c.n {
				sum += float64(x[r+j*c.lda]) * float64(s.ones[j])
			}
			y[r] = float32(sum)
		}
	}
}

// update runs the optimizer's kernels, as program.trainStep does.
func (g *emuEngine) update(s *sim) error {
	g.setStep(s.state.Step)
	for _, l := range g.p.update {
		if err := g.e.launch(g.m, l); err != nil {
			return err
		}
	}
	return nil
}

// The conformance suite and the op cases on the host build of the kernels.
func TestKernelsOnHostConformance(t *testing.T) {
	backendtest.RunAll(t, simBackend{engine: newEmuEngine(t)})
}

func TestKernelsOnHostOps(t *testing.T) {
	compareOps(t, cpuBackend(t), simBackend{engine: newEmuEngine(t)}, 1e-5)
}
