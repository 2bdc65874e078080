#!/usr/bin/env bash
# Generates the data of the synthetic reconstruction benchmarks
# (eval/benchmarks/recon-synthetic-{mono,rgbd}.toml) from evaluation seeds:
# for each seed, `roomscribe synth video` renders a 10 s 640x480 walk through
# a procedural apartment; the mp4 becomes a monocular case, the TUM RGB-D
# folder (depth given, poses NOT given: groundtruth.txt is moved out) an
# RGB-D case; the true trajectory and the scene's scan are the ground truth.
# The data is regenerated, never committed (same seed, same files).
#
#   eval/make_recon_data.sh                 # seeds 1000000..1000004
#   SEEDS="1000000 1000007" eval/make_recon_data.sh
#   ROOMSCRIBE=path/to/roomscribe eval/make_recon_data.sh
#   # the wider held-out set of recon-synthetic-mono-wide.toml (12 seeds):
#   SEEDS="$(seq 1000005 1000016)" OUT=eval/benchmarks/data/recon-synth-wide eval/make_recon_data.sh
#   # the held-out set of recon-synthetic-mono-fresh.toml (24 seeds):
#   SEEDS="$(seq 1000017 1000040)" OUT=eval/benchmarks/data/recon-synth-fresh eval/make_recon_data.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ROOMSCRIBE:-target/release/roomscribe}
SEEDS=${SEEDS:-"1000000 1000001 1000002 1000003 1000004"}
OUT=${OUT:-eval/benchmarks/data/recon-synth}
if [ ! -x "$BIN" ]; then
  echo "make_recon_data.sh: $BIN not found; build it with 'cargo build --release' or set ROOMSCRIBE" >&2
  exit 2
fi
rm -rf "$OUT"
mkdir -p "$OUT/mono" "$OUT/rgbd" "$OUT/gt/traj" "$OUT/gt/cloud" "$OUT/tmp"
for s in $SEEDS; do
  t="$OUT/tmp/seed_$s"
  "$BIN" -q synth video --seed "$s" --points 400000 -o "$t"
  mv "$t/video.mp4" "$OUT/mono/seed_$s.mp4"
  # One camera for every seed: its intrinsics sit beside the videos.
  cp "$t/intrinsics.yaml" "$OUT/mono/intrinsics.yaml"
  mv "$t/trajectory.txt" "$OUT/gt/traj/seed_$s.txt"
  mv "$t/scan.ply" "$OUT/gt/cloud/seed_$s.ply"
  rm -f "$t/rgbd/groundtruth.txt"
  cp "$t/intrinsics.yaml" "$t/rgbd/intrinsics.yaml"
  mv "$t/rgbd" "$OUT/rgbd/seed_$s"
  rm -rf "$t"
  echo "seed $s done"
done
rmdir "$OUT/tmp"
echo "wrote $OUT"
