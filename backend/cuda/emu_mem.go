//go:build cgo

package cuda

import (
	"fmt"
	"math/bits"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"github.com/neurone-dl/neurone/internal/cudadl"
)

// emuMemory is the device memory of a cuda-emu backend: a file, mapped
// into this process and into the emulator's, whose length grows as buffers
// are allocated. Both map one large range of address space once, so that a
// growing file needs no new mapping, and a device address is emuBase plus
// an offset in the file. Buffers are allocated at the file's end, rounded
// to pages, and never reused; a freed buffer's pages are given back to the
// system where it can (a hole punched in the file: Linux).
type emuMemory struct {
	mu     sync.Mutex
	file   *os.File
	data   []byte
	floats []float32 // data, as float32s
	size   int       // of the mapping
	end    int       // the file's length: the bytes allocated so far
}

// emuBase is the device address of the memory's first byte.
const emuBase = cudadl.Ptr(1 << 40)

// emuSpaces are the sizes of address space the memory may take in each
// process, the largest first: where a limit on address space (ulimit -v)
// refuses one, the next is tried.
var emuSpaces = map[int][]int{64: {1 << 40, 1 << 36, 1 << 32}, 32: {1 << 30, 1 << 28}}[bits.UintSize]

func newEmuMemory() (*emuMemory, error) {
	f, err := emuMemoryFile()
	if err != nil {
		return nil, err
	}
	for _, space := range emuSpaces {
		var data []byte
		data, err = syscall.Mmap(int(f.Fd()), 0, space, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|emuNoReserve)
		if err == nil {
			floats := unsafe.Slice((*float32)(unsafe.Pointer(&data[0])), len(data)/4)
			return &emuMemory{file: f, data: data, floats: floats, size: len(data)}, nil
		}
	}
	f.Close()
	return nil, fmt.Errorf("mapping %d MB of address space: %w", emuSpaces[len(emuSpaces)-1]>>20, err)
}

// alloc returns the address of n new bytes, zeroed.
func (m *emuMemory) alloc(n int) (cudadl.Ptr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	page := os.Getpagesize()
	rounded := (max(n, 1) + page - 1) / page * page
	if m.end+rounded > m.size {
		return 0, fmt.Errorf("allocating %d bytes: %w", n, &cudadl.Error{Call: "cuMemAlloc", Code: 2, Name: "CUDA_ERROR_OUT_OF_MEMORY",
			Message: fmt.Sprintf("out of memory: cuda-emu's %d MB of address space are used up", m.size>>20)})
	}
	if err := m.file.Truncate(int64(m.end + rounded)); err != nil {
		return 0, fmt.Errorf("allocating %d bytes: %w", n, err)
	}
	at := emuBase + cudadl.Ptr(m.end)
	m.end += rounded
	return at, nil
}

// free gives back the pages of the n bytes at p, where the system can.
func (m *emuMemory) free(p cudadl.Ptr, n int) error {
	page := os.Getpagesize()
	return emuRelease(m.file, int64(m.offset(p)), int64((max(n, 1)+page-1)/page*page))
}

// offset is the offset in the file of address p.
func (m *emuMemory) offset(p cudadl.Ptr) int { return int(p - emuBase) }

// span returns the n float32s at address p.
func (m *emuMemory) span(p cudadl.Ptr, n int) []float32 {
	at := m.offset(p) / 4
	return m.floats[at : at+n : at+n]
}

func (m *emuMemory) close() error {
	err := syscall.Munmap(m.data)
	m.data, m.floats = nil, nil
	if cerr := m.file.Close(); err == nil {
		err = cerr
	}
	return err
}
