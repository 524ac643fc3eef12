package catdog

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// Labels in these tests: 1 is cat (positive), 0 is dog.

func TestAUCByHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		scores []float32
		labels []uint8
		want   float64 // NaN: undefined
	}{
		{"perfect", []float32{0.1, 0.2, 0.8, 0.9}, []uint8{0, 0, 1, 1}, 1},
		{"reversed", []float32{0.9, 0.8, 0.2, 0.1}, []uint8{0, 0, 1, 1}, 0},
		// Pairs (cat, dog): (0.4 > 0.1), (0.4 < 0.6), (0.8 > 0.1), (0.8 > 0.6): 3 of 4.
		{"one swapped pair", []float32{0.1, 0.4, 0.6, 0.8}, []uint8{0, 1, 0, 1}, 0.75},
		// All scores equal: every pair is a tie, worth one half.
		{"all tied", []float32{0.5, 0.5, 0.5, 0.5, 0.5}, []uint8{0, 1, 1, 0, 1}, 0.5},
		// Cats 0.3, 0.7; dogs 0.3, 0.1, 0.5. Pairs: 0.3 vs (0.3 tie ½, 0.1 win, 0.5 loss) = 1.5;
		// 0.7 vs all three wins = 3. (1.5+3)/6.
		{"a tie across classes", []float32{0.3, 0.7, 0.3, 0.1, 0.5}, []uint8{1, 1, 0, 0, 0}, 4.5 / 6},
		{"only cats", []float32{0.2, 0.9}, []uint8{1, 1}, math.NaN()},
		{"only dogs", []float32{0.2, 0.9}, []uint8{0, 0}, math.NaN()},
		{"empty", nil, nil, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AUC(tt.scores, tt.labels)
			if math.IsNaN(tt.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tt.want) > 1e-12) {
				t.Errorf("AUC = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAUCAgainstPairs checks the rank formula against counting every pair,
// on scores with many ties.
func TestAUCAgainstPairs(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		n := 1 + rng.IntN(60)
		scores, labels := make([]float32, n), make([]uint8, n)
		for i := range scores {
			scores[i] = float32(rng.IntN(5)) / 4 // few distinct values
			labels[i] = uint8(rng.IntN(2))
		}
		var wins, pairs float64
		for i := range scores {
			for j := range scores {
				if labels[i] != 1 || labels[j] != 0 {
					continue
				}
				pairs++
				switch {
				case scores[i] > scores[j]:
					wins++
				case scores[i] == scores[j]:
					wins += 0.5
				}
			}
		}
		got := AUC(scores, labels)
		if pairs == 0 {
			if !math.IsNaN(got) {
				t.Errorf("trial %d: one class, AUC %v, want NaN", trial, got)
			}
			continue
		}
		if want := wins / pairs; !scalar.EqualWithinAbs(got, want, 1e-12) {
			t.Errorf("trial %d: AUC %v, pair count gives %v", trial, got, want)
		}
		// The trapezoids under the ROC curve give the same area.
		fpr, tpr := ROC(scores, labels)
		var area float64
		for k := 1; k < len(fpr); k++ {
			area += (fpr[k] - fpr[k-1]) * (tpr[k] + tpr[k-1]) / 2
		}
		if !scalar.EqualWithinAbs(area, got, 1e-12) {
			t.Errorf("trial %d: area under ROC %v, AUC %v", trial, area, got)
		}
	}
}

func TestROCByHand(t *testing.T) {
	t.Parallel()
	fpr, tpr := ROC([]float32{0.1, 0.4, 0.6, 0.8, 0.6}, []uint8{0, 1, 0, 1, 1})
	// Thresholds 0.8 (1 cat), 0.6 (1 cat, 1 dog tied), 0.4 (1 cat), 0.1 (1 dog).
	wantF, wantT := []float64{0, 0, 0.5, 0.5, 1}, []float64{0, 1.0 / 3, 2.0 / 3, 1, 1}
	if !slices.Equal(fpr, wantF) || !slices.Equal(tpr, wantT) {
		t.Errorf("ROC = %v, %v; want %v, %v", fpr, tpr, wantF, wantT)
	}
	if f, tp := ROC([]float32{0.3}, []uint8{1}); f != nil || tp != nil {
		t.Errorf("ROC of one class = %v, %v, want nil", f, tp)
	}
}

func TestScoreByHand(t *testing.T) {
	t.Parallel()
	// Cats: 0.9 (TP), 0.8 (TP), 0.3 (FN). Dogs: 0.6 (FP), 0.2 (TN), 0.1 (TN), 0.4 (TN).
	probs := []float32{0.9, 0.8, 0.3, 0.6, 0.2, 0.1, 0.4}
	labels := []uint8{1, 1, 1, 0, 0, 0, 0}
	m := Score(probs, labels)
	if want := [2][2]int{{3, 1}, {1, 2}}; m.Confusion != want {
		t.Fatalf("confusion %v, want %v", m.Confusion, want)
	}
	var loss float64
	for i, p := range probs {
		if labels[i] == 1 {
			loss -= math.Log(float64(p))
		} else {
			loss -= math.Log(1 - float64(p))
		}
	}
	near := func(name string, got, want float64) {
		t.Helper()
		if !scalar.EqualWithinAbs(got, want, 1e-6) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	near("loss", m.Loss, loss/7)
	near("accuracy", m.Accuracy, 5.0/7)
	near("precision", m.Precision, 2.0/3)
	near("recall", m.Recall, 2.0/3)
	near("F1", m.F1, 2.0/3)
	// Cat 0.9 and 0.8 beat all 4 dogs; 0.3 beats 0.2 and 0.1: 10 of 12.
	near("AUC", m.AUC, 10.0/12)
	near("spread", m.Spread, 0.9-0.1)
	per := m.PerClass()
	near("dog precision", per[0].Precision, 3.0/4)
	near("dog recall", per[0].Recall, 3.0/4)
	near("dog F1", per[0].F1, 3.0/4)
	if per[0].Support != 4 || per[1].Support != 3 {
		t.Errorf("support %d dogs, %d cats; want 4 and 3", per[0].Support, per[1].Support)
	}
}

func TestScoreDegenerate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		probs                []float32
		labels               []uint8
		precision, recall, f float64
		aucNaN               bool
	}{
		// No cat predicted: precision 0 by definition; recall 0 of 2.
		{"nothing predicted cat", []float32{0.1, 0.2, 0.3}, []uint8{1, 1, 0}, 0, 0, 0, false},
		// No cats at all: recall 0 by definition, AUC undefined.
		{"only dogs", []float32{0.7, 0.2}, []uint8{0, 0}, 0, 0, 0, true},
		{"only cats, all right", []float32{0.7, 0.9}, []uint8{1, 1}, 1, 1, 1, true},
		{"empty", nil, nil, 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Score(tt.probs, tt.labels)
			if m.Precision != tt.precision || m.Recall != tt.recall || m.F1 != tt.f || math.IsNaN(m.AUC) != tt.aucNaN {
				t.Errorf("precision %v recall %v F1 %v AUC %v; want %v %v %v, AUC NaN %t",
					m.Precision, m.Recall, m.F1, m.AUC, tt.precision, tt.recall, tt.f, tt.aucNaN)
			}
			if math.IsNaN(m.Loss) || math.IsNaN(m.Accuracy) || math.IsNaN(m.Spread) {
				t.Errorf("loss %v, accuracy %v", m.Loss, m.Accuracy)
			}
		})
	}
}
