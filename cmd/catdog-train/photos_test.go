package main

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog"
)

// TestPhotoRecipe checks that the command gives the flags left out the
// photo recipe of --model with --data (catdog.Settings.ApplyPhotoRecipe,
// tested there), keeps those given and the defaults of the synthetic set,
// and that -h lists the recipes.
func TestPhotoRecipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cnn, err := catdog.PhotoRecipeFor(catdog.ArchCNN)
	if err != nil {
		t.Fatal(err)
	}
	parse := func(args ...string) *options {
		t.Helper()
		o, err := parseFlags(args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return o
	}
	if o := parse("--data", dir, "--model", "cnn", "--epochs", "3"); !slices.Equal(o.Filters, cnn.Filters) || o.Epochs != 3 || o.Augment != cnn.Augment {
		t.Errorf("--data --model cnn --epochs 3: filters %v, epochs %d, augment %t; want the recipe's %+v but 3 epochs", o.Filters, o.Epochs, o.Augment, cnn)
	}
	if o := parse("--model", "cnn"); o.Filters != nil || o.Epochs != 10 || o.Augment {
		t.Errorf("synthetic set: filters %v, epochs %d, augment %t; want the flags' defaults", o.Filters, o.Epochs, o.Augment)
	}
	r := runTrain(t, context.Background(), "-h")
	if r.code != 0 || !strings.Contains(r.stdout, "Photo recipes") || !strings.Contains(r.stdout, "--model cnn   "+cnn.String()) {
		t.Errorf("-h: exit %d, the recipes missing:\n%s", r.code, r.stdout)
	}
}
