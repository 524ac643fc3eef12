package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/neurone-dl/neurone/internal/faultfs"
)

// TestSaveOnAFullDisk saves a checkpoint, then saves another over it on a
// disk that fills up (ENOSPC, injected, so the test holds as root too)
// while the weights are written, and while their metadata copy is: the
// error says so, the first checkpoint still loads whole, and no temporary
// file is left.
func TestSaveOnAFullDisk(t *testing.T) {
	tests := []struct {
		name string
		file string // the file whose second write fails
		// after is how many bytes of it are written before the disk is full
		after int64
		says  string
		// whether the weights on disk are the second Save's afterwards
		newWeights bool
	}{
		{"weights", "last.safetensors", 8, "no space left on device", false},
		{"metadata copy", "last.json", 0, "weights saved, but not the metadata copy", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "last.safetensors")
			fsys := &faultfs.FS{Fail: func(op faultfs.Op) error {
				if filepath.Base(op.Path) == tt.file && op.N == 2 && op.Kind == faultfs.OpWrite && op.Offset >= tt.after {
					return syscall.ENOSPC
				}
				return nil
			}}
			if err := SaveFS(fsys, path, sampleMeta(), sampleTensors()); err != nil {
				t.Fatal(err)
			}
			second := sampleTensors()
			second[0].Data[0] = 99
			err := SaveFS(fsys, path, runMeta{Epoch: 13}, second)
			if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want ENOSPC saying %q and naming %s", err, tt.says, path)
			}
			var meta runMeta
			got, err := Load(path, &meta)
			if err != nil {
				t.Fatalf("the checkpoint no longer loads: %v", err)
			}
			i := slices.IndexFunc(got, func(x Tensor) bool { return x.Name == second[0].Name })
			if w := got[i].Data[0] == 99; w != tt.newWeights || (meta.Epoch == 13) != tt.newWeights {
				t.Errorf("after the failed save: epoch %d, %s[0] = %v", meta.Epoch, got[i].Name, got[i].Data[0])
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}
