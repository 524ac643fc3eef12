// Package dlsearch is the search the run-time library loaders (mpidl,
// nccldl) share: try each candidate file in order, and when none loads,
// say which were tried and the most telling reason.
package dlsearch

import (
	"fmt"
	"os"
	"strings"
)

// First calls load on each of files in order until one succeeds (load
// returns ""), skipping paths with a folder that do not exist; bare names
// go to the dynamic loader's own search. When none loads, the error wraps
// notLoaded, names what and the files, and keeps the most telling message
// load gave: one that is not "No such file" (a missing symbol, a wrong
// architecture) when there is one.
func First(what string, files []string, notLoaded error, load func(path string) string) error {
	var why string
	for _, p := range files {
		if strings.Contains(p, "/") {
			if _, err := os.Stat(p); err != nil {
				continue
			}
		}
		msg := load(p)
		if msg == "" {
			return nil
		}
		if why == "" || !strings.Contains(msg, "No such file") {
			why = msg
		}
	}
	return fmt.Errorf("%w: %s (tried %s): %s", notLoaded, what, strings.Join(files, ", "), why)
}
