//go:build cgo

package cuda

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/internal/cudadl"
)

// The architectures the kernels are checked for without a GPU: Ampere
// (A100) and Hopper (H100, H200). Every op kind, activation, loss and
// optimizer is a kernel of kernelSource, so compiling it compiles every
// kernel the backend can launch.
var checkedArchs = []int{80, 90}

// needTool skips the test when a tool it needs is missing, saying why;
// in CI (CI=true), which installs the tools (.ci/install-cuda-tools), it
// fails instead, so that the check cannot silently stop running.
func needTool(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing in CI, where .ci/install-cuda-tools installs it: %v", what, err)
	}
	t.Skipf("%s is not installed here: %v", what, err)
}

// The kernels compile with NVRTC, GPU or not, to the CUBIN the backend
// loads on each checked architecture, and that CUBIN defines every kernel
// the backend looks up.
func TestKernelsCompile(t *testing.T) {
	needTool(t, "NVRTC", cudadl.LoadNVRTC())
	archs, err := cudadl.SupportedArchs()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s; architectures %v", cudadl.Versions(), archs)
	for _, cc := range checkedArchs {
		im, err := kernelImage(cc)
		if err != nil {
			t.Fatalf("sm_%d: %v", cc, err)
		}
		if im.PTX {
			// Only an NVRTC older than the architecture gives PTX.
			if archs == nil || containsInt(archs, cc) {
				t.Errorf("sm_%d: got %v, want a CUBIN from an NVRTC that knows sm_%d", cc, im, cc)
			}
			t.Logf("sm_%d: %v", cc, im)
			continue
		}
		funcs, err := cubinFunctions(im.Code)
		t.Logf("sm_%d: %v, %d functions (%v)", cc, im, len(funcs), err)
		for _, name := range kernelNames {
			if err != nil {
				// An ELF layout debug/elf does not read: the kernel's
				// name must at least be in a string table.
				if !bytes.Contains(im.Code, []byte("\x00"+name+"\x00")) {
					t.Errorf("sm_%d: no kernel %s in the CUBIN (%v)", cc, name, err)
				}
			} else if !funcs[name] {
				t.Errorf("sm_%d: no kernel %s among the CUBIN's functions", cc, name)
			}
		}
		if again, err := kernelImage(cc); err != nil || again != im {
			t.Errorf("sm_%d: a second build was compiled again (%v)", cc, err)
		}
	}
}

// cubinFunctions returns the names of the functions in a CUBIN.
func cubinFunctions(cubin []byte) (map[string]bool, error) {
	f, err := elf.NewFile(bytes.NewReader(standardELF(cubin)))
	if err != nil {
		return nil, err
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	funcs := map[string]bool{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			funcs[s.Name] = true
		}
	}
	return funcs, nil
}

// standardELF returns a copy of cubin with the ELF version that
// debug/elf expects: NVIDIA's CUBINs put their own ABI version there.
func standardELF(cubin []byte) []byte {
	c := bytes.Clone(cubin)
	if len(c) >= 24 {
		c[elf.EI_VERSION] = byte(elf.EV_CURRENT)
		binary.LittleEndian.PutUint32(c[20:], uint32(elf.EV_CURRENT)) // e_version
	}
	return c
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// The kernels' PTX, which the driver compiles when NVRTC is older than the
// GPU, assembles with ptxas for each checked architecture, as the driver
// would, and every kernel fits in registers for the block size it is
// launched with: one that did not would fail at its first launch.
func TestKernelsAssemble(t *testing.T) {
	needTool(t, "NVRTC", cudadl.LoadNVRTC())
	ptxas, err := exec.LookPath("ptxas")
	needTool(t, "ptxas", err)
	for _, cc := range checkedArchs {
		ptx, err := cudadl.Compile(kernelSource, "neurone_kernels.cu", "--gpu-architecture=compute_"+strconv.Itoa(cc))
		if err != nil {
			t.Fatalf("compute_%d: %v", cc, err)
		}
		for _, name := range kernelNames {
			if !strings.Contains(ptx, ".entry "+name+"(") {
				t.Errorf("compute_%d: no kernel %s in the PTX", cc, name)
			}
		}
		checkRegisters(t, ptxas, cc, ptx)
	}
}

// checkRegisters assembles ptx for sm_cc with ptxas and checks each
// kernel's registers against its launch: 65536 registers per block.
func checkRegisters(t *testing.T, ptxas string, cc int, ptx string) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "kernels.ptx")
	if err := os.WriteFile(in, []byte(ptx), 0o644); err != nil {
		t.Fatal(err)
	}
	arch := "sm_" + strconv.Itoa(cc)
	out, err := exec.Command(ptxas, "-v", "-arch="+arch, "-o", filepath.Join(dir, "kernels.cubin"), in).CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("Unsupported .version")) && os.Getenv("CI") != "true" {
			t.Skipf("%s: this ptxas is older than NVRTC: %s", arch, out)
		}
		t.Fatalf("%s: ptxas: %v\n%s", arch, err, out)
	}
	// ptxas -v says, per kernel: "Compiling entry function 'NAME' for
	// 'sm_90'", then "Used N registers, ...".
	re := regexp.MustCompile(`(?s)Compiling entry function '(\w+)'.*?Used (\d+) registers`)
	seen := map[string]int{}
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		seen[m[1]], _ = strconv.Atoi(m[2])
	}
	reductions := reductionKernels(t)
	for _, name := range kernelNames {
		regs, ok := seen[name]
		if !ok {
			t.Errorf("%s: ptxas reported no registers for %s:\n%s", arch, name, out)
			continue
		}
		threads := 256 // program.kernel's blocks
		if reductions[name] {
			threads = reduceThreads
		}
		if regs*threads > 65536 {
			t.Errorf("%s: %s uses %d registers a thread, too many for blocks of %d", arch, name, regs, threads)
		}
		t.Logf("%s: %s: %d registers", arch, name, regs)
	}
}
