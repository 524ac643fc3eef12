package catdog

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/graph/optim"
)

// TestApplyPhotoRecipe checks that settings with photos take the
// architecture's photo recipe for those not given, that given ones keep
// their values, and that the synthetic set and Resume keep the settings
// as they are.
func TestApplyPhotoRecipe(t *testing.T) {
	cnn, err := PhotoRecipeFor(ArchCNN, false)
	if err != nil {
		t.Fatal(err)
	}
	with := func(edit func(*Settings), given ...string) Settings {
		s := defaultSettings()
		s.Data = "photos"
		edit(&s)
		for _, g := range given {
			s.Given[g] = true
		}
		s.ApplyPhotoRecipe(false)
		return s
	}

	s := with(func(s *Settings) { s.Arch = ArchCNN }, "model")
	if !slices.Equal(s.Filters, cnn.Filters) || s.BatchNorm != cnn.BatchNorm || s.Augment != cnn.Augment || s.Epochs != cnn.Epochs ||
		s.Schedule != cnn.Schedule || s.Patience != cnn.Patience || s.WeightDecay != cnn.WeightDecay || s.Val != cnn.Val || cnn.Val == 0 {
		t.Errorf("photos with cnn: %+v; want the recipe %+v", s, cnn)
	}

	s = with(func(s *Settings) {
		s.Arch, s.Filters, s.Epochs, s.Schedule, s.WeightDecay, s.Val = ArchCNN, []int{8, 16}, 3, optim.ScheduleNone, 0.5, 0.3
	}, "model", "filters", "epochs", "augment", "lr-schedule", "weight-decay", "val")
	if !slices.Equal(s.Filters, []int{8, 16}) || s.Epochs != 3 || s.Augment || s.Schedule != optim.ScheduleNone || s.WeightDecay != 0.5 || s.Val != 0.3 {
		t.Errorf("settings given: %+v; want them kept", s)
	}

	mlp, err := PhotoRecipeFor(ArchMLP6, false)
	if err != nil {
		t.Fatal(err)
	}
	s = with(func(*Settings) {})
	if s.Augment != mlp.Augment || s.Epochs != mlp.Epochs || s.Patience != mlp.Patience || s.Filters != nil ||
		s.LR != mlp.LearningRate || s.WeightDecay != mlp.WeightDecay {
		t.Errorf("photos with mlp6: %+v; want the recipe %+v", s, mlp)
	}
	// The recipe's rate is Adam's; another optimizer keeps its default.
	if s := with(func(s *Settings) { s.Optimizer = optim.SGD }, "optimizer"); s.LR != 0 {
		t.Errorf("optimizer sgd took the recipe's rate %g", s.LR)
	}

	for name, edit := range map[string]func(*Settings){
		"synthetic set": func(s *Settings) { s.Data = "" },
		"resume":        func(s *Settings) { s.Resume = true },
	} {
		s := with(func(s *Settings) { s.Arch = ArchCNN; edit(s) }, "model")
		if s.Filters != nil || s.BatchNorm || s.Augment || s.Epochs != 10 || s.Schedule != optim.ScheduleNone || s.Patience != 0 || s.WeightDecay != 0 {
			t.Errorf("%s: the settings changed: %+v", name, s)
		}
	}
}

