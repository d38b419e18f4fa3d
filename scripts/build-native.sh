#!/usr/bin/env bash
# Builds the native JPEG-from-I420 encoder (src/core/pixels/i420-jpeg.c) into
# dist/native/i420-jpeg.node against the system's libturbojpeg (Debian:
# libturbojpeg0-dev). Without that library the build says so and goes on:
# picam then encodes I420 frames through RGB with sharp (slower; see README).
# PICAM_REQUIRE_NATIVE=1 (CI) makes a failed build fail the build.
set -euo pipefail
cd "$(dirname "$0")/.."
src=src/core/pixels/i420-jpeg.c
out=dist/native/i420-jpeg.node
mkdir -p dist/native
headers="$(node -p "require('node-api-headers').include_dir")"
if [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then exit 0; fi
if ${CC:-cc} -O2 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden -I"$headers" "$src" -lturbojpeg -o "$out.tmp" 2>dist/native/build.log; then
  mv "$out.tmp" "$out"
else
  rm -f "$out.tmp" "$out"
  echo "build-native: $src not built (is libturbojpeg0-dev installed?); I420 frames will be encoded through RGB with sharp:" >&2
  sed 's/^/  /' dist/native/build.log >&2
  if [ "${PICAM_REQUIRE_NATIVE:-}" = 1 ]; then exit 1; fi
fi
