//go:build cgo

package cuda

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/internal/cudadl"
)

// The kernels compile with NVRTC wherever NVRTC is installed, GPU or not,
// for every architecture from Volta to Hopper, and define every kernel the
// backend looks up. Where the toolkit's ptxas is installed too, the PTX is
// also assembled for each architecture, as the driver does when it loads
// the module, and every kernel must fit in registers for the block size it
// is launched with: a kernel that did not would fail at its first launch.
func TestKernelsCompile(t *testing.T) {
	if err := cudadl.LoadNVRTC(); err != nil {
		t.Skipf("NVRTC is not installed here: %v", err)
	}
	ptxas, _ := exec.LookPath("ptxas")
	for _, cc := range []int{70, 80, 90} {
		ptx, err := kernelPTX(cc)
		if err != nil {
			t.Fatalf("sm_%d: %v", cc, err)
		}
		for _, name := range kernelNames {
			if !strings.Contains(ptx, ".entry "+name+"(") {
				t.Errorf("sm_%d: no kernel %s in the PTX", cc, name)
			}
		}
		if ptxas != "" {
			checkRegisters(t, ptxas, cc, ptx)
		}
	}
	if ptxas == "" {
		t.Log("no ptxas here: the PTX was not assembled")
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
	// The architecture the PTX was compiled for: cc, or the oldest NVRTC
	// still supports when cc is older (CUDA 13 has dropped sm_70).
	arch := "sm_" + strconv.Itoa(cc)
	if m := regexp.MustCompile(`(?m)^\.target\s+(sm_\d+)`).FindStringSubmatch(ptx); m != nil {
		arch = m[1]
	}
	out, err := exec.Command(ptxas, "-v", "-arch="+arch, "-o", filepath.Join(dir, "kernels.cubin"), in).CombinedOutput()
	if err != nil {
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
