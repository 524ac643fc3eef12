package graph_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/neurone-dl/neurone/backend"
	_ "github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
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
	prog, err := be.Compile(backend.TrainSpec(m, obj, optim.NewAdam(0.05)))
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

// Train a perceptron with a softmax output to tell which third of the
// plane a point lies in (by its angle: three classes), on the CPU.
func ExampleMulticlassClassification() {
	const n, classes = 120, 3
	m, err := graph.MLP(graph.MLPSpec{Inputs: 2, Batch: n, Seed: 1, Layers: []graph.LayerSpec{
		{Units: 16, Activation: graph.Tanh}, {Units: classes, Activation: graph.Softmax}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Targets (one-hot rows), the softmax cross-entropy of the logits,
	// and the backward pass.
	obj, err := graph.MulticlassClassification(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	be, _ := backend.Open("cpu")
	prog, err := be.Compile(backend.TrainSpec(m, obj, optim.NewAdam(0.05)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	// Points at random angles and radii; class k holds the angles from
	// 120°·k to 120°·(k+1), less a 6° gap on each side of the borders.
	rng := rand.New(rand.NewPCG(1, 2))
	x, y, label := make([]float32, 2*n), make([]float32, classes*n), make([]int, n)
	for i := range n {
		k := i % classes
		a := (float64(k) + 0.05 + 0.9*rng.Float64()) * 2 * math.Pi / classes
		r := 0.2 + rng.Float64()
		x[2*i], x[2*i+1] = float32(r*math.Cos(a)), float32(r*math.Sin(a))
		y[classes*i+k], label[i] = 1, k
	}
	for range 400 {
		if _, err := prog.Train(x, y); err != nil {
			fmt.Println(err)
			return
		}
	}
	p := make([]float32, classes*n) // each row: the class probabilities
	if err := prog.Predict([][]float32{p}, x, nil); err != nil {
		fmt.Println(err)
		return
	}
	correct, sums := 0, true
	for i := range n {
		row := p[classes*i : classes*(i+1)]
		best := 0
		for k := range row {
			if row[k] > row[best] {
				best = k
			}
		}
		if best == label[i] {
			correct++
		}
		sums = sums && math.Abs(float64(row[0]+row[1]+row[2])-1) < 1e-5
	}
	fmt.Printf("%d of %d points classified correctly; probabilities add up to 1: %v\n", correct, n, sums)
	// Output:
	// 120 of 120 points classified correctly; probabilities add up to 1: true
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
	prog, err := be.Compile(backend.TrainSpec(m, obj, optim.NewAdam(0.02)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	x, y := bars(side)
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
	correct := classifiedRight(p, y)
	fmt.Printf("%d of %d images classified correctly\n", correct, batch)
	// Output:
	// 12 of 12 images classified correctly
}

// The bars of ExampleCNN again, with batch normalisation in the block:
// prediction normalises with the running statistics that training kept,
// not with the batch's.
func ExampleBatchNorm() {
	const batch, side = 12, 6
	m, err := graph.CNN(graph.CNNSpec{
		Channels: 1, Height: side, Width: side, Batch: batch, Seed: 1,
		Blocks: []graph.ConvBlock{{ConvSpec: graph.ConvSpec{Filters: 4, Kernel: 3, Padding: 1, Activation: graph.ReLU}, Pool: 2, BatchNorm: true}},
		Dense:  []graph.LayerSpec{{Units: 1, Activation: graph.Sigmoid}},
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
	prog, err := be.Compile(backend.TrainSpec(m, obj, optim.NewAdam(0.02)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	x, y := bars(side)
	for range 100 {
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
	correct := classifiedRight(p, y)
	mean := m.Buffers()[0].Value().Data().([]float32)
	fmt.Printf("%d of %d images classified correctly; running means moved from 0: %v\n", correct, batch, mean[0] != 0)
	// Output:
	// 12 of 12 images classified correctly; running means moved from 0: true
}

// bars returns 2·side images side×side: in image i < side a vertical bar
// in column i (label 1), in image side+i a horizontal bar in row i (label
// 0).
func bars(side int) (x, y []float32) {
	x, y = make([]float32, 2*side*side*side), make([]float32, 2*side)
	for i := range side {
		for k := range side {
			x[i*side*side+k*side+i] = 1
			x[(side+i)*side*side+i*side+k] = 1
		}
		y[i] = 1
	}
	return x, y
}

// classifiedRight counts the probabilities p on the right side of 0.5 for
// the labels y.
func classifiedRight(p, y []float32) int {
	n := 0
	for i, v := range p {
		if (v > 0.5) == (y[i] == 1) {
			n++
		}
	}
	return n
}
