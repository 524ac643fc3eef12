package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/cmd/internal/clitest"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// TestPredictRefusesCheckpointsItCannotUse rewrites a trained model's
// checkpoint as a newer build, another architecture and a model larger
// than its tensors would write it, and cuts it short: each is refused
// with exit 1 and a message that says which, before any image is read.
func TestPredictRefusesCheckpointsItCannotUse(t *testing.T) {
	t.Parallel()
	var raw map[string]any
	ts, err := checkpoint.Load(filepath.Join(modelDir(t, catdog.ArchMLP6), checkpoint.LastFile), &raw)
	if err != nil {
		t.Fatal(err)
	}
	photos := clitest.WritePhotos(t, t.TempDir(), clitest.Flat, 4, 3)
	dir := t.TempDir()
	tests := []struct {
		name   string
		change map[string]any
		says   string
	}{
		{"newer format", map[string]any{"format": catdog.FormatVersion + 1}, "is format 5, written by a newer build; this build reads formats 1 to 4"},
		{"unknown architecture", map[string]any{"arch": "transformer"}, `unknown architecture "transformer"`},
		{"claims a huge layer", map[string]any{"hidden": []int{1 << 30, 8}}, "hidden layer width 1073741824, outside 1 to 1048576"},
		{"cut short", nil, "not a valid checkpoint"},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".safetensors")
		m := maps.Clone(raw)
		maps.Copy(m, tt.change)
		if err := checkpoint.Save(path, m, ts); err != nil {
			t.Fatal(err)
		}
		if tt.change == nil {
			data, _ := os.ReadFile(path)
			os.WriteFile(path, data[:len(data)/2], 0o644)
		}
		r := runPredict(t, "--model", path, "--device", "cpu", photos.Dir)
		if r.code != 1 || !strings.Contains(r.stderr, tt.says) || !strings.Contains(r.stderr, path) || r.stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr:\n%s\nwant exit 1 saying %q and naming the file", tt.name, r.code, r.stdout, r.stderr, tt.says)
		}
	}
}

// TestPredictSymlinkLoops classifies a folder holding loops of links (to
// a parent folder, to itself, two links to each other, a link to
// nowhere) beside real photos: it ends, classifies each photo once,
// reports the links that lead nowhere, and gives a loop named on the
// command line a clear error.
func TestPredictSymlinkLoops(t *testing.T) {
	t.Parallel()
	photos := clitest.WritePhotos(t, t.TempDir(), clitest.Flat, 3, 5)
	root := photos.Dir
	sub := filepath.Join(root, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		filepath.Join(sub, "up"):           "..",
		filepath.Join(sub, "up.jpg"):       "..",
		filepath.Join(root, "self.jpg"):    "self.jpg",
		filepath.Join(root, "ping.png"):    "pong.png",
		filepath.Join(root, "pong.png"):    "ping.png",
		filepath.Join(root, "nowhere.gif"): "missing.gif",
		filepath.Join(root, "loop"):        ".",
	}
	for link, target := range links {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan result, 1)
	go func() {
		done <- runPredict(t, "--model", modelDir(t, catdog.ArchMLP6), "--device", "cpu", root, filepath.Join(root, "self.jpg"))
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("catdog-predict did not end on a folder with loops of links")
	}
	if r.code != 1 {
		t.Errorf("exit %d, want 1 (the loops cannot be read)\nstderr:\n%s", r.code, r.stderr)
	}
	// The good photos once each, and the corrupt ones WritePhotos adds
	// reported as failures; nothing reached through a link.
	if got, want := len(lines(r.stdout)), len(photos.Good); got != want {
		t.Errorf("%d results, want %d:\n%s", got, want, r.stdout)
	}
	for _, s := range []string{"self.jpg", "ping.png", "nowhere.gif", "too many levels of symbolic links"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not name %q:\n%s", s, r.stderr)
		}
	}
}
