package main

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/neurone-dl/neurone/cmd/internal/cli"
	"github.com/neurone-dl/neurone/models/catdog"
)

// dataFlags are the flags that catdog.DataSettings records, for the
// warning about checkpoints that predate it.
const dataFlags = "--data, --synthetic, --test, --test-split and --val"

// dataSettings returns the settings of the flags that decide which images
// the run uses, as its checkpoints record them: folders absolute and
// cleaned, so that a resume from another folder compares them rightly,
// and only the settings that take effect (--synthetic without --data,
// --test-split without --test).
func (o *options) dataSettings() (*catdog.DataSettings, error) {
	d := &catdog.DataSettings{Synthetic: o.synthetic, TestSplit: o.testSplit, Val: o.val}
	var err error
	if o.data != "" {
		d.Synthetic = 0
		if d.Dir, err = filepath.Abs(o.data); err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
	}
	if o.test != "" {
		d.TestSplit = 0
		if d.Test, err = filepath.Abs(o.test); err != nil {
			return nil, fmt.Errorf("--test: %w", err)
		}
	}
	return d, nil
}

// adoptData takes the data settings of a checkpoint for the flags not
// given, and refuses given flags that contradict them: resuming on other
// images, or on another split of them, would not continue the run. Old
// checkpoints (saved == nil) hold none; the flags stand unchecked.
func (o *options) adoptData(saved *catdog.DataSettings) error {
	if saved == nil {
		return nil
	}
	given, err := o.dataSettings()
	if err != nil {
		return err
	}
	savedData := "synthetic set (--synthetic " + strconv.Itoa(saved.Synthetic) + ")"
	if saved.Dir != "" {
		savedData = "photos (--data " + saved.Dir + ")"
	}
	savedTest := "hold-out (--test-split " + ftoa(saved.TestSplit) + ")"
	if saved.Test != "" {
		savedTest = "test folder (--test " + saved.Test + ")"
	}
	switch {
	case o.set["data"] && given.Dir != saved.Dir:
		if saved.Dir == "" {
			return mismatch("--data", given.Dir, savedData)
		}
		return mismatch("--data", given.Dir, saved.Dir)
	case o.set["synthetic"] && saved.Dir != "":
		return mismatch("--synthetic", strconv.Itoa(o.synthetic), savedData)
	case o.set["synthetic"] && o.synthetic != saved.Synthetic:
		return mismatch("--synthetic", strconv.Itoa(o.synthetic), strconv.Itoa(saved.Synthetic))
	case o.set["test"] && given.Test != saved.Test:
		if saved.Test == "" {
			return mismatch("--test", given.Test, savedTest)
		}
		return mismatch("--test", given.Test, saved.Test)
	case o.set["test-split"] && saved.Test != "":
		return mismatch("--test-split", ftoa(o.testSplit), savedTest)
	case o.set["test-split"] && o.testSplit != saved.TestSplit:
		return mismatch("--test-split", ftoa(o.testSplit), ftoa(saved.TestSplit))
	case o.set["val"] && o.val != saved.Val:
		return mismatch("--val", ftoa(o.val), ftoa(saved.Val))
	case o.patience > 0 && saved.Val == 0:
		return cli.Usagef("--patience", "early stopping watches the validation loss; the checkpoint's run has none (--val 0)")
	}
	o.data, o.synthetic, o.test, o.testSplit, o.val = saved.Dir, saved.Synthetic, saved.Test, saved.TestSplit, saved.Val
	return nil
}

// describeData shows the data settings in the words of the flags.
func (o *options) describeData() string {
	s := "--synthetic " + strconv.Itoa(o.synthetic)
	if o.data != "" {
		s = "--data " + o.data
	}
	if o.test != "" {
		s += " --test " + o.test
	} else {
		s += " --test-split " + ftoa(o.testSplit)
	}
	return s + " --val " + ftoa(o.val)
}

// ftoa writes a flag's float as it would be typed.
func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
