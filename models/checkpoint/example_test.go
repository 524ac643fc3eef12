package checkpoint_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/neurone-dl/neurone/backend"
	_ "github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
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

// Save a model trained with the graph builders, and load it into a new
// program, as a run that resumes or a program that predicts would.
func Example_params() {
	dir, err := os.MkdirTemp("", "checkpoint-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, checkpoint.LastFile)

	build := func() (*graph.Model, backend.Program) {
		m, err := graph.MLP(graph.MLPSpec{Inputs: 2, Batch: 4, Seed: 1, Layers: []graph.LayerSpec{
			{Units: 8, Activation: graph.Tanh}, {Units: 1, Activation: graph.Sigmoid}}})
		if err != nil {
			log.Fatal(err)
		}
		obj, err := graph.BinaryClassification(m)
		if err != nil {
			log.Fatal(err)
		}
		be, err := backend.Open("cpu")
		if err != nil {
			log.Fatal(err)
		}
		prog, err := be.Compile(backend.TrainSpec(m, obj, optim.NewAdam(0.05)))
		if err != nil {
			log.Fatal(err)
		}
		return m, prog
	}
	x, y := []float32{0, 0, 0, 1, 1, 0, 1, 1}, []float32{0, 1, 1, 0}

	m, prog := build()
	for range 300 {
		if _, err := prog.Train(x, y); err != nil {
			log.Fatal(err)
		}
	}
	if err := prog.Sync(); err != nil { // parameters back from the device
		log.Fatal(err)
	}
	ts, err := checkpoint.FromParams(m.Params())
	if err == nil {
		err = checkpoint.Save(path, map[string]int{"steps": 300}, ts)
	}
	if err != nil {
		log.Fatal(err)
	}
	prog.Close()

	m2, prog2 := build() // freshly initialised
	defer prog2.Close()
	loaded, err := checkpoint.Load(path, nil)
	if err == nil {
		err = checkpoint.ToParams(m2.Params(), loaded)
	}
	if err == nil {
		err = prog2.Load() // parameters to the device
	}
	if err != nil {
		log.Fatal(err)
	}
	p := make([]float32, 4)
	if err := prog2.Predict([][]float32{p}, x, nil); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d tensors; XOR after loading: %.0f\n", len(ts), p)
	// Output:
	// 4 tensors; XOR after loading: [0 1 1 0]
}
