#!/bin/bash
# Runs Neurone's GPU checks on a machine without Go, from the bundle that
# `make gpu-bundle` packs beside this script, and leaves three files in
# $OUT (default ./gpu-out): summary.md (each step's result, the GPU, driver,
# CUDA, cuBLAS and NVRTC versions, the benchmark table), bench.txt (the raw
# benchmark output) and logs.tgz (every step's log, under 10 MiB).
#
#   make gpu-bundle                                 # where Go is
#   OUT=$OUT bash build/gpu/run.sh [STEP|GROUP]...  # on the GPU machine, build/gpu carried
#   go run ./bench/compare -from DIR -out bench/RESULTS-cuda.md -section bench-cuda
#
# The steps, most important first, by group:
#   tests     cudadl TestKernelsCompile TestOpen TestOpsAgainstCPU
#             TestConformance TestGraphReplayMatchesEager TestMLP6AgainstCPU
#             TestTF32 TestCatdogAgainstCPU TestZooAgainstTapeMachine (plain-
#             Gorgonia graphs on cuda against the TapeMachine)
#             TestStdOpsAgainstCPU (Gorgonia's standard ops, each against the
#             CPU) TestLifetimes TestOutOfMemory
#             TestKernelsNear2to31 TestFillDevice TestNCCLAlone (NCCL
#             with one rank, from PyTorch's pip packages), then the cu layer's
#             (backend/cuda built with -tags cu, on gorgonia.org/cu):
#             cu-TestOpen cu-TestOpsAgainstCPU cu-TestConformance
#             cu-TestMLP6AgainstCPU cu-TestCuUnsupported:
#             one process each, in dependency order, none of the host
#             stand-in's tests (TestCatdogAgainstCPU is models/catdog's)
#   e2e       e2e-train (catdog-train --device cuda on the built-in set),
#             e2e-predict (its model on CUDA and on the CPU, which must
#             agree; asking for it runs e2e-train too), e2e-train-cnn
#   bench     bench-go (ours on CUDA), bench-cpu (ours on the CPU with
#             OpenBLAS, batch 256 and 1024), bench-torch-mlp6 (PyTorch
#             eager and CUDA graph, fp32 and TF32), bench-torch-cnn (the
#             same, fp32); each benchmark once
#   sanitize  sanitizer-probe, then, if compute-sanitizer works here,
#             memcheck and racecheck on TestOpsAgainstCPU (asking for
#             either runs the probe too)
# No argument runs them all; names of steps or groups run only those, so a
# second, short run can repeat what the summary lists as failed or
# skipped. The environment probe always runs first.
#
# DEADLINE (seconds, default 420) bounds the run: each step gets its own
# limit or the time left, whichever is less, and the steps that no longer
# fit are listed as skipped (deadline). On a machine without a GPU (a dry
# run) the tests run and skip, the steps that need the GPU are skipped, and
# the summary says "no GPU".
set -u
started=$SECONDS
DEADLINE=${DEADLINE:-420}
reserve=15 # seconds kept for the summary and logs.tgz
bundle=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$PWD/gpu-out}
threads=$(nproc)

# name group limit-in-seconds needs-the-GPU
plan='
cudadl                      tests    60  -
TestKernelsCompile          tests    90  -
TestOpen                    tests    60  -
TestOpsAgainstCPU           tests    90  -
TestConformance             tests    90  -
TestGraphReplayMatchesEager tests    60  -
TestMLP6AgainstCPU          tests    60  -
TestTF32                    tests    60  -
TestCatdogAgainstCPU        tests    90  -
TestZooAgainstTapeMachine   tests    90  -
TestStdOpsAgainstCPU        tests    60  -
TestLifetimes               tests    90  -
TestOutOfMemory             tests    60  -
TestKernelsNear2to31        tests    90  -
TestFillDevice              tests    90  -
TestNCCLAlone               tests    60  -
cu-TestOpen                 tests    60  gpu
cu-TestOpsAgainstCPU        tests    90  gpu
cu-TestConformance          tests    90  gpu
cu-TestMLP6AgainstCPU       tests    60  gpu
cu-TestCuUnsupported        tests    60  gpu
e2e-train                   e2e      90  gpu
e2e-predict                 e2e      60  gpu
e2e-train-cnn               e2e      90  gpu
bench-go                    bench    150 -
bench-cpu                   bench    90  -
bench-torch-mlp6            bench    120 gpu
bench-torch-cnn             bench    90  gpu
sanitizer-probe             sanitize 60  gpu
memcheck                    sanitize 150 gpu
racecheck                   sanitize 120 gpu
'
order=()
declare -A group limit needs
while read -r name g l n; do
	[ -n "$name" ] || continue
	order+=("$name")
	group[$name]=$g limit[$name]=$l needs[$name]=$n
