package backend

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Opener opens a device of one kind; index is the N of "kind:N" (0 when
// absent).
type Opener func(index int) (Backend, error)

var (
	registryMu sync.Mutex
	registry   = map[string]Opener{}
)

// Register makes a kind of backend available to Open. Backend packages call
// it from init (import them for their side effect, as with image formats).
// It panics if kind is registered twice, a programming error.
func Register(kind string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[kind]; dup {
		panic("backend: Register called twice for " + kind)
	}
	registry[kind] = open
}

// Kinds lists the registered kinds of backend.
func Kinds() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	var ks []string
	for k := range registry {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Open opens a backend by name: "cpu", "cuda", "cuda:N", "cuda-emu" (the
// CUDA backend's program emulated on the host, see package backend/cuda),
// or "auto" (CUDA when it is built in and a device answers, the CPU
// otherwise, never cuda-emu; Note tells why CUDA was not chosen).
func Open(name string) (Backend, error) {
	if name == "auto" {
		b, err := Open("cuda")
		if err == nil {
			return b, nil
		}
		cpu, cpuErr := Open("cpu")
		if cpuErr != nil {
			return nil, cpuErr
		}
		return noted{cpu, "CUDA not used: " + err.Error()}, nil
	}
	kind, index := name, 0
	if k, n, ok := strings.Cut(name, ":"); ok {
		i, err := strconv.Atoi(n)
		if err != nil || i < 0 {
			return nil, fmt.Errorf("%w: device %q: %q is not a device number", ErrUnavailable, name, n)
		}
		kind, index = k, i
	}
	registryMu.Lock()
	open, ok := registry[kind]
	registryMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: unknown device %q (want auto, %s, or cuda:N)", ErrUnavailable, name, strings.Join(Kinds(), ", "))
	}
	b, err := open(index)
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, name, err)
	}
	return b, nil
}

// noted is a backend chosen by "auto" as a fallback, with the reason.
type noted struct {
	Backend
	note string
}

// String is the wrapped backend's name: printing the backend "auto" chose
// says what runs (Note says why).
func (n noted) String() string { return n.Name() }

// Unwrap returns the backend that runs b's programs: the one that
// Open("auto") fell back to, or b itself.
func Unwrap(b Backend) Backend {
	if n, ok := b.(noted); ok {
		return n.Backend
	}
	return b
}

// Note returns why Open("auto") chose b over a GPU, or "" when it did not
// fall back.
func Note(b Backend) string {
	if n, ok := b.(noted); ok {
		return n.note
	}
	return ""
}

// ForLocalRank returns the device that the rank of local rank local on
// its machine opens for the device name, under mpirun
// (comm.LocalRank): "cuda" becomes "cuda:<local>", the GPU of that rank,
// and "auto" likewise where that GPU opens; any other name, and "auto" on
// local rank 0, is left as it is.
func ForLocalRank(name string, local int) string {
	gpu := fmt.Sprintf("cuda:%d", local)
	switch {
	case name == "cuda":
		return gpu
	case name == "auto" && local > 0:
		if b, err := Open(gpu); err == nil {
			b.Close()
			return gpu
		}
	}
	return name
}
