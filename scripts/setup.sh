#!/usr/bin/env bash
# Installs what roomscribe needs on Debian 12 / Ubuntu, idempotently, and
# fast when everything is already there:
#   - Debian packages: OpenCV (video decoding, SLAM front end), clang (for the
#     opencv bindings), ffmpeg's libraries come with libopencv-videoio;
#   - the ONNX Runtime shared library, unzipped from the PyPI wheel
#     onnxruntime==$ORT_VERSION into .deps/onnxruntime/ (git-ignored).
# Needs root (or sudo) for apt-get only when a package is missing.
set -euo pipefail

ORT_VERSION="${ORT_VERSION:-1.32.0}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps="$root/.deps"

say() { printf 'setup: %s\n' "$*" >&2; }

# ---- Rust toolchain ---------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
    say "cargo is not on PATH. Install Rust (https://rustup.rs, or Debian's 'cargo' package for an older toolchain) and run this again."
    exit 1
fi

# ---- Debian packages --------------------------------------------------------
apt_pkgs=(libopencv-dev clang libclang-dev pkg-config python3 python3-pip unzip)
missing=()
for p in "${apt_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { say "need root to apt-get install ${missing[*]}"; exit 1; }
        SUDO="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- ONNX Runtime shared library -------------------------------------------
ort_dir="$deps/onnxruntime"
if ! ls "$ort_dir"/libonnxruntime.so.* >/dev/null 2>&1; then
    say "fetching the ONNX Runtime $ORT_VERSION library from the PyPI wheel"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
        "onnxruntime==$ORT_VERSION" -d "$tmp" >&2
    whl="$(ls "$tmp"/onnxruntime-*.whl | head -n 1)"
    mkdir -p "$tmp/x" "$ort_dir"
    unzip -q -o "$whl" 'onnxruntime/capi/libonnxruntime.so*' -d "$tmp/x"
    cp "$tmp"/x/onnxruntime/capi/libonnxruntime.so* "$ort_dir/"
    # A stable name for discovery; the versioned file stays beside it.
    lib="$(ls "$ort_dir"/libonnxruntime.so.* | head -n 1)"
    ln -sf "$(basename "$lib")" "$ort_dir/libonnxruntime.so"
    echo "$ORT_VERSION" > "$ort_dir/VERSION"
fi
say "ready (ONNX Runtime $(cat "$ort_dir/VERSION" 2>/dev/null || echo '?') in .deps/onnxruntime)"