done <<<"$plan"

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
	sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
fi
declare -A chosen
for a in "${@:-all}"; do
	found=
	for name in "${order[@]}"; do
		if [[ $a == all || $a == "$name" || $a == "${group[$name]}" ]]; then
			chosen[$name]=1 found=1
		fi
	done
	if [ -z "$found" ]; then
		echo "run.sh: unknown step or group $a; the steps: ${order[*]}; the groups: tests e2e bench sanitize" >&2
		exit 2
	fi
done
# e2e-predict classifies with the model e2e-train writes in this run;
# memcheck and racecheck run when sanitizer-probe finds that they can.
[ -n "${chosen[e2e-predict]:-}" ] && chosen[e2e-train]=1
[ -n "${chosen[memcheck]:-}${chosen[racecheck]:-}" ] && chosen[sanitizer-probe]=1

mkdir -p "$OUT" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
interrupted=
trap 'interrupted=1' INT TERM
bin=$work/bin logs=$work/logs status=$work/status.tsv
mkdir -p "$bin" "$logs" "$work/e2e"
: >"$status"
if ! tar xJf "$bundle/bundle.tar.xz" -C "$bin" 2>"$logs/unpack.log"; then
	echo "run.sh: cannot unpack $bundle/bundle.tar.xz: $(tail -1 "$logs/unpack.log")" >&2
	exit 1
