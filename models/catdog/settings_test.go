package catdog

import (
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// defaultSettings are catdog-train's defaults.
func defaultSettings() Settings {
	return Settings{Synthetic: 6000, TestSplit: 0.1, Val: 0.2, Arch: ArchMLP6, Optimizer: optim.Adam, Epochs: 10, Batch: 64, Seed: 1,
		LRStep: 10, LRGamma: 0.1, Given: map[string]bool{}}
}

// TestValidate checks that each bad setting is refused with a
// SettingError naming it, and that the defaults pass.
func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(s *Settings)
		given []string
		names string // of the SettingError; "" for none
		want  string
	}{
		{"defaults", func(*Settings) {}, nil, "", ""},
		{"val above one", func(s *Settings) { s.Val = 1.5 }, nil, "val", "1.5 is not a fraction in [0, 1)"},
		{"synthetic with data", func(s *Settings) { s.Data = "photos" }, []string{"synthetic"}, "synthetic", "only without --data"},
		{"zero epochs", func(s *Settings) { s.Epochs = 0 }, nil, "epochs", "0 is not a positive number of epochs"},
		{"zero learning rate", func(s *Settings) { s.LR = 0 }, []string{"lr"}, "lr", "0 is not a positive learning rate"},
		{"negative weight decay", func(s *Settings) { s.WeightDecay = -1 }, nil, "weight-decay", "-1 is not a weight decay"},
		{"side too small", func(s *Settings) { s.Side = 4 }, nil, "side", "4 is not an image side from 8 to 1024 pixels"},
		{"unknown pixels", func(s *Settings) { s.Pixels = "sepia" }, nil, "pixels", `"sepia" is not a pixel encoding`},
		{"cnn too deep for the side", func(s *Settings) { s.Arch, s.Side, s.Filters = ArchCNN, 16, []int{8, 8, 8, 8} }, []string{"filters"},
			"filters", "8,8,8,8 blocks do not fit 16x16 images"},
		{"unknown architecture", func(s *Settings) { s.Arch = "vgg16" }, nil, "model", `"vgg16" is not an architecture`},
		{"filters of a perceptron", func(s *Settings) { s.Filters = []int{8} }, []string{"filters"}, "filters", "--model mlp6 has none"},
		{"cnn too large", func(s *Settings) { s.Arch, s.Filters, s.Hidden = ArchCNN, []int{64}, []int{100000} }, []string{"filters", "hidden"},
			"filters, hidden", "these layers make a cnn of"},
		{"gamma without step", func(*Settings) {}, []string{"lr-gamma"}, "lr-gamma", "applies to --lr-schedule step only; --lr-schedule is none"},
		{"warm-up fills the cosine", func(s *Settings) { s.Schedule, s.Warmup = optim.ScheduleCosine, 10 }, nil, "warmup", "leave none of --epochs 10"},
		{"patience without validation", func(s *Settings) { s.Patience, s.Val = 3, 0 }, nil, "patience", "it needs --val above 0"},
		// On resume, the checkpoint's architecture and schedule decide.
		{"resumed filters", func(s *Settings) { s.Resume, s.Filters = true, []int{8} }, []string{"filters", "lr-gamma"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := defaultSettings()
			tt.edit(&s)
			for _, g := range tt.given {
				s.Given[g] = true
			}
			err := s.Validate()
			var se *SettingError
			switch {
			case tt.names == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.names == "":
			case !errors.As(err, &se):
				t.Errorf("error %v, want a SettingError about %s", err, tt.names)
			case strings.Join(se.Names, ", ") != tt.names || !strings.Contains(se.Msg, tt.want):
				t.Errorf("error %v, want one about %s saying %q", err, tt.names, tt.want)
			}
		})
	}
}

