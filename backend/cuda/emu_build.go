//go:build cgo

package cuda

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/neurone-dl/neurone/backend"
)

// The emulator's program is kernelSource, the CUDA C that NVRTC compiles
// for a GPU, between a prelude that maps CUDA's names onto C++ and
// pthreads (emuPrelude) and a main that takes launches on its standard
// input (emuMain), with a dispatch from a kernel's name to a call with its
// arguments cast to the kernel's parameter types. It is built with the
// host's C++ compiler once per source, compiler and flags, and cached in
// the user's cache directory.

// The host build's block sizes: a reduction's block has emuReduceThreads
// threads (REDUCE_THREADS of the host build), any other block emuThreads,
// deliberately not a power of two and not the GPU's 256, since a
// grid-stride kernel must be right for any block size.
const (
	emuThreads       = 5
	emuReduceThreads = 8
)

// emuFlags are the compiler's flags. -ffp-contract=off: no fused
// multiply-adds, like the CPU backend's Go code, so that the sums follow
// the CPU's.
var emuFlags = []string{"-O2", "-ffp-contract=off", "-w", "-pthread",
	fmt.Sprintf("-DEMU_REDUCE_THREADS=%d", emuReduceThreads),
	fmt.Sprintf("-DEMU_MAX_THREADS=%d", max(emuThreads, emuReduceThreads))}

// kparam is one kernel parameter: its class ("ptr", "int", "uint32",
// "uint64" or "float") and its C type.
type kparam struct{ class, ctype string }

// kernelSignatures parses kernelSource: each kernel's parameters, in order.
func kernelSignatures() (map[string][]kparam, error) {
	src := kernelSource
	for _, m := range regexp.MustCompile(`#define (\w+_PARAMS) (.*)`).FindAllStringSubmatch(src, -1) {
		src = regexp.MustCompile(`\b`+m[1]+`\b([,)])`).ReplaceAllString(src, m[2]+"$1")
	}
	sigs := map[string][]kparam{}
	for _, m := range regexp.MustCompile(`(?s)extern "C" __global__ void (?:REDUCTION )?(\w+)\(([^)]*)\)`).FindAllStringSubmatch(src, -1) {
		var types []kparam
		for _, p := range strings.Split(m[2], ",") {
			p = strings.Join(strings.Fields(p), " ")
			name := p[strings.LastIndexAny(p, " *")+1:]
			typ := strings.TrimSpace(strings.TrimSuffix(p, name))
			class := map[string]string{"int": "int", "unsigned": "uint32", "unsigned long long": "uint64", "float": "float"}[typ]
			if strings.Contains(typ, "*") {
				class = "ptr"
			}
			if class == "" {
				return nil, fmt.Errorf("kernel %s: parameter %q of unknown type", m[1], p)
			}
			types = append(types, kparam{class: class, ctype: typ})
		}
		sigs[m[1]] = types
	}
	return sigs, nil
}

// emuSource returns the emulator's C++ source.
func emuSource() (string, error) {
	sigs, err := kernelSignatures()
	if err != nil {
		return "", err
	}
	var src strings.Builder
	src.WriteString(emuPrelude)
	src.WriteString(kernelSource)
	fmt.Fprintf(&src, "\n#define EMU_MAX_ARGS %d\n", emuMaxArgs)
	src.WriteString("static void *ptrs[EMU_MAX_ARGS];\nstatic unsigned long long ints[EMU_MAX_ARGS];\nstatic float flts[EMU_MAX_ARGS];\n")
	src.WriteString("static int dispatch(const char *name) {\n")
	for _, name := range kernelNames { // in a fixed order, so that the source and its hash are too
		var args []string
		for i, p := range sigs[name] {
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
	return src.String(), nil
}

// compiler is a C++ compiler: its command and what --version says.
type compiler struct {
	argv    []string
	version string
}

// findCompiler returns the first C++ compiler that answers: $CXX, then
// c++, g++ and clang++ on the PATH. Without one it returns an error
// wrapping backend.ErrUnavailable that names what it tried.
func findCompiler() (compiler, error) {
	candidates := [][]string{{"c++"}, {"g++"}, {"clang++"}}
	tried := "c++, g++, clang++ on the PATH"
	if cxx := strings.Fields(os.Getenv("CXX")); len(cxx) > 0 {
		candidates = append([][]string{cxx}, candidates...)
		tried = fmt.Sprintf("$CXX (%s), then %s", strings.Join(cxx, " "), tried)
	}
	for _, argv := range candidates {
		path, err := exec.LookPath(argv[0])
		if err != nil {
			continue
		}
		out, err := exec.Command(path, append(argv[1:], "--version")...).Output()
		if err != nil {
			continue
		}
		return compiler{argv: append([]string{path}, argv[1:]...), version: string(out)}, nil
	}
	return compiler{}, fmt.Errorf("%w: cuda-emu needs a C++ compiler to build the CUDA kernels for the host, and none answered (tried %s); install one (Debian: g++) or set CXX",
		backend.ErrUnavailable, tried)
}

// name is the compiler's first line of --version, e.g. "g++ (Debian
// 12.2.0-14) 12.2.0".
func (c compiler) name() string {
	first, _, _ := strings.Cut(c.version, "\n")
	return strings.TrimSpace(first)
}

// emuCacheDir is where built emulators are kept: the user's cache
// directory, or the temporary one where there is none.
func emuCacheDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "neurone", "cuda-emu")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("neurone-cuda-emu-%d", os.Getuid()))
}

// buildEmulator returns the path of the emulator built from src by c,
// building it unless the cache holds it. Concurrent builders each build
// into a file of their own and rename it into place, so that the cache
// never holds half a binary.
func buildEmulator(c compiler, src string) (string, error) {
	sum := sha256.Sum256([]byte(strings.Join([]string{src, c.version, strings.Join(c.argv, " "),
		strings.Join(emuFlags, " "), runtime.GOOS, runtime.GOARCH}, "\x00")))
	dir := emuCacheDir()
	bin := filepath.Join(dir, hex.EncodeToString(sum[:12]))
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cuda-emu: the cache for the host build of the kernels: %w", err)
	}
	work, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", fmt.Errorf("cuda-emu: the cache for the host build of the kernels: %w", err)
	}
	defer os.RemoveAll(work)
	cpp, out := filepath.Join(work, "kernels.cpp"), filepath.Join(work, "kernels")
	if err := os.WriteFile(cpp, []byte(src), 0o644); err != nil {
		return "", fmt.Errorf("cuda-emu: %w", err)
	}
	args := append(append(append([]string{}, c.argv[1:]...), emuFlags...), "-o", out, cpp)
	if msg, err := exec.Command(c.argv[0], args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cuda-emu: building the kernels for the host with %s failed (%v):\n%s", c.name(), err, head(msg, 30))
	}
	if err := os.Rename(out, bin); err != nil {
		return "", fmt.Errorf("cuda-emu: the cache for the host build of the kernels: %w", err)
	}
	return bin, nil
}

// head returns the first n lines of out, saying how many more there were.
func head(out []byte, n int) string {
	lines := bytes.SplitAfter(bytes.TrimSpace(out), []byte("\n"))
	if len(lines) <= n {
		return string(bytes.Join(lines, nil))
	}
	return fmt.Sprintf("%s... (%d more lines)", bytes.Join(lines[:n], nil), len(lines)-n)
}

// errEmulatorStopped says the emulator's process has ended.
var errEmulatorStopped = errors.New("the host build of the kernels stopped")
