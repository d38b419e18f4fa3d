#!/usr/bin/env bash
# `buf breaking` against the previous commit of main, once it has a proto.
set -euo pipefail
cd "$(dirname "$0")/.."
if git rev-parse -q --verify HEAD~1 >/dev/null && git cat-file -e HEAD~1:proto/picam/v1/camera.proto 2>/dev/null; then
  npx buf breaking --against '.git#ref=HEAD~1'
  echo "buf breaking: no breaking change against $(git rev-parse --short HEAD~1)"
else
  echo "buf breaking: previous commit has no proto yet, nothing to compare"
fi
