package main

import (
	"bytes"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/cmd/internal/clitest"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
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

// --photos writes JPEGs of the size asked for in PetImages' Cat and Dog
// folders, which catdog-train's reader takes as they are.
func TestWritesPhotos(t *testing.T) {
	dir := t.TempDir()
	var out, errs bytes.Buffer
	if code := run([]string{"--out", dir, "--n", "6", "--photos", "64x48"}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	paths := strings.Fields(out.String())
	if len(paths) != 6 {
		t.Fatalf("wrote %d files, want 6: %v", len(paths), paths)
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if cfg.Width != 64 || cfg.Height != 48 || cfg.ColorModel == color.GrayModel {
			t.Errorf("%s: %dx%d %T, want a 64x48 colour JPEG", p, cfg.Width, cfg.Height, cfg.ColorModel)
		}
	}
	set, rep, err := dataset.LoadFolder(dir, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cats, dogs := set.Counts(); cats != 3 || dogs != 3 || len(rep.Skipped) != 0 {
		t.Errorf("the reader found %d cats, %d dogs, skipped %v; want 3, 3, none", cats, dogs, rep.Skipped)
	}
	for _, bad := range []string{"500", "500x", "0x10", "ax3", "500x375x2", "100000x10"} {
		errs.Reset()
		if code := run([]string{"--out", dir, "--photos", bad}, &out, &errs); code != 2 || !strings.Contains(errs.String(), "--photos") {
			t.Errorf("--photos %q: exit %d, stderr %q", bad, code, errs.String())
		}
	}
}

func TestHelp(t *testing.T) {
	clitest.CheckHelp(t, func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}, "-out DIR", "-n N", "-seed seed", "-photos WxH")
}
