#!/usr/bin/env bash
# Create (or refresh) the client's virtualenv at clients/python/.venv and
# install picam_client editable with the dev and jpeg extras: pyproject.toml
# declares version ranges, constraints.txt pins the exact versions (and the
# transitive ones) installed here. Safe to run again: an existing venv is reused.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup.sh: $python is $("$python" --version 2>&1); picam_client needs Python >= 3.11" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup.sh: creating .venv with $("$python" --version 2>&1)"
  "$python" -m venv .venv
fi

.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev,jpeg]"
.venv/bin/python -c 'import grpc, grpc_status, google.rpc, google.protobuf, numpy, PIL, pytest, grpc_tools, picam_client; print("setup.sh: ok, picam_client", picam_client.__version__, "grpcio", grpc.__version__, "protobuf", google.protobuf.__version__, "numpy", numpy.__version__, "Pillow", PIL.__version__)'
