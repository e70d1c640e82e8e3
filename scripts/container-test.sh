#!/usr/bin/env bash
# container-test.sh: `make container-test`: the images and deploy/kubernetes, run for real.
#
# 1. The base image from Debian's packages, offline (no registry): mmdebstrap
#    bookworm minbase from this machine's apt mirror into a tarball cached
#    under build/container/, `podman import`ed (tests/container/base-image.sh).
# 2. The relay and nginx images: `podman build --pull=never` of
#    deploy/container/Containerfile{,.nginx} with BASE set to that image
#    (the relay's from the Debian package, built in its first stage).
# 3. deploy/kubernetes rendered (kubectl kustomize, or the listed files) with
#    only the image names and the test settings substituted
#    (tests/container/render.py); the Secret securex-relay-auth, which the
#    kustomization leaves to the operator, made here with a generated
#    RELAY_JWT_SECRET as `kubectl create secret generic` would; then
#    `podman kube play`.
# 4. The checks through the pod's nginx (tests/container/check_pod.py).
# Everything it starts (pod, fake upstream) is stopped on exit, also on
# failure. podman runs with tests/container/containers.conf (runc, ulimits).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

export CONTAINERS_CONF=$repo/tests/container/containers.conf
base=localhost/securex-relay-base:bookworm
relay_image=localhost/securex-relay:test
nginx_image=localhost/securex-relay-nginx:test
pod=securex-relay-pod-0 # podman names a Deployment's pod <name>-pod-<n>
work=$repo/build/container
tarball=$work/bookworm-minbase.tar
# What an operator runs: `openssl rand -hex 32` (placeholders and anything
# under 32 bytes stop the relay in hs256 mode).
secret=$(openssl rand -hex 32)
public_url=http://relay.test
started=$(date +%s)

say() { echo "container-test: $*"; }
elapsed() { echo "$(($(date +%s) - started)) s"; }

scripts/deps.sh container

if [ "$(id -u)" -ne 0 ]; then
	echo "container-test: needs root (rootful podman: runc, host networking)" >&2
	exit 1
fi

play=$work/play.yaml
cleanup() {
	local rc=$?
	if [ -f "$play" ]; then
		podman kube down "$play" >/dev/null 2>&1 || true
	fi
	podman pod rm -f -t 5 "$pod" >/dev/null 2>&1 || true
	podman secret rm securex-relay-auth >/dev/null 2>&1 || true
	if [ $rc -eq 0 ]; then
		say "PASS ($(elapsed))"
	else
		say "FAILED (exit $rc, $(elapsed))"
	fi
}
trap cleanup EXIT

# The pod uses the host's network (the fake upstream is on its loopback):
# nginx's ports must be free.
for port in 8080 8081; do
	if python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null; then
		:
	else
		echo "container-test: port $port is in use; the pod's nginx needs it" >&2
		exit 1
	fi
done
# A pod left over from an interrupted run.
podman pod rm -f -t 5 "$pod" >/dev/null 2>&1 || true

say "base image $base"
tests/container/base-image.sh "$base" "$tarball"

# A build context with only what the images need (not build/): the relay
# image builds the Debian package (deploy/debian) and installs it.
ctx=$work/context
rm -rf "$ctx"
mkdir -p "$ctx"
cp -r Makefile mk src include docs README.md deploy "$ctx/"
version=$(sed -n 's/^#define RELAY_VERSION "\(.*\)"$/\1/p' include/version.h)
for spec in "$relay_image:Containerfile" "$nginx_image:Containerfile.nginx"; do
	image=${spec%:*}
	file=${spec##*:}
	say "podman build --pull=never -f deploy/container/$file -t $image"
	# --network=host: the build stages' apt-get reaches the same mirror.
	podman build --pull=never --network=host --build-arg "BASE=$base" \
		--build-arg "VERSION=$version" -f "$ctx/deploy/container/$file" -t "$image" \
		"$ctx" >"$work/build-${file}.log" 2>&1 || {
		tail -n 40 "$work/build-${file}.log"
		exit 1
	}
done
say "image sizes:"
podman images --format '  {{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'securex-relay' || true
for image in "$relay_image" "$nginx_image"; do
	user=$(podman image inspect --format '{{.Config.User}}' "$image")
	labels=$(podman image inspect --format '{{index .Labels "org.opencontainers.image.title"}} {{index .Labels "org.opencontainers.image.version"}}' "$image")
	say "  $image: user $user, labels: $labels"
done

fake_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# render_and_play [render.py options...]: deploy/kubernetes with the test
# settings, the operator's Secret stored for podman, played.
render_and_play() {
	python3 tests/container/render.py deploy/kubernetes "$play" \
		--relay-image "$relay_image" --nginx-image "$nginx_image" \
		--set-env "TWEETTIOC_URL=http://127.0.0.1:$fake_port" \
		--set-env RELAY_AUTH=hs256 --set-env TWEETTIOC_REFRESH_SECONDS=3 \
		--set-secret "RELAY_JWT_SECRET=$secret" --set-secret "RELAY_PUBLIC_URL=$public_url" \
		--set-secret "RELAY_AUDIENCE=$public_url/tweettioc,$public_url/cybercrime" \
		--secret-name securex-relay-auth --secret-out "$work/secret.yaml" "$@"
	podman secret rm securex-relay-auth >/dev/null 2>&1 || true
	podman secret create securex-relay-auth "$work/secret.yaml" >/dev/null
	say "podman kube play $play"
	# Without systemd podman cannot schedule the liveness healthchecks; it
	# says so on every container (harmless here, see README).
	podman kube play "$play" 2>&1 | grep -v 'systemd connection to .* healthchecks' || true
	podman pod exists "$pod" || {
		say "FAIL: the pod $pod was not created"
		exit 1
	}
	podman ps --pod --filter "pod=$pod" --format '  {{.Names}} {{.Image}} {{.Status}}'
}

# Bad input first: the Secret without the key RELAY_AUTH=hs256 needs. The
# relay must say which variable, in its log, not crash-loop silently.
render_and_play --unset-secret RELAY_JWT_SECRET
for _ in $(seq 1 60); do
	line=$(podman logs "$pod-relay" 2>&1 | grep -m1 'RELAY_JWT_SECRET' || true)
	[ -n "$line" ] && break
	sleep 0.5
done
if [ -z "$line" ]; then
	say "FAIL: without RELAY_JWT_SECRET the relay's log does not name it:"
	podman logs "$pod-relay" 2>&1 | tail -n 20
	exit 1
fi
say "ok: Secret without RELAY_JWT_SECRET: relay log says: $line"
podman kube down "$play" >/dev/null 2>&1 || true
podman pod rm -f -t 5 "$pod" >/dev/null 2>&1 || true

render_and_play

python3 tests/container/check_pod.py --pod "$pod" --fake-port "$fake_port" \
	--base http://127.0.0.1:8080 --probe http://127.0.0.1:8081 \
	--secret "$secret" --public-url "$public_url"
