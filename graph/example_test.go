package graph_test

import (
	"fmt"

	"github.com/neurone-dl/neurone/backend"
	_ "github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph"
)

// Train a small perceptron to compute XOR, the function a single neuron
// cannot learn, on the CPU.
func ExampleMLP() {
	m, err := graph.MLP(graph.MLPSpec{Inputs: 2, Batch: 4, Seed: 1, Layers: []graph.LayerSpec{
		{Units: 8, Activation: graph.Tanh}, {Units: 1, Activation: graph.Sigmoid}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Targets, the cross-entropy of the logits, and the backward pass.
	obj, err := graph.BinaryClassification(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	be, _ := backend.Open("cpu")
	prog, err := be.Compile(backend.TrainSpec(m, obj, graph.NewAdam(0.05)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	x := []float32{0, 0, 0, 1, 1, 0, 1, 1}
	y := []float32{0, 1, 1, 0}
	for range 300 {
		if _, err := prog.Train(x, y); err != nil {
			fmt.Println(err)
			return
		}
	}
	p := make([]float32, 4)
	if err := prog.Predict([][]float32{p}, x, nil); err != nil {
		fmt.Println(err)
		return
	}
	for i, v := range p {
		fmt.Printf("%v xor %v = %.0f\n", x[2*i], x[2*i+1], v)
	}
	// Output:
	// 0 xor 0 = 0
	// 0 xor 1 = 1
	// 1 xor 0 = 1
	// 1 xor 1 = 0
}

// Train a small convolutional network to tell vertical bars from
// horizontal ones in 6×6 images, wherever the bar lies, on the CPU.
func ExampleCNN() {
	const batch, side = 12, 6
	m, err := graph.CNN(graph.CNNSpec{
		Channels: 1, Height: side, Width: side, Batch: batch, Seed: 1, Dropout: 0.25,
		Blocks: []graph.ConvBlock{{ConvSpec: graph.ConvSpec{Filters: 4, Kernel: 3, Padding: 1, Activation: graph.ReLU}, Pool: 2}},
		Dense:  []graph.LayerSpec{{Units: 8, Activation: graph.ReLU}, {Units: 1, Activation: graph.Sigmoid}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	obj, err := graph.BinaryClassification(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	be, _ := backend.Open("cpu")
	prog, err := be.Compile(backend.TrainSpec(m, obj, graph.NewAdam(0.02)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	// Images 0-5: a vertical bar in column i (label 1); 6-11: a horizontal
	// bar in row i (label 0).
	x, y := make([]float32, batch*side*side), make([]float32, batch)
	for i := range side {
		for k := range side {
			x[i*side*side+k*side+i] = 1
			x[(side+i)*side*side+i*side+k] = 1
		}
		y[i] = 1
	}
	for range 150 {
		if _, err := prog.Train(x, y); err != nil {
			fmt.Println(err)
			return
		}
	}
	p := make([]float32, batch)
	if err := prog.Predict([][]float32{p}, x, nil); err != nil {
		fmt.Println(err)
		return
	}
	correct := 0
	for i, v := range p {
		if (v > 0.5) == (y[i] == 1) {
			correct++
		}
	}
	fmt.Printf("%d of %d images classified correctly\n", correct, batch)
	// Output:
	// 12 of 12 images classified correctly
}

// A cosine schedule over 6 epochs after a 1-epoch warm-up; a training loop
// passes each epoch's rate to its Program with SetLearningRate.
func ExampleSchedule() {
	s := graph.Schedule{Kind: graph.ScheduleCosine, Epochs: 6, Warmup: 1}
	if err := s.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s)
	for epoch := 1; epoch <= 6; epoch++ {
		fmt.Printf("epoch %d: lr %.6f\n", epoch, s.LearningRate(0.001, epoch))
	}
	// Output:
	// cosine until epoch 6, after a 1-epoch warm-up
	// epoch 1: lr 0.000500
	// epoch 2: lr 0.001000
	// epoch 3: lr 0.000905
	// epoch 4: lr 0.000655
	// epoch 5: lr 0.000345
	// epoch 6: lr 0.000095
}
