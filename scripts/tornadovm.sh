#!/usr/bin/env bash
# Prints the path of a TornadoVM SDK (what TORNADOVM_HOME points at), building it first when there is none.
#
# TORNADOVM_HOME set to an installed SDK (TornadoVM's README, for machines with internet) is used as it is. Otherwise
# the SDK is built once from ../shared/vendor/tornadovm-5.2.0-jdk25-src.tar.gz into .cache/tornadovm, exactly as
# ../shared/vendor/README.md says (TornadoVM's own download steps cannot reach their servers from here; the build
# also installs TornadoVM's modules into the local Maven repository). Safe to start twice at once: the second waits on
# a lock. Either way:
#   .cache/tornadovm/sdk      links to the SDK; its presence switches on the Maven module inference-tornado, which
#                             compiles against the SDK's tornado-api jar;
#   .cache/tornadovm/argfile  the SDK's JVM arguments (java @argfile ...) for where the SDK is now: rendered from its
#                             template on every run, so an SDK moved with the checkout (to a GPU machine) still works.
# Everything but the path goes to stderr, so callers can write TORNADOVM_HOME="$(scripts/tornadovm.sh)".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${TORNADOVM_CACHE:-$ROOT/.cache/tornadovm}"  # scripts/gpu-check.sh renders its own pack's argfile

# Links and renders the files above for the SDK at $1, and prints its path.
use_sdk() {
  local sdk; sdk="$(cd "$1" && pwd -P)"  # the physical path: the argfile stays valid whatever links led here
  # Already there (a link to it, or the SDK itself carried to another machine as .cache/tornadovm/sdk): keep it.
  [[ "$(cd "$CACHE/sdk" 2>/dev/null && pwd -P)" == "$sdk" ]] || ln -sfn "$sdk" "$CACHE/sdk"
  local template="$sdk/tornado-argfile.template"
  [[ -f "$template" ]] || template="$sdk/tornado-argfile"
  sed "s|\${TORNADOVM_HOME}|$sdk|g" "$template" > "$CACHE/argfile.tmp" && mv "$CACHE/argfile.tmp" "$CACHE/argfile"
  echo "$sdk"
}

if [[ -n "${TORNADOVM_HOME:-}" ]]; then
  [[ -f "$TORNADOVM_HOME/tornado-argfile" ]] || { echo "TORNADOVM_HOME=$TORNADOVM_HOME is not a TornadoVM SDK (no tornado-argfile)" >&2; exit 1; }
  mkdir -p "$CACHE"
  use_sdk "$TORNADOVM_HOME"; exit 0
fi

VERSION="5.2.0-jdk25"
SOURCE="$ROOT/../shared/vendor/tornadovm-$VERSION-src.tar.gz"
SRC="$CACHE/src"
SDK="$SRC/dist/tornadovm-$VERSION-opencl-linux-amd64/tornadovm-$VERSION-opencl"
STAMP="$CACHE/built-$VERSION"
PACKAGES=(pocl-opencl-icd opencl-headers ocl-icd-opencl-dev clinfo python3-tqdm python3-wget python3-packaging
          python3-rich python3-requests python3-psutil cmake g++)

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [[ -f "$STAMP" && -f "$SDK/tornado-argfile" ]]; then use_sdk "$SDK"; exit 0; fi

missing=()
for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if (( ${#missing[@]} )); then
  echo "installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >"$CACHE/apt.log" 2>&1 \
    || { tail -20 "$CACHE/apt.log" >&2; echo "installing ${missing[*]} failed; log: $CACHE/apt.log" >&2; exit 1; }
fi

JAVA_HOME="${TORNADOVM_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[[ -x "$JAVA_HOME/bin/javac" ]] || { echo "no JDK 25 at $JAVA_HOME (set TORNADOVM_JAVA_HOME)" >&2; exit 1; }
[[ -f "$SOURCE" ]] || { echo "TornadoVM source missing at $SOURCE" >&2; exit 1; }

echo "building TornadoVM $VERSION (OpenCL backend) into $CACHE; takes a few minutes" >&2
rm -rf "$SRC" && mkdir -p "$SRC"
tar xzf "$SOURCE" -C "$SRC"
cd "$SRC"
# 1. OpenCL headers from Debian instead of a git clone of KhronosGroup/OpenCL-Headers.
mkdir -p tornado-drivers/opencl-jni/src/main/cpp/headers/include
cp -r /usr/include/CL tornado-drivers/opencl-jni/src/main/cpp/headers/include/CL
# 2. Debian's python (with the apt modules) instead of pip installs; streamlit only serves a profiler UI.
TOOLS="$CACHE/python"
mkdir -p "$TOOLS/bin" "$TOOLS/lib/streamlit"
ln -sf /usr/bin/python3 "$TOOLS/bin/python3"; ln -sf /usr/bin/python3 "$TOOLS/bin/python"
: > "$TOOLS/lib/streamlit/__init__.py"
# 3. compiler-management 25.0.2 is not on Maven Central: its 0-byte download breaks the build, and nothing needs it.
sed -i '/compiler-management/d' bin/pull_graal_jars.py

PATH="$TOOLS/bin:$JAVA_HOME/bin:$PATH" PYTHONPATH="$TOOLS/lib" JAVA_HOME="$JAVA_HOME" \
  make BACKEND=opencl >"$CACHE/build.log" 2>&1 || { tail -40 "$CACHE/build.log" >&2; echo "TornadoVM build failed; log: $CACHE/build.log" >&2; exit 1; }
[[ -f "$SDK/tornado-argfile" ]] || { echo "TornadoVM build left no SDK at $SDK; log: $CACHE/build.log" >&2; exit 1; }
touch "$STAMP"
use_sdk "$SDK"
