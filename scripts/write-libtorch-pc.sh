#!/usr/bin/env bash
# Writes the pkg-config file through which arena finds libtorch when it is a dependency of
# another package (SwiftPM refuses unsafeFlags in a package resolved by version, so there
# Package.swift's CTorch takes libtorch's flags from pkg-config's arena-libtorch instead):
#
#   scripts/write-libtorch-pc.sh LIBTORCH_FOLDER OUTPUT_FOLDER
#
#   OUTPUT_FOLDER/arena-libtorch.pc          -I of the headers; -L of link/ and -larena-libtorch
#   OUTPUT_FOLDER/link/libarena-libtorch.so  a linker script (not a library): INPUT() of
#                                            libtorch_cpu.so and libc10.so by full path (and
#                                            libtorch_cuda.so, libc10_cuda.so when present), so a
#                                            system libtorch on another -L cannot shadow them
#
# LIBTORCH_FOLDER holds include/ and lib/ (.libtorch/torch, or site-packages/torch of a wheel).
# scripts/setup-libtorch.sh runs it for the libtorch it installs. A consumer builds with
#   PKG_CONFIG_PATH=OUTPUT_FOLDER swift build -Xlinker -rpath -Xlinker "$(PKG_CONFIG_PATH=OUTPUT_FOLDER pkg-config --variable=libdir arena-libtorch)"
# (SwiftPM passes only -I, -L and -l of a .pc file on, so the rpath cannot come from it; without
# one, LD_LIBRARY_PATH=that libdir at run time).
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: scripts/write-libtorch-pc.sh LIBTORCH_FOLDER OUTPUT_FOLDER" >&2
  exit 2
fi
torch=$(cd "$1" && pwd)
if [ ! -f "$torch/lib/libtorch_cpu.so" ] || [ ! -f "$torch/lib/libc10.so" ]; then
  echo "write-libtorch-pc.sh: $torch/lib holds no libtorch_cpu.so and libc10.so" >&2
  exit 1
fi
mkdir -p "$2/link"
output=$(cd "$2" && pwd)
case "$torch$output" in
  *[[:space:]]*) echo "write-libtorch-pc.sh: pkg-config and linker scripts split on spaces: use folders without spaces ($torch, $output)" >&2; exit 1 ;;
esac

# The version, for `pkg-config --modversion` (the shim itself checks the pin at compile time).
version=0.0.0
for header in "$torch/include/torch/headeronly/version.h" "$torch/include/torch/csrc/api/include/torch/version.h"; do
  if [ -f "$header" ]; then
    part() { sed -n "s/^#define TORCH_VERSION_$1 \([0-9][0-9]*\).*/\1/p" "$header" | head -n 1; }
    if [ -n "$(part MAJOR)" ]; then version="$(part MAJOR).$(part MINOR).$(part PATCH)"; break; fi
  fi
done

libraries="$torch/lib/libtorch_cpu.so $torch/lib/libc10.so"
# The CUDA kernels register themselves when libtorch_cuda is loaded: listed here, it is linked
# even though no symbol of it is referenced (unless the link runs with --as-needed, which
# SwiftPM's does not).
if [ -f "$torch/lib/libtorch_cuda.so" ]; then
  libraries="$libraries $torch/lib/libtorch_cuda.so $torch/lib/libc10_cuda.so"
fi

# Written to temporary files and moved, so a build running beside this never reads half a file.
cat > "$output/link/libarena-libtorch.so.partial" <<EOF
/* GNU linker script written by arena's scripts/write-libtorch-pc.sh: libtorch by full path. */
INPUT($libraries)
EOF
cat > "$output/arena-libtorch.pc.partial" <<EOF
# Written by arena's scripts/write-libtorch-pc.sh for $torch.
# Run-time search path of a program linked against it: libdir (swift build -Xlinker -rpath
# -Xlinker <libdir>, or LD_LIBRARY_PATH).
prefix=$torch
libdir=\${prefix}/lib
includedir=\${prefix}/include
linkdir=$output/link

Name: arena-libtorch
Description: libtorch for arena's CTorch shim
Version: $version
Cflags: -I\${includedir} -I\${includedir}/torch/csrc/api/include
Libs: -L\${linkdir} -larena-libtorch
EOF
mv "$output/link/libarena-libtorch.so.partial" "$output/link/libarena-libtorch.so"
mv "$output/arena-libtorch.pc.partial" "$output/arena-libtorch.pc"
