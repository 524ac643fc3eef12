package comm

import (
	"slices"
	"testing"
)

// TestBucketsPlan checks how buffers are grouped: small ones packed in
// order up to the bucket size, one of the bucket's size or more alone in
// place.
func TestBucketsPlan(t *testing.T) {
	cases := []struct {
		name  string
		sizes []int
		want  []group
		buf   int
	}{
		{"empty", nil, nil, 0},
		{"one bucket", []int{3, 4, 1}, []group{{0, 3, 8, true}}, 8},
		{"split", []int{6, 3, 4, 1}, []group{{0, 1, 6, true}, {1, 4, 8, true}}, 8},
		{"large in place", []int{2, 10, 3, 1}, []group{{0, 1, 2, true}, {1, 2, 10, false}, {2, 4, 4, true}}, 4},
		{"exactly full", []int{4, 4, 8}, []group{{0, 2, 8, true}, {2, 3, 8, false}}, 8},
	}
	for _, tc := range cases {
		b := NewBuckets(nil, tc.sizes, 8)
		if !slices.Equal(b.groups, tc.want) || len(b.buf) != tc.buf {
			t.Errorf("%s: groups %v with a buffer of %d, want %v and %d", tc.name, b.groups, len(b.buf), tc.want, tc.buf)
		}
	}
}
