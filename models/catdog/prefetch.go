package catdog

import (
	"runtime"
	"sync"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// A training batch is prepared while the step before it runs: its images
// encoded as the model's input (and transformed by the augmentation) by
// one goroutine per CPU, into the one of two buffers the running step does
// not read. On the CPU the preparation then overlaps the step's matrix
// products; on a GPU, which runs a step in well under a millisecond, it is
// what keeps the device busy. The batches hold exactly what a sequential
// loop would give them: every image's transform is a pure function of the
// seed, the epoch and its index.

// batchBuf is one batch of inputs and targets.
type batchBuf struct {
	x, y []float32
}

// prefetcher fills the batches of one epoch, in order, one ahead.
type prefetcher struct {
	ready  chan *batchBuf // filled batches, in order
	free   chan *batchBuf // buffers the steps are done with
	stop   chan struct{}
	done   sync.WaitGroup
	images [][]uint8 // one transformed image per filling goroutine, with augmentation
}

// prefetch starts filling the batches of order from
// set; call stop when done with them. order holds this rank's images,
// n.rows a batch (shardOrder).
func (n *Network) prefetch(set *dataset.Set, order []int, batches int, seed uint64, epoch int) *prefetcher {
	if n.spare == nil {
		n.spare = &batchBuf{x: make([]float32, len(n.x)), y: make([]float32, len(n.y))}
	}
	p := &prefetcher{ready: make(chan *batchBuf, 1), free: make(chan *batchBuf, 2), stop: make(chan struct{})}
	if n.Augment.Enabled() {
		p.images = make([][]uint8, min(runtime.GOMAXPROCS(0), n.rows))
		for i := range p.images {
			p.images[i] = make([]uint8, set.Size())
		}
	}
	p.free <- &batchBuf{x: n.x, y: n.y}
	p.free <- n.spare
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		defer close(p.ready)
		for b := range batches {
			var buf *batchBuf
			select {
			case buf = <-p.free:
			case <-p.stop:
				return
			}
			p.fill(n.Augment, n.Config.Pixels, buf, set, order[b*n.rows:(b+1)*n.rows], seed, epoch)
			select {
			case p.ready <- buf:
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

// next returns the next filled batch; hand it back with release once the
// step that reads it has returned.
func (p *prefetcher) next() *batchBuf { return <-p.ready }

func (p *prefetcher) release(b *batchBuf) { p.free <- b }

// close stops the filling and waits for it.
func (p *prefetcher) close() {
	close(p.stop)
	p.done.Wait()
}

// fill writes the images of set at idx into buf, encoded by enc,
// transformed by aug's draw for (seed, epoch, index) when augmentation is
// on, spread over the CPUs.
func (p *prefetcher) fill(aug Augmentation, enc dataset.Encoding, buf *batchBuf, set *dataset.Set, idx []int, seed uint64, epoch int) {
	size := set.Size()
	workers := min(runtime.GOMAXPROCS(0), len(idx))
	if p.images != nil {
		workers = min(workers, len(p.images))
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(idx)/workers, (w+1)*len(idx)/workers
		wg.Go(func() {
			x, y := buf.x[lo*size:hi*size], buf.y[lo:hi]
			if p.images == nil {
				set.Fill(enc, x, y, idx[lo:hi])
				return
			}
			image := p.images[w]
			for r, i := range idx[lo:hi] {
				aug.Draw(seed, epoch, i).Apply(image, set.Image(i), set.Side)
				enc.Encode(x[r*size:(r+1)*size], image)
				y[r] = float32(set.Labels[i])
			}
		})
	}
	wg.Wait()
}
