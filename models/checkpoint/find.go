package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The file names a training run gives its checkpoints in its output folder,
// and that Find looks for there.
const (
	BestFile = "best.safetensors" // the best model by the validation metric
	LastFile = "last.safetensors" // the model after the latest epoch
)

// ext is the extension Find expects of a checkpoint file.
const ext = ".safetensors"

// Find resolves what a user passes as --model to the checkpoint file to
// load: pathOrDir itself if it is a file ending in ".safetensors", or, if it
// is a folder, BestFile in it, else LastFile in it. The error names the path
// and what was looked for; when nothing is there it wraps fs.ErrNotExist.
func Find(pathOrDir string) (string, error) {
	const want = "want a " + ext + " file, or a folder holding " + BestFile + " or " + LastFile
	if pathOrDir == "" {
		return "", errors.New("checkpoint: no model path given (" + want + ")")
	}
	info, err := os.Stat(pathOrDir)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("checkpoint: %s: %w (%s)", pathOrDir, err, want)
	}
	if !info.IsDir() {
		if filepath.Ext(pathOrDir) != ext || !info.Mode().IsRegular() {
			return "", fmt.Errorf("checkpoint: %s: not a %s file (%s)", pathOrDir, ext, want)
		}
		return pathOrDir, nil
	}
	for _, name := range []string{BestFile, LastFile} {
		path := filepath.Join(pathOrDir, name)
		info, err := os.Stat(path)
		switch {
		case err == nil && info.Mode().IsRegular():
			return path, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", fileError(path, err)
		}
	}
	return "", fmt.Errorf("checkpoint: %s: folder holds neither %s nor %s: %w", pathOrDir, BestFile, LastFile, fs.ErrNotExist)
}
