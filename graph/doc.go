// Package graph builds neural networks as Gorgonia graphs from Neurone's
// ops: the package research code imports.
//
// # Overview
//
// Dense adds one densely connected layer (weights, bias, activation) to a
// graph; MLP builds a whole multi-layer perceptron from a spec, with the
// Activation of each layer one of Activations (ReLU, LeakyReLU, Sigmoid,
// Tanh, Step, StepSTE, Linear, Softmax, written in files by their names
// relu, leakyrelu, sigmoid, tanh, step, step-ste, linear, softmax). Weights are initialised for their
// activation: He for the ReLU family and step, Glorot for sigmoid, tanh,
// linear and softmax. Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D,
// BatchNorm, Dropout and Flatten add the layers of a convolutional network over
// N×C×H×W images, and CNN builds one from a spec (DefaultCNNSpec is the
// small network for cat/dog); it returns the same Model as MLP, so the
// objectives and the backends take either.
// BinaryClassification (one sigmoid output) and MulticlassClassification
// (a softmax over one output per class) add targets, the loss and the
// backward pass in one call; BCEWithLogits, SoftmaxCrossEntropy and MSE
// add a loss alone, and Grad the backward pass. How a backend updates
// the parameters (optimizers, gradient clipping, learning-rate schedules)
// is package graph/optim.
//
// Batch normalisation keeps running statistics besides its parameters:
// they are a model's Buffers, and its Updates say how each training step
// refreshes them (backend.TrainSpec passes them on; a checkpoint should
// keep them with the Params).
//
// The graph is pure construction: nothing here runs on a device. Hand the
// nodes to a backend (package backend) to train and predict; the same graph
// runs on the CPU and on CUDA.
//
// # Errors and concurrency
//
// Builders return errors for impossible shapes and unknown names. A graph
// may be built by one goroutine at a time.
package graph
