#!/usr/bin/env bash
# Focal-length estimation (vanishing points) on rendered videos with known
# intrinsics: renders 8 s 640x480 walks for SEEDS with `roomscribe synth
# video` (not committed; same seed, same video), then prints the error of
# `recon::focal::estimate_from_capture` per video (a markdown table).
#
#   eval/recon_focal.sh                     # seeds 1 2 4 6 8
#   SEEDS="1 2" eval/recon_focal.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
SEEDS=${SEEDS:-"1 2 4 6 8"}
OUT=${OUT:-eval/benchmarks/data/recon-focal}
cargo build --release --no-default-features --features video -q
BIN="$CARGO_TARGET_DIR/release/roomscribe"
mkdir -p "$OUT"
for s in $SEEDS; do
  if [ ! -f "$OUT/seed_$s/video.mp4" ]; then
    "$BIN" -q synth video --seed "$s" --seconds 8 --width 640 --height 480 --no-rgbd --points 1000 -o "$OUT/seed_$s"
  fi
done
ROOMSCRIBE_FOCAL_VIDEOS="$OUT" cargo test --release --no-default-features --features video -q --test recon_focal -- --ignored --nocapture
