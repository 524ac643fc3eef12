// Package catdogtest checks what a cat/dog training run (catdog.Run)
// leaves in its folder, for the tests of the packages and commands that
// drive one.
package catdogtest

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// CheckLastGood checks that dir's last checkpoint loads, holds epoch, and
// only finite weights, and that no temporary or lock file is left in dir.
func CheckLastGood(t testing.TB, dir string, epoch int) {
	t.Helper()
	meta, ts, err := catdog.ReadMeta(filepath.Join(dir, checkpoint.LastFile))
	if err != nil {
		t.Fatalf("the last checkpoint does not load: %v", err)
	}
	if meta.Epoch != epoch {
		t.Errorf("the last checkpoint holds epoch %d, want %d", meta.Epoch, epoch)
	}
	for _, tt := range ts {
		for _, v := range tt.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("the last checkpoint's %s holds %v", tt.Name, v)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") || e.Name() == catdog.LockFile {
			t.Errorf("%s left in %s", e.Name(), dir)
		}
	}
}

// SameTensors fails unless the checkpoints hold the same tensors, bit for
// bit (optimizer state included).
func SameTensors(t testing.TB, pathA, pathB string) {
	t.Helper()
	a, b := loadPair(t, pathA, pathB)
	for i := range a {
		for j := range a[i].Data {
			if math.Float32bits(a[i].Data[j]) != math.Float32bits(b[i].Data[j]) {
				t.Fatalf("tensor %s differs at %d: %v against %v", a[i].Name, j, a[i].Data[j], b[i].Data[j])
			}
		}
	}
}

// CloseTensors fails unless the checkpoints hold the same tensors within
// tol, relative to each tensor's largest value (optimizer state
// included): runs that computed the same in another order, such as a run
// of one process and one of several (catdog.RunOptions.Comm).
func CloseTensors(t testing.TB, pathA, pathB string, tol float64) {
	t.Helper()
	a, b := loadPair(t, pathA, pathB)
	for i := range a {
		var scale, diff float64
		for j, x := range a[i].Data {
			scale = max(scale, math.Abs(float64(x)))
			diff = max(diff, math.Abs(float64(x)-float64(b[i].Data[j])))
		}
		if !(diff <= tol*scale) {
			t.Errorf("%s differs by up to %g, over %g of its largest value %g", a[i].Name, diff, tol, scale)
		}
	}
}

// loadPair loads two checkpoints and fails unless they hold tensors of the
// same names and sizes, in the same order.
func loadPair(t testing.TB, pathA, pathB string) (a, b []checkpoint.Tensor) {
	t.Helper()
	a, errA := checkpoint.Load(pathA, nil)
	b, errB := checkpoint.Load(pathB, nil)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if len(a) != len(b) {
		t.Fatalf("%d tensors against %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Data) != len(b[i].Data) {
			t.Fatalf("tensor %d: %s[%d] against %s[%d]", i, a[i].Name, len(a[i].Data), b[i].Name, len(b[i].Data))
		}
	}
	return a, b
}
