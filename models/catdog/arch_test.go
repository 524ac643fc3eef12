package catdog_test

import (
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

func TestUnknownArch(t *testing.T) {
	t.Parallel()
	cfg := catdog.DefaultConfig()
	cfg.Arch = "vgg16"
	_, err := catdog.NewNetwork(cfg, 2, cpu.New(), graph.NewSGD(0.1))
	if !errors.Is(err, catdog.ErrUnknownArch) || !strings.Contains(err.Error(), `"vgg16"`) || !strings.Contains(err.Error(), catdog.ArchMLP6) {
		t.Errorf("NewNetwork with arch vgg16: %v", err)
	}
}

// TestCheckpointArch saves a small network and reads its architecture
// back; a checkpoint without the field (as written before it existed)
// reads as mlp6, and one of an unknown architecture is refused.
func TestCheckpointArch(t *testing.T) {
	t.Parallel()
	cfg := catdog.DefaultConfig()
	cfg.Hidden = []int{4}
	net, err := catdog.NewNetwork(cfg, 2, cpu.New(), graph.NewSGD(0.1))
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "net.safetensors")
	if err := net.Save(path, catdog.Meta{Epoch: 1, Optimizer: graph.NewSGD(0.1)}); err != nil {
		t.Fatal(err)
	}
	meta, ts, err := catdog.ReadMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Arch != catdog.ArchMLP6 || meta.Config().Arch != catdog.ArchMLP6 {
		t.Errorf("saved arch %q, config arch %q; want %q", meta.Arch, meta.Config().Arch, catdog.ArchMLP6)
	}

	// Rewrite the metadata as a generic map, with the arch left out or changed.
	var raw map[string]any
	if _, err := checkpoint.Load(path, &raw); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		arch    any // nil: no field
		wantErr bool
	}{
		{"no arch field", nil, false},
		{"unknown arch", "transformer", true},
	}
	for _, tt := range tests {
		m := maps.Clone(raw)
		delete(m, "arch")
		if tt.arch != nil {
			m["arch"] = tt.arch
		}
		p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".safetensors")
		if err := checkpoint.Save(p, m, ts); err != nil {
			t.Fatal(err)
		}
		got, _, err := catdog.ReadMeta(p)
		switch {
		case tt.wantErr && (!errors.Is(err, catdog.ErrUnknownArch) || !strings.Contains(err.Error(), p)):
			t.Errorf("%s: ReadMeta error %v, want ErrUnknownArch naming the file", tt.name, err)
		case !tt.wantErr && (err != nil || got.Arch != catdog.ArchMLP6):
			t.Errorf("%s: arch %q, error %v; want %q", tt.name, got.Arch, err, catdog.ArchMLP6)
		}
	}
}
