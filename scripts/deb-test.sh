#!/usr/bin/env bash
# deb-test.sh: `make deb-test`: the Debian package installed, run, upgraded
# and purged on a fresh Debian bookworm booted with systemd.
#
# 1. The minbase image of `make container-test` (tests/container/base-image.sh:
#    mmdebstrap from this machine's apt mirror, cached), plus systemd as
#    init, man-db, and cgi-fcgi (libfcgi-bin) as the FastCGI client; its
#    dpkg path-excludes (no man pages) are dropped. Cached as an image.
# 2. A container of it with systemd as PID 1 (podman --systemd=always;
#    --privileged: systemd needs mount namespaces for the units' sandbox;
#    host network: apt reaches the mirror, the relay the fake feed).
# 3. `apt-get install ./securex-relay_*.deb`, then the checks, one line per
#    step: binary, man page, user, conffile mode, units verified and
#    neither enabled nor started, the unconfigured relay refusing to start,
#    the relay run by its socket against a fake tweettioc feed on loopback
#    (scripts/demo_feed_server.py) answering a FastCGI request, a missing
#    state directory, installing twice, an upgrade with an edited conffile,
#    purge while the relay runs, and what is left afterwards.
# Every maintainer-script run must print no error or warning. The container
# and the feed server are removed on exit, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

export CONTAINERS_CONF=$repo/tests/container/containers.conf
base=localhost/securex-relay-base:bookworm
tarball=$repo/build/container/bookworm-minbase.tar
image=localhost/securex-relay-deb-test:bookworm
ctr=securex-relay-deb-test
work=$repo/build/deb-test
started=$(date +%s)

say() { echo "deb-test: $*"; }
fail() {
	say "FAIL: $*"
	exit 1
}
ok() { say "ok: $*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "deb-test: needs root (podman with systemd as the container's init)" >&2
	exit 1
fi

version=$(dpkg-parsechangelog -l deploy/debian/changelog -SVersion)
arch=$(dpkg --print-architecture)
deb=$repo/build/securex-relay_${version}_${arch}.deb
[ -f "$deb" ] || fail "$deb missing (make deb)"

feed_pid=
cleanup() {
	local rc=$?
	podman rm -f -t 5 "$ctr" >/dev/null 2>&1 || true
	if [ -n "$feed_pid" ]; then
		kill "$feed_pid" 2>/dev/null || true
		wait "$feed_pid" 2>/dev/null || true
	fi
	if [ $rc -eq 0 ]; then
		say "PASS ($(($(date +%s) - started)) s)"
	else
		say "FAILED (exit $rc, $(($(date +%s) - started)) s; logs in build/deb-test/)"
	fi
}
trap cleanup EXIT
podman rm -f -t 5 "$ctr" >/dev/null 2>&1 || true
rm -rf "$work"
mkdir -p "$work"

# ---------------------------------------------------------------- the image
tests/container/base-image.sh "$base" "$tarball"
# Rebuilt when the base image changes (the label carries its id).
base_id=$(podman image inspect --format '{{.Id}}' "$base")
have=$(podman image inspect --format '{{index .Labels "org.securex-relay.deb-test.base"}}' "$image" 2>/dev/null || true)
if [ "$have" != "$base_id" ]; then
	mkdir -p "$work/context"
	cat >"$work/context/Containerfile" <<EOF
FROM $base
RUN rm -f /etc/dpkg/dpkg.cfg.d/99mmdebstrap \\
 && apt-get update -q \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \\
      systemd systemd-sysv man-db libfcgi-bin \\
 && rm -rf /var/lib/apt/lists/*
LABEL org.securex-relay.deb-test.base=$base_id
EOF
	podman build --pull=never --network=host -t "$image" "$work/context" >"$work/image.log" 2>&1 || {
		tail -n 30 "$work/image.log"
		fail "podman build of $image"
	}
fi
ok "image $image (minbase + systemd, man-db, libfcgi-bin)"

# ---------------------------------------------------------------- helpers
cx() { podman exec "$ctr" "$@"; }
cxsh() { podman exec "$ctr" sh -c "$1"; }

# apt_get LOG ARGS...: apt-get in the container, output in build/deb-test/LOG;
# fails on a non-zero exit or on any error or warning line from apt, dpkg or
# a maintainer script.
apt_get() {
	local log=$work/$1
	shift
	if ! podman exec -e DEBIAN_FRONTEND=noninteractive "$ctr" \
		apt-get -q -y --no-install-recommends "$@" </dev/null >"$log" 2>&1; then
		tail -n 30 "$log"
		fail "apt-get $* (exit status; build/deb-test/${log##*/})"
	fi
	if grep -n -i -E '^(E|W): |dpkg: (error|warning)|\b(error|warning)s?:|\bfailed\b|not starting|could not|cannot|unable to' "$log"; then
		fail "apt-get $*: the lines above (build/deb-test/${log##*/})"
	fi
}