fi
# The binaries load OpenBLAS at run time: the machine's where it has one
# (it knows the machine's CPU: the bundle's 0.3.21 fell back to Prescott
# kernels on the H200 host's Cooper Lake, where the machine's 0.3.26 does
# not), else the bundle's.
machine_blas=
if { ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libopenblas\.so\.0'; then
	machine_blas=1
elif [ -d "$bin/lib" ]; then
	export LD_LIBRARY_PATH="$bin/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
benchenv=(GOMAXPROCS="$threads" OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads")
# -test.v, so that a benchmark that skips says why (bench/compare reads
# the result lines alone).
gobench=(-test.v -test.run '^$' -test.bench 'MLP6/.*/cuda|SGEMM/cuda|CNN/.*/cuda' -test.benchmem -test.count 1)
cpubench=(-test.v -test.run '^$' -test.bench 'MLP6/train/cpu/batch=(256|1024)$' -test.benchmem -test.count 1)

# libfile NAME...: the file the dynamic loader opens for the first NAME it
# finds (LD_LIBRARY_PATH, then its cache), as cudadl asks for them.
libfile() {
	local n d p
	for n; do
		for d in $(echo "${LD_LIBRARY_PATH:-}" | tr : " "); do
			[ -e "$d/$n" ] && { readlink -f "$d/$n"; return; }
		done
		p=$({ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | awk -v n="$n" '$1 == n { print $NF; exit }')
		[ -n "$p" ] && { readlink -f "$p"; return; }
	done
}

# cudaversion KEY: the version of KEY (cuda, libcublas, cuda_nvrtc) in the
# toolkit's version.json.
cudaversion() {
	awk -v key="\"$1\"" '$1 == key { in_key = 1 } in_key && $1 == "\"version\"" { gsub(/[",]/, "", $3); print $3; exit }' \
		"${CUDA_HOME:-/usr/local/cuda}/version.json" 2>/dev/null
}

# libversion FILE: "13.0.0.19 (libcublas.so.13.0.0.19 in DIR)", or "not found".
libversion() {
	local f=$1 base
	[ -n "$f" ] || { echo "not found"; return; }
	base=$(basename "$f")
	echo "${base#*.so.} ($base in $(dirname "$f"))"
}

# The environment, before any step: what the summary and bench.txt state,
# and whether there is a GPU.
probe() {
	local smi nvrtc_json cublas_json
	started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	load_before=$(cut -d' ' -f1-3 /proc/loadavg)
	cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $threads logical CPUs"
	build=$(tr '\n' ' ' <"$bin/BUILD")
	gpu_name= gpu_model= driver= cuda_driver=
	if smi=$(timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1); then
		gpu_name=$(echo "$smi" | cut -d, -f1,3 | paste -sd';' -)
		gpu_model=$(echo "$smi" | cut -d, -f1 | paste -sd';' -)
		driver=$(echo "$smi" | head -1 | cut -d, -f2 | tr -d ' ')
		cuda_driver=$(timeout 30 nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -1)
	fi
	timeout 60 "$bin/cudadl.test" -test.v -test.run '^TestLoadDriver$' >"$logs/probe-cudadl.log" 2>&1
	gpu=no
	if [ -n "$gpu_name" ] || grep -q 'driver loaded' "$logs/probe-cudadl.log"; then
		gpu=yes
	fi
	cuda_toolkit=$(cudaversion cuda)
	cublas_json=$(cudaversion libcublas) nvrtc_json=$(cudaversion cuda_nvrtc)
	cublas=$(libversion "$(libfile libcublas.so libcublas.so.13 libcublas.so.12 libcublas.so.11)")
	nvrtc=$(libversion "$(libfile libnvrtc.so libnvrtc.so.13 libnvrtc.so.12 libnvrtc.so.11.2)")
	libcuda=$(libversion "$(libfile libcuda.so.1 libcuda.so)")
	[ -n "$cublas_json" ] && cublas+="; version.json $cublas_json"
	[ -n "$nvrtc_json" ] && nvrtc+="; version.json $nvrtc_json"
	torch=$(timeout 90 python3 -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda, "available" if torch.cuda.is_available() else "unavailable")' 2>&1) ||
		torch="not usable: $(echo "$torch" | tail -1)"
	sanitizer=$(command -v compute-sanitizer || echo "${CUDA_HOME:-/usr/local/cuda}/bin/compute-sanitizer")
	if [ -x "$sanitizer" ]; then
		sanitizer_version="$(timeout 30 "$sanitizer" --version 2>&1 | tail -1) ($sanitizer)"
	else
		sanitizer= sanitizer_version="not found"
	fi
	# Which OpenBLAS the binaries load (see machine_blas), else gonum.
	blas="gonum (pure Go): neither the bundle nor the machine has OpenBLAS"
	if [ -n "$machine_blas" ]; then
		blas="OpenBLAS (the machine's)"
	elif [ -d "$bin/lib" ]; then
		blas="OpenBLAS ($(cd "$bin/lib" && ls libopenblas* | head -1), from the bundle)"
	fi
	{
		echo "started=$started_at"
		tr '\n' ' ' <"$bin/BUILD"
		echo
		echo "gpu=$gpu_name, driver $driver, CUDA $cuda_driver"
		echo "cuda_toolkit=$cuda_toolkit"
		echo "cublas=$cublas"
		echo "nvrtc=$nvrtc"
		echo "libcuda=$libcuda"
		echo "torch=$torch"
		echo "compute_sanitizer=$sanitizer_version"
		echo "cpu=$cpu"
		echo "blas=$blas"
		echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
		echo
		timeout 30 nvidia-smi 2>&1
		echo
		{ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -E 'libcuda\.|libcublas|libnvrtc'
	} >"$logs/env.log"
}

# command_of NAME LIMIT: sets cmd to step NAME's command, or says in
# cmd_skip why it cannot run here.
command_of() {
	local name=$1 lim=$2 tlim=$(($2 > 15 ? $2 - 5 : $2))s
	cmd=() cmd_skip= cmd_needs=
	case $name in
	cudadl) cmd=("$bin/cudadl.test" -test.v -test.timeout "$tlim") ;;
	TestCatdogAgainstCPU) cmd=("$bin/catdog.test" -test.v -test.run "^$name\$" -test.timeout "$tlim") ;;
	TestZooAgainstTapeMachine) cmd=("$bin/zoo.test" -test.v -test.run "^$name\$" -test.timeout "$tlim") ;;
	Test*) cmd=("$bin/cuda.test" -test.v -test.run "^$name\$" -test.timeout "$tlim") ;;
	cu-Test*)
		# Linked against the CUDA libraries: it does not start without them.
		[ -f "$bin/cuda-cu.test" ] || cmd_skip="the bundle has no cuda-cu.test (built where the CUDA headers were missing: .ci/install-cuda-headers)"
		cmd=("$bin/cuda-cu.test" -test.v -test.run "^${name#cu-}\$" -test.timeout "$tlim") ;;
	e2e-train) cmd=("$bin/catdog-train" --device cuda --cache "" --out "$work/e2e/train-cuda") ;;
	e2e-predict)
		[ -f "$work/e2e/train-cuda/last.safetensors" ] || cmd_needs=e2e-train
		cmd=(bash -c '"$1/catdog-samples" --out "$2/samples" --n 8 || exit
			"$1/catdog-predict" --json --device cuda --model "$2/train-cuda" "$2/samples" >"$2/predict-cuda.jsonl" || exit
			"$1/catdog-predict" --json --device cpu --model "$2/train-cuda" "$2/samples" >"$2/predict-cpu.jsonl" || exit
			cat "$2/predict-cuda.jsonl"
			# The same model on both devices: P(cat) within 1e-4.
			paste -d"\n" "$2/predict-cuda.jsonl" "$2/predict-cpu.jsonl" | awk '\''
				{ match($0, /"p_cat":[^,}]*/); p = substr($0, RSTART + 8, RLENGTH - 8) + 0 }
				NR % 2 == 1 { cuda = p; next }
				{ d = cuda - p; if (d < 0) d = -d; if (d > 1e-4) { print "P(cat) " cuda " on CUDA, " p " on the CPU: " $0; bad = 1 } }
				END { if (NR == 0) print "no predictions"; exit bad || NR == 0 }'\''' _ "$bin" "$work/e2e") ;;
	e2e-train-cnn) cmd=("$bin/catdog-train" --device cuda --model cnn --cache "" --out "$work/e2e/train-cnn") ;;
	bench-go) cmd=(env "${benchenv[@]}" "$bin/bench.test" "${gobench[@]}" -test.timeout "$tlim") ;;
	bench-cpu)
		cmd=(env "${benchenv[@]}" "$bin/bench.test" "${cpubench[@]}" -test.timeout "$tlim") ;;
	bench-torch-*)
		local script=$bin/torch_${name#bench-torch-}.py
		[ -f "$script" ] || cmd_skip="the bundle has no $(basename "$script")"
		[[ $torch == "not usable"* ]] && cmd_skip="no PyTorch: ${torch#not usable: }"
		cmd=(env "${benchenv[@]}" python3 "$script" cuda) ;;
	sanitizer-probe)
		[ -n "$sanitizer" ] || cmd_skip="no compute-sanitizer"
		cmd=("$sanitizer" --tool memcheck --error-exitcode 99 "$bin/cudadl.test" -test.v -test.run '^TestLoadDriver$') ;;
	memcheck | racecheck)
		[ "$sanitizer_ok" = yes ] || cmd_skip="compute-sanitizer does not work here (sanitizer-probe)"
		cmd=("$sanitizer" --tool "$name" --error-exitcode 99 --print-limit 50
			"$bin/cuda.test" -test.v -test.run '^TestOpsAgainstCPU$' -test.timeout "$tlim") ;;
	esac
}

