//go:build cgo

package cuda

import (
	"fmt"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// The families describe their device work as calls on the lowering's
// buffers (family.go); a program binds each call once, when it is
// prepared, to its device memory, and then runs the bound actions on
// every step.

// action is a piece of device work prepared at compile time.
type action interface{ run(d device) error }

func (l *launch) run(d device) error { return d.launch(l) }

type gemmAction struct {
	g  gemmCall
	at func(region) cudadl.Ptr
}

func (a gemmAction) run(d device) error { return d.gemm(a.g, a.at) }

type gemvAction struct {
	g    gemvCall
	at   func(region) cudadl.Ptr
	ones cudadl.Ptr
}

func (a gemvAction) run(d device) error { return d.gemv(a.g, a.at, a.ones) }

type copyAction struct {
	dst, src cudadl.Ptr
	n        int
}

func (a copyAction) run(d device) error { return d.copy(a.dst, a.src, a.n) }

// bind prepares c on the program's memory.
func (p *program) bind(c call) (action, error) {
	switch c := c.(type) {
	case kernelCall:
		return p.launchOf(c)
	case gemmCall:
		return gemmAction{c, p.at}, nil
	case gemvCall:
		return gemvAction{c, p.at, p.ones}, nil
	case copyCall:
		return copyAction{p.at(c.dst), p.at(c.src), c.n}, nil
	}
	return nil, fmt.Errorf("%w: device work %T", backend.ErrUnsupported, c)
}

// launchOf prepares the launch c describes.
func (p *program) launchOf(c kernelCall) (*launch, error) {
	args := make([]any, len(c.args))
	for i, v := range c.args {
		args[i] = p.pointer(v)
	}
	if c.blocks > 0 {
		return p.reduction(c.name, c.blocks, args...)
	}
	return p.kernel(c.name, c.elements, args...)
}

// pointer returns the device address a kernel argument names, or the
// argument itself when it is no pointer.
func (p *program) pointer(v any) any {
	switch v := v.(type) {
	case region:
		if v.buf < 0 {
			return cudadl.Ptr(0)
		}
		return p.at(v)
	case coefAt:
		return p.coef + cudadl.Ptr(4*v)
	case slotAt:
		return p.slots[v.param][v.slot]
	case partsAt:
		return p.parts + cudadl.Ptr(8*v)
	}
	return v
}

// launchAll prepares the launches of calls.
func (p *program) launchAll(calls []kernelCall) ([]*launch, error) {
	var launches []*launch
	for _, c := range calls {
		l, err := p.launchOf(c)
		if err != nil {
			return nil, err
		}
		launches = append(launches, l)
	}
	return launches, nil
}
