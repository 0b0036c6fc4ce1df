#!/usr/bin/env bash
# GPU figures for docs/performance.md: bench/gpu.py on an SD-1.5-sized and an SDXL-sized pipeline
# with random weights built on the machine (nothing is downloaded; no network is needed).
# About 5 minutes on an H100/H200; stopped after 8 whatever happens.
#
#   bench/gpu.sh                    # figures in $OUT/gpu.json (./bench-out/gpu.json without $OUT)
#   bench/gpu.sh --smoke            # tiny pipelines, 1-2 steps: checks the script, on any machine
#   bench/gpu.sh --sizes sd15 --train-steps 50 --out /tmp/gpu.json    # any bench/gpu.py option
#
# Where torch can't see a GPU (a CPU build of torch, no driver, no card) it says so, runs the
# smoke instead so the script itself is checked, and exits with 3: no GPU figures came out.
set -euo pipefail
cd "$(dirname "$0")/.."

py=${BENCH_PYTHON:-.venv/bin/python}
out_dir=${OUT:-bench-out}
mkdir -p "$out_dir"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false

smoke=""
for arg in "$@"; do
  [[ $arg == --smoke ]] && smoke=--smoke
done

# torch's view of the machine, in one line; "cuda=1" only when a GPU can be used
probe=$("$py" -c '
import torch
cuda = torch.cuda.is_available()
name = torch.cuda.get_device_name() if cuda else "-"
print(f"cuda={int(cuda)} torch={torch.__version__} built_for_cuda={torch.version.cuda} device={name}")
') || {
  echo "$py can't import torch: set BENCH_PYTHON to the project's Python (.venv/bin/python)." >&2
  exit 2
}
echo "$probe"
status=0
if [[ $probe != cuda=1* ]]; then
  echo "CUDA IS NOT AVAILABLE to this torch: no GPU figures will be measured." >&2
  if [[ $probe == *built_for_cuda=None* ]]; then
    echo "  $py has a CPU-only build of torch; install a CUDA wheel of the same version." >&2
  fi
  if command -v nvidia-smi > /dev/null; then
    nvidia-smi -L >&2 || true
  else
    echo "  nvidia-smi is not on PATH: no NVIDIA driver here." >&2
  fi
  if [[ -z $smoke ]]; then
    echo "  Running the CPU smoke instead (tiny pipelines), to check the script." >&2
    smoke=--smoke
    status=3
  fi
elif command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,power.limit --format=csv,noheader || true
fi

# $smoke first, then the caller's options: a later --out wins over this one.
args=(--out "$out_dir/gpu.json")
[[ $status == 3 ]] && args=(--smoke "${args[@]}")
timeout --signal=INT --kill-after=20 470 "$py" bench/gpu.py "${args[@]}" "$@"
exit $status
