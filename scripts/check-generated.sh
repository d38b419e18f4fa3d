#!/usr/bin/env bash
# Regenerates code from proto/ and fails if it differs from what is committed:
# generated code is never edited by hand and never stale.
set -euo pipefail
cd "$(dirname "$0")/.."
npx buf generate
if ! git diff --quiet -- src/gen || [ -n "$(git status --porcelain -- src/gen)" ]; then
  echo "generated code is out of date with proto/: run 'npm run generate' and commit src/gen" >&2
  git status --short -- src/gen >&2
  git diff --stat -- src/gen >&2
  exit 1
fi
echo "generated code matches proto/"
