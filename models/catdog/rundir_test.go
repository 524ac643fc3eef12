package catdog_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog"
)

// MakeDirs reports the folders it created, deepest first, and RemoveEmpty
// takes back the empty ones, stopping at the first that holds a file.
func TestMakeDirs(t *testing.T) {
	tmp := t.TempDir()
	a, b := filepath.Join(tmp, "a"), filepath.Join(tmp, "a", "b")
	made, err := catdog.MakeDirs(filepath.Join(b, "c"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (catdog.MadeDirs{filepath.Join(b, "c"), b, a}); !slices.Equal(made, want) {
		t.Fatalf("made %v, want %v", made, want)
	}
	if err := os.WriteFile(filepath.Join(a, "kept"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	made.RemoveEmpty()
	if _, err := os.Stat(b); err == nil {
		t.Errorf("%s is left", b)
	}
	if _, err := os.Stat(a); err != nil {
		t.Errorf("%s, which holds a file, was removed: %v", a, err)
	}
}