# verdict NAME RC: the step's result and a detail line, from its log.
verdict() {
	local name=$1 rc=$2 log=$logs/$1.log summary
	detail=
	if [ "$rc" = 124 ] || [ "$rc" = 137 ] || grep -q '^panic: test timed out' "$log"; then
		result=timeout detail=$(grep -m1 -A1 '^panic: test timed out' "$log" | tail -1)
	elif [[ $name == Test* || $name == cu-Test* || $name == cudadl || ${group[$name]} == sanitize ]]; then
		if [ "$rc" != 0 ] || grep -q '^--- FAIL' "$log"; then
			result=fail detail="$(awk '/_test\.go:[0-9]+: / && !e { e = $0 } /^--- FAIL/ { print (e ? e : $0); exit }' "$log")"
			[ -n "$detail" ] || detail="rc $rc: $(grep -v '^[[:space:]]*$' "$log" | tail -1)"
		elif grep -q 'no tests to run' "$log"; then
			result=fail detail="no test of that name ran"
		elif grep -q '^--- SKIP' "$log" && ! grep -q '^--- PASS' "$log"; then
			result=skip detail="$(awk '/_test\.go:[0-9]+: / { e = $0 } /^--- SKIP/ { print e; exit }' "$log")"
		else
			result=pass detail="$(grep -c '^--- PASS' "$log") passed, $(grep -c '^--- SKIP' "$log") skipped"
		fi
		detail=$(echo "$detail" | sed 's/^[[:space:]]*//')
		# Under compute-sanitizer: its own verdict first.
		if [ "${group[$name]}" = sanitize ]; then
			# memcheck ends in "ERROR SUMMARY: N errors", racecheck in
			# "RACECHECK SUMMARY: N hazards displayed (E errors, W warnings)".
			summary=$(grep -m1 -E '(ERROR|RACECHECK) SUMMARY' "$log" | sed 's/^=* *//')
			case $summary in
			"ERROR SUMMARY: 0 errors" | "RACECHECK SUMMARY: 0 hazards displayed (0 errors, 0 warnings)") ;;
			*) result=fail ;;
			esac
			detail="${summary:-no summary: compute-sanitizer did not finish}; $detail"
		fi
	elif [ "$rc" != 0 ]; then
		result=fail detail="rc $rc: $(grep -v '^[[:space:]]*$' "$log" | tail -1)"
	else
		result=pass
		case $name in
		bench-go | bench-cpu)
			local ran skipped why
			ran=$(grep -c '^Benchmark.*ns/op' "$log") skipped=$(grep -c '^--- SKIP' "$log")
			why=$(awk '/_test\.go:[0-9]+: / { e = $0 } /^--- SKIP/ { print e; exit }' "$log" | sed 's/^[[:space:]]*//')
			detail="$ran results, $skipped skipped${why:+: $why}"
			if ((ran == 0)); then
				result=fail
				[ "$gpu" != yes ] && [ "$name" = bench-go ] && result=skip
			fi
			;;
		bench-torch-*) detail="$(grep -c '"step_ms"' "$log") configurations" ;;
		esac
	fi
	detail=$(echo "$detail" | sed 's/^[[:space:]]*//; s/|/\\|/g' | cut -c1-200)
}

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$status"; }

