#!/usr/bin/env bash
# Create (or refresh) the Python reference's virtualenv at bench/reference/.venv
# with the pinned numpy and OpenCV of requirements.txt. `npm run bench` runs
# this when the venv is missing. Safe to run again: an existing venv is reused.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup.sh: $python is $("$python" --version 2>&1); the reference needs Python >= 3.11 (the seed's version)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup.sh: creating bench/reference/.venv with $("$python" --version 2>&1)"
  "$python" -m venv .venv
fi

.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python -c 'import cv2, numpy; print("setup.sh: ok, OpenCV", cv2.__version__, "numpy", numpy.__version__)'
