#!/bin/bash
# Runs Neurone's CUDA checks on a GPU machine that has no Go: the test and
# benchmark binaries and commands that `make gpu-bundle` packed beside this
# script, then PyTorch's figures for the same networks (the perceptron's
# torch_mlp6.py, the CNN's torch_cnn.py), interleaved with ours. Every log
# goes to $OUT (default ./gpu-out), so one run brings everything back:
#
#   make gpu-bundle                         # on a machine with Go
#   OUT=/tmp/out build/gpu/run.sh           # on the GPU machine
#   go run ./bench/compare -from /tmp/out -out bench/RESULTS-cuda.md -section bench-cuda
#
# Arguments choose the parts (default all, in this order): tests, bench,
# e2e, sanitize (the kernels under compute-sanitizer's memcheck and
# racecheck, when the machine has it; last, as it is the slowest). COUNT
# (default 2) sets the interleaved benchmark runs. A failing step is
# recorded in $OUT/status.txt and the script goes on.
set -u
bundle=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$PWD/gpu-out}
COUNT=${COUNT:-2}
mkdir -p "$OUT"
here=$(mktemp -d)
tar xJf "$bundle/bundle.tar.xz" -C "$here"
status="$OUT/status.txt"
touch "$status"
parts=" ${*:-tests bench e2e sanitize} "
want() { [[ $parts == *" $1 "* ]]; }

step() { # step NAME LIMIT_SECONDS COMMAND...
	local name=$1 limit=$2
	shift 2
	local start=$SECONDS
	timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
	local rc=$?
	printf '%-22s rc=%-3s %4ds\n' "$name" "$rc" $((SECONDS - start)) >>"$status"
}

threads=$(nproc)
{
	echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	cat "$here/BUILD"
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $threads logical CPUs"
	echo "gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | paste -sd, -)"
	if [ -x "$here/bench-openblas.test" ]; then
		echo "blas=OpenBLAS for the CPU benchmarks ($(cd "$here/lib" && ls libopenblas* | head -1), from the bundle); gonum for the rest"
	else
		echo "blas=gonum (pure Go; the bundle carries no OpenBLAS)"
	fi
	echo "threads=$threads"
	echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

step nvidia-smi 30 nvidia-smi
if want tests; then
	step cudadl-test 60 "$here/cudadl.test" -test.v
	step cuda-test 200 "$here/cuda.test" -test.v -test.timeout 190s
fi

# Ours and PyTorch's, interleaved, in the files bench/compare -from reads.
if want bench; then
	bench=(-test.run '^$' -test.bench 'MLP6/.*/cuda|SGEMM/cuda|CNN/train/cuda' -test.benchmem -test.count 1)
	# Our CPU on this machine, for CUDA against the CPU; its lines join
	# the run's Go output.
	cpubench=(-test.run '^$' -test.bench 'MLP6/.*/cpu' -test.benchmem -test.count 1)
	{
		echo "GOMAXPROCS=$threads bench.test ${bench[*]}   # $COUNT times, each followed by:"
		[ -x "$here/bench-openblas.test" ] && echo "LD_LIBRARY_PATH=lib GOMAXPROCS=$threads bench-openblas.test ${cpubench[*]}"
		echo "python3 torch_mlp6.py cuda"
		echo "python3 torch_cnn.py cuda"
	} >"$OUT/commands.txt"
	for i in $(seq 1 "$COUNT"); do
		step "go-run-$i" 240 env GOMAXPROCS="$threads" "$here/bench.test" "${bench[@]}"
		cp "$OUT/go-run-$i.log" "$OUT/go-run-$i.txt"
		if [ -x "$here/bench-openblas.test" ]; then
			step "cpu-run-$i" 180 env LD_LIBRARY_PATH="$here/lib" GOMAXPROCS="$threads" "$here/bench-openblas.test" "${cpubench[@]}"
			cat "$OUT/cpu-run-$i.log" >>"$OUT/go-run-$i.txt"
		fi
		if [ -f "$here/torch_mlp6.py" ]; then
			step "torch-run-$i" 240 python3 "$here/torch_mlp6.py" cuda
			grep '^{' "$OUT/torch-run-$i.log" >"$OUT/torch-run-$i.txt"
		fi
		if [ -f "$here/torch_cnn.py" ]; then
			step "torch-cnn-run-$i" 120 python3 "$here/torch_cnn.py" cuda
			grep '^{' "$OUT/torch-cnn-run-$i.log" >>"$OUT/torch-run-$i.txt"
		fi
	done
	echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
fi

# End to end on the built-in data, then checkpoints across devices.
if want e2e; then
	step train-cuda 180 "$here/catdog-train" --device cuda --out "$OUT/train-cuda"
	step samples 60 "$here/catdog-samples" --out "$OUT/samples" --n 6
	step predict-cpu 60 "$here/catdog-predict" --device cpu --model "$OUT/train-cuda" "$OUT/samples"
	step train-cpu 240 "$here/catdog-train" --device cpu --epochs 2 --out "$OUT/train-cpu"
	step predict-cuda 60 "$here/catdog-predict" --device cuda --model "$OUT/train-cpu" "$OUT/samples"
	step train-cnn-cuda 180 "$here/catdog-train" --device cuda --model cnn --out "$OUT/train-cnn-cuda"
fi
# Out-of-bounds and misaligned accesses, and shared-memory races in the
# reductions, which the comparisons against the CPU may not show.
if want sanitize; then
	sanitizer=$(command -v compute-sanitizer || echo "${CUDA_HOME:-/usr/local/cuda}/bin/compute-sanitizer")
	if [ -x "$sanitizer" ]; then
		step memcheck 150 "$sanitizer" --tool memcheck --error-exitcode 99 \
			"$here/cuda.test" -test.v -test.run '^(TestOpsAgainstCPU|TestConformance)$'
		step racecheck 120 "$sanitizer" --tool racecheck --error-exitcode 99 \
			"$here/cuda.test" -test.v -test.run '^TestOpsAgainstCPU$'
	else
		echo "sanitize               skipped: no compute-sanitizer" >>"$status"
	fi
fi
rm -rf "$here"
cat "$status"