probe
sanitizer_ok=no
for name in "${order[@]}"; do
	[ -n "${chosen[$name]:-}" ] || continue
	left=$((DEADLINE - (SECONDS - started) - reserve))
	lim=$((limit[$name] < left ? limit[$name] : left))
	command_of "$name" "$lim"
	if [ -n "$interrupted" ]; then
		record "$name" "skipped (interrupted)" "" ""
	elif [ "${needs[$name]}" = gpu ] && [ "$gpu" != yes ]; then
		record "$name" "skipped (no GPU)" "" ""
	elif [ -n "$cmd_skip" ]; then
		record "$name" "skipped" "" "$cmd_skip"
	elif [ -n "$cmd_needs" ]; then
		record "$name" "skipped (needs $cmd_needs)" "" "run it with $cmd_needs"
	elif ((lim < 10)); then
		record "$name" "skipped (deadline)" "" "$((SECONDS - started)) s of $DEADLINE gone"
	else
		echo "run.sh: $name (at most $lim s)" >&2
		echo "${cmd[*]}" >"$work/$name.cmd"
		t0=$SECONDS
		timeout -k 10 "$lim" "${cmd[@]}" >"$logs/$name.log" 2>&1 </dev/null &
		child=$!
		wait "$child"
		rc=$?
		if [ -n "$interrupted" ]; then
			kill -TERM "$child" 2>/dev/null
			wait "$child"
			rc=130
		fi
		verdict "$name" "$rc"
		[ "$rc" = 130 ] && result=interrupted
		[ "$name" = sanitizer-probe ] && [ "$result" = pass ] && sanitizer_ok=yes
		record "$name" "$result" "$((SECONDS - t0))" "$detail"
	fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# bench.txt: what `go run ./bench/compare -from DIR` reads.
{
	echo "# Neurone's GPU run (bench/gpu-run.sh): raw benchmark output, which"
	echo "# go run ./bench/compare -from DIR turns into bench/RESULTS-cuda.md."
	echo "== machine"
	echo "started=$started_at"
	cat "$bin/BUILD"
	echo "cpu=$cpu"
	if [ "$gpu" = yes ]; then
		echo "gpu=${gpu_model:-unnamed (nvidia-smi failed)} (driver ${driver:-unknown}, CUDA ${cuda_driver:-unknown})"
	else
		echo "gpu="
	fi
	echo "blas=$blas"
	echo "threads=$threads"
	echo "load_before=$load_before"
	echo "load_after=$load_after"
	echo "== commands"
	for name in bench-go bench-cpu bench-torch-mlp6 bench-torch-cnn; do
		[ -f "$work/$name.cmd" ] && sed "s|^env ||; s|$bin/||g; s|$bin|.|g" "$work/$name.cmd"
	done
	echo "== go run 1"
	cat "$logs/bench-go.log" "$logs/bench-cpu.log" 2>/dev/null
	echo "== torch run 1"
	cat "$logs/bench-torch-mlp6.log" "$logs/bench-torch-cnn.log" 2>/dev/null | grep '^{'
} >"$OUT/bench.txt"