// TestRunOptions checks the run that the default settings and a few
// others make.
func TestRunOptions(t *testing.T) {
	s := defaultSettings()
	s.Arch, s.BatchNorm, s.Schedule, s.Augment, s.Optimizer = ArchCNN, true, optim.ScheduleCosine, true, optim.SGD
	s.WeightDecay, s.Side = 0.05, 64
	opt, err := s.RunOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opt.Optimizer.LearningRate != 0.01 || opt.Optimizer.WeightDecay != 0.05 || opt.Config.Side != 64 || opt.Schedule.Epochs != 10 ||
		!opt.Config.CNN.BatchNorm() || opt.Augment != DefaultAugmentation() || opt.Data == nil || opt.Data.Synthetic != 6000 || opt.Config.Seed != 1 {
		t.Errorf("run options: %+v", opt)
	}
	s.Resume = true
	if opt, err = s.RunOptions(); err != nil || opt.Optimizer != (optim.Optimizer{}) || opt.Epochs != 10 {
		t.Errorf("resumed run options: %+v, %v; want only the settings Resume takes", opt, err)
	}
}

// TestRecordedEpochs checks where a resumed run's epochs come from when
// they are not given: the checkpoint, or for checkpoints that predate
// recording them, a cosine schedule's span or the default, and the note
// that says which.
func TestRecordedEpochs(t *testing.T) {
	cosine := optim.Schedule{Kind: optim.ScheduleCosine, Epochs: 7}
	for _, tt := range []struct {
		name string
		meta Meta
		set  bool
		want int
		note string
	}{
		{"recorded", Meta{Epochs: 3, Schedule: cosine}, false, 3, ""},
		{"given", Meta{Epochs: 3}, true, 12, ""},
		{"old cosine", Meta{Schedule: cosine}, false, 7, "its cosine schedule's span"},
		{"old", Meta{}, false, 10, "the default"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &Settings{Epochs: 10, Given: map[string]bool{}}
			if tt.set {
				s.Epochs, s.Given["epochs"] = 12, true
			}
			s.mergeEpochs(tt.meta)
			note := (&SavedRun{Last: tt.meta}).EpochsNote(s)
			if s.Epochs != tt.want || !strings.Contains(note, tt.note) || (tt.note == "") != (note == "") {
				t.Errorf("epochs %d, note %q; want %d, a note saying %q", s.Epochs, note, tt.want, tt.note)
			}
		})
	}
}

// TestLoadData checks the split of the synthetic set, stratified and
// seeded, and that a photo folder without images fails as a DataError
// naming its setting.
func TestLoadData(t *testing.T) {
	s := defaultSettings()
	s.Synthetic = 100
	var log strings.Builder
	d, err := s.LoadData(dataset.Options{}, &log)
	if err != nil {
		t.Fatal(err)
	}
	if d.Source != "synthetic" || d.Test.Len() != 10 || d.Val.Len() != 18 || d.Train.Len() != 72 {
		t.Errorf("source %q, sets of %d, %d and %d images; want synthetic, 72, 18, 10", d.Source, d.Train.Len(), d.Val.Len(), d.Test.Len())
	}
	for _, want := range []string{"SYNTHETIC stand-in", "split (seed 1): train 72"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, log.String())
		}
	}
	s.Data = t.TempDir()
	_, err = s.LoadData(dataset.Options{}, io.Discard)
	var de *DataError
	if !errors.As(err, &de) || de.Name != "data" || !errors.Is(err, de.Err) {
		t.Errorf("loading an empty folder: %v, want a DataError about data", err)
	}
}

// TestCheckRanks checks that a batch that processes cannot split equally
// is refused, naming batch, except on resume, where the checkpoint's is
// checked.
func TestCheckRanks(t *testing.T) {
	s := defaultSettings()
	s.Batch = 15
	var se *SettingError
	if err := s.CheckRanks(2); !errors.As(err, &se) || se.Names[0] != "batch" || !strings.Contains(se.Msg, "15 images do not split into 2 equal shards") {
		t.Errorf("batch 15 over 2 processes: %v", err)
	}
	if err := s.CheckRanks(3); err != nil {
		t.Errorf("batch 15 over 3 processes: %v", err)
	}
	s.Resume = true
	if err := s.CheckRanks(2); err != nil {
		t.Errorf("resumed: %v", err)
	}
}

// TestPrepareResumeWithoutRun checks that a folder without a run is
// reported as such, with no run returned.
func TestPrepareResumeWithoutRun(t *testing.T) {
	s := defaultSettings()
	saved, err := PrepareResume(t.TempDir(), nil, &s)
	if saved != nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("PrepareResume of an empty folder: %v, %v; want nil and fs.ErrNotExist", saved, err)
	}
}

