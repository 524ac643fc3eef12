package synthetic_test

import (
	"fmt"

	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

func ExampleGenerate() {
	s := synthetic.Generate(6, 42, 100)
	cats, dogs := s.Counts()
	fmt.Println(s.Len(), "images of", s.Side, "x", s.Side)
	fmt.Println(cats, "cats,", dogs, "dogs")
	fmt.Println(s.Paths[0], s.Paths[5])
	// Output:
	// 6 images of 100 x 100
	// 3 cats, 3 dogs
	// synthetic:0 synthetic:5
}
