#!/usr/bin/env bash
# Generates every client's code from proto/ with local plugins only:
# TypeScript (protoc-gen-es from node_modules) into src/gen for the server and
# into clients/ts/src/gen for the standalone TypeScript client; Python
# (grpcio-tools through a small plugin wrapper, in clients/python/.venv); Go
# (protoc-gen-go, protoc-gen-go-grpc in clients/go/.bin).
set -euo pipefail
cd "$(dirname "$0")/.."
bash clients/python/setup.sh >/dev/null
bash clients/go/setup.sh >/dev/null
npx buf generate
# The client's copy: the contract plus google.rpc Status/BadRequest, which its typed errors decode.
npx buf generate --template clients/ts/buf.gen.yaml --path proto/picam/v1/camera.proto --path third_party/proto/google/rpc
npx buf generate --template clients/python/buf.gen.yaml --path proto/picam/v1/camera.proto
npx buf generate --template clients/go/buf.gen.yaml --path proto/picam/v1/camera.proto
