#!/usr/bin/env bash
# Run the client tests against a real picam process (started by the tests).
# Needs the venv from setup.sh and the built service (dist/src/main.js).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"

if [ ! -x .venv/bin/python ]; then
  echo "test.sh: no venv at $here/.venv; run: bash clients/python/setup.sh" >&2
  exit 1
fi
if ! .venv/bin/python -c 'import pytest, numpy, PIL, grpc, grpc_status, picam_client' 2>/dev/null; then
  echo "test.sh: the venv is missing packages; run: bash clients/python/setup.sh" >&2
  .venv/bin/python -c 'import pytest, numpy, PIL, grpc, grpc_status, picam_client' || true
  exit 1
fi
if ! command -v node >/dev/null; then
  echo "test.sh: node is not on PATH (the tests start the picam service)" >&2
  exit 1
fi
if [ ! -f "$repo/dist/src/main.js" ]; then
  echo "test.sh: $repo/dist/src/main.js is missing; run: cd $repo && npm run build" >&2
  exit 1
fi

exec .venv/bin/python -m pytest "$@"
