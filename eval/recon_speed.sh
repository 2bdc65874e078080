#!/usr/bin/env bash
# Speed benchmark of the reconstruction front end: renders a 30 s 1280x720
# walk (`roomscribe synth video --seed 0`: the first seed whose walk lasts
# 30 s; regenerated, never committed), reconstructs it with the release
# build and prints wall / CPU time and the per-step times of report.json.
# The camera's true intrinsics.yaml sits beside the video (as a calibrated
# phone's would); FOCAL=1 hides it so the focal length is estimated too.
#
#   eval/recon_speed.sh                # needs ~5 min to render the video once
#   SEED=0 SECONDS_=30 eval/recon_speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
SEED=${SEED:-0}
SECS=${SECONDS_:-30}
DATA=${DATA:-eval/benchmarks/data/recon-speed}
cargo build --release --no-default-features --features video -q
BIN="$CARGO_TARGET_DIR/release/roomscribe"
VID="$DATA/seed_${SEED}_${SECS}s_720p"
if [ ! -f "$VID/video.mp4" ]; then
  "$BIN" -q synth video --seed "$SEED" --seconds "$SECS" --width 1280 --height 720 --no-rgbd --points 1000 -o "$VID"
fi
IN="$VID/video.mp4"
if [ "${FOCAL:-0}" = 1 ]; then
  mkdir -p "$DATA/nocalib" && cp "$VID/video.mp4" "$DATA/nocalib/video.mp4" && IN="$DATA/nocalib/video.mp4"
fi
OUT="$DATA/out"
rm -rf "$OUT"
echo "machine: $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KB" "$BIN" -q recon "$IN" -o "$OUT"
python3 - "$OUT/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["timings"]
print("frames read %d, used %d, keyframes %d, poses %d, maps %d, points %d, tracking %dx%d" % (
    r["frames_read"], r["frames_used"], r["keyframes"], r["trajectory_poses"], r["maps"], r["points"],
    r["tracking_width"], r["tracking_height"]))
print("| step | seconds |\n|---|---|")
for k, v in t.items():
    print("| %s | %.2f |" % (k[:-2], v))
print("| tracking part | seconds |\n|---|---|")
for k, v in r.get("tracking_timings", {}).items():
    print("| %s | %.2f |" % (k[:-2], v))
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
