package catdog_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// ExampleRun trains a small perceptron on the built-in synthetic images
// for two epochs, printing a line as each epoch ends. The figures
// themselves (losses, accuracies, speed: p.Record) depend on the machine's
// arithmetic, so this example prints only how the run went.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "catdog-run")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	cfg := catdog.DefaultConfig()
	cfg.Hidden = []int{16}
	train, val, err := synthetic.Generate(96, 1, cfg.Side).Split(0.25, 1)
	if err != nil {
		log.Fatal(err)
	}
	opt := catdog.RunOptions{Dir: dir, Backend: cpu.New(), Config: cfg, Batch: 16, Epochs: 2, Train: train, Val: val}
	res, err := catdog.Run(context.Background(), opt, func(p catdog.Progress) {
		if p.Event == catdog.EpochDone {
			fmt.Printf("epoch %d/%d: %d steps, validation measured: %t, checkpoint written: %t\n",
				p.Epoch, p.Epochs, p.Steps, p.Record.Val != nil, p.Checkpoint != "")
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d epochs in the history; the best is in %s\n", len(res.History), res.TestModel)
	// Output:
	// epoch 1/2: 4 steps, validation measured: true, checkpoint written: true
	// epoch 2/2: 4 steps, validation measured: true, checkpoint written: true
	// 2 epochs in the history; the best is in best.safetensors
}
