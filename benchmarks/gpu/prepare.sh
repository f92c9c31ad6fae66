#!/usr/bin/env bash
# Builds the bundle that run-gpu.sh runs on a lent GPU machine, which has the GPU's driver but
# possibly no JDK and no network: benchmarks/gpu/bundle/ with
#   jdk.tar.gz  a JDK 25 runtime cut down with jlink (the modules the samples use), as jdk/
#   app/    the samples' jar and every jar it needs
#   mnist/  the four MNIST files, gzipped
#   icd/    Debian's OpenCL ICD loader (libOpenCL.so.1), for a machine that has only the vendor's ICD
#   BUILT   what was bundled: commit, JDK, date
# The bundle travels beside the checkout (git ignores it), so it is kept small: about 54 MB. The
# runtime's modules are linked uncompressed and the whole runtime gzipped: 37 MB where jlink's own
# zip compression gave 64 MB (xz would give 25 MB, but a bare machine may lack xz; gzip is there).
#
#   benchmarks/gpu/prepare.sh              builds the samples (mvn package, never install), then the bundle
#   benchmarks/gpu/prepare.sh --no-build   bundles what samples/target holds
# KILN_JDK picks the JDK to link (default: JAVA_HOME, else the newest JDK 25+ in /usr/lib/jvm);
# KILN_MNIST the MNIST directory (default: data/mnist); KILN_BUNDLE the output directory.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${KILN_BUNDLE:-$ROOT/benchmarks/gpu/bundle}"
MNIST="${KILN_MNIST:-$ROOT/data/mnist}"
JAR="$ROOT/samples/target/kiln-samples-0.1.0-SNAPSHOT.jar"
# What the samples need at run time (jdeps --print-module-deps; java.desktop for the charts, which
# the command line's classes reference at start-up; java.logging for JOCL).
MODULES=java.base,java.desktop,java.logging,java.management,java.sql,jdk.incubator.vector,jdk.unsupported

pick_jdk() {
  if [ -n "${KILN_JDK:-}" ]; then echo "$KILN_JDK"; return; fi
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/jlink" ]; then echo "$JAVA_HOME"; return; fi
  local best=""
  for home in /usr/lib/jvm/*; do
    if [ -x "$home/bin/jlink" ] && [ "$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2>/dev/null)" -ge 25 ] 2>/dev/null; then
      best="$home"
    fi
  done
  [ -n "$best" ] || { echo "prepare.sh: no JDK 25+ with jlink found; set KILN_JDK" >&2; exit 1; }
  echo "$best"
}
JDK="$(pick_jdk)"

if [ "${1:-}" != --no-build ]; then
  echo "prepare.sh: building the samples (mvn package) ..."
  # As ./kiln does: Maven does not regenerate the samples' models when only the processor changed.
  rm -rf "$ROOT"/samples/target/{classes,test-classes,generated-sources,generated-test-sources,maven-status}
  (cd "$ROOT" && nice -n 19 mvn -o -q -B package -DskipTests -Dmaven.javadoc.skip -pl samples -am)
fi
[ -f "$JAR" ] || { echo "prepare.sh: $JAR is missing; run without --no-build" >&2; exit 1; }
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "$MNIST/$f" ] || [ -f "$MNIST/$f.gz" ] || { echo "prepare.sh: $MNIST/$f(.gz) is missing; set KILN_MNIST" >&2; exit 1; }
done
LOADER="$(ldconfig -p 2>/dev/null | sed -n 's/.*libOpenCL.so.1 (libc6,x86-64) => //p' | head -1)"
[ -n "$LOADER" ] || LOADER=/usr/lib/x86_64-linux-gnu/libOpenCL.so.1
[ -f "$LOADER" ] || { echo "prepare.sh: no OpenCL ICD loader here (apt-get install ocl-icd-libopencl1)" >&2; exit 1; }

mkdir -p "$OUT"
# The linked runtime takes a minute: kept while the JDK and the modules are the same.
STAMP="$(cat "$JDK/release"; echo "$MODULES")"
if [ ! -f "$OUT/jdk.tar.gz" ] || [ "$STAMP" != "$(cat "$OUT/jdk.stamp" 2>/dev/null)" ]; then
  echo "prepare.sh: linking a runtime of $JDK ($MODULES) ..."
  LINKED="$(mktemp -d)"
  nice -n 19 "$JDK/bin/jlink" --add-modules "$MODULES" --strip-native-debug-symbols=exclude-debuginfo-files \
    --no-header-files --no-man-pages --compress=zip-0 --output "$LINKED/jdk" 2>&1 | grep -v 'incubator modules' || true
  # jlink leaves libjvm.so's symbol table: 5 MB the bundle does not need.
  if command -v strip > /dev/null; then strip --strip-unneeded "$LINKED/jdk/lib/server/libjvm.so"; fi
  "$LINKED/jdk/bin/java" -version 2>&1 | head -1
  rm -f "$OUT/jdk.tar.xz"
  (cd "$LINKED" && tar -cf - jdk | nice -n 19 gzip -9 > "$OUT/jdk.tar.gz")
  rm -rf "$LINKED"
  echo "$STAMP" > "$OUT/jdk.stamp"
fi

rm -rf "$OUT/app" "$OUT/icd"
mkdir -p "$OUT/app" "$OUT/icd" "$OUT/mnist"
cp "$JAR" "$ROOT"/samples/target/lib/*.jar "$OUT/app/"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ -f "$MNIST/$f.gz" ]; then
    cp "$MNIST/$f.gz" "$OUT/mnist/"
  elif [ ! -f "$OUT/mnist/$f.gz" ] || [ "$MNIST/$f" -nt "$OUT/mnist/$f.gz" ]; then
    nice -n 19 gzip -9 -c "$MNIST/$f" > "$OUT/mnist/$f.gz"
  fi
done
# Copies rather than links: the bundle may travel through tools that drop links.
cp "$(readlink -f "$LOADER")" "$OUT/icd/libOpenCL.so.1"
cp "$OUT/icd/libOpenCL.so.1" "$OUT/icd/libOpenCL.so"
{
  echo "commit $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- . ':!benchmarks/gpu/bundle' || echo ' (with uncommitted changes)')"
  echo "jdk $(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p' "$JDK/release") from $JDK, modules $MODULES"
  echo "loader $LOADER"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$OUT/BUILT"
cat "$OUT/BUILT"
du -sh "$OUT"/{jdk.tar.gz,app,mnist,icd}
SIZE_MB=$(( $(du -sb "$OUT" | cut -f1) / 1048576 ))
echo "prepare.sh: $SIZE_MB MiB in all"
if [ "$SIZE_MB" -gt 56 ]; then
  echo "prepare.sh: the bundle is $SIZE_MB MiB; with the checkout it may not fit a 64 MiB transfer" >&2
fi
echo "prepare.sh: done; on the GPU machine run benchmarks/gpu/run-gpu.sh (KILN_BUNDLE=$OUT)"
