#!/usr/bin/env bash
# demo.sh: the relay behind nginx on http://127.0.0.1:8080, for `make demo`.
#
#   scripts/demo.sh           offline: the bundled tweettioc feed
#                             (fixtures/tweettioc-feed-2000.json, served by
#                             scripts/demo_feed_server.py) and a generated
#                             TweetFeed (scripts/demo_tweetfeed_server.py),
#                             timestamps moved to now
#   scripts/demo.sh --live    the real feeds, http://www.tweettioc.com and
#                             https://api.tweetfeed.live
#
# Modules tweettioc, tweetfeed and threatfox; ThreatFox is always a local stand-in
# (scripts/demo_threatfox_server.py), never the internet. Auth is hs256
# with a secret drawn for this run: the printed curl lines carry tokens,
# the threatfox ones with the demo Auth-Key in the `key` claim, the way
# Cisco XDR signs a module's configuration into its token.
#
# DEMO_PORT overrides 8080. Ctrl-C (or SIGTERM) stops everything this script
# started and removes its temp dir. nginx uses the same config template as
# the end-to-end tests: deploy/nginx/local.conf.template.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)

live=0
case "${1:-}" in
"") ;;
--live) live=1 ;;
*)
	echo "usage: $0 [--live]" >&2
	exit 2
	;;
esac

port=${DEMO_PORT:-8080}
relay_bin=${RELAY_BIN:-$top/build/securex-relay}
feed_file=$top/fixtures/tweettioc-feed-2000.json
base=http://127.0.0.1:$port

die() {
	echo "demo: $*" >&2
	exit 1
}

[ -x "$relay_bin" ] || die "$relay_bin not found; run 'make demo' (or make) first"
nginx_bin=$(command -v nginx || true)
[ -n "$nginx_bin" ] || { [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx; } ||
	die "nginx not found (scripts/deps.sh demo installs it)"

port_taken() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if port_taken "$port"; then
	echo "demo: port $port on 127.0.0.1 is already in use." >&2
	echo "demo: stop whatever listens there, or pick another port: DEMO_PORT=8081 make demo" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/securex-relay-demo.XXXXXX")
pids=()
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
	[ $status -eq 0 ] || [ $status -ge 128 ] || echo "demo: stopped (status $status)" >&2
	exit "$status"
}
trap cleanup EXIT
trap 'echo; echo "demo: stopping..." >&2; exit 130' INT
trap 'exit 143' TERM

# 1. The feeds: local servers, or the real things.
if [ $live -eq 1 ]; then
	feed_url=http://www.tweettioc.com
	tweetfeed_url=https://api.tweetfeed.live
else
	twf_port=$(free_port)
	python3 scripts/demo_tweetfeed_server.py --port "$twf_port" 2>"$tmp/tweetfeed.log" &
	pids+=($!)
	tweetfeed_url=http://127.0.0.1:$twf_port
	feed_port=$(free_port)
	python3 scripts/demo_feed_server.py --port "$feed_port" --file "$feed_file" \
		2>"$tmp/feed.log" &
	pids+=($!)
	feed_url=http://127.0.0.1:$feed_port
	# The relay downloads the feed as soon as it starts: have it ready.
	for _ in $(seq 1 100); do
		port_taken "$feed_port" && break
		kill -0 "${pids[1]}" 2>/dev/null || die "the feed server failed: $(cat "$tmp/feed.log")"
		sleep 0.1
	done
	port_taken "$feed_port" || die "the feed server did not start"
	for _ in $(seq 1 100); do
		port_taken "$twf_port" && break
		sleep 0.1
	done
	port_taken "$twf_port" || die "the TweetFeed server did not start: $(cat "$tmp/tweetfeed.log")"
fi

# 1b. ThreatFox: the local stand-in, whatever --live says.
tf_port=$(free_port)
python3 scripts/demo_threatfox_server.py --port "$tf_port" 2>"$tmp/threatfox.log" &
pids+=($!)
tf_key=$(python3 scripts/demo_threatfox_server.py --key)

