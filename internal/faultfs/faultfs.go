// Package faultfs is an atomicfile.FS that fails on cue, for tests of what
// a program does when its disk fills up or its output folder starts
// failing: it passes every operation to the operating system, except those
// its Fail function answers with an error.
package faultfs

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/neurone-dl/neurone/internal/atomicfile"
)

// Operations that Fail is asked about.
const (
	OpCreate = "create" // creating the temporary file
	OpWrite  = "write"  // writing to it
	OpSync   = "sync"   // syncing it
	OpRename = "rename" // renaming it over the destination
)

// Op is one operation on the way to replacing a file.
type Op struct {
	Kind string // OpCreate, OpWrite, OpSync or OpRename
	// Path is the file being replaced (not the temporary file's name).
	Path string
	// N counts the writes of Path through this FS, from 1: the first
	// replacement of a checkpoint is N 1, the next N 2.
	N int
	// Offset is, for OpWrite, how many bytes of the temporary file were
	// written before this write.
	Offset int64
}

// FS is an atomicfile.FS whose operations fail where Fail says. The zero
// FS, or one with a nil Fail, fails nothing. It is safe for concurrent
// use, as long as Fail is.
type FS struct {
	// Fail returns the error an operation fails with, or nil to let it
	// through. A write that fails writes nothing.
	Fail func(op Op) error

	mu     sync.Mutex
	writes map[string]int // by destination path
}

var _ atomicfile.FS = (*FS)(nil)

// dest is the file a temporary file of atomicfile replaces: it is named
// "." + the destination's base name + ".tmp-" + a random suffix.
func dest(dir, pattern string) string {
	base := pattern[1 : len(pattern)-len(".tmp-*")]
	return filepath.Join(dir, base)
}

func (f *FS) fail(op Op) error {
	if f.Fail == nil {
		return nil
	}
	return f.Fail(op)
}

// CreateTemp creates the temporary file unless Fail refuses it.
func (f *FS) CreateTemp(dir, pattern string) (atomicfile.File, error) {
	path := dest(dir, pattern)
	f.mu.Lock()
	if f.writes == nil {
		f.writes = map[string]int{}
	}
	f.writes[path]++
	n := f.writes[path]
	f.mu.Unlock()
	if err := f.fail(Op{Kind: OpCreate, Path: path, N: n}); err != nil {
		return nil, &os.PathError{Op: "open", Path: filepath.Join(dir, pattern), Err: err}
	}
	file, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &tempFile{File: file, fs: f, path: path, n: n}, nil
}

// Rename renames the temporary file over its destination unless Fail
// refuses it.
func (f *FS) Rename(oldpath, newpath string) error {
	f.mu.Lock()
	n := f.writes[newpath]
	f.mu.Unlock()
	if err := f.fail(Op{Kind: OpRename, Path: newpath, N: n}); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return os.Rename(oldpath, newpath)
}

// Remove removes a file; it never fails on cue, so that a test sees
// whether a failed write cleaned up after itself.
func (f *FS) Remove(name string) error { return os.Remove(name) }

// tempFile is a temporary file whose writes and sync may fail.
type tempFile struct {
	*os.File
	fs      *FS
	path    string
	n       int
	written int64
}

func (t *tempFile) Write(p []byte) (int, error) {
	if err := t.fs.fail(Op{Kind: OpWrite, Path: t.path, N: t.n, Offset: t.written}); err != nil {
		return 0, &os.PathError{Op: "write", Path: t.Name(), Err: err}
	}
	n, err := t.File.Write(p)
	t.written += int64(n)
	return n, err
}

func (t *tempFile) Sync() error {
	if err := t.fs.fail(Op{Kind: OpSync, Path: t.path, N: t.n}); err != nil {
		return &os.PathError{Op: "sync", Path: t.Name(), Err: err}
	}
	return t.File.Sync()
}
