package catdog

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// MadeDirs are the folders that MakeDirs created, the deepest first.
type MadeDirs []string

// MakeDirs creates the run folder dir and its missing parents, early, so
// that a folder that cannot be made is found before the data is loaded;
// it returns the folders it created, for RemoveEmpty to take back if the
// run fails before writing into them.
func MakeDirs(dir string) (MadeDirs, error) {
	var missing MadeDirs
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	return missing, os.MkdirAll(dir, 0o755)
}

// RemoveEmpty removes the folders of m that are still empty, after a
// failure: a run that wrote nothing leaves nothing.
func (m MadeDirs) RemoveEmpty() {
	for _, d := range m {
		// os.Remove takes only an empty folder; stop at the first that
		// holds something, or that is no longer a folder.
		if info, err := os.Lstat(d); err != nil || !info.IsDir() || os.Remove(d) != nil {
			return
		}
	}
}
