package catdog

import (
	"math"
	"slices"
	"sort"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// Metrics summarise predictions against labels. Cat (label 1, the class
// whose probability the network outputs) is the positive class of
// Precision, Recall, F1 and AUC; PerClass has both classes' view.
//
// Cases with nothing to divide by are defined rather than NaN, as
// scikit-learn's zero_division=0 does: precision is 0 when nothing was
// predicted positive, recall is 0 when there are no positives, and F1 is 0
// when precision and recall are both 0. AUC alone is NaN when the labels
// hold only one class, since no pair of a positive and a negative exists to
// rank (history.jsonl and summary.json write it as null).
type Metrics struct {
	Loss      float64
	Accuracy  float64
	Precision float64
	Recall    float64
	F1        float64
	AUC       float64 // area under the ROC curve of P(cat); NaN with one class
	// Spread is the largest P(cat) less the smallest: near 0, the
	// network gives every image the same answer (a collapsed network).
	Spread float64
	// Confusion[actual][predicted], with labels dataset.Dog and dataset.Cat.
	Confusion [2][2]int
}

// Count returns the number of images the metrics cover.
func (m Metrics) Count() int {
	return m.Confusion[0][0] + m.Confusion[0][1] + m.Confusion[1][0] + m.Confusion[1][1]
}

// ClassReport is the precision, recall and F1 of one class taken as the
// positive one, and its support (the images that are of that class).
type ClassReport struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// PerClass returns the report of each class, indexed by label.
func (m Metrics) PerClass() [2]ClassReport {
	var r [2]ClassReport
	for _, c := range []uint8{dataset.Dog, dataset.Cat} {
		other := 1 - c
		tp, fp, fn := m.Confusion[c][c], m.Confusion[other][c], m.Confusion[c][other]
		r[c] = report(tp, fp, fn)
	}
	return r
}

// report is precision, recall and F1 from true positives, false positives
// and false negatives, with the zero cases defined as in Metrics.
func report(tp, fp, fn int) ClassReport {
	r := ClassReport{Precision: ratio(tp, tp+fp), Recall: ratio(tp, tp+fn), Support: tp + fn}
	if r.Precision+r.Recall > 0 {
		r.F1 = 2 * r.Precision * r.Recall / (r.Precision + r.Recall)
	}
	return r
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Score computes the metrics of P(cat) probabilities against labels: a
// probability above 0.5 is read as cat; the loss is the mean cross-entropy
// of each probability, clamped to [1e-7, 1-1e-7]. Empty input gives zero
// metrics (and a NaN AUC).
func Score(probs []float32, labels []uint8) Metrics {
	var m Metrics
	var lossSum float64
	for i, p := range probs {
		y := labels[i]
		pred := dataset.Dog
		if p > 0.5 {
			pred = dataset.Cat
		}
		m.Confusion[y][pred]++
		lossSum += bce(float64(p), float64(y))
	}
	m.AUC = AUC(probs, labels)
	if len(probs) == 0 {
		return m
	}
	m.Spread = float64(slices.Max(probs) - slices.Min(probs))
	m.Loss = lossSum / float64(len(probs))
	m.Accuracy = float64(m.Confusion[0][0]+m.Confusion[1][1]) / float64(len(probs))
	cat := m.PerClass()[dataset.Cat]
	m.Precision, m.Recall, m.F1 = cat.Precision, cat.Recall, cat.F1
	return m
}

// bce is the cross-entropy of a probability, clamped so that a saturated
// wrong answer costs a large finite amount.
func bce(p, y float64) float64 {
	const eps = 1e-7
	p = min(max(p, eps), 1-eps)
	if y > 0.5 {
		return -math.Log(p)
	}
	return -math.Log(1 - p)
}

// AUC returns the exact area under the ROC curve of scores for the
// positive label (Cat): the probability that a random cat scores above a
// random dog, a tie counting one half. It is the Mann-Whitney U statistic
// over the product of the class sizes, with ranks averaged over ties:
//
//	AUC = (R₊ − n₊(n₊+1)/2) / (n₊·n₋)
//
// where R₊ is the sum of the positives' ranks (1-based, ascending). It is
// NaN when either class is absent.
func AUC(scores []float32, labels []uint8) float64 {
	var pos, neg int
	for _, l := range labels[:len(scores)] {
		if l == dataset.Cat {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	order := byScore(scores)
	var rankSum float64
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && scores[order[hi]] == scores[order[lo]] {
			hi++
		}
		// Ranks lo+1..hi share their mean.
		mean := float64(lo+1+hi) / 2
		for _, i := range order[lo:hi] {
			if labels[i] == dataset.Cat {
				rankSum += mean
			}
		}
		lo = hi
	}
	return (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
}

// byScore returns the indices of scores in ascending order of score.
func byScore(scores []float32) []int {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] < scores[order[b]] })
	return order
}

// ROC returns the points of the ROC curve of scores for the positive label
// (Cat): the false and true positive rates as the threshold falls from
// above the highest score past each distinct score, starting at (0, 0) and
// ending at (1, 1). Tied scores make one diagonal step. It returns nil when
// either class is absent.
func ROC(scores []float32, labels []uint8) (fpr, tpr []float64) {
	order := byScore(scores)
	slices.Reverse(order)
	var pos, neg int
	for _, i := range order {
		if labels[i] == dataset.Cat {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return nil, nil
	}
	fpr, tpr = []float64{0}, []float64{0}
	var tp, fp int
	for lo := 0; lo < len(order); {
		hi := lo
		for hi < len(order) && scores[order[hi]] == scores[order[lo]] {
			if labels[order[hi]] == dataset.Cat {
				tp++
			} else {
				fp++
			}
			hi++
		}
		fpr = append(fpr, float64(fp)/float64(neg))
		tpr = append(tpr, float64(tp)/float64(pos))
		lo = hi
	}
	return fpr, tpr
}
