#!/usr/bin/env bash
# Kiln on a lent GPU machine (NVIDIA H100 or H200: the driver, possibly no JDK and no network),
# from the bundle prepare.sh built: lists the OpenCL devices, runs the bench on the GPU (T1 at
# batch 256 for LENET and SEEDCNN; I1, I256, I4096 for LENET and SEEDCNN), ./kiln mnist --device
# opencl, then the bench's I1 and I256 for RESNET18, and prints everything. Each step has a time
# limit, and all of them together at most KILN_GPU_SECONDS (480 by default), so the run ends
# within 9 minutes even where a step hangs; a step cut short loses only its own RESULT lines.
#
#   benchmarks/gpu/run-gpu.sh            the full run
#   benchmarks/gpu/run-gpu.sh --short    tiny limits and no RESNET18: a check of the script (on PoCL, say)
# KILN_BUNDLE: the bundle (default: benchmarks/gpu/bundle beside this script); KILN_DEVICE: the
# --device value (default: opencl, which picks the first GPU). A copy of the output goes to
# $OUT/run-gpu.log where OUT is set.
set -o pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUNDLE="${KILN_BUNDLE:-$HERE/bundle}"
DEVICE="${KILN_DEVICE:-opencl}"
BUDGET="${KILN_GPU_SECONDS:-480}"
SHORT=0
[ "${1:-}" = --short ] && SHORT=1
START=$SECONDS
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK/jdk"' EXIT
LOG="${OUT:-$WORK}/run-gpu.log"
exec > >(tee "$LOG") 2>&1

step() { echo; echo "=== $* (at $((SECONDS - START)) s)"; }

step "machine"
[ -f "$BUNDLE/BUILT" ] || { echo "no bundle at $BUNDLE: run benchmarks/gpu/prepare.sh first"; exit 1; }
cat "$BUNDLE/BUILT"
uname -srm
nproc
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,power.limit --format=csv

# Java: the bundle's runtime (unpacked here, 100 MB), else JAVA_HOME's, else the PATH's.
if [ -f "$BUNDLE/jdk.tar.gz" ]; then
  tar -xzf "$BUNDLE/jdk.tar.gz" -C "$WORK" && JAVA="$WORK/jdk/bin/java"
fi
[ -x "${JAVA:-}" ] || JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
"$JAVA" -version 2>&1 | head -2
JSIG="$(dirname "$(dirname "$(readlink -f "$(command -v "$JAVA")")")")/lib/libjsig.so"

# Where the dynamic linker finds a library: ldconfig's cache, else the usual directories.
find_library() {
  local found
  found="$( (ldconfig -p || /sbin/ldconfig -p) 2> /dev/null | sed -n "s/.*$1 (libc6,x86-64) => //p" | head -1)"
  if [ -z "$found" ]; then
    for dir in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64; do
      [ -e "$dir/$1" ] && { found="$dir/$1"; break; }
    done
  fi
  echo "$found"
}

# The OpenCL ICD loader: the system's where there is one, else the bundle's (Debian's).
if [ -z "$(find_library libOpenCL.so.1)" ]; then
  echo "no libOpenCL.so.1 on this machine: using the bundle's ICD loader"
  export LD_LIBRARY_PATH="$BUNDLE/icd${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# NVIDIA's OpenCL library, registered where the loader looks if the driver's installation did not.
NVIDIA_OPENCL="$(find_library libnvidia-opencl.so.1)"
if [ -n "$NVIDIA_OPENCL" ] && ! grep -qs libnvidia-opencl /etc/OpenCL/vendors/*.icd; then
  # The full path: the directory search above may have found it where the linker does not look.
  if mkdir -p /etc/OpenCL/vendors 2> /dev/null && echo "$NVIDIA_OPENCL" > /etc/OpenCL/vendors/nvidia.icd 2> /dev/null; then
    echo "registered $NVIDIA_OPENCL in /etc/OpenCL/vendors/nvidia.icd"
  else
    # Not root: a vendor directory of our own, with the machine's other ICDs.
    mkdir -p "$WORK/vendors"
    cp /etc/OpenCL/vendors/*.icd "$WORK/vendors/" 2> /dev/null
    echo "$NVIDIA_OPENCL" > "$WORK/vendors/nvidia.icd"
    export OCL_ICD_VENDORS="$WORK/vendors"
    echo "registered $NVIDIA_OPENCL in $OCL_ICD_VENDORS (OCL_ICD_VENDORS)"
  fi
fi
grep -H . /etc/OpenCL/vendors/*.icd "${OCL_ICD_VENDORS:-/nonexistent}"/*.icd 2> /dev/null

# ./kiln without the launcher's build: the bundle's jars on the bundle's JDK, with a time limit
# (the smaller of the step's and what is left of the budget).
kiln() {
  local limit=$1 left=$((BUDGET - (SECONDS - START)))
  shift
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 10 ]; then
    echo "skipped: the time budget of $BUDGET s is spent"
    return 1
  fi
  echo "\$ kiln $* (at most $limit s)"
  (cd "$WORK" && LD_PRELOAD="$JSIG${LD_PRELOAD:+:$LD_PRELOAD}" timeout -k 10 "$limit" "$JAVA" \
      --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dkiln.home="$WORK" \
      -cp "$BUNDLE/app/*" dev.kiln.samples.Kiln "$@") 2>&1 | grep -v '^WARNING: Using incubator modules'
  local status=${PIPESTATUS[0]}
  [ "$status" = 124 ] && echo "timed out after $limit s"
  return "$status"
}

MNIST=(--data "$BUNDLE/mnist")
if [ $SHORT = 1 ]; then
  DATA=(--limit 640 --test-limit 200)
  TIMING=(--calls 20 --warmup 2 --batches 2 --warmup-batches 1 --warmup-seconds 0 --rounds 1)
  RESNET=()
  EPOCHS=(--epochs 1 --limit 640 --test-limit 200)
else
  DATA=()
  TIMING=(--calls 300 --warmup 50 --batches 10 --warmup-batches 2 --warmup-seconds 0.3 --rounds 3)
  RESNET=(--calls 20 --warmup 3 --batches 4 --warmup-batches 1 --warmup-seconds 0.3 --rounds 2)
  EPOCHS=()
fi

step "devices"
kiln 30 devices

step "T1 at batch 256: LENET, SEEDCNN"
kiln 90 bench --device "$DEVICE" --workload LENET,SEEDCNN --metric T1 --batch 256 --no-warm-epoch \
  "${MNIST[@]}" "${DATA[@]}"

for workload in LENET SEEDCNN; do
  step "inference: $workload"
  kiln 75 bench --device "$DEVICE" --workload $workload --metric I1,I256,I4096 "${MNIST[@]}" "${DATA[@]}" "${TIMING[@]}"
done

step "./kiln mnist --device $DEVICE"
kiln 130 mnist --device "$DEVICE" "${MNIST[@]}" "${EPOCHS[@]}" --out "$WORK/lenet5.safetensors" --plots "$WORK/plots"

if [ $SHORT = 0 ]; then
  # I4096 would be I256 in parts: ResNet-18's workspace allows about 300 images a bind.
  step "inference: RESNET18 I1"
  kiln 45 bench --device "$DEVICE" --workload RESNET18 --metric I1 "${RESNET[@]}"
  step "inference: RESNET18 I256"
  kiln 75 bench --device "$DEVICE" --workload RESNET18 --metric I256 "${RESNET[@]}"
fi

step "RESULT lines"
grep '^RESULT ' "$LOG" > "$WORK/results"
cat "$WORK/results"
echo "log: $LOG"