# Tokens signed with this run's secret: one without claims, one carrying
# the ThreatFox Auth-Key as the `key` claim.
secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(36))')
hs256() { # claims JSON -> token
	python3 - "$secret" "$1" <<'PY'
import base64, hashlib, hmac, sys
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(sys.argv[2].encode())
mac = hmac.new(sys.argv[1].encode(), head.encode(), hashlib.sha256).digest()
print(head + "." + b64(mac))
PY
}
token=$(hs256 '{"sub":"demo"}')
tf_token=$(hs256 "{\"sub\":\"demo\",\"key\":\"$tf_key\"}")

# 2. The relay, FastCGI on a loopback port. Its feed snapshot stays in the
# demo's own directory: a demo must not seed a real relay's history.
relay_port=$(free_port)
RELAY_AUTH=hs256 RELAY_JWT_SECRET=$secret RELAY_MODULES=tweettioc,tweetfeed,threatfox \
	TWEETTIOC_URL=$feed_url TWEETFEED_URL=$tweetfeed_url \
	THREATFOX_URL=http://127.0.0.1:$tf_port RELAY_STATE_DIR=$tmp/state \
	"$relay_bin" --listen "127.0.0.1:$relay_port" 2>"$tmp/relay.log" &
pids+=($!)

# 3. nginx in front, config rendered from the shared template.
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
sed -e "s|@PREFIX@|$tmp|g" -e "s|@USER_LINE@|$user_line|" -e "s|@MASTER@|on|" \
	-e "s|@LISTEN@|127.0.0.1:$port|" -e "s|@UPSTREAM@|127.0.0.1:$relay_port|" \
	-e "s|@MAX_BODY@|1m|" deploy/nginx/local.conf.template >"$tmp/nginx.conf"
"$nginx_bin" -p "$tmp/" -c "$tmp/nginx.conf" -e "$tmp/error.log" &
pids+=($!)

