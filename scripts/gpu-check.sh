#!/usr/bin/env bash
# The GPU check of the TornadoVM backend, for a machine with a GPU and no network, from what was built elsewhere.
#
#   scripts/gpu-check.sh pack   here (Maven, the SDK from scripts/tornadovm.sh): builds target/gpu-check, everything
#                               the check needs but a JDK 25, small enough to carry to a GPU machine (see PRUNE):
#                               TornadoVM's SDK without its examples, benchmarks and tests; the engine's jars;
#                               inference-tornado's tests and their test data; JUnit's console launcher. About
#                               60 MB.
#   scripts/gpu-check.sh [OUT]  there, from the repository root with target/gpu-check carried over: writes to OUT
#                               (default $OUT, else target/gpu-check/out) devices.txt (nvidia-smi, OpenCL's and
#                               TornadoVM's device lists), tests.txt (inference-tornado's tests on TornadoVM's default
#                               device: every kernel against the CPU backend, the numerics against BFL's outputs),
#                               flux-steps-cpu.txt and flux-steps-tornado.txt (bench flux-steps at 256, 512 and 1024
#                               pixels), and exits non-zero if a step failed.
# docs/benchmarks.md (GPU check) says how to run it and records what it printed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACK="$ROOT/target/gpu-check"
# What the check never loads: TornadoVM's own examples, benchmarks, tests and their libraries (no module the
# backend resolves requires them) and Truffle (the Graal compiler only uses it for Truffle languages).
PRUNE=('examples' 'share/java/tornado/tornado-benchmarks-*' 'share/java/tornado/tornado-examples-*'
       'share/java/tornado/tornado-unittests-*' 'share/java/tornado/tornado-fuzz-*' 'share/java/tornado/jmh-core-*'
       'share/java/tornado/jopt-simple-*' 'share/java/tornado/junit-*' 'share/java/tornado/hamcrest-core-*'
       'share/java/tornado/lucene-core-*' 'share/java/graalJars/truffle-api-*')
JUNIT_CONSOLE="org.junit.platform:junit-platform-console-standalone:1.11.4"

die() { echo "gpu-check: $*" >&2; exit 1; }

find_java() {  # a java 25 or newer: JAVA_HOME's, else one under /usr/lib/jvm
  local j
  for j in "${JAVA_HOME:-/nonexistent}/bin/java" /usr/lib/jvm/*25*/bin/java; do
    [[ -x "$j" ]] && "$j" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])' && { echo "$j"; return; }
  done
  die "no Java 25 or newer (set JAVA_HOME): the check runs TornadoVM on the JDK it was built for"
}

pack() {
  local sdk; sdk="$("$ROOT/scripts/tornadovm.sh")" || die "no TornadoVM SDK (scripts/tornadovm.sh failed)"
  export JAVA_HOME; JAVA_HOME="$(dirname "$(dirname "$(find_java)")")"
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  (cd "$ROOT" && mvn -B -ntp -q -DskipTests package -pl bench,inference-tornado -am \
    && mvn -B -ntp -q -DskipTests test-compile -pl inference-tornado -am \
    && mvn -B -ntp -q dependency:copy -Dartifact="$JUNIT_CONSOLE" -DoutputDirectory="$PACK.tmp/junit") \
    || die "the build failed"
  rm -rf "$PACK.tmp/sdk" "$PACK.tmp/lib" "$PACK.tmp/test-classes" "$PACK.tmp/testdata" && mkdir -p "$PACK.tmp/lib"
  cp -r "$sdk" "$PACK.tmp/sdk"
  local p; for p in "${PRUNE[@]}"; do (cd "$PACK.tmp/sdk" && rm -rf $p); done  # unquoted: the patterns glob there
  # The engine's jars: the bench runs without the CLI's (EngineBenchMain), the tests need the test fixtures.
  cp "$ROOT"/gguf/target/quanthub-gguf-*.jar "$ROOT"/inference-node/target/quanthub-inference-node-*.jar \
     "$ROOT/bench/target/quanthub-bench.jar" "$ROOT/inference-tornado/target/quanthub-inference-tornado.jar" \
     "$ROOT"/cli-client/target/lib/picocli-*.jar "$PACK.tmp/lib/"
  cp -r "$ROOT/inference-tornado/target/test-classes" "$PACK.tmp/test-classes"
  # The test data the tests read: flux-tiny (BFL's outputs) and the tiny text encoders' weights, without the
  # references, tokenizers and GGUF that only the CPU tests use (they would not fit in what can be carried).
  mkdir -p "$PACK.tmp/testdata" && cp -r "$ROOT/../shared/testdata/flux-tiny" "$PACK.tmp/testdata/" \
    && (cd "$ROOT/../shared/testdata" && find text-encoders-tiny -maxdepth 1 -type f ! -name '*_reference.*' \
        ! -name '*.gguf' ! -name '*.txt.gz' -exec cp --parents {} "$PACK.tmp/testdata/" \;)
  rm -rf "$PACK" && mv "$PACK.tmp" "$PACK"
  echo "packed $PACK ($(du -sh "$PACK" | cut -f1)): carry target/gpu-check and run scripts/gpu-check.sh there" >&2
}

