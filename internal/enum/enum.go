// Package enum gives small enumerations (activations, optimizers,
// schedules) their names: String, Parse and the text encoding that flags
// and JSON files use, written once for all of them.
//
// # Overview
//
// A Names lists the name of each value of an enumeration T, an unsigned
// integer type whose values are the indices. Names[0] may be "": the zero
// value then means "not set", is written as "" and parsed from "" only by
// UnmarshalText, so that files written before a field existed (or with it
// empty) still read. Parse, what flags call, refuses "" in that case.
package enum

import (
	"fmt"
	"strings"
)

// Names names the values of an enumeration T.
type Names[T ~uint8] struct {
	// Pkg and What name the package and the enumeration in error
	// messages: "graph", "activation".
	Pkg, What string
	// Names[i] is the name of T(i); "" for the zero value means unset.
	Names []string
}

// String returns v's name, or T(n) for a value out of range.
func (n Names[T]) String(v T) string {
	if int(v) < len(n.Names) {
		return n.Names[v]
	}
	return fmt.Sprintf("%s(%d)", n.What, v)
}

// Valid reports whether v is one of the named values (not the unset zero).
func (n Names[T]) Valid(v T) bool {
	return int(v) < len(n.Names) && n.Names[v] != ""
}

// Parse returns the value named s.
func (n Names[T]) Parse(s string) (T, error) {
	for i, name := range n.Names {
		if name == s && s != "" {
			return T(i), nil
		}
	}
	return 0, fmt.Errorf("%s: unknown %s %q (want %s)", n.Pkg, n.What, s, n.List())
}

// List is the names, for messages: "a, b or c".
func (n Names[T]) List() string {
	var names []string
	for _, name := range n.Names {
		if name != "" {
			names = append(names, name)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// MarshalText writes v's name; a value out of range is an error.
func (n Names[T]) MarshalText(v T) ([]byte, error) {
	if int(v) >= len(n.Names) {
		return nil, fmt.Errorf("%s: %s %d has no name", n.Pkg, n.What, v)
	}
	return []byte(n.Names[v]), nil
}

// UnmarshalText sets *v to the value named text; "" is the zero value.
func (n Names[T]) UnmarshalText(v *T, text []byte) error {
	if len(text) == 0 {
		*v = 0
		return nil
	}
	p, err := n.Parse(string(text))
	if err != nil {
		return err
	}
	*v = p
	return nil
}
