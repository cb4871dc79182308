#!/bin/sh
# Build the Debian package from a copy of the tree (the tree's own build
# folders stay as they are): dpkg-buildpackage -us -uc -b in OUTDIR/src,
# the package in OUTDIR, the build's output in OUTDIR/build.log.
# usage: build-deb.sh SRCDIR OUTDIR   -- prints the .deb's path
set -eu
src=$1 out=$2
rm -rf "$out/src"
mkdir -p "$out/src/ehttp"
(cd "$src" && tar --exclude=./.git --exclude=./.run --exclude='./build' \
    --exclude='./build-*' -cf - .) | tar -C "$out/src/ehttp" -xf -
rm -f "$out"/src/ehttp_*
if ! (cd "$out/src/ehttp" && dpkg-buildpackage -us -uc -b -j2) \
    >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (all of it: $out/build.log)" >&2
	exit 1
fi
deb=$(ls "$out"/src/ehttp_*_*.deb)
mv "$deb" "$out/"
echo "$out/$(basename "$deb")"
