#!/usr/bin/env bash
# Proves that another package can depend on arena's library products by version (SwiftPM
# refuses unsafeFlags in such a dependency): copies this checkout's files (committed or not,
# without what git ignores) into a temporary git repository tagged 1.0.0, builds a tiny package
# that depends on it with `.package(url: "file://...", from: "1.0.0")` and imports Torch, runs
# it, and prints the libtorch version it computes with. Exits non-zero on any failure.
#
#   scripts/check-consumer.sh              the Torch product (about 2 minutes on 2 cores)
#   scripts/check-consumer.sh --pipelines  also the Pipelines product (XGBoost, libcrypto,
#                                          SentencePiece through their system packages; longer)
#
# libtorch reaches the consumer as it reaches any package depending on arena (README, "arena
# as a dependency"): PKG_CONFIG_PATH names the folder holding arena-libtorch.pc that
# scripts/setup-libtorch.sh writes (.libtorch, or ARENA_LIBTORCH_DIR), and the consumer links
# with an rpath to its libdir. Resolving arena's own dependencies needs the network or
# SwiftPM's cache. KEEP=1 keeps the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

pipelines=0
for argument in "$@"; do
  case "$argument" in
    --pipelines) pipelines=1 ;;
    *) echo "usage: scripts/check-consumer.sh [--pipelines]" >&2; exit 2 ;;
  esac
done

scripts/setup-libtorch.sh
pc_folder=$(cd "${ARENA_LIBTORCH_DIR:-.libtorch}" && pwd)
export PKG_CONFIG_PATH="$pc_folder${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
libdir=$(pkg-config --variable=libdir arena-libtorch)

work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "check-consumer.sh: keeping $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

# This checkout as a tagged repository (its working tree, so uncommitted changes count).
mkdir "$work/arena"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  if [ -e "$file" ] || [ -L "$file" ]; then cp -P --parents "$file" "$work/arena/"; fi
done
git -C "$work/arena" init -q
git -C "$work/arena" add -A
git -C "$work/arena" -c user.name=check-consumer -c user.email=check-consumer@localhost commit -q -m "arena for check-consumer.sh"
git -C "$work/arena" tag 1.0.0

mkdir -p "$work/consumer/Sources/consumer"
products='.product(name: "Torch", package: "arena")'
imports='import Torch'
if [ "$pipelines" = 1 ]; then
  products="$products, .product(name: \"Pipelines\", package: \"arena\")"
  imports="$imports
import Pipelines"
fi
cat > "$work/consumer/Package.swift" <<EOF
// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "consumer",
    dependencies: [.package(url: "file://$work/arena", from: "1.0.0")],
    targets: [.executableTarget(name: "consumer", dependencies: [$products])]
)
EOF
cat > "$work/consumer/Sources/consumer/main.swift" <<EOF
$imports

let sum = try Tensor.arange(4).sum().item()
print("libtorch \(LibTorch.version) (0 + 1 + 2 + 3 = \(Int(sum)))")
EOF
if [ "$pipelines" = 1 ]; then
  echo 'print("Pipelines: \(String(describing: RunPredictor.self))")' >> "$work/consumer/Sources/consumer/main.swift"
fi

echo "check-consumer.sh: building a package that depends on arena 1.0.0 (this checkout) by version" >&2
cd "$work/consumer"
status=0
swift build --product consumer -Xlinker -rpath -Xlinker "$libdir" > "$work/build.log" 2>&1 || status=$?
grep -v '^\[' "$work/build.log" >&2 || true
if [ "$status" != 0 ]; then
  echo "check-consumer.sh: FAILED: the consumer does not build (log above)" >&2
  exit 1
fi
binary="$(swift build --product consumer --show-bin-path)/consumer"
output=$("$binary")
echo "$output"
case "$output" in
  "libtorch "*"(0 + 1 + 2 + 3 = 6)"*) ;;
  *) echo "check-consumer.sh: FAILED: unexpected output from the consumer" >&2; exit 1 ;;
esac
if ! readelf -d "$binary" | grep -q "NEEDED.*\[libtorch_cpu.so\]"; then
  echo "check-consumer.sh: FAILED: the consumer is not linked against libtorch_cpu.so" >&2
  exit 1
fi
echo "check-consumer.sh: OK: arena's Torch$([ "$pipelines" = 1 ] && echo ' and Pipelines') product(s) usable by version; libtorch from $libdir" >&2
