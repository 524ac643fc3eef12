package catdog_test

import (
	"errors"
	"maps"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// TestReadMetaRefusesWhatItCannotBuild rewrites a small perceptron's
// checkpoint with metadata from a newer build, of an unknown
// architecture, and claiming layers its tensors cannot hold: ReadMeta
// refuses each, saying which and naming the file, without building
// anything (a claimed billion-unit layer would need 40 TB).
func TestReadMetaRefusesWhatItCannotBuild(t *testing.T) {
	dir := t.TempDir()
	_, raw, ts := saveSmallMLP(t, dir)
	tests := []struct {
		name   string
		change map[string]any
		want   error
		says   []string
	}{
		{"newer format", map[string]any{"format": catdog.FormatVersion + 1}, catdog.ErrNewerFormat, []string{"format 5", "newer build", "formats 1 to 4"}},
		{"format zero", map[string]any{"format": 0}, catdog.ErrBadMeta, []string{"format 0"}},
		{"another architecture", map[string]any{"arch": "transformer"}, catdog.ErrUnknownArch, []string{`"transformer"`}},
		{"billion-unit layer", map[string]any{"hidden": []int{1e9}}, catdog.ErrBadMeta, []string{"hidden layer width 1000000000"}},
		{"more layers than tensors", map[string]any{"hidden": []int{4, 4}}, catdog.ErrBadMeta, []string{"parameters", "hold"}},
		{"two channels", map[string]any{"channels": 2}, catdog.ErrBadMeta, []string{"2 channels"}},
		{"side of a million", map[string]any{"side": 1e6}, catdog.ErrBadMeta, []string{"side 1000000"}},
		{"huge batch", map[string]any{"batch": 1 << 40}, catdog.ErrBadMeta, []string{"batch"}},
		{"huge CNN maps", map[string]any{"arch": "cnn", "model": "cnn", "hidden": nil, "activation": "", "side": 4096,
			"cnn": map[string]any{"blocks": []map[string]any{{"Filters": 64, "Kernel": 1, "Activation": "relu"}}, "dense": []map[string]any{{"Units": 1, "Activation": "sigmoid"}}}},
			catdog.ErrBadMeta, []string{"values for one image"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := maps.Clone(raw)
			maps.Copy(m, tt.change)
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".safetensors")
			if err := checkpoint.Save(p, m, ts); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := catdog.ReadMeta(p)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("ReadMeta: %v; want %v naming the file", err, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("ReadMeta: %q does not say %q", err, s)
				}
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
				t.Errorf("ReadMeta allocated %d bytes before refusing", got)
			}
		})
	}
}
