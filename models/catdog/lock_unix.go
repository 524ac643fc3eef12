//go:build unix

package catdog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockDir locks the folder dir (flock on its LockFile) for one training
// run, or returns an error wrapping ErrDirBusy that names the process
// holding it. The kernel releases the lock when the process ends, however
// it ends: a file left by a killed run locks nothing.
func LockDir(dir string) (*DirLock, error) {
	path := filepath.Join(dir, LockFile)
	// A run that ends removes the file while holding its lock; one that
	// opened it just before then locks a file no longer in the folder,
	// and must try again with the new one.
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			holder := readPID(f)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%s is %w%s; wait for it to end, or choose another folder", dir, ErrDirBusy, holder)
			}
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !sameFile(f, path) {
			f.Close()
			continue
		}
		if err := f.Truncate(0); err == nil {
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		return &DirLock{file: f, path: path}, nil
	}
	return nil, fmt.Errorf("%s is %w (its lock file keeps changing)", dir, ErrDirBusy)
}

// DirLock is a held lock on a run's folder.
type DirLock struct {
	file *os.File
	path string
}

// Release removes the lock file and then lets go of the lock, so that a
// finished run leaves nothing behind. A nil lock is released already.
func (l *DirLock) Release() {
	if l == nil {
		return
	}
	os.Remove(l.path)
	l.file.Close()
}

// sameFile reports whether f is still the file at path.
func sameFile(f *os.File, path string) bool {
	held, err := f.Stat()
	if err != nil {
		return false
	}
	now, err := os.Stat(path)
	return err == nil && os.SameFile(held, now)
}

// readPID returns " (process N)" from a lock file, or "" when it holds no
// process number.
func readPID(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" (process %d)", pid)
}
