package dlsearch

import (
	"errors"
	"strings"
	"testing"
)

var errNotLoaded = errors.New("not loaded")

func TestFirst(t *testing.T) {
	var tried []string
	load := func(msgs map[string]string) func(string) string {
		return func(p string) string {
			tried = append(tried, p)
			return msgs[p]
		}
	}
	// The first that loads wins; a missing folder's file is not tried.
	tried = nil
	err := First("lib", []string{"liba.so.1", "/no/such/dir/liba.so.1", "liba.so"}, errNotLoaded,
		load(map[string]string{"liba.so.1": "liba.so.1: cannot open shared object file: No such file or directory"}))
	if err != nil || strings.Join(tried, " ") != "liba.so.1 liba.so" {
		t.Errorf("First = %v after trying %v, want success on liba.so", err, tried)
	}
	// None loads: the error names the files and keeps the telling reason.
	tried = nil
	err = First("lib", []string{"liba.so.1", "liba.so"}, errNotLoaded, load(map[string]string{
		"liba.so.1": "liba.so.1: symbol f not found", "liba.so": "liba.so: No such file or directory"}))
	if !errors.Is(err, errNotLoaded) || !strings.Contains(err.Error(), "tried liba.so.1, liba.so") ||
		!strings.HasSuffix(err.Error(), "symbol f not found") {
		t.Errorf("First = %v, want ErrNotLoaded naming both files and the missing symbol", err)
	}
}
