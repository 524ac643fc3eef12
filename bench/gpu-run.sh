#!/bin/bash
# Runs Neurone's CUDA checks on a GPU machine that has no Go: the test and
# benchmark binaries and commands that `make gpu-bundle` put beside this
# script, then PyTorch's figures for the same network. Every log goes to
# $OUT (default ./gpu-out), so one run brings everything back:
#
#   make gpu-bundle                       # on a machine with Go
#   OUT=/tmp/out build/gpu/run.sh         # on the GPU machine
#
# A failing step is recorded in $OUT/status.txt and the script goes on.
set -u
bundle=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
here=$(mktemp -d)
tar xJf "$bundle/bundle.tar.xz" -C "$here"
status="$OUT/status.txt"
: >"$status"

step() { # step NAME LIMIT_SECONDS COMMAND...
	local name=$1 limit=$2
	shift 2
	local start=$SECONDS
	timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
	local rc=$?
	echo "$name rc=$rc ${SECONDS}s-${start}s" | awk '{split($3,a,"s-"); printf "%-22s %s %ds\n", $1, $2, a[1]-a[2]}' >>"$status"
}

step nvidia-smi 30 nvidia-smi
step cudadl-test 120 "$here/cudadl.test" -test.v
step cuda-test 300 "$here/cuda.test" -test.v -test.timeout 290s
step bench 300 "$here/bench.test" -test.run '^$' -test.bench 'cuda|SGEMM' -test.benchmem -test.count 3 -test.timeout 290s
if [ -f "$here/torch_mlp6.py" ]; then
	step torch 300 python3 "$here/torch_mlp6.py" cuda
fi
# End to end on the built-in data, then checkpoints across devices.
step train-cuda 300 "$here/catdog-train" --device cuda --out "$OUT/train-cuda"
step samples 60 "$here/catdog-samples" --out "$OUT/samples" --n 6
step predict-cpu 60 "$here/catdog-predict" --device cpu --model "$OUT/train-cuda" "$OUT/samples"
step train-cpu 300 "$here/catdog-train" --device cpu --epochs 2 --out "$OUT/train-cpu"
step predict-cuda 60 "$here/catdog-predict" --device cuda --model "$OUT/train-cpu" "$OUT/samples"
cat "$status"
