#!/usr/bin/env bash
# Runs every test. Installs what the tests need first: ggml's prebuilt libraries from the npm package
# @node-llama-cpp/linux-x64 (the reference our quantization is compared with, byte for byte).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

GGML_DIR="$ROOT/.cache/ggml"
GGML_LIB="$GGML_DIR/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so"
if [[ ! -f "$GGML_LIB" ]]; then
  echo "installing ggml reference library (npm @node-llama-cpp/linux-x64@3.22.1) into $GGML_DIR"
  mkdir -p "$GGML_DIR"
  npm install --silent --no-save --no-audit --no-fund --prefix "$GGML_DIR" @node-llama-cpp/linux-x64@3.22.1
fi
[[ -f "$GGML_LIB" ]] || { echo "ggml library missing at $GGML_LIB" >&2; exit 1; }

# The real Hugging Face JS clients the hub's HF API is tested with (HfClientsTest).
HFJS_DIR="$ROOT/.cache/hfjs"
if [[ ! -f "$HFJS_DIR/node_modules/@huggingface/hub/package.json" || ! -f "$HFJS_DIR/node_modules/@huggingface/gguf/package.json" ]]; then
  echo "installing the Hugging Face JS clients (npm @huggingface/hub@2.17.5 @huggingface/gguf@0.4.6) into $HFJS_DIR"
  mkdir -p "$HFJS_DIR"
  npm install --silent --no-save --no-audit --no-fund --prefix "$HFJS_DIR" @huggingface/hub@2.17.5 @huggingface/gguf@0.4.6
fi

if [[ -z "${JAVA_HOME:-}" || ! -x "$JAVA_HOME/bin/javac" ]] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  for d in /usr/lib/jvm/*25*; do [[ -x "$d/bin/javac" ]] && { export JAVA_HOME="$d"; break; }; done
fi
echo "JAVA_HOME=$JAVA_HOME"
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
exec mvn -B -ntp "-Dggml.lib=$GGML_LIB" verify "$@"
