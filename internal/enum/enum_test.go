package enum

import (
	"encoding/json"
	"testing"
)

type color uint8

var colorNames = Names[color]{Pkg: "paint", What: "color", Names: []string{"", "red", "green", "blue"}}

func (c color) String() string                   { return colorNames.String(c) }
func (c color) MarshalText() ([]byte, error)     { return colorNames.MarshalText(c) }
func (c *color) UnmarshalText(text []byte) error { return colorNames.UnmarshalText(c, text) }

func TestNames(t *testing.T) {
	t.Parallel()
	for i, name := range []string{"red", "green", "blue"} {
		c, err := colorNames.Parse(name)
		if err != nil || c != color(i+1) || c.String() != name || !colorNames.Valid(c) {
			t.Errorf("Parse(%q) = %d (%v), %v", name, c, c, err)
		}
	}
	for _, bad := range []string{"", "Red", "purple"} {
		if _, err := colorNames.Parse(bad); err == nil || err.Error() != `paint: unknown color "`+bad+`" (want red, green or blue)` {
			t.Errorf("Parse(%q): %v", bad, err)
		}
	}
	if colorNames.Valid(0) || colorNames.Valid(4) {
		t.Error("the unset zero or a value out of range is valid")
	}
	if got := color(9).String(); got != "color(9)" {
		t.Errorf("out of range: %q", got)
	}
}

// TestNamesJSON: values travel as their names, the unset zero as "",
// which reads back as the zero value.
func TestNamesJSON(t *testing.T) {
	t.Parallel()
	type doc struct{ A, B color }
	out, err := json.Marshal(doc{A: 2})
	if err != nil || string(out) != `{"A":"green","B":""}` {
		t.Fatalf("%s, %v", out, err)
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"A":"blue","B":""}`), &d); err != nil || d != (doc{A: 3}) {
		t.Errorf("%+v, %v", d, err)
	}
	if err := json.Unmarshal([]byte(`{"A":"mauve"}`), &d); err == nil {
		t.Error("an unknown name was read")
	}
	if _, err := json.Marshal(doc{A: 7}); err == nil {
		t.Error("a value out of range was written")
	}
}
