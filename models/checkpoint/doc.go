// Package checkpoint saves and loads model weights, with metadata, as
// safetensors files.
//
// # Overview
//
// A checkpoint is a safetensors file (https://github.com/huggingface/safetensors):
// an 8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw little-endian data. Save writes
// float32 tensors as "F32" and stores the caller's metadata, marshalled to
// JSON, as the string value of the key "neurone" in the header's
// "__metadata__" map, so the same file loads in PyTorch with
// safetensors.torch.load_file and in any other safetensors reader. Save also
// writes a pretty-printed copy of the metadata beside the checkpoint, with
// the extension replaced by ".json", for people to read; Load ignores it.
//
// FromParams and ToParams convert between tensors and a model's parameter
// nodes (graph.Model.Params), checking names and shapes, so a network
// built with package graph is saved and restored in a few lines.
//
// Both files are written atomically (see internal/atomicfile): a crash or a
// failed Save leaves the previous checkpoint whole. Find resolves what a user
// passes as --model: a file, or a folder holding BestFile or LastFile.
//
// # Errors
//
// Every error names the file it concerns ("checkpoint: /runs/a/last.safetensors:
// ..."). A file that is not a well-formed safetensors file (empty, truncated,
// a corrupt header, offsets outside the data) gives an error wrapping
// ErrFormat; check it with errors.Is. A missing file or folder gives an error
// wrapping fs.ErrNotExist. Load never panics on bad input, and checks the
// header against the file's size before reading the data, so a header
// claiming more than the file holds is refused before anything is
// allocated for it; FuzzLoad holds it to that.
//
// # Concurrency
//
// Save, Load and Find hold no shared state and may run concurrently. Two
// Saves to the same path race: the last rename wins and readers never see a
// half-written file, but the checkpoint and its ".json" copy may then come
// from different Saves.
package checkpoint
