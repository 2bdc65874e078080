#!/usr/bin/env bash
# The README's demo (`make demo`): roomscribe on the bundled inputs.
#   1. what the bundled phone-style video holds;
#   2. the front end: video -> gravity-aligned metric point cloud + camera path;
#   3. how far that is from the truth (the video is synthetic, so the truth is known);
#   4. the constraint solver on raw SpatialLM-style model output with its usual faults,
#      then the validity check and an SVG floor plan.
# Usage: scripts/demo.sh [BIN] [OUT]
set -euo pipefail
BIN="${1:-target/release/roomscribe}"
OUT="${2:-out/demo}"
IN="fixtures/video"
RAW="fixtures/spatiallm/raw_model_output.txt"

step() { printf '\n== %s\n' "$*" >&2; }

rm -rf "$OUT"
mkdir -p "$OUT"

step "1. The bundled input: $IN/video.mp4 (ground truth beside it)"
"$BIN" info "$IN/video.mp4"

step "2. Reconstruction: $IN/video.mp4 -> $OUT/recon/"
"$BIN" recon "$IN/video.mp4" -o "$OUT/recon"

step "3. Against the ground truth"
"$BIN" eval traj --est "$OUT/recon/trajectory.txt" --gt "$IN/trajectory.txt" --align sim3

step "4. Solving raw model output ($RAW: walls off-angle with gaps and a duplicate, a door off its wall, a sunk sofa, a floating chandelier)"
"$BIN" validate "$RAW" || true
"$BIN" solve "$RAW" -o "$OUT/solved.json" --report "$OUT/solve_report.json"
"$BIN" validate "$OUT/solved.json"
"$BIN" convert "$OUT/solved.json" -o "$OUT/solved.txt"
"$BIN" convert "$OUT/solved.json" -o "$OUT/plan.svg"

step "Done. Results in $OUT/:"
ls -1 "$OUT" "$OUT/recon" >&2
