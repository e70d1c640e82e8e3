#!/usr/bin/env bash
# base-image.sh: builds the Debian bookworm base image offline, from Debian's
# packages, and imports it into podman under a local name (no registry pull).
#
#   tests/container/base-image.sh <image-name> <tarball>
#
# mmdebstrap (variant minbase) writes a root filesystem tarball from the same
# Debian mirror this machine's apt uses (read from /etc/apt/sources.list and
# /etc/apt/sources.list.d at run time), the tarball is cached (delete it to
# rebuild), then `podman import` makes it an image. Nothing but apt is in it:
# the Containerfile's build stage installs the compiler from the same mirror.
set -euo pipefail

name=${1:?image name}
tarball=${2:?tarball path}

# The first http(s) mirror apt uses for the bookworm suite (deb822 .sources
# or one-line .list), without the security archive.
apt_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
			/^[[:space:]]*$/ { if (uri != "" && suite) { print uri; exit } uri = ""; suite = 0; next }
			/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $i !~ /security/) { uri = $i; break } }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite = 1 }
			END { if (uri != "" && suite) print uri }
		' "$f"
	done
	{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
		awk '$1 == "deb" && $0 !~ /security/ {
			for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $(i + 1) == "bookworm") { print $i; exit }
		}'
}

if [ ! -s "$tarball" ]; then
	mirror=$(apt_mirror | head -n1)
	if [ -z "$mirror" ]; then
		echo "base-image.sh: no bookworm mirror found in /etc/apt/sources.list(.d)" >&2
		exit 1
	fi
	echo "base-image.sh: mmdebstrap bookworm minbase from $mirror -> $tarball" >&2
	mkdir -p "$(dirname "$tarball")"
	# The image's own sources point at the same mirror, so its apt works.
	# merged-/usr by the hook (as debootstrap does), not by the usrmerge
	# package, which would pull perl (45 MB) into every image.
	mmdebstrap --variant=minbase --mode=root --format=tar \
		--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--aptopt='Acquire::Retries "3"' \
		--customize-hook='rm -rf "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*' \
		bookworm "$tarball.tmp" "deb $mirror bookworm main" "deb $mirror bookworm-updates main"
	mv "$tarball.tmp" "$tarball"
fi
if ! podman image exists "$name"; then
	podman import --change 'CMD ["/bin/bash"]' "$tarball" "$name" >/dev/null
fi
echo "base-image.sh: $name from $tarball ($(du -h "$tarball" | cut -f1))" >&2
