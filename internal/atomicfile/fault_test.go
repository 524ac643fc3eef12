package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/neurone-dl/neurone/internal/atomicfile"
	"github.com/neurone-dl/neurone/internal/faultfs"
)

// TestFaultsKeepTheOldFile replaces a file through a file system that
// fails at each step of the way, as a full disk (ENOSPC) or a failing
// device (EIO) would: each failure is an error that says what failed and
// why, the old file stays whole, and no temporary file is left behind.
// The faults are injected, not made with permissions, so the test means
// the same when run as root.
func TestFaultsKeepTheOldFile(t *testing.T) {
	tests := []struct {
		name string
		kind string
		err  error
	}{
		{"disk full at create", faultfs.OpCreate, syscall.ENOSPC},
		{"disk full mid-write", faultfs.OpWrite, syscall.ENOSPC},
		{"I/O error at sync", faultfs.OpSync, syscall.EIO},
		{"read-only at rename", faultfs.OpRename, syscall.EROFS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "model.bin")
			fsys := &faultfs.FS{Fail: func(op faultfs.Op) error {
				// The first write goes through; the second fails once it
				// has written a few bytes.
				if op.N == 2 && op.Kind == tt.kind && (op.Kind != faultfs.OpWrite || op.Offset >= 4) {
					return tt.err
				}
				return nil
			}}
			if err := atomicfile.WriteFileFS(fsys, path, []byte("good"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := atomicfile.WriteFS(fsys, path, 0o644, func(w io.Writer) error {
				for range 4 {
					if _, err := w.Write([]byte("new!")); err != nil {
						return err
					}
				}
				return nil
			})
			if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.err.Error()) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got, _ := os.ReadFile(path); string(got) != "good" {
				t.Errorf("the file holds %q after a failed replacement, want \"good\"", got)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("files left behind: %v", entries)
			}
		})
	}
}
