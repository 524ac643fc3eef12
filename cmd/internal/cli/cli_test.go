package cli

import (
	"flag"
	"slices"
	"strings"
	"testing"
)

func TestParseInts(t *testing.T) {
	tests := []struct {
		in   string
		want []int // nil: an error
	}{
		{"512,512,512", []int{512, 512, 512}},
		{"32", []int{32}},
		{" 64, 32 ", []int{64, 32}},
		{"", nil},
		{"x", nil},
		{"512,x", nil},
		{"512,,512", nil},
		{"512,0", nil},
		{"-1", nil},
	}
	for _, tt := range tests {
		got, err := ParseInts("--hidden", tt.in)
		switch {
		case tt.want == nil && (err == nil || !IsUsage(err) || !strings.HasPrefix(err.Error(), "--hidden: ")):
			t.Errorf("ParseInts(%q) = %v, %v; want a usage error about --hidden", tt.in, got, err)
		case tt.want != nil && (err != nil || !slices.Equal(got, tt.want)):
			t.Errorf("ParseInts(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestCheckDevice(t *testing.T) {
	for _, ok := range []string{"auto", "cpu", "cuda", "cuda:0", "cuda:12"} {
		if err := CheckDevice(ok); err != nil {
			t.Errorf("CheckDevice(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "gpu", "cuda:", "cuda:-1", "cuda:x", "cpu:0", "CUDA"} {
		if err := CheckDevice(bad); err == nil || !IsUsage(err) {
			t.Errorf("CheckDevice(%q) = %v, want a usage error", bad, err)
		}
	}
}

func TestPrintUsageGroupsFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Int("b", 3, "the `N` of b")
	fs.String("a", "", "a folder")
	fs.Bool("c", false, "turn c on")
	var out strings.Builder
	PrintUsage(&out, fs, "Usage: x\n", []FlagGroup{{Title: "First", Flags: []string{"b", "a"}}})
	want := "Usage: x\n\nFirst:\n  --b N\n    \tthe N of b (default 3)\n  --a string\n    \ta folder\n\nOther:\n  --c\n    \tturn c on\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}
