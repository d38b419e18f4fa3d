#!/usr/bin/env bash
# Idempotently installs the pinned protoc plugins into clients/go/.bin and
# downloads the module's dependencies. Safe to run repeatedly.
set -euo pipefail

# Pinned plugin versions. protoc-gen-go must match google.golang.org/protobuf
# in go.mod.
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v go >/dev/null 2>&1; then
  echo "setup.sh: error: the Go toolchain (go) is not on PATH; install Go >= 1.24" >&2
  exit 1
fi

bin="$here/.bin"
mkdir -p "$bin"

# install NAME MODULE_PATH VERSION: installs unless the binary at that exact
# version is already present (checked with `go version -m`).
install_plugin() {
  local name="$1" pkg="$2" version="$3" mod="$4"
  if [[ -x "$bin/$name" ]] && go version -m "$bin/$name" 2>/dev/null \
      | awk -v m="$mod" -v v="$version" '$1=="mod" && $2==m && $3==v {found=1} END {exit !found}'; then
    echo "setup.sh: $name $version already installed"
    return
  fi
  echo "setup.sh: installing $name $version"
  GOBIN="$bin" go install "$pkg@$version"
}

install_plugin protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go \
  "$PROTOC_GEN_GO_VERSION" google.golang.org/protobuf
install_plugin protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc \
  "$PROTOC_GEN_GO_GRPC_VERSION" google.golang.org/grpc/cmd/protoc-gen-go-grpc

go mod download
echo "setup.sh: done ($bin)"