# fcgi METHOD PATH [BODY]: one FastCGI request to the installed socket;
# prints the answer (CGI headers, blank line, body).
fcgi() {
	local body=${3:-}
	printf '%s' "$body" | podman exec -i "$ctr" env -i REQUEST_METHOD="$1" \
		DOCUMENT_URI="$2" REQUEST_URI="$2" SCRIPT_NAME="$2" QUERY_STRING= \
		CONTENT_TYPE=application/json CONTENT_LENGTH="${#body}" SERVER_PROTOCOL=HTTP/1.1 \
		GATEWAY_INTERFACE=CGI/1.1 REMOTE_ADDR=127.0.0.1 SERVER_NAME=localhost \
		cgi-fcgi -bind -connect /run/securex-relay/relay.sock 2>&1 | tr -d '\r'
}
status_of() { sed -n 's/^Status: \([0-9]*\).*/\1/p' | head -n1; }

main_pid() { cx systemctl show -p MainPID --value securex-relay.service; }

# wait_answer WHAT: polls /ready until 200 (socket activation starts the
# relay; the feed must be downloaded), 30 s at most.
wait_ready() {
	local out
	for _ in $(seq 1 60); do
		out=$(fcgi GET /ready || true)
		[ "$(status_of <<<"$out")" = 200 ] && return 0
		sleep 0.5
	done
	echo "$out"
	cx journalctl -u securex-relay.service -n 20 --no-pager || true
	fail "/ready did not answer 200 within 30 s ($1)"
}

# observe WHAT: the relay answers an observe call for an IP of the feed
# with a sighting of it.
observe() {
	local out st
	out=$(fcgi POST /tweettioc/observe/observables "[{\"type\":\"ip\",\"value\":\"$ioc\"}]")
	st=$(status_of <<<"$out")
	if [ "$st" != 200 ] || ! grep -q '"sighting"' <<<"$out" || ! grep -qF "$ioc" <<<"$out"; then
		echo "$out" | head -c 2000
		fail "observe $ioc: status ${st:-none}, no sighting of it ($1)"
	fi
	echo "${#out}"
}

# snapshot FILE: the container's files, less what changes by itself
# (logs, apt's and dpkg's own databases, caches).
snapshot() {
	cxsh 'find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
		-o -path /var/log -o -path /var/cache -o -path /var/lib/apt -o -path /srv/deb-test \
		-o -path /var/lib/dpkg -o -path /var/lib/systemd/catalog -o -path /var/lib/dbus \
		-o -path /var/tmp \) -prune -o -print; find /var/lib/dpkg/info -print' | LC_ALL=C sort >"$1"
}

# ---------------------------------------------------------------- boot
podman run -d --name "$ctr" --privileged --network=host --systemd=always "$image" \
	/lib/systemd/systemd >/dev/null
# systemctl answers once systemd's bus is up; --wait then waits for the boot.
state=
for _ in $(seq 1 60); do
	state=$(cx systemctl is-system-running --wait 2>/dev/null || true)
	[ -n "$state" ] && break
	sleep 0.5
done
case $state in
running | degraded) ok "container booted with systemd ($state)" ;;
*) fail "systemd in the container: $state" ;;
esac

cxsh 'mkdir -p -m 0755 /srv/deb-test'
podman cp "$deb" "$ctr:/srv/deb-test/${deb##*/}"
apt_get update.log update
snapshot "$work/files-before.txt"

