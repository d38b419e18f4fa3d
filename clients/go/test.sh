#!/usr/bin/env bash
# Vets and tests the Go client. The tests start the real service, so node and
# a built dist/ (npm run build in the repository root) are required.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

missing=0
for tool in go node; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test.sh: error: '$tool' is not on PATH (required)" >&2
    missing=1
  fi
done
if [[ $missing -ne 0 ]]; then
  exit 1
fi

go vet ./...
go test "$@" ./...
