//go:build cgo && !linux

package cuda

import "os"

// emuNoReserve is 0 where the system maps without reserving anyway.
const emuNoReserve = 0

// emuMemoryFile is a temporary file, removed at once, which ends with the
// last process that has it open.
func emuMemoryFile() (*os.File, error) {
	f, err := os.CreateTemp("", "neurone-cuda-emu-")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// emuRelease keeps the pages: without a way to punch a hole in a file,
// freed device memory stays in it until the backend is closed.
func emuRelease(*os.File, int64, int64) error { return nil }