# ---------------------------------------------------------------- install
apt_get install.log install "/srv/deb-test/${deb##*/}"
ok "apt-get install ./${deb##*/}: $(grep -c '^Setting up' "$work/install.log") packages set up, no error or warning"

where=$(cx sh -c 'command -v securex-relay')
ver=$(cx securex-relay --version)
[ "$where" = /usr/sbin/securex-relay ] && grep -qF "${version%-*}" <<<"$ver" ||
	fail "binary: $where, --version: $ver"
ok "binary $where, --version: $ver"

man=$(cx man -w securex-relay)
[ "$man" = /usr/share/man/man8/securex-relay.8.gz ] || fail "man -w securex-relay: $man"
warn=$(cx sh -c 'MANWIDTH=80 man --warnings securex-relay 2>&1 >/dev/null')
[ -z "$warn" ] || fail "man securex-relay warns: $warn"
ok "man page $man renders without warnings"

pw=$(cx getent passwd securex-relay) || fail "no securex-relay user"
uid=$(cut -d: -f3 <<<"$pw")
[ "$uid" -lt 1000 ] && [ "$(cut -d: -f7 <<<"$pw")" = /usr/sbin/nologin ] || fail "user: $pw"
cx getent group securex-relay >/dev/null || fail "no securex-relay group"
ok "system user: $pw"

mode=$(cx stat -c '%a %U:%G' /etc/securex-relay/relay.env)
[ "$mode" = "640 root:securex-relay" ] || fail "relay.env is $mode"
set_lines=$(cx grep -c '^[A-Z]' /etc/securex-relay/relay.env || true)
[ "$set_lines" = 0 ] || fail "relay.env sets $set_lines variables; every setting must be commented"
grep -qx /etc/securex-relay/relay.env < <(cx dpkg-query -W -f='${Conffiles}\n' securex-relay | awk '{print $1}') ||
	fail "relay.env is not a conffile"
ok "conffile /etc/securex-relay/relay.env: $mode, every setting commented"

units=(securex-relay.socket securex-relay.service securex-relay@1.socket securex-relay@1.service)
out=$(cx systemd-analyze verify --man=no "${units[@]/#//lib/systemd/system/}" 2>&1) ||
	fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"
for u in securex-relay.socket securex-relay.service; do
	en=$(cx systemctl is-enabled "$u" || true)
	ac=$(cx systemctl is-active "$u" || true)
	[ "$en" = disabled ] && [ "$ac" = inactive ] || fail "$u is $en and $ac after install"
done
exec_start=$(cx systemctl show -p ExecStart --value securex-relay.service | grep -o 'path=[^ ;]*')
[ "$exec_start" = path=/usr/sbin/securex-relay ] || fail "ExecStart: $exec_start"
# systemctl quotes the values with parentheses.
doc=$(cx systemctl show -p Documentation --value securex-relay.service | tr -d '"')
for d in $doc; do
	case $d in
	file://*) cx test -f "${d#file://}" || fail "Documentation= names ${d#file://}, which is not installed" ;;
	man:*) ;;
	*) fail "Documentation= $d" ;;
	esac
done
ok "units verified (systemd-analyze verify: no output), disabled and inactive, ExecStart $exec_start, Documentation $doc"

# Unconfigured (jwt without an audience): the relay refuses to start and its
# log names the setting.
cx systemctl start securex-relay.service >/dev/null 2>&1 || true
msg=
for _ in $(seq 1 20); do
	msg=$(cx journalctl -u securex-relay.service --no-pager -o cat | grep -m1 'RELAY_AUDIENCE or RELAY_PUBLIC_URL' || true)
	[ -n "$msg" ] && break
	sleep 0.5
done
[ -n "$msg" ] || fail "the unconfigured relay's journal does not name RELAY_AUDIENCE or RELAY_PUBLIC_URL"
cx systemctl stop securex-relay.socket securex-relay.service
cx systemctl reset-failed securex-relay.service 2>/dev/null || true
ok "unconfigured: the relay refuses to start: $msg"

