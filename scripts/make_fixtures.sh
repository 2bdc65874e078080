#!/usr/bin/env bash
# Regenerates the committed synthetic fixtures (deterministic: same binary
# version, same bytes). Needs a build with the `video` feature for the mp4:
#   cargo build --release --features video
# Usage: scripts/make_fixtures.sh [path/to/roomscribe]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-${CARGO_TARGET_DIR:-target}/release/roomscribe}
SEEDS="3 7 12"
for s in $SEEDS; do
  d=fixtures/scenes/seed_$s
  rm -rf "$d"
  "$BIN" -q synth scan --seed "$s" --points 20000 -o "$d"
  rm -f "$d/intrinsics.yaml"            # scenes keep layout + scan (+ trajectory)
done
v=fixtures/video
tmp=$(mktemp -d)
"$BIN" -q synth video --seed 7 --seconds 5 --fps 30 --width 640 --height 480 --points 20000 -o "$tmp/video"
rm -rf "$v"
mkdir -p "$v"
cp "$tmp/video/video.mp4" "$tmp/video/trajectory.txt" "$tmp/video/intrinsics.yaml" "$tmp/video/layout.json" "$tmp/video/layout.txt" "$v/"
# (The RGB-D folder is left out: its PNGs would add ~4 MB; make it with
# `roomscribe synth video` when a test needs one.)
rm -rf "$tmp"
du -sh fixtures/scenes fixtures/video
