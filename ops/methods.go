package ops

import (
	"hash"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The methods below have the same body for every op with parameters (a
// stride, a rate): Do runs UsePreallocDo (or, for a ModeDoer, ModeDo in the
// inference mode), InferShape applies the op's shape rule, and the hash is
// that of the op's String, which spells out its parameters. A method of an
// embedded struct cannot see the op around it, so Go needs them written per
// op; they are listed here, a line each, rather than repeated in every op's
// file. The ops without parameters get all of theirs from fixed (fixed.go).

// Do computes the op into a new value.
func (op AvgPool2DOp) Do(vs ...G.Value) (G.Value, error)         { return op.UsePreallocDo(nil, vs...) }
func (op AvgPool2DBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }
func (op BatchNormStatsOp) Do(vs ...G.Value) (G.Value, error)    { return op.UsePreallocDo(nil, vs...) }
func (op BatchNormRunningOp) Do(vs ...G.Value) (G.Value, error)  { return op.UsePreallocDo(nil, vs...) }
func (op Conv2DOp) Do(vs ...G.Value) (G.Value, error)            { return op.UsePreallocDo(nil, vs...) }
func (op Conv2DFilterGradOp) Do(vs ...G.Value) (G.Value, error)  { return op.UsePreallocDo(nil, vs...) }
func (op Conv2DInputGradOp) Do(vs ...G.Value) (G.Value, error)   { return op.UsePreallocDo(nil, vs...) }
func (op ExpandOp) Do(vs ...G.Value) (G.Value, error)            { return op.UsePreallocDo(nil, vs...) }
func (op LeakyReLUOp) Do(vs ...G.Value) (G.Value, error)         { return op.UsePreallocDo(nil, vs...) }
func (op LeakyReLUBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }
func (op LossOp) Do(vs ...G.Value) (G.Value, error)              { return op.UsePreallocDo(nil, vs...) }
func (op LossBackwardOp) Do(vs ...G.Value) (G.Value, error)      { return op.UsePreallocDo(nil, vs...) }
func (op MatMulOp) Do(vs ...G.Value) (G.Value, error)            { return op.UsePreallocDo(nil, vs...) }
func (op MaxPool2DOp) Do(vs ...G.Value) (G.Value, error)         { return op.UsePreallocDo(nil, vs...) }
func (op MaxPool2DBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }
func (op ReshapeOp) Do(vs ...G.Value) (G.Value, error)           { return op.UsePreallocDo(nil, vs...) }
func (op StepOp) Do(vs ...G.Value) (G.Value, error)              { return op.UsePreallocDo(nil, vs...) }
func (op StepBackwardOp) Do(vs ...G.Value) (G.Value, error)      { return op.UsePreallocDo(nil, vs...) }
func (op SumOp) Do(vs ...G.Value) (G.Value, error)               { return op.UsePreallocDo(nil, vs...) }

// Do and UsePreallocDo compute a ModeDoer in the inference mode.
func (op BatchNormOp) Do(vs ...G.Value) (G.Value, error)     { return op.ModeDo(Mode{}, nil, vs...) }
func (op BatchNormGradOp) Do(vs ...G.Value) (G.Value, error) { return op.ModeDo(Mode{}, nil, vs...) }
func (op BatchNormGammaGradOp) Do(vs ...G.Value) (G.Value, error) {
	return op.ModeDo(Mode{}, nil, vs...)
}
func (op DropoutOp) Do(vs ...G.Value) (G.Value, error) { return op.ModeDo(Mode{}, nil, vs...) }

func (op BatchNormOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return op.ModeDo(Mode{}, p, vs...)
}
func (op DropoutOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return op.ModeDo(Mode{}, p, vs...)
}
func (op BatchNormGradOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return op.ModeDo(Mode{}, p, vs...)
}
func (op BatchNormGammaGradOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return op.ModeDo(Mode{}, p, vs...)
}

// InferShape checks the input shapes by the op's rule and returns the result's.
func (op Conv2DOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error)  { return inferShape(op, ds) }
func (op ExpandOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error)  { return inferShape(op, ds) }
func (op LossOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error)    { return inferShape(op, ds) }
func (op MatMulOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error)  { return inferShape(op, ds) }
func (op ReshapeOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) { return inferShape(op, ds) }
func (op SumOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error)     { return inferShape(op, ds) }
func (op AvgPool2DOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op AvgPool2DBackwardOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op BatchNormOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op BatchNormGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op BatchNormGammaGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op BatchNormStatsOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op BatchNormRunningOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op Conv2DFilterGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op Conv2DInputGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op LossBackwardOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op MaxPool2DOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op MaxPool2DBackwardOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}

// WriteHash writes the op's identity, its String, to h.
func (op AvgPool2DOp) WriteHash(h hash.Hash)          { writeHash(h, op) }
func (op AvgPool2DBackwardOp) WriteHash(h hash.Hash)  { writeHash(h, op) }
func (op BatchNormOp) WriteHash(h hash.Hash)          { writeHash(h, op) }
func (op BatchNormGradOp) WriteHash(h hash.Hash)      { writeHash(h, op) }
func (op BatchNormGammaGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op BatchNormStatsOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op BatchNormRunningOp) WriteHash(h hash.Hash)   { writeHash(h, op) }
func (op Conv2DOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op Conv2DFilterGradOp) WriteHash(h hash.Hash)   { writeHash(h, op) }
func (op Conv2DInputGradOp) WriteHash(h hash.Hash)    { writeHash(h, op) }
func (op DropoutOp) WriteHash(h hash.Hash)            { writeHash(h, op) }
func (op ExpandOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op LeakyReLUOp) WriteHash(h hash.Hash)          { writeHash(h, op) }
func (op LeakyReLUBackwardOp) WriteHash(h hash.Hash)  { writeHash(h, op) }
func (op LossOp) WriteHash(h hash.Hash)               { writeHash(h, op) }
func (op LossBackwardOp) WriteHash(h hash.Hash)       { writeHash(h, op) }
func (op MatMulOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op MaxPool2DOp) WriteHash(h hash.Hash)          { writeHash(h, op) }
func (op MaxPool2DBackwardOp) WriteHash(h hash.Hash)  { writeHash(h, op) }
func (op ReshapeOp) WriteHash(h hash.Hash)            { writeHash(h, op) }
func (op StepOp) WriteHash(h hash.Hash)               { writeHash(h, op) }
func (op StepBackwardOp) WriteHash(h hash.Hash)       { writeHash(h, op) }
func (op SumOp) WriteHash(h hash.Hash)                { writeHash(h, op) }

// Hashcode returns the hash of the op's String.
func (op AvgPool2DOp) Hashcode() uint32          { return hashOf(op) }
func (op AvgPool2DBackwardOp) Hashcode() uint32  { return hashOf(op) }
func (op BatchNormOp) Hashcode() uint32          { return hashOf(op) }
func (op BatchNormGradOp) Hashcode() uint32      { return hashOf(op) }
func (op BatchNormGammaGradOp) Hashcode() uint32 { return hashOf(op) }
func (op BatchNormStatsOp) Hashcode() uint32     { return hashOf(op) }
func (op BatchNormRunningOp) Hashcode() uint32   { return hashOf(op) }
func (op Conv2DOp) Hashcode() uint32             { return hashOf(op) }
func (op Conv2DFilterGradOp) Hashcode() uint32   { return hashOf(op) }
func (op Conv2DInputGradOp) Hashcode() uint32    { return hashOf(op) }
func (op DropoutOp) Hashcode() uint32            { return hashOf(op) }
func (op ExpandOp) Hashcode() uint32             { return hashOf(op) }
func (op LeakyReLUOp) Hashcode() uint32          { return hashOf(op) }
func (op LeakyReLUBackwardOp) Hashcode() uint32  { return hashOf(op) }
func (op LossOp) Hashcode() uint32               { return hashOf(op) }
func (op LossBackwardOp) Hashcode() uint32       { return hashOf(op) }
func (op MatMulOp) Hashcode() uint32             { return hashOf(op) }
func (op MaxPool2DOp) Hashcode() uint32          { return hashOf(op) }
func (op MaxPool2DBackwardOp) Hashcode() uint32  { return hashOf(op) }
func (op ReshapeOp) Hashcode() uint32            { return hashOf(op) }
func (op StepOp) Hashcode() uint32               { return hashOf(op) }
func (op StepBackwardOp) Hashcode() uint32       { return hashOf(op) }
func (op SumOp) Hashcode() uint32                { return hashOf(op) }