# ---------------------------------------------------------------- run
feed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
feed_file=fixtures/tweettioc-feed-2000.json
ioc=$(python3 scripts/demo_feed_server.py --examples --file "$feed_file" | awk '$1 == "ip" { print $2; exit }')
[ -n "$ioc" ] || fail "no IP in $feed_file"
python3 scripts/demo_feed_server.py --port "$feed_port" --file "$feed_file" 2>"$work/feed.log" &
feed_pid=$!

# The operator's edit: the settings uncommented and set.
cxsh "sed -i -e 's|^#RELAY_AUTH=jwt\$|RELAY_AUTH=none|' \
	-e 's|^#RELAY_MODULES=.*|RELAY_MODULES=tweettioc|' \
	-e 's|^#TWEETTIOC_URL=.*|TWEETTIOC_URL=http://127.0.0.1:$feed_port|' /etc/securex-relay/relay.env"
edited=$(cx grep '^[A-Z]' /etc/securex-relay/relay.env | tr '\n' ' ')
cx systemctl enable --now securex-relay.socket securex-relay.service >/dev/null 2>&1 ||
	fail "systemctl enable --now securex-relay.socket securex-relay.service"
wait_ready "after enable --now"
size=$(observe "first start")
pid=$(main_pid)
user=$(cx stat -c %U "/proc/$pid")
[ "$user" = securex-relay ] || fail "the relay (pid $pid) runs as $user"
sd=$(cx stat -c '%U %N' /var/lib/securex-relay)
grep -q '^root .*private/securex-relay' <<<"$sd" || fail "state directory: $sd"
owner=$(cx stat -c %U /var/lib/private/securex-relay)
[ "$owner" = securex-relay ] || fail "/var/lib/private/securex-relay belongs to $owner"
ok "relay.env set to: $edited"
ok "socket-activated relay (pid $pid, user $user) answered observe for $ioc: 200, $size bytes; state dir $sd"

# A missing state directory: StateDirectory= creates it again at start.
cx systemctl stop securex-relay.service 2>/dev/null # (it warns: the socket can start it again)
cx rm -rf /var/lib/securex-relay /var/lib/private/securex-relay
wait_ready "state directory removed"
size=$(observe "state directory removed")
owner=$(cx stat -c %U /var/lib/private/securex-relay)
[ "$owner" = securex-relay ] || fail "recreated state directory belongs to $owner"
ok "state directory removed while stopped: recreated at start ($owner), answered again ($size bytes)"

# ---------------------------------------------------------------- install twice
conf_sum=$(cx md5sum /etc/securex-relay/relay.env | cut -d' ' -f1)
apt_get install-again.log install "/srv/deb-test/${deb##*/}"
grep -q 'already the newest version' "$work/install-again.log" || fail "second install: $(tail -n 3 "$work/install-again.log")"
pid_before=$(main_pid)
apt_get reinstall.log install --reinstall "/srv/deb-test/${deb##*/}"
pid_after=$(main_pid)
[ "$(cx md5sum /etc/securex-relay/relay.env | cut -d' ' -f1)" = "$conf_sum" ] || fail "reinstall changed the edited relay.env"
mode=$(cx stat -c '%a %U:%G' /etc/securex-relay/relay.env)
[ "$mode" = "640 root:securex-relay" ] || fail "relay.env is $mode after reinstall"
[ "$pid_after" != 0 ] && [ "$pid_after" != "$pid_before" ] || fail "reinstall: relay pid $pid_before -> $pid_after (not restarted)"
wait_ready "after reinstall"
size=$(observe "after reinstall")
ok "install again: already installed; --reinstall: edited relay.env kept ($mode), running relay restarted (pid $pid_before -> $pid_after), answered ($size bytes)"

# ---------------------------------------------------------------- upgrade
# The same package as version <version>+debtest1 whose relay.env differs
# from the shipped one, so dpkg meets a conffile changed on both sides: with
# --force-confdef --force-confold (what unattended upgrades use) it keeps
# the operator's file and puts the new one beside it as .dpkg-dist.
up_version=${version}+debtest1
up=$work/securex-relay_${up_version}_${arch}.deb
rm -rf "$work/repack"
dpkg-deb -R "$deb" "$work/repack"
sed -i "s/^Version: .*/Version: $up_version/" "$work/repack/DEBIAN/control"
echo "# (upgrade test: a line the new version adds)" >>"$work/repack/etc/securex-relay/relay.env"
(cd "$work/repack" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum) \
	>"$work/repack/DEBIAN/md5sums"
