// Package cli holds what Neurone's commands share: exit statuses, flag
// checks that name the flag at fault, grouped usage text, device opening
// and terminal detection. It is internal: commands are its only users.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/cpu"
	_ "github.com/neurone-dl/neurone/backend/cuda" // registers "cuda" and "cuda-emu" (explanatory errors in CPU-only builds)
)

// Exit statuses of the commands.
const (
	ExitOK          = 0
	ExitFailure     = 1   // the work failed (bad data, I/O, divergence, ...)
	ExitUsage       = 2   // the command line was wrong
	ExitInterrupted = 130 // stopped by SIGINT or SIGTERM, as a shell reports it
)

// UsageError is a mistake on the command line: a flag with a bad value, a
// missing argument. Commands print it and exit with ExitUsage.
type UsageError struct {
	Flag string // "--hidden", or "" when no single flag is at fault
	Msg  string
}

func (e *UsageError) Error() string {
	if e.Flag == "" {
		return e.Msg
	}
	return e.Flag + ": " + e.Msg
}

// Usagef returns a UsageError about flag (given with its dashes).
func Usagef(flag, format string, args ...any) error {
	return &UsageError{Flag: flag, Msg: fmt.Sprintf(format, args...)}
}

// IsUsage reports whether err is a UsageError.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// ParseInts parses a comma-separated list of positive integers such as
// "512,512,256", as --hidden takes it.
func ParseInts(flag, s string) ([]int, error) {
	bad := Usagef(flag, "%q is not a list of positive integers (e.g. 512,512,256)", s)
	if strings.TrimSpace(s) == "" {
		return nil, bad
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, bad
		}
		out = append(out, n)
	}
	return out, nil
}

// FormatInts is the inverse of ParseInts.
func FormatInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

var deviceName = regexp.MustCompile(`^(auto|cpu|cuda|cuda:[0-9]+|cuda-emu)$`)

// CheckDevice checks the spelling of a --device value; whether the device
// is there is for OpenDevice to find out.
func CheckDevice(name string) error {
	if !deviceName.MatchString(name) {
		return Usagef("--device", "%q is not a device (want auto, cpu, cuda, cuda:N or cuda-emu)", name)
	}
	return nil
}

// OpenDevice opens the backend named by --device and writes what runs (and,
// when "auto" fell back to the CPU, why; on a GPU, which CUDA libraries) to
// w.
func OpenDevice(name string, w io.Writer) (backend.Backend, error) {
	b, err := backend.Open(name)
	if err != nil {
		return nil, fmt.Errorf("--device %s: %w", name, err)
	}
	if name := b.Name(); strings.Contains(name, cpu.BLAS()) {
		fmt.Fprintf(w, "device: %s\n", name)
	} else {
		fmt.Fprintf(w, "device: %s; CPU BLAS: %s\n", name, cpu.BLAS())
	}
	if note := backend.Note(b); note != "" {
		fmt.Fprintf(w, "  (%s)\n", note)
	}
	if v, ok := b.(interface{ Versions() string }); ok { // the CUDA libraries that run
		fmt.Fprintf(w, "  (%s)\n", v.Versions())
	}
	return b, nil
}

// OnGPU reports whether dev runs on a GPU: a CUDA device ("cuda:N ..."),
// not the CPU or cuda-emu.
func OnGPU(dev backend.Backend) bool { return strings.HasPrefix(dev.Name(), "cuda:") }

// TuneBLAS chooses the CPU BLAS's threads for a network about to be
// trained or run on dev: one for a convolutional network, whose
// convolutions spread the images over the cores themselves
// (cpu.SetBLASThreads says why), and what the BLAS chose otherwise. A
// thread count set in the environment (OPENBLAS_NUM_THREADS, or
// GOTO_NUM_THREADS or OMP_NUM_THREADS, which OpenBLAS also reads) wins. It
// says on w what it changed. Call it before the network runs: the setting
// is the process's, and OpenBLAS does not promise that changing it while a
// product runs is safe.
func TuneBLAS(dev backend.Backend, convolutional bool, w io.Writer) {
	if _, onCPU := backend.Unwrap(dev).(*cpu.Backend); !onCPU || !convolutional {
		return
	}
	for _, v := range blasThreadVars {
		if os.Getenv(v) != "" {
			return
		}
	}
	if before := cpu.SetBLASThreads(1); before > 1 {
		fmt.Fprintf(w, "CPU BLAS: 1 thread instead of %d, as the CNN's convolutions use the cores themselves (OPENBLAS_NUM_THREADS=N chooses)\n", before)
	}
}

// blasThreadVars are the environment variables OpenBLAS takes its thread
// count from.
var blasThreadVars = []string{"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"}

// IsTerminal reports whether w is a terminal (a character device), where a
// progress bar that redraws itself is welcome; logs and pipes get plain
// lines instead.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// SetFlags returns the names of the flags given on the command line.
func SetFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// FlagGroup is a heading and the flags listed under it in usage text.
type FlagGroup struct {
	Title string
	Flags []string
}

// PrintUsage writes the synopsis, then the flags of fs group by group with
// their defaults, in the order given (flag.PrintDefaults would sort them
// alphabetically, scattering related flags). Flags no group names are
// listed last, under "Other".
func PrintUsage(w io.Writer, fs *flag.FlagSet, synopsis string, groups []FlagGroup) {
	fmt.Fprint(w, synopsis)
	listed := map[string]bool{}
	for _, g := range groups {
		for _, name := range g.Flags {
			listed[name] = true
		}
	}
	var other []string
	fs.VisitAll(func(f *flag.Flag) {
		if !listed[f.Name] {
			other = append(other, f.Name)
		}
	})
	if len(other) > 0 {
		groups = append(groups[:len(groups):len(groups)], FlagGroup{Title: "Other", Flags: other})
	}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", g.Title)
		for _, name := range g.Flags {
			f := fs.Lookup(name)
			if f == nil {
				panic("cli: usage lists unknown flag " + name)
			}
			arg, help := flag.UnquoteUsage(f)
			head := "  --" + f.Name
			if arg != "" {
				head += " " + arg
			}
			fmt.Fprintln(w, head)
			help = strings.ReplaceAll(help, "\n", "\n    \t")
			fmt.Fprintf(w, "    \t%s", help)
			// Zero defaults ("", 0, false) mean "not set" here; the help
			// text says what that does.
			if def := f.DefValue; def != "" && def != "false" && def != "0" {
				fmt.Fprintf(w, " (default %s)", def)
			}
			fmt.Fprintln(w)
		}
	}
}
