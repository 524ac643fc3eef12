package synthetic

// Temporary experiment, not to be kept: a small MLP as a proxy for the
// 6-layer perceptron.

import (
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

type layer struct {
	in, out int
	w, b    []float32
	mw, vw  []float32
	mb, vb  []float32
	gw, gb  []float32
}

func newLayer(in, out int, rng *rand.Rand) *layer {
	l := &layer{in: in, out: out, w: make([]float32, in*out), b: make([]float32, out),
		mw: make([]float32, in*out), vw: make([]float32, in*out), mb: make([]float32, out), vb: make([]float32, out)}
	s := math.Sqrt(2 / float64(in))
	for i := range l.w {
		l.w[i] = float32(rng.NormFloat64() * s)
	}
	return l
}

func pool(s *dataset.Set, k int) ([][]float32, int) {
	side := s.Side / k
	x := make([][]float32, s.Len())
	for i := range x {
		img := s.Image(i)
		r := make([]float32, side*side)
		for y := range side * k {
			for xx := range side * k {
				r[(y/k)*side+xx/k] += float32(img[y*s.Side+xx]) / 255 / float32(k*k)
			}
		}
		x[i] = r
	}
	return x, side * side
}

func TestExpMLP(t *testing.T) {
	if os.Getenv("EXP_MLP") == "" {
		t.Skip()
	}
	ntrain, _ := strconv.Atoi(os.Getenv("EXP_MLP"))
	k := 2
	if v := os.Getenv("EXP_POOL"); v != "" {
		k, _ = strconv.Atoi(v)
	}
	start := time.Now()
	train, test := Generate(ntrain, 1, 100), Generate(1000, 2, 100)
	xtr, d := pool(train, k)
	xte, _ := pool(test, k)
	t.Logf("generated in %v, d=%d", time.Since(start), d)
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{d, 256, 128, 1}
	var layers []*layer
	for i := 0; i+1 < len(sizes); i++ {
		layers = append(layers, newLayer(sizes[i], sizes[i+1], rng))
	}
	const batch = 32
	const workers = 2
	lr := float32(1e-3)
	step := 0
	// per worker grads
	type wgrad struct{ gw, gb [][]float32 }
	wg := make([]wgrad, workers)
	for w := range wg {
		for _, l := range layers {
			wg[w].gw = append(wg[w].gw, make([]float32, len(l.w)))
			wg[w].gb = append(wg[w].gb, make([]float32, len(l.b)))
		}
	}
	forward := func(x []float32) ([][]float32, float32) {
		acts := [][]float32{x}
		for li, l := range layers {
			a := acts[len(acts)-1]
			o := make([]float32, l.out)
			for j := range l.out {
				sum := l.b[j]
				row := l.w[j*l.in : (j+1)*l.in]
				for i, v := range a {
					sum += row[i] * v
				}
				if li < len(layers)-1 && sum < 0 {
					sum = 0
				}
				o[j] = sum
			}
			acts = append(acts, o)
		}
		z := acts[len(acts)-1][0]
		return acts, float32(1 / (1 + math.Exp(-float64(z))))
	}
	eval := func(x [][]float32, y []uint8) float64 {
		right := 0
		for i := range x {
			_, p := forward(x[i])
			if (p >= 0.5) == (y[i] == 1) {
				right++
			}
		}
		return float64(right) / float64(len(x))
	}
	perm := make([]int, len(xtr))
	for i := range perm {
		perm[i] = i
	}
	for epoch := range 30 {
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for b0 := 0; b0+batch <= len(perm); b0 += batch {
			var wgg sync.WaitGroup
			for w := range workers {
				wgg.Add(1)
				go func() {
					defer wgg.Done()
					g := wg[w]
					for li := range layers {
						clear(g.gw[li])
						clear(g.gb[li])
					}
					for bi := b0 + w; bi < b0+batch; bi += workers {
						i := perm[bi]
						acts, p := forward(xtr[i])
						delta := []float32{p - float32(train.Labels[i])}
						for li := len(layers) - 1; li >= 0; li-- {
							l := layers[li]
							a := acts[li]
							var prev []float32
							if li > 0 {
								prev = make([]float32, l.in)
							}
							for j, dj := range delta {
								if dj == 0 {
									continue
								}
								row := l.w[j*l.in : (j+1)*l.in]
								grow := g.gw[li][j*l.in : (j+1)*l.in]
								for ii, v := range a {
									grow[ii] += dj * v
								}
								g.gb[li][j] += dj
								if prev != nil {
									for ii, wv := range row {
										prev[ii] += dj * wv
									}
								}
							}
							if prev != nil {
								for ii := range prev {
									if a[ii] <= 0 {
										prev[ii] = 0
									}
								}
							}
							delta = prev
						}
					}
				}()
			}
			wgg.Wait()
			step++
			b1 := 1 - math.Pow(0.9, float64(step))
			b2 := 1 - math.Pow(0.999, float64(step))
			for li, l := range layers {
				upd := func(p, m, v []float32, gs [][]float32) {
					for i := range p {
						var gsum float32
						for w := range workers {
							gsum += gs[w][i]
						}
						gsum /= batch
						m[i] = 0.9*m[i] + 0.1*gsum
						v[i] = 0.999*v[i] + 0.001*gsum*gsum
						p[i] -= lr * float32(float64(m[i])/b1/(math.Sqrt(float64(v[i])/b2)+1e-8))
					}
				}
				gw := make([][]float32, workers)
				gb := make([][]float32, workers)
				for w := range workers {
					gw[w] = wg[w].gw[li]
					gb[w] = wg[w].gb[li]
				}
				upd(l.w, l.mw, l.vw, gw)
				upd(l.b, l.mb, l.vb, gb)
			}
		}
		if epoch%3 == 2 || epoch == 0 {
			t.Logf("epoch %d: train %.3f test %.3f (%v)", epoch+1, eval(xtr[:1000], train.Labels[:1000]), eval(xte, test.Labels), time.Since(start))
		}
	}
}