dpkg-deb --root-owner-group -b "$work/repack" "$up" >/dev/null
podman cp "$up" "$ctr:/srv/deb-test/${up##*/}"
pid_before=$(main_pid)
apt_get upgrade.log -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	install "/srv/deb-test/${up##*/}"
now=$(cx dpkg-query -W -f='${Version}' securex-relay)
[ "$now" = "$up_version" ] || fail "after the upgrade securex-relay is at $now"
[ "$(cx md5sum /etc/securex-relay/relay.env | cut -d' ' -f1)" = "$conf_sum" ] || fail "the upgrade changed the edited relay.env"
cx grep -q 'upgrade test' /etc/securex-relay/relay.env.dpkg-dist || fail "no relay.env.dpkg-dist with the new version's file"
mode=$(cx stat -c '%a %U:%G' /etc/securex-relay/relay.env)
[ "$mode" = "640 root:securex-relay" ] || fail "relay.env is $mode after the upgrade"
pid_after=$(main_pid)
[ "$pid_after" != 0 ] && [ "$pid_after" != "$pid_before" ] || fail "upgrade: relay pid $pid_before -> $pid_after (not restarted)"
sock=$(cx systemctl is-active securex-relay.socket || true)
[ "$sock" = active ] || fail "securex-relay.socket is $sock after the upgrade"
wait_ready "after the upgrade"
size=$(observe "after the upgrade")
ok "upgrade $version -> $up_version: edited relay.env kept ($mode), new one as relay.env.dpkg-dist, relay restarted (pid $pid_before -> $pid_after), socket $sock, answered ($size bytes)"

# ---------------------------------------------------------------- purge
pid=$(main_pid)
[ "$pid" != 0 ] || fail "the relay is not running before the purge"
apt_get purge.log purge securex-relay
left=$(cxsh "grep -l '^Uid:[[:space:]]*${uid}[[:space:]]' /proc/[0-9]*/status 2>/dev/null" || true)
[ -z "$left" ] || fail "processes of securex-relay after the purge: $left"
loaded=$(cx systemctl list-units --all --plain --no-legend 'securex-relay*' || true)
[ -z "$loaded" ] || fail "units still loaded after the purge: $loaded"
for f in /usr/sbin/securex-relay /etc/securex-relay /var/lib/securex-relay /var/lib/private/securex-relay \
	/run/securex-relay /usr/share/doc/securex-relay /lib/systemd/system/securex-relay.service \
	/usr/lib/sysusers.d/securex-relay.conf /etc/systemd/system/sockets.target.wants/securex-relay.socket \
	/etc/systemd/system/multi-user.target.wants/securex-relay.service; do
	if cx test -e "$f" || cx test -L "$f"; then
		fail "$f is left after the purge"
	fi
done
ok "purge while running (pid $pid): no process, no unit, no file of the package left"

# What is left: the dependencies apt pulled in go too, then the file list is
# compared with the one from before the install. Policy keeps the system user
# and group (their lines in /etc/passwd, /etc/group, /etc/shadow, /etc/gshadow
# and the "-" backups systemd-sysusers writes) and systemd keeps
# /var/lib/private, its own directory for every DynamicUser= unit.
apt_get autoremove.log autoremove --purge
snapshot "$work/files-after.txt"
extra=$(comm -13 "$work/files-before.txt" "$work/files-after.txt" |
	grep -v -x -E '/etc/(passwd|group|shadow|gshadow)-|/var/lib/private' || true)
missing=$(comm -23 "$work/files-before.txt" "$work/files-after.txt" || true)
[ -z "$extra" ] || fail "left after purge and autoremove: $extra"
[ -z "$missing" ] || fail "gone after purge and autoremove (existed before the install): $missing"
kept=$(comm -13 "$work/files-before.txt" "$work/files-after.txt" | tr '\n' ' ')
pw=$(cx getent passwd securex-relay || true)
ok "after purge + autoremove: file list as before the install, plus ${kept:-nothing}; user kept: ${pw:-none}"
