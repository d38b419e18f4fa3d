#!/usr/bin/env bash
# Regenerates every client's code from proto/ and fails if it differs from
# what is committed: generated code is never edited by hand and never stale.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/generate.sh
generated=(src/gen clients/ts/src/gen clients/python/picam_client/gen clients/go/gen)
if ! git diff --quiet -- "${generated[@]}" || [ -n "$(git status --porcelain -- "${generated[@]}")" ]; then
  echo "generated code is out of date with proto/: run 'npm run generate' and commit it" >&2
  git status --short -- "${generated[@]}" >&2
  git diff --stat -- "${generated[@]}" >&2
  exit 1
fi
echo "generated code matches proto/ (TypeScript server and client, Python, Go)"
