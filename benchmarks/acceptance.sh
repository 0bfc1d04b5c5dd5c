#!/usr/bin/env bash
# The acceptance runs of benchmarks/acceptance.md (one per algorithm and target), from the command
# line, on the full Fashion-MNIST training split.
# Usage: bash benchmarks/acceptance.sh OUTDIR   (one JSON per run; ~30-40 minutes on 2 CPU cores)
set -u
out=${1:-/tmp/acceptance}
mkdir -p "$out"
run() {
  name=$1; shift
  [ -s "$out/$name.json" ] && return
  lra-edu train --dataset fashion-mnist --json "$@" > "$out/$name.json.tmp" && mv "$out/$name.json.tmp" "$out/$name.json"
}
run bp-3x256-1ep           --algorithm bp --hidden 256,256,256 --epochs 1
run lra_fdbk-8x128-sig-0   --algorithm lra_fdbk --hidden 128,128,128,128,128,128,128,128 --activation sigmoid --init zeros --epochs 5
run bp-8x128-sig-0         --algorithm bp --hidden 128,128,128,128,128,128,128,128 --activation sigmoid --init zeros --epochs 5
run lra_fdbk-sign-3x800    --algorithm lra_fdbk --hidden 800,800,800 --activation tanh+sign --init zeros --optimizer adam:0.001 --epochs 2
run lra_e-3x256            --algorithm lra_e --hidden 256,256,256 --epochs 2
run lra_diff-K10-3x64      --algorithm lra_diff --K 10 --hidden 64,64,64 --epochs 2
run fa-3x256-glorot        --algorithm fa --init glorot --epochs 3
run dfa-3x256-glorot       --algorithm dfa --init glorot --epochs 3
run dtp-3x256-glorot       --algorithm dtp --init glorot --optimizer rmsprop:0.001 --epochs 3
run dtp_sigma-3x256-glorot --algorithm dtp_sigma --init glorot --optimizer rmsprop:0.001 --epochs 3
run equil_prop-1x256       --algorithm equil_prop --hidden 256 --activation hard_sigmoid --init glorot --optimizer sgd:0.05 --epochs 1
