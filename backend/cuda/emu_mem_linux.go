//go:build cgo && linux

package cuda

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// emuNoReserve maps the device memory without reserving swap for it: most
// of the range is never used.
const emuNoReserve = syscall.MAP_NORESERVE

// emuMemoryFile is an anonymous file in memory (memfd), which ends with
// the last process that has it open.
func emuMemoryFile() (*os.File, error) {
	fd, err := unix.MemfdCreate("neurone-cuda-emu", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("memfd_create", err)
	}
	return os.NewFile(uintptr(fd), "neurone-cuda-emu"), nil
}

// emuRelease gives back the pages of n bytes at off in f, punching a hole
// in the file.
func emuRelease(f *os.File, off, n int64) error {
	err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
	return os.NewSyscallError("fallocate", err)
}