// TestColourSettings checks that Colour makes a model of 3 input
// channels and colour data (the synthetic set as 3 equal planes), shows
// as --colour, and that Merge takes a colour checkpoint's colour for a
// resumed run that leaves it out, refusing one given otherwise.
func TestColourSettings(t *testing.T) {
	s := defaultSettings()
	s.Arch, s.Colour, s.Synthetic = ArchCNN, true, 40
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	opt, err := s.RunOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opt.Config.Channels != dataset.RGB || opt.Config.CNNSpec(1).Channels != dataset.RGB || !strings.Contains(s.String(), " --colour") {
		t.Errorf("colour settings: channels %d, %q", opt.Config.Channels, s.String())
	}
	d, err := s.LoadData(dataset.Options{}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Channels != dataset.RGB || d.Test.Channels != dataset.RGB || d.Train.Size() != 3*100*100 {
		t.Errorf("colour data: channels %d and %d, %d values an image", d.Train.Channels, d.Test.Channels, d.Train.Size())
	}

	saved := &SavedRun{Last: Meta{Arch: ArchMLP6, Side: 100, Channels: dataset.RGB, Hidden: []int{8}, Batch: 64, Seed: 1,
		Optimizer: optim.NewAdam(0.001)}}
	resumed := defaultSettings()
	resumed.Resume = true
	if err := saved.Merge(&resumed); err != nil || !resumed.Colour {
		t.Errorf("resuming a colour run: colour %t, %v; want the checkpoint's", resumed.Colour, err)
	}
	refused := defaultSettings()
	refused.Resume, refused.Given["colour"] = true, true
	var se *SettingError
	if err := saved.Merge(&refused); !errors.As(err, &se) || se.Names[0] != "colour" || !strings.Contains(se.Msg, "false differs from the checkpoint's true") {
		t.Errorf("resuming a colour run with --colour=false: %v, want it refused", err)
	}
	gray := *saved
	gray.Last.Channels = 0 // as checkpoints older than colour
	s.Resume, s.Given["colour"] = true, false
	if err := gray.Merge(&s); err != nil || s.Colour {
		t.Errorf("resuming a grayscale run: colour %t, %v; want grayscale", s.Colour, err)
	}
}

// TestPixelSettings checks that --pixels reaches the model's
// configuration and the settings' flags, that the perceptron's photo
// recipe standardises photos unless --pixels is given, and that a resume
// takes the checkpoint's encoding and refuses another.
func TestPixelSettings(t *testing.T) {
	s := defaultSettings()
	s.Pixels = dataset.Standardised
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	opt, err := s.RunOptions()
	if err != nil || opt.Config.Pixels != dataset.Standardised || !strings.Contains(s.String(), " --pixels standardised") {
		t.Errorf("standardised settings: config pixels %q, %q, %v", opt.Config.Pixels, s.String(), err)
	}
	for _, given := range []bool{false, true} {
		p := defaultSettings()
		p.Data, p.Pixels, p.Given["pixels"] = "photos", dataset.Unit, given
		p.ApplyPhotoRecipe(false)
		if want := map[bool]dataset.Encoding{false: dataset.Standardised, true: dataset.Unit}[given]; p.Pixels != want {
			t.Errorf("mlp6 photos, --pixels given %t: %q, want %q", given, p.Pixels, want)
		}
	}

	saved := &SavedRun{Last: Meta{Arch: ArchMLP6, Side: 100, Pixels: dataset.Standardised, Hidden: []int{8}, Batch: 64, Seed: 1,
		Optimizer: optim.NewAdam(0.001)}}
	resumed := defaultSettings()
	resumed.Resume = true
	if err := saved.Merge(&resumed); err != nil || resumed.Pixels != dataset.Standardised {
		t.Errorf("resuming a standardised run: pixels %q, %v; want the checkpoint's", resumed.Pixels, err)
	}
	refused := defaultSettings()
	refused.Resume, refused.Pixels, refused.Given["pixels"] = true, dataset.Centred, true
	var se *SettingError
	if err := saved.Merge(&refused); !errors.As(err, &se) || se.Names[0] != "pixels" || !strings.Contains(se.Msg, "centred differs from the checkpoint's standardised") {
		t.Errorf("resuming a standardised run with --pixels centred: %v, want it refused", err)
	}
}