# The side-by-side table for the summary: ours and PyTorch's eager and
# CUDA-graph steps, by the Go benchmark's name. (bench/compare makes the
# fuller one from bench.txt.)
benchtable() {
	awk '
	function jget(line, key,   v) {
		if (!match(line, "\"" key "\": *(\"[^\"]*\"|[^,}]*)")) return ""
		v = substr(line, RSTART, RLENGTH); sub(/^"[^"]*": */, "", v); gsub(/"/, "", v)
		return v
	}
	function ms(v) { return v == "" ? "—" : sprintf("%.3g", v) }
	function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "—" : sprintf("%.2fx", a / b) }
	/^== / { section = $2; next }
	section == "go" && /^Benchmark/ && / ns\/op/ {
		name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
		for (i = 3; i < NF; i += 2) {
			if ($(i + 1) == "ns/op") step[name] = $i / 1e6
			if ($(i + 1) == "samples/s") rate[name] = $i
			if ($(i + 1) == "GFLOP/s") gflops[name] = $i
		}
		if (name ~ /^SGEMM/) { notes = notes sprintf("- ours %s: %.0f GFLOP/s\n", name, gflops[name]); next }
		if (!(name in seen)) { seen[name] = 1; names[++n] = name }
		next
	}
	section == "torch" && /^\{/ {
		if ((tf = jget($0, "gemm8192_fp32_tf32")) != "") {
			notes = notes sprintf("- PyTorch GEMM 8192^3 %s: %s TFLOP/s\n", tf == "true" ? "TF32" : "fp32", jget($0, "tflops"))
			next
		}
		if ((e = jget($0, "error")) != "") { notes = notes "- PyTorch could not time: " e "\n"; next }
		if ((s = jget($0, "step_ms")) == "") next
		if (jget($0, "model") == "cnn") { name = jget($0, "bench"); variant = jget($0, "variant") }
		else {
			mode = jget($0, "mode"); variant = "eager"
			if (sub(/-graph$/, "", mode)) variant = "graph"
			name = "MLP6/" mode "/" jget($0, "device") "/batch=" jget($0, "batch") (jget($0, "tf32") == "true" ? "/tf32" : "")
		}
		tstep[name, variant] = s; trate[name, variant] = jget($0, "samples_per_s")
		if (!(name in seen)) { seen[name] = 1; names[++n] = name }
	}
	END {
		if (n == 0) { print "No benchmark ran."; printf "%s", notes; exit }
		print "| benchmark | ours ms/step | ours samples/s | PyTorch eager ms/step | PyTorch graph ms/step | ours ÷ eager | ours ÷ graph |"
		print "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
		for (i = 1; i <= n; i++) {
			k = names[i]
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", k, ms(step[k]), (k in rate) ? rate[k] : "—",
				ms(tstep[k, "eager"]), ms(tstep[k, "graph"]), ratio(rate[k], trate[k, "eager"]), ratio(rate[k], trate[k, "graph"])
		}
		if (notes != "") { print ""; printf "%s", notes }
	}' "$OUT/bench.txt"
}

