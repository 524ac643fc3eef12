//go:build cgo

package cuda

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/neurone-dl/neurone/internal/cudadl"
)

// emulator is the host build of the kernels running as a subprocess, one
// per cuda-emu backend. The "device" memory is a file both processes map
// (emuMemory), so that a launch passes only the kernel's name, its
// launch's sizes and its arguments, on the subprocess's standard input,
// and waits for a newline on its output. The subprocess ends when its
// input closes: when the backend is closed, or when this process ends,
// however it ends.
type emulator struct {
	mu       sync.Mutex // one launch at a time: the kernels' block state is global
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	in       *bufio.Writer
	out      *bufio.Reader
	stderr   tail
	mem      *emuMemory
	compiler string // e.g. "g++ (Debian 12.2.0-14) 12.2.0"
	err      error  // why the subprocess stopped, once it has
	closed   bool
}

// startEmulator finds a C++ compiler, builds the emulator unless the cache
// holds it, and starts it on fresh device memory.
func startEmulator() (*emulator, error) {
	c, err := findCompiler()
	if err != nil {
		return nil, err
	}
	src, err := emuSource()
	if err != nil {
		return nil, err
	}
	bin, err := buildEmulator(c, src)
	if err != nil {
		return nil, err
	}
	mem, err := newEmuMemory()
	if err != nil {
		return nil, fmt.Errorf("cuda-emu: the device memory: %w", err)
	}
	e := &emulator{mem: mem, compiler: c.name()}
	e.cmd = exec.Command(bin, strconv.Itoa(mem.size))
	e.cmd.ExtraFiles = []*os.File{mem.file} // descriptor 3
	e.cmd.Stderr = &e.stderr
	// A process group of its own, so that an interrupt typed at the
	// terminal reaches this process, which may end its work cleanly, and
	// not the emulator, which ends with its input.
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if e.stdin, err = e.cmd.StdinPipe(); err == nil {
		var stdout io.Reader
		if stdout, err = e.cmd.StdoutPipe(); err == nil {
			e.out = bufio.NewReader(stdout)
			err = e.cmd.Start()
		}
	}
	if err != nil {
		mem.close()
		return nil, fmt.Errorf("cuda-emu: starting %s: %w", bin, err)
	}
	e.in = bufio.NewWriter(e.stdin)
	return e, nil
}

// launch runs l, whose addresses owns checks, and waits for it.
func (e *emulator) launch(l *launch, owns func(cudadl.Ptr) error) error {
	if len(l.vals) > emuMaxArgs {
		return fmt.Errorf("kernel %s: %d arguments, more than the host build's %d", l.name, len(l.vals), emuMaxArgs)
	}
	if l.grid.Y > 1 || l.grid.Z > 1 || l.block.Y > 1 || l.block.Z > 1 {
		return fmt.Errorf("kernel %s: a grid or block of more than one dimension", l.name)
	}
	// A reduction's block must have REDUCE_THREADS threads, on the GPU and
	// here; any other block may have any number.
	block := emuThreads
	if l.block.X == reduceThreads {
		block = emuReduceThreads
	}
	var cmd strings.Builder
	fmt.Fprintf(&cmd, "%s %d %d %d\n", l.name, l.grid.X, block, len(l.vals))
	for _, v := range l.vals {
		if err := e.arg(&cmd, v, owns); err != nil {
			return fmt.Errorf("kernel %s: %w", l.name, err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return fmt.Errorf("kernel %s: %w", l.name, e.err)
	}
	e.in.WriteString(cmd.String())
	err := e.in.Flush()
	if err == nil {
		_, err = e.out.ReadBytes('\n')
	}
	if err != nil {
		e.stopped()
		return fmt.Errorf("kernel %s: %w", l.name, e.err)
	}
	return nil
}

// arg writes v as the emulator reads a kernel argument.
func (e *emulator) arg(w *strings.Builder, v any, owns func(cudadl.Ptr) error) error {
	switch v := v.(type) {
	case cudadl.Ptr:
		if v == 0 {
			w.WriteString("p -1\n")
			return nil
		}
		if err := owns(v); err != nil {
			return err
		}
		fmt.Fprintf(w, "p %d\n", e.mem.offset(v))
	case float32:
		fmt.Fprintf(w, "f %d\n", math.Float32bits(v))
	case int:
		fmt.Fprintf(w, "i %d\n", uint64(int64(v)))
	case int32:
		fmt.Fprintf(w, "i %d\n", uint64(int64(v)))
	case uint32:
		fmt.Fprintf(w, "i %d\n", v)
	case uint64:
		fmt.Fprintf(w, "i %d\n", v)
	default:
		return fmt.Errorf("argument of type %T", v)
	}
	return nil
}

// stopped records why the subprocess stopped: its exit status and the end
// of what it wrote to its standard error. Call it with e.mu held.
func (e *emulator) stopped() {
	e.stdin.Close()
	werr := e.cmd.Wait()
	msg := strings.TrimSpace(e.stderr.String())
	if msg != "" {
		msg = ": " + msg
	}
	e.err = fmt.Errorf("%w (%v)%s", errEmulatorStopped, werr, msg)
}

// close ends the subprocess, which ends at the end of its input, and
// unmaps the device memory.
func (e *emulator) close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var err error
	if e.err == nil {
		e.stdin.Close()
		if werr := e.cmd.Wait(); werr != nil {
			err = fmt.Errorf("cuda-emu: %w (%v): %s", errEmulatorStopped, werr, strings.TrimSpace(e.stderr.String()))
		}
		e.err = fmt.Errorf("cuda-emu: %w: the backend is closed", errEmulatorStopped)
	}
	if merr := e.mem.close(); err == nil {
		err = merr
	}
	return err
}

// tail keeps the last tailBytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailBytes = 4096

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailBytes {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailBytes:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
