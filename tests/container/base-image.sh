#!/usr/bin/env bash
# base-image.sh: builds the Debian bookworm base image offline, from Debian's
# packages, and imports it into podman under a local name (no registry pull).
#
#   tests/container/base-image.sh <image-name> <tarball>
#
# mmdebstrap (variant minbase) writes a root filesystem tarball from the same
# Debian mirrors this machine's apt uses for bookworm, -updates and -security
# (read from /etc/apt/sources.list and /etc/apt/sources.list.d at run time), the tarball is cached (delete it to
# rebuild), then `podman import` makes it an image. Nothing but apt is in it:
# the Containerfile's build stage installs the compiler from the same mirror.
set -euo pipefail

name=${1:?image name}
tarball=${2:?tarball path}

# "URI suite" for every http(s) source apt uses (deb822 .sources and
# one-line .list files), in apt's order.
apt_sources() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
			function flush() { for (i in uris) for (j in suites) print uris[i], suites[j]; split("", uris); split("", suites) }
			/^[[:space:]]*$/ { flush(); next }
			/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) uris[i] = $i }
			/^Suites:/ { for (i = 2; i <= NF; i++) suites[i] = $i }
			END { flush() }
		' "$f"
	done
	{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
		awk '$1 == "deb" { for (i = 2; i < NF; i++) if ($i ~ /^https?:/) { print $i, $(i + 1); break } }'
}

# The mirror apt uses for `suite`.
mirror_for() {
	apt_sources | awk -v s="$1" '$2 == s { print $1; exit }'
}

if [ ! -s "$tarball" ]; then
	mirror=$(mirror_for bookworm)
	if [ -z "$mirror" ]; then
		echo "base-image.sh: no bookworm mirror found in /etc/apt/sources.list(.d)" >&2
		exit 1
	fi
	sources=("deb $mirror bookworm main" "deb $mirror bookworm-updates main")
	security=$(mirror_for bookworm-security)
	if [ -n "$security" ]; then
		sources+=("deb $security bookworm-security main")
	fi
	echo "base-image.sh: mmdebstrap bookworm minbase from ${sources[*]} -> $tarball" >&2
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
		bookworm "$tarball.tmp" "${sources[@]}"
	mv "$tarball.tmp" "$tarball"
fi
# Re-imported whenever the tarball changed (the label carries its digest).
digest=$(sha256sum "$tarball" | cut -d' ' -f1)
have=$(podman image inspect --format '{{index .Labels "org.securex-relay.base.tarball"}}' "$name" 2>/dev/null || true)
if [ "$have" != "$digest" ]; then
	podman import --change 'CMD ["/bin/bash"]' \
		--change "LABEL org.securex-relay.base.tarball=$digest" "$tarball" "$name" >/dev/null
fi
echo "base-image.sh: $name from $tarball ($(du -h "$tarball" | cut -f1))" >&2
