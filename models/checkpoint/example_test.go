package checkpoint_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/neurone-dl/neurone/models/checkpoint"
)

func Example() {
	dir, err := os.MkdirTemp("", "checkpoint-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	type meta struct {
		Epoch    int     `json:"epoch"`
		Accuracy float64 `json:"accuracy"`
	}
	weights := []checkpoint.Tensor{
		{Name: "dense.weight", Shape: []int{2, 2}, Data: []float32{0.5, -1, 2, 0}},
		{Name: "dense.bias", Shape: []int{2}, Data: []float32{0.1, 0.2}},
	}
	if err := checkpoint.Save(filepath.Join(dir, checkpoint.LastFile), meta{Epoch: 3, Accuracy: 0.91}, weights); err != nil {
		log.Fatal(err)
	}

	// What a user passes as --model may be the run's folder.
	path, err := checkpoint.Find(dir)
	if err != nil {
		log.Fatal(err)
	}
	var m meta
	tensors, err := checkpoint.Load(path, &m)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: epoch %d, accuracy %.2f\n", filepath.Base(path), m.Epoch, m.Accuracy)
	for _, t := range tensors {
		fmt.Println(t.Name, t.Shape, t.Data)
	}
	// Output:
	// last.safetensors: epoch 3, accuracy 0.91
	// dense.bias [2] [0.1 0.2]
	// dense.weight [2 2] [0.5 -1 2 0]
}
