package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWritesPNGs(t *testing.T) {
	dir := t.TempDir()
	var out, errs bytes.Buffer
	if code := run([]string{"--out", dir, "--n", "4"}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	paths := strings.Fields(out.String())
	if len(paths) != 4 {
		t.Fatalf("wrote %d files, want 4: %v", len(paths), paths)
	}
	cats := 0
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if b := img.Bounds(); b.Dx() != 100 || b.Dy() != 100 {
			t.Errorf("%s is %v, want 100x100", p, b)
		}
		if strings.HasPrefix(filepath.Base(p), "cat-") {
			cats++
		}
	}
	if cats != 2 {
		t.Errorf("%d cats among 4 images, want 2", cats)
	}
	if code := run([]string{"--n", "0"}, &out, &errs); code != 2 || !strings.Contains(errs.String(), "--n") {
		t.Errorf("--n 0: exit %d, stderr %q", code, errs.String())
	}
}
