#!/usr/bin/env bash
# deps.sh: installs the Debian packages a make target needs.
#
#   scripts/deps.sh <build|test|demo|bench|fuzz|valgrind|lint|container|deb> [--check]
#
# --check (plain `make`): never installs; prints the missing packages and the
# apt-get command, and exits 1.
# Checks each package with dpkg-query; when something is missing it runs
# apt-get update + apt-get install (as root), or prints the exact sudo
# command and exits 1 (not root). Prints nothing when all is there.
# A group written "a|b|c" is satisfied by any one of them; "a" is installed.
set -euo pipefail

usage() {
	echo "usage: $0 <build|test|demo|bench|fuzz|valgrind|lint|container|deb>" >&2
	exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
target=$1
check_only=0
if [ $# -eq 2 ]; then
	[ "$2" = "--check" ] || usage
	check_only=1
fi

build_pkgs=(gcc make "pkg-config|pkgconf" libcurl4-openssl-dev libcjson-dev libfcgi-dev libssl-dev libglib2.0-dev)
nginx_pkg="nginx-light|nginx|nginx-full|nginx-core|nginx-extras"
# wrk: the short failover run of `make test` (tests/e2e/test_failover.py).
# apache2: the shipped deploy/apache files under a private httpd
# (tests/e2e/test_apache.py); systemd: systemd-analyze verify of the units
# (tests/e2e/test_deploy.py).
# cmark-gfm and npm (marked, from tests/render/package-lock.json): the two
# Markdown renderers of tests/e2e/test_render.py; libcmark-gfm(-extensions)-dev:
# fuzz/fuzz_markdown.c renders what it checks with the same library (fuzz and
# corpus replay); python3-jsonschema: the module-type check of
# tests/e2e/test_module_types.py.
test_pkgs=("${build_pkgs[@]}" check "$nginx_pkg" python3 openssl curl ca-certificates wrk
	apache2 systemd cmark-gfm libcmark-gfm-dev libcmark-gfm-extensions-dev "npm|nodejs"
	python3-jsonschema)
# container: `make container-test` (podman kube play of deploy/kubernetes, base
# image bootstrapped offline from Debian's packages with mmdebstrap).
container_pkgs=(podman runc catatonit mmdebstrap debian-archive-keyring uidmap slirp4netns fuse-overlayfs python3 curl openssl)
# deb: `make deb` (dpkg-buildpackage with debhelper, then lintian) and
# `make deb-test` (the package installed into a fresh minbase under podman,
# the same base image as container-test).
deb_pkgs=("${build_pkgs[@]}" dpkg-dev debhelper fakeroot lintian groff-base "${container_pkgs[@]}")

# lint: clang-format; python3 for the link check of README.md and docs/;
# groff-base and mandoc for the manual page.
case $target in
build) want=("${build_pkgs[@]}") ;;
test) want=("${test_pkgs[@]}") ;;
demo) want=("${build_pkgs[@]}" "$nginx_pkg" python3 curl) ;;
bench) want=("${test_pkgs[@]}") ;;
fuzz) want=("${test_pkgs[@]}" clang @clang-rt) ;;
valgrind) want=("${test_pkgs[@]}" valgrind) ;;
lint) want=(clang-format python3 groff-base mandoc) ;;
container) want=("${container_pkgs[@]}") ;;
deb) want=("${deb_pkgs[@]}") ;;
*) usage ;;
esac

installed() {
	local status
	status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
	[ "$status" = "install ok installed" ]
}

apt_updated=0
apt_update() {
	if [ $apt_updated -eq 0 ]; then
		echo "deps.sh: apt-get update" >&2
		apt-get update -q >&2
		apt_updated=1
	fi
}

# The compiler-rt package (libFuzzer, sanitizer runtimes) that matches the
# clang apt installs or already has: libclang-rt-<major>-dev.
clang_rt_pkg() {
	local major=""
	if command -v clang >/dev/null 2>&1; then
		major=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
	fi
	if [ -z "$major" ]; then
		# Never ran apt-get update on a fresh machine: the candidate is unknown.
		if [ "$(id -u)" -eq 0 ] && ! apt-cache show clang >/dev/null 2>&1; then
			apt_update
		fi
		major=$(apt-cache depends clang 2>/dev/null |
			sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n1)
	fi
	if [ -n "$major" ]; then
		echo "libclang-rt-$major-dev"
	else
		echo "libclang-rt-dev"
	fi
}

# The npm packages of the render tests, pinned by tests/render/package-lock.json.
npm_packages() {
	local dir
	dir="$(cd "$(dirname "$0")/.." && pwd)/tests/render"
	[ -d "$dir/node_modules/marked" ] && return 0
	echo "deps.sh: npm ci in tests/render" >&2
	npm ci --prefix "$dir" --no-audit --no-fund >&2
}

missing=()
for group in "${want[@]}"; do
	if [ "$group" = "@clang-rt" ]; then
		group=$(clang_rt_pkg)
	fi
	ok=0
	IFS='|' read -r -a alts <<<"$group"
	for p in "${alts[@]}"; do
		if installed "$p"; then
			ok=1
			break
		fi
	done
	[ $ok -eq 1 ] || missing+=("${alts[0]}")
done

if [ ${#missing[@]} -eq 0 ]; then
	case $target in test | bench | fuzz | valgrind) npm_packages ;; esac
	exit 0
fi

if [ "$(id -u)" -ne 0 ] || [ $check_only -eq 1 ]; then
	echo "deps.sh: missing packages for '$target': ${missing[*]}" >&2
	echo "Install them with:" >&2
	if [ "$(id -u)" -eq 0 ]; then
		echo "apt-get install -y ${missing[*]}   (or: make deps)"
	else
		echo "sudo apt-get install -y ${missing[*]}"
	fi
	exit 1
fi

echo "deps.sh: installing for '$target': ${missing[*]}" >&2
apt_update
# Another apt-get (an unattended upgrade, a second make) may hold the lock:
# wait for it instead of failing.
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	-o DPkg::Lock::Timeout=600 "${missing[@]}" >&2
case $target in test | bench | fuzz | valgrind) npm_packages ;; esac