// TestGPUPhotoRecipe checks that the CNN's recipe on a GPU differs from
// the CPU's, that the perceptron's is the same, and that applying the
// CPU's recipe and then the GPU's (as catdog-train does once it has opened
// a GPU) leaves the settings that applying the GPU's alone does, given
// settings kept.
func TestGPUPhotoRecipe(t *testing.T) {
	for _, arch := range Archs() {
		cpuR, _ := PhotoRecipeFor(arch, false)
		gpuR, err := PhotoRecipeFor(arch, true)
		if err != nil {
			t.Fatal(err)
		}
		if differs := cpuR.String() != gpuR.String(); differs != (arch == ArchCNN) {
			t.Errorf("%s: the CPU recipe %q and the GPU's %q: differ %t", arch, cpuR, gpuR, differs)
		}
		for _, given := range [][]string{nil, {"filters", "epochs"}, {"warmup", "lr-per-step"}} {
			fresh := func() Settings {
				s := defaultSettings()
				s.Data, s.Arch, s.Filters, s.Epochs, s.Warmup = "photos", arch, []int{4, 8}, 7, 1
				for _, g := range given {
					s.Given[g] = true
				}
				return s
			}
			both, alone := fresh(), fresh()
			both.ApplyPhotoRecipe(false)
			both.ApplyPhotoRecipe(true)
			alone.ApplyPhotoRecipe(true)
			if !reflect.DeepEqual(both, alone) {
				t.Errorf("%s, %v given: the CPU then the GPU recipe give\n%+v\nthe GPU's alone\n%+v", arch, given, both, alone)
			}
			if arch == ArchCNN && len(given) == 0 && (!slices.Equal(alone.Filters, gpuR.Filters) || alone.Warmup != gpuR.Warmup ||
				alone.LRPerStep != gpuR.PerStep || alone.Epochs != gpuR.Epochs || gpuR.Warmup == 0) {
				t.Errorf("cnn on a GPU: %+v; want the recipe %+v", alone, gpuR)
			}
			if slices.Contains(given, "filters") && !slices.Equal(alone.Filters, []int{4, 8}) {
				t.Errorf("%s: --filters given, changed to %v", arch, alone.Filters)
			}
		}
	}
	for _, arch := range Archs() {
		for _, onGPU := range []bool{false, true} {
			if err := validRecipe(arch, onGPU); err != nil {
				t.Errorf("%s recipe, on a GPU %t: %v", arch, onGPU, err)
			}
		}
	}
}

// validRecipe checks that settings taking all of arch's recipe validate.
func validRecipe(arch string, onGPU bool) error {
	s := defaultSettings()
	s.Data, s.Arch = "photos", arch
	s.ApplyPhotoRecipe(onGPU)
	return s.Validate()
}

// TestPhotoRecipesUsage checks that the usage text gives each
// architecture's recipe as flags.
func TestPhotoRecipesUsage(t *testing.T) {
	got := PhotoRecipesUsage()
	for _, want := range []string{"--model cnn   --val 0.1 --filters 16,32,64,128 --batchnorm --augment --epochs 80 --lr-schedule cosine\n",
		"    on a GPU:    --val 0.1 --filters 48,96,192,384 --batchnorm --augment --epochs 120 --lr-schedule cosine --warmup 2 --lr-per-step\n",
		"--model mlp6  --pixels standardised --batchnorm --augment --epochs 30 --lr-schedule none --patience 5 --lr 0.0003 --weight-decay 0.05\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("usage lacks %q:\n%s", want, got)
		}
	}
}

// TestPhotoRecipeColour checks that a recipe can turn colour on, for the
// settings that leave --colour out, and shows it as the flag.
func TestPhotoRecipeColour(t *testing.T) {
	saved := photoRecipes[ArchCNN]
	if saved.Colour {
		t.Skip("the CNN's recipe is in colour already; TestApplyPhotoRecipe covers it")
	}
	r := saved
	r.Colour = true
	if !strings.Contains(r.String(), "--colour") || strings.Contains(saved.String(), "--colour") {
		t.Errorf("recipe strings %q and %q: --colour shown wrongly", r.String(), saved.String())
	}
	photoRecipes[ArchCNN] = r
	defer func() { photoRecipes[ArchCNN] = saved }()
	for _, given := range []bool{false, true} {
		s := defaultSettings()
		s.Data, s.Arch, s.Given["colour"] = "photos", ArchCNN, given
		s.ApplyPhotoRecipe(false)
		if s.Colour == given {
			t.Errorf("--colour given %t: colour %t", given, s.Colour)
		}
	}
}
