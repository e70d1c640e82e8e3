#!/usr/bin/env bash
# deb-build.sh: `make deb`: build/securex-relay_<version>-1_<arch>.deb, then lintian.
#
# The tree (without build/ and .git) is copied to build/deb/securex-relay-<version>/
# with deploy/debian as its debian/ (the repository keeps no top-level
# debian/), and dpkg-buildpackage -us -uc -b runs there: debhelper compat 13,
# the build through the Makefile's explicit targets (deploy/debian/rules).
# The version is include/version.h's; deploy/debian/changelog must carry
# it. lintian --fail-on error,warning checks the result.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

say() { echo "deb: $*"; }

version=$(sed -n 's/^#define RELAY_VERSION "\(.*\)"$/\1/p' include/version.h)
[ -n "$version" ] || {
	echo "deb: no RELAY_VERSION in include/version.h" >&2
	exit 1
}
debversion=$(dpkg-parsechangelog -l deploy/debian/changelog -SVersion)
if [ "${debversion%-*}" != "$version" ]; then
	echo "deb: deploy/debian/changelog is at $debversion, include/version.h at $version:" >&2
	echo "deb: add a changelog entry for $version-1 (dch -c deploy/debian/changelog -v $version-1)" >&2
	exit 1
fi
arch=$(dpkg --print-architecture)
deb=build/securex-relay_${debversion}_${arch}.deb

work=$repo/build/deb
src=$work/securex-relay-$version
rm -rf "$work"
mkdir -p "$src"
# The files of the tree: git's list when this is a checkout (tracked and new,
# not ignored), else everything but build/.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$src"
fi
cp -r deploy/debian "$src/debian"
# A build copy from a dirty tree must not reuse objects: it has no build/.
rm -rf "$src/build"

say "dpkg-buildpackage -us -uc -b in build/deb/securex-relay-$version (log: build/deb/build.log)"
(cd "$src" && dpkg-buildpackage -us -uc -b -J) >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log"
	echo "deb: dpkg-buildpackage failed (build/deb/build.log)" >&2
	exit 1
}
mv "$work/securex-relay_${debversion}_${arch}.deb" "$deb"
say "$deb ($(du -h "$deb" | cut -f1))"

say "lintian --fail-on error,warning $deb"
lintian --fail-on error,warning --display-info "$deb"
say "lintian: ok"