# summary.md
{
	echo "# Neurone GPU run"
	echo
	if [ "$gpu" != yes ]; then
		echo "**no GPU**: nvidia-smi found none and the driver did not load (a dry run); the steps that need one were skipped."
		echo
	fi
	echo "| | |"
	echo "| --- | --- |"
	echo "| started | $started_at, $((SECONDS - started)) s of the $DEADLINE s deadline |"
	echo "| bundle | $build|"
	echo "| GPU | ${gpu_name:-no GPU} |"
	echo "| driver | ${driver:-none} (nvidia-smi); libcuda $libcuda |"
	echo "| CUDA | driver ${cuda_driver:-none}; toolkit ${cuda_toolkit:-not found} (${CUDA_HOME:-/usr/local/cuda}/version.json) |"
	echo "| cuBLAS | $cublas |"
	echo "| NVRTC | $nvrtc |"
	echo "| PyTorch | $torch |"
	echo "| compute-sanitizer | $sanitizer_version |"
	echo "| host | $cpu; load $load_before before, $load_after after |"
	echo "| steps asked for | ${*:-all} |"
	echo
	echo "## Steps"
	echo
	echo "| step | result | seconds | detail |"
	echo "| --- | --- | ---: | --- |"
	# With a GPU, a test that skips did not run where it should have.
	awk -F'\t' -v gpu="$gpu" '{ r = $2; if (r ~ /^(fail|timeout|interrupted)$/ || (r == "skip" && gpu == "yes")) r = "**" r "**"
		printf "| %s | %s | %s | %s |\n", $1, r, $3, $4 }' "$status"
	again=$(awk -F'\t' '$2 ~ /^(fail|timeout|interrupted|skipped \((deadline|interrupted|needs .*)\))$/ { printf " %s", $1 }' "$status")
	echo
	if [ -n "$again" ]; then
		echo "To repeat what failed or did not fit: \`OUT=\$OUT bash build/gpu/run.sh$again\`"
	else
		echo "Nothing failed or ran out of time."
	fi
	echo
	echo "## Benchmarks (each once)"
	echo
	benchtable
	echo
	echo "Raw output in bench.txt (\`go run ./bench/compare -from DIR\` renders it); every step's log in logs.tgz."
} >"$OUT/summary.md"

# logs.tgz: the logs, the training runs' text files, not their checkpoints
# or plots; any log over 2 MiB keeps its head and tail.
cp "$status" "$logs/status.tsv"
for f in "$logs"/*.log; do
	if [ "$(stat -c %s "$f")" -gt 2097152 ]; then
		{ head -c 262144 "$f"; printf '\n[... cut by run.sh ...]\n'; tail -c 1572864 "$f"; } >"$f.cut" && mv "$f.cut" "$f"
	fi
done
mkdir -p "$logs/e2e"
(cd "$work/e2e" && find . -type f \( -name '*.json' -o -name '*.jsonl' -o -name '*.txt' \) -size -1000k -exec cp --parents {} "$logs/e2e/" \;)
tar czf "$OUT/logs.tgz" -C "$work" logs
if [ "$(stat -c %s "$OUT/logs.tgz")" -gt 10000000 ]; then
	for f in "$logs"/*.log; do tail -c 200000 "$f" >"$f.cut" && mv "$f.cut" "$f"; done
	tar czf "$OUT/logs.tgz" -C "$work" logs
fi
cat "$OUT/summary.md"