# Runs "$@" with a time limit, its output to $OUT_DIR/$name, and records a failure.
FAILED=()
step() {
  local name="$1" limit="$2"; shift 2
  echo "== $name" >&2
  timeout "$limit" "$@" >"$OUT_DIR/$name" 2>&1
  local rc=$?
  tail -n 25 "$OUT_DIR/$name" >&2
  (( rc == 0 )) || FAILED+=("$name (exit $rc)")
}

check() {
  [[ -f "$PACK/sdk/tornado-argfile" ]] || die "no $PACK: run scripts/gpu-check.sh pack where the project builds, and carry target/gpu-check"
  OUT_DIR="${1:-${OUT:-$PACK/out}}"; mkdir -p "$OUT_DIR"
  local java; java="$(find_java)"
  # The SDK's JVM arguments for where the pack is now (it was built elsewhere).
  TORNADOVM_HOME="$PACK/sdk" TORNADOVM_CACHE="$PACK" "$ROOT/scripts/tornadovm.sh" >/dev/null || die "cannot use $PACK/sdk"
  local jvm=("$java" "@$PACK/argfile" -Dtornado.recover.bailout=False --add-modules jdk.incubator.vector
             --enable-native-access=ALL-UNNAMED -Xmx16g)
  local cp; cp="$(printf '%s:' "$PACK"/lib/*.jar)"; cp="${cp%:}"  # jars named: JUnit's --class-path takes no wildcard

  { echo "date: $(date -u +%FT%TZ)"; uname -a; "$java" -version 2>&1
    command -v nvidia-smi >/dev/null && nvidia-smi; command -v clinfo >/dev/null && clinfo -l
    ls /etc/OpenCL/vendors 2>/dev/null; } >"$OUT_DIR/devices.txt" 2>&1
  cat "$OUT_DIR/devices.txt" >&2
  step tornado-devices.txt 120 "${jvm[@]}" -cp "$cp" uk.ac.manchester.tornado.drivers.TornadoDeviceQuery verbose
  # From the module's folder, as Maven runs them (their test data paths are relative to it), with everything on the
  # JVM's class path: TornadoVM reads kernel classes' bytecode through the system class loader.
  step tests.txt 600 bash -c 'cd "$0/inference-tornado" && "${@}"' "$ROOT" "${jvm[@]}" -Dquanthub.testdata="$PACK/testdata" \
    -cp "$cp:$PACK/test-classes:$(ls "$PACK"/junit/*.jar)" org.junit.platform.console.ConsoleLauncher \
    execute --scan-class-path "$PACK/test-classes" --include-package io.quanthub.tornado --disable-banner --details=tree
  local bench=(io.quanthub.bench.EngineBenchMain flux-steps --sizes "${GPU_CHECK_SIZES:-256,512,1024}" --quant Q8_0
               --steps 2 --no-ggml)
  step flux-steps-cpu.txt 900 "${jvm[@]}" -cp "$cp" "${bench[@]}" --backend cpu
  step flux-steps-tornado.txt 900 "${jvm[@]}" -cp "$cp" "${bench[@]}" --backend tornado

  if (( ${#FAILED[@]} )); then echo "gpu-check: failed: ${FAILED[*]} (outputs in $OUT_DIR)" >&2; exit 1; fi
  echo "gpu-check: all passed; outputs in $OUT_DIR" >&2
}

case "${1:-}" in
  pack) pack ;;
  *) check "$@" ;;
esac
