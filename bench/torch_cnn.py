"""The default cat/dog CNN (graph.DefaultCNNSpec, what `catdog-train --model
cnn` trains) timed in PyTorch, for the side-by-side report of bench/compare:
one JSON line per configuration, named like the Go benchmark it stands
beside (BenchmarkCNN in cnn_test.go), which it matches layer for layer:

  input 1x100x100
  3 blocks: conv 3x3, padding 1 (8, 16, 32 filters; the first with stride 2),
            [batch normalisation, the conv then without bias,] ReLU, max-pool 2x2
  flatten (32x6x6 = 1152) -> dense 64, ReLU -> dropout 0.5 -> dense 1
  binary cross-entropy from the logits, SGD lr 0.01, batch 64, fp32

Usage: python3 torch_cnn.py cpu|cuda. On CUDA it times eager steps and a
captured CUDA graph's replays, with TF32 off (PyTorch allows it in cuDNN's
convolutions by default; Neurone's fp32 benchmarks do not use it).
"""
import json
import sys
import time

import torch
import torch.nn as nn

import torch_alloc

FILTERS = (8, 16, 32)


def cnn(batchnorm):
    layers, c = [], 1
    for i, f in enumerate(FILTERS):
        layers.append(nn.Conv2d(c, f, 3, stride=2 if i == 0 else 1, padding=1, bias=not batchnorm))
        if batchnorm:
            layers.append(nn.BatchNorm2d(f))
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
        c = f
    layers += [nn.Flatten(), nn.Linear(c * 6 * 6, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 1)]
    return nn.Sequential(*layers)


def bench(device, batch, batchnorm, graph, iters):
    torch.manual_seed(0)
    m = cnn(batchnorm).to(device).train()
    opt = torch.optim.SGD(m.parameters(), lr=0.01)
    lossf = nn.BCEWithLogitsLoss()
    x = torch.rand(batch, 1, 100, 100, device=device)
    y = (torch.rand(batch, 1, device=device) > 0.5).float()

    def step():
        opt.zero_grad(set_to_none=False)
        loss = lossf(m(x), y)
        loss.backward()
        opt.step()
        return loss

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    run = step
    if graph:
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(5):
                step()
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            step()
        run = g.replay
    for _ in range(5):
        run()
    sync()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(iters):
            run()
        sync()
        times.append((time.perf_counter() - t0) / iters)
    times.sort()
    med = times[len(times) // 2]
    mode = "train-batchnorm" if batchnorm else "train"
    print(json.dumps(dict(model="cnn", bench=f"CNN/{mode}/{device}/batch={batch}",
                          variant="graph" if graph else "eager",
                          step_ms=round(med * 1e3, 4), samples_per_s=round(batch / med))), flush=True)


if __name__ == "__main__":
    dev = sys.argv[1] if len(sys.argv) > 1 else "cuda"
    allocator = torch_alloc.keep_freed_memory()  # torch_alloc.py says why
    print(json.dumps(dict(torch=torch.__version__, threads=torch.get_num_threads(), allocator=allocator,
                          gpu=torch.cuda.get_device_name(0) if dev == "cuda" else None)), flush=True)
    if dev == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    for batchnorm in (False, True):
        for graph in ((False, True) if dev == "cuda" else (False,)):
            try:
                bench(dev, 64, batchnorm, graph, iters=50 if dev == "cuda" else 10)
            except RuntimeError as e:  # a capture this PyTorch cannot do: say so, go on
                print(json.dumps(dict(model="cnn", error=f"batchnorm={batchnorm} graph={graph}: {e}")), flush=True)
