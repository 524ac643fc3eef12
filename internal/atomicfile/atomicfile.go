// Package atomicfile writes files so that a reader, or a crash, never sees a
// half-written one: the data goes to a temporary file in the same folder,
// is synced to disk, and is then renamed over the destination.
//
// The writes go through an FS, the operating system's unless one is
// given, so that tests can make them fail as a full disk or a failing
// folder would (see internal/faultfs) and check that the previous file
// stays whole.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// FS is what Write needs of a file system.
type FS interface {
	// CreateTemp creates a new file in dir, as os.CreateTemp does.
	CreateTemp(dir, pattern string) (File, error)
	// Rename renames a file, replacing newpath, as os.Rename does.
	Rename(oldpath, newpath string) error
	// Remove removes a file, as os.Remove does.
	Remove(name string) error
}

// File is the temporary file of a Write.
type File interface {
	io.Writer
	Name() string
	Chmod(mode os.FileMode) error
	Sync() error
	Close() error
}

// OS is the operating system's file system.
type OS struct{}

func (OS) CreateTemp(dir, pattern string) (File, error) { return os.CreateTemp(dir, pattern) }
func (OS) Rename(oldpath, newpath string) error         { return os.Rename(oldpath, newpath) }
func (OS) Remove(name string) error                     { return os.Remove(name) }

// Write writes the bytes produced by fill to path atomically. If fill or any
// file operation fails, path is left as it was and the temporary file is
// removed.
func Write(path string, perm os.FileMode, fill func(w io.Writer) error) error {
	return WriteFS(nil, path, perm, fill)
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return WriteFileFS(nil, path, data, perm)
}

// WriteFileFS is WriteFile through fsys (nil: OS).
func WriteFileFS(fsys FS, path string, data []byte, perm os.FileMode) error {
	return WriteFS(fsys, path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFS is Write through fsys (nil: OS).
func WriteFS(fsys FS, path string, perm os.FileMode, fill func(w io.Writer) error) (err error) {
	if fsys == nil {
		fsys = OS{}
	}
	dir := filepath.Dir(path)
	tmp, err := fsys.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			fsys.Remove(tmp.Name())
		}
	}()
	if err = fill(tmp); err != nil {
		return fmt.Errorf("atomicfile: writing %s: %w", path, err)
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("atomicfile: syncing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = fsys.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	// Sync the folder so the rename itself survives a crash; not every
	// file system supports it, so a failure here is not an error.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
