package comm_test

import (
	"fmt"

	"github.com/neurone-dl/neurone/backend/comm"
)

// A training loop under mpirun: FromEnv gives the rank's communicator
// (nil without mpirun: train alone), and Shard the samples of each global
// batch the rank trains on; a backend.Spec with Comm set averages the
// gradients. Here, rank 1 of 4 with a global batch of 256.
func ExampleShard() {
	c, err := comm.FromEnv()
	if err != nil {
		fmt.Println(err)
		return
	}
	if c == nil {
		fmt.Println("not under mpirun: training alone")
	}
	lo, hi, err := comm.Shard(1, 4, 256)
	fmt.Println(lo, hi, err)
	// Output:
	// not under mpirun: training alone
	// 64 128 <nil>
}
