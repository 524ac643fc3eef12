package optim_test

import (
	"fmt"

	"github.com/neurone-dl/neurone/graph/optim"
)

// A cosine schedule over 6 epochs after a 1-epoch warm-up. The Rate
// pairs it with the optimizer's base rate; a training loop asks it for
// each step's rate and passes that to its Program with SetLearningRate.
func ExampleRate() {
	rate := optim.NewRate(optim.NewAdam(0.001), optim.Schedule{Kind: optim.ScheduleCosine, Epochs: 6, Warmup: 1})
	if err := rate.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rate.Schedule)
	for epoch := 1; epoch <= 6; epoch++ {
		fmt.Printf("epoch %d: lr %.6f\n", epoch, rate.At(epoch, 0))
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
