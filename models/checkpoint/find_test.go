package checkpoint

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   []string // created empty in a fresh folder
		arg     string   // relative to that folder; "" means the folder itself
		want    string   // relative to the folder; "" means an error
		wantErr string   // a substring of the error, besides the path
	}{
		{name: "file", files: []string{"run7.safetensors"}, arg: "run7.safetensors", want: "run7.safetensors"},
		{name: "best and last", files: []string{BestFile, LastFile}, want: BestFile},
		{name: "only last", files: []string{LastFile}, want: LastFile},
		{name: "only best", files: []string{BestFile}, want: BestFile},
		{name: "empty folder", wantErr: "folder holds neither best.safetensors nor last.safetensors"},
		{name: "folder named best", files: []string{BestFile + "/x", LastFile}, want: LastFile},
		{name: "missing path", arg: "nope.safetensors", wantErr: "no such file or directory (want a .safetensors file, or a folder holding best.safetensors or last.safetensors)"},
		{name: "other extension", files: []string{"best.json"}, arg: "best.json", wantErr: "not a .safetensors file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, f := range tt.files {
				path := filepath.Join(dir, f)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			arg := dir
			if tt.arg != "" {
				arg = filepath.Join(dir, tt.arg)
			}
			got, err := Find(arg)
			if tt.want != "" {
				if want := filepath.Join(dir, tt.want); err != nil || got != want {
					t.Errorf("Find(%s) = %q, %v; want %q", arg, got, err, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Find(%s) = %q, want an error", arg, got)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "checkpoint: "+arg+": ") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("err = %q, want it to name %s and say %q", msg, arg, tt.wantErr)
			}
		})
	}
}

func TestFindNothingIsNotExist(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{t.TempDir(), filepath.Join(t.TempDir(), "gone")} {
		if _, err := Find(arg); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Find(%s): err = %v, want fs.ErrNotExist", arg, err)
		}
	}
	if _, err := Find(""); err == nil || !strings.Contains(err.Error(), "no model path given") {
		t.Errorf(`Find(""): err = %v, want "no model path given"`, err)
	}
}
