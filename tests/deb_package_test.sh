#!/usr/bin/env bash
# The Debian package (make deb): cpack builds it from the build tree; its control file names
# the runtime libraries it depends on; unpacked, its gcfuzz runs (`--version`) and its CMake
# package and headers are where find_package and pkg-config look under /usr.
# Usage: deb_package_test.sh BINARY_DIR
set -euo pipefail
binary_dir=$1
work=$(mktemp -d /tmp/gcfuzz-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT

cpack -G DEB --config "$binary_dir/CPackConfig.cmake" -B "$work/out" > "$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/out/gcfuzz_*.deb)
echo "built $(basename "$deb")"
dpkg-deb -I "$deb" | tee "$work/info.txt" | grep -E '^ (Package|Version|Depends):'
for library in libpython3.11 libgc1 libfmt9; do
  grep -q "Depends:.*$library" "$work/info.txt" || { echo "FAIL: Depends lacks $library"; exit 1; }
done
dpkg-deb -x "$deb" "$work/root"
for file in usr/bin/gcfuzz usr/include/gcfuzz/plugin.h usr/lib/cmake/gcfuzz/gcfuzzConfig.cmake \
            usr/lib/pkgconfig/gcfuzz.pc usr/share/gcfuzz/corpus/seeds/leaktest_pair.gct; do
  [ -e "$work/root/$file" ] || { echo "FAIL: the package lacks /$file"; exit 1; }
done
"$work/root/usr/bin/gcfuzz" --version