# 4. Wait until /health says ok (the first feed downloads included): both
# feeds offline; live, the first that has data (tweettioc.com is gone).
timeout=30
[ $live -eq 1 ] && timeout=180
echo "demo: starting (feed: $feed_url; logs in $tmp)..." >&2
deadline=$((SECONDS + timeout))
health=""
while :; do
	ok=0
	for m in tweettioc tweetfeed; do
		health=$(curl -s -m 5 -X POST -H "Authorization: Bearer $token" "$base/$m/health" \
			2>/dev/null || true)
		[ "$(printf '%s' "$health" | tr -d ' \t\r\n')" = '{"data":{"status":"ok"}}' ] &&
			ok=$((ok + 1))
	done
	[ $ok -eq 2 ] || { [ $live -eq 1 ] && [ $ok -ge 1 ]; } && break
	for pid in "${pids[@]}"; do
		kill -0 "$pid" 2>/dev/null && continue
		echo "demo: a process exited during start-up. Logs:" >&2
		tail -n 20 "$tmp"/*.log >&2 || true
		exit 1
	done
	if [ $SECONDS -ge $deadline ]; then
		echo "demo: /health did not answer ok within ${timeout}s; last answer: ${health:-none}" >&2
		tail -n 20 "$tmp/relay.log" >&2 || true
		exit 1
	fi
	sleep 0.3
done

# 5. Ready-to-paste commands with observables that are really in the feed.
pick() { # type -> value (the most mentioned IOC of that type in the bundled feed)
	awk -v t="$1" '$1 == t { print $2; exit }' "$tmp/examples"
}
python3 scripts/demo_feed_server.py --examples --file "$feed_file" >"$tmp/examples"
python3 scripts/demo_tweetfeed_server.py --examples >"$tmp/twf_examples"
twf_pick() {
	awk -v t="$1" '$1 == t { print $2; exit }' "$tmp/twf_examples"
}
twf_ip=$(twf_pick ip)
twf_sha256=$(twf_pick sha256)
twf_domain=$(twf_pick domain)
twf_lookup=$(twf_pick lookup)
md5=$(pick md5)
ip=$(pick ip)
domain=$(pick domain)
url=$(pick url)
json="-H 'Content-Type: application/json'"
auth="-H 'Authorization: Bearer $token'"
tf_auth="-H 'Authorization: Bearer $tf_token'"
pp="| python3 -m json.tool"

note=""
[ $live -eq 1 ] &&
	note="Live feeds: these observables come from the offline samples; today's feeds may not have them."
cat <<EOF

securex-relay demo is up: $base  (modules: tweettioc, tweetfeed, threatfox; auth: hs256)
${note:+$note
}
  # health, version, watchdog
  curl -s -X POST $auth $base/tweettioc/health
  curl -s -X POST $base/version
  curl -s -H 'Health-Check: hello' $base/watchdog

  # verdicts (deliberate)
  curl -s -X POST $auth $base/tweettioc/deliberate/observables $json \\
       -d '[{"type":"md5","value":"$md5"},{"type":"ip","value":"$ip"}]' $pp

  # sightings, judgements and verdicts (observe)
  curl -s -X POST $auth $base/tweettioc/observe/observables $json \\
       -d '[{"type":"domain","value":"$domain"}]' $pp

  # refer links
  curl -s -X POST $auth $base/tweettioc/refer/observables $json \\
       -d '[{"type":"url","value":"$url"}]' $pp

  # dashboard tiles
  curl -s -X POST $auth $base/tweettioc/tiles $pp
  curl -s -X POST $auth $base/tweettioc/tiles/tile-data $json \\
       -d '{"tile_id":"tweettioc-summary","period":"last_7_days"}' $pp

  # tweetfeed: health, verdicts, sightings from the kept week
  curl -s -X POST $auth $base/tweetfeed/health
  curl -s -X POST $auth $base/tweetfeed/deliberate/observables $json \\
       -d '[{"type":"ip","value":"$twf_ip"},{"type":"sha256","value":"$twf_sha256"}]' $pp
  curl -s -X POST $auth $base/tweetfeed/observe/observables $json \\
       -d '[{"type":"domain","value":"$twf_domain"}]' $pp

  # tweetfeed: an address older than the week, from the 365-day lookup
  curl -s -X POST $auth $base/tweetfeed/observe/observables $json \\
       -d '[{"type":"ip","value":"$twf_lookup"}]' $pp

  # tweetfeed: refer and tiles
  curl -s -X POST $auth $base/tweetfeed/refer/observables $json \\
       -d '[{"type":"ip","value":"$twf_ip"}]' $pp
  curl -s -X POST $auth $base/tweetfeed/tiles/tile-data $json \\
       -d '{"tile_id":"tweetfeed-summary","period":"last_24_hours"}' $pp

  # ThreatFox (a local stand-in): the token's 'key' claim is the Auth-Key
  curl -s -X POST $tf_auth $base/threatfox/observe/observables $json \\
       -d '[{"type":"ip","value":"198.51.100.23"},{"type":"domain","value":"c2.demo.example"}]' $pp
  curl -s -X POST $tf_auth $base/threatfox/deliberate/observables $json \\
       -d '[{"type":"sha256","value":"5f1c2a9e0c0b4a3f9d8e7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f"}]' $pp
  curl -s -X POST $tf_auth $base/threatfox/refer/observables $json \\
       -d '[{"type":"ip","value":"198.51.100.23"}]' $pp

  # Prometheus metrics
  curl -s $base/metrics

Logs: $tmp/relay.log, $tmp/error.log. Press Ctrl-C to stop.
EOF

# Run until interrupted, or until one of the processes dies.
while :; do
	for pid in "${pids[@]}"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "demo: process $pid exited unexpectedly; logs:" >&2
			tail -n 20 "$tmp"/*.log >&2 || true
			exit 1
		fi
	done
	sleep 1 &
	wait $! || true
done
