#!/usr/bin/env python3
"""check_pod.py: the checks of `make container-test` against the played pod.

    check_pod.py --pod NAME --fake-port N --base http://127.0.0.1:8080 \
        --probe http://127.0.0.1:8081 --secret S --public-url U

Talks to the pod's nginx only (the pod runs on the host's network). The fake
tweettioc (tests/e2e/harness.py FakeTweettioc) is not listening at first, so
the relay's first download fails: /ready must say so (503, the reason) while
/watchdog answers; then the fake starts and /ready turns 200; /health and a
deliberate call with an HS256 token; the relay runs as uid 10001 with no
capabilities on a read-only root; /ready and /metrics refused to a
non-loopback caller; then the relay process is killed and the container must
come back answering deliberate with data. Prints one line per check.
"""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from harness import FIXTURES, FakeTweettioc, load_feed  # noqa: E402
from testkit import hs256_token  # noqa: E402

ARGS = None


def say(msg):
    print("container-test: %s" % msg, flush=True)


def fail(msg):
    say("FAIL: " + msg)
    podman("logs", "--tail", "30", ARGS.pod + "-relay", check=False, echo=True)
    podman("logs", "--tail", "10", ARGS.pod + "-nginx", check=False, echo=True)
    sys.exit(1)


def podman(*args, check=True, echo=False):
    r = subprocess.run(["podman"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    out = r.stdout.decode("utf-8", "replace")
    if echo:
        sys.stdout.write(out)
    if check and r.returncode != 0:
        fail("podman %s: %s" % (" ".join(args), out.strip()))
    return out


def request(base, method, path, body=None, headers=None, source=None):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=15,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        raw = r.read()
    finally:
        conn.close()
    try:
        return r.status, json.loads(raw)
    except ValueError:
        return r.status, raw.decode("utf-8", "replace")


def wait(what, timeout, fn):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last[0]:
                return last[1]
        except OSError as e:
            last = (False, str(e))
        time.sleep(0.25)
    fail("%s: not within %d s; last: %r" % (what, timeout, last))


def module_token(module):
    """An HS256 token for `module` at the pod's public URL, ten minutes long."""
    now = int(time.time())
    payload = {"aud": ARGS.public_url.rstrip("/") + "/" + module, "iat": now, "exp": now + 600}
    return hs256_token(ARGS.secret, payload)


def auth():
    return {"Authorization": "Bearer " + module_token("tweettioc")}


def relay_pid():
    out = podman("inspect", "--format", "{{.State.Pid}} {{.RestartCount}}", ARGS.pod + "-relay")
    pid, restarts = out.split()
    return int(pid), int(restarts)


def proc_status(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def deliberate(ioc):
    body = json.dumps([{"type": "ip", "value": ioc}]).encode()
    return request(ARGS.base, "POST", "/tweettioc/deliberate/observables", body, auth())


def has_verdict(answer):
    status, body = answer
    return (status == 200 and isinstance(body, dict)
            and body.get("data", {}).get("verdicts", {}).get("count", 0) >= 1)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    for name in ("--pod", "--base", "--probe", "--secret", "--public-url"):
        ap.add_argument(name, required=True)
    ap.add_argument("--fake-port", type=int, required=True)
    ARGS = ap.parse_args()
    feed = load_feed(FIXTURES / "tweettioc-feed-2000.json")
    ioc = next(it["ip"][0] for it in feed if isinstance(it, dict) and it.get("ip"))
    fake = FakeTweettioc(feed=feed, port=ARGS.fake_port)

    # 1. Liveness answers whatever the upstream does; readiness says why not.
    def watchdog():
        s, b = request(ARGS.probe, "GET", "/watchdog", headers={"Health-Check": "ct"})
        return s == 200 and b == {"data": "ct"}, (s, b)
    wait("GET /watchdog (probe port) to answer", 60, watchdog)
    s, b = request(ARGS.base, "GET", "/watchdog", headers={"Health-Check": "svc"})
    if (s, b) != (200, {"data": "svc"}):
        fail("GET /watchdog through the service port: %r" % ((s, b),))
    say("ok: GET /watchdog -> 200 %s (upstream down)" % json.dumps(b))

    def refused_reason():
        s, b = request(ARGS.probe, "GET", "/ready")
        msg = b.get("message", "") if isinstance(b, dict) else ""
        return s == 503 and "first download in progress" not in msg, (s, b)
    s_b = wait("GET /ready to report the failed download", 30, refused_reason)
    body = request(ARGS.probe, "GET", "/ready")[1]
    if set(body) != {"code", "message"} or body["code"] != 503:
        fail("GET /ready while the upstream is down: %r" % body)
    say("ok: GET /ready -> 503 %s" % json.dumps(body))
    logs = podman("logs", ARGS.pod + "-relay")
    line = next((ln for ln in logs.splitlines() if "refresh failed" in ln), None)
    if not line:
        fail("the relay's log does not say why it is not ready:\n" + logs[-2000:])
    say("ok: relay log says: %s" % line.strip())
    del s_b

    # 2. The upstream comes up: ready.
    fake.start()
    try:
        t0 = time.monotonic()
        wait("GET /ready to turn 200 once the feed loads", 60,
             lambda: (request(ARGS.probe, "GET", "/ready")[0] == 200, None))
        s, b = request(ARGS.base, "GET", "/ready")
        if (s, b) != (200, {"ready": True}):
            fail("GET /ready on the service port from loopback: %r" % ((s, b),))
        say("ok: GET /ready -> 200 %s %.1f s after the upstream came up"
            % (json.dumps(b), time.monotonic() - t0))

        s, b = request(ARGS.base, "POST", "/tweettioc/health", b"{}", auth())
        if (s, b) != (200, {"data": {"status": "ok"}}):
            fail("POST /tweettioc/health with an HS256 token: %r" % ((s, b),))
        say("ok: POST /tweettioc/health (HS256 token) -> 200 %s" % json.dumps(b))
        s, b = request(ARGS.base, "POST", "/tweettioc/health", b"{}")
        if s != 200 or b.get("errors", [{}])[0].get("code") != "authorization error":
            fail("POST /tweettioc/health without a token: %r" % ((s, b),))
        say("ok: POST /tweettioc/health without a token -> %s" % b["errors"][0]["message"])
        answer = deliberate(ioc)
        if not has_verdict(answer):
            fail("deliberate %s: %r" % (ioc, answer))
        v = answer[1]["data"]["verdicts"]["docs"][0]
        say("ok: POST /tweettioc/deliberate/observables ip %s -> %d verdict, disposition %s"
            % (ioc, answer[1]["data"]["verdicts"]["count"], v["disposition_name"]))

        # 3. Sandboxing as the kernel sees it.
        pid, restarts = relay_pid()
        st = proc_status(pid)
        uids = st["Uid"].split()
        if uids[0] == "0" or uids[1] == "0":
            fail("the relay runs as root: Uid %s" % st["Uid"])
        if int(st["CapEff"], 16) != 0 or int(st["CapPrm"], 16) != 0:
            fail("the relay has capabilities: CapEff %s CapPrm %s" % (st["CapEff"], st["CapPrm"]))
        if st.get("NoNewPrivs") != "1":
            fail("no_new_privs not set: %s" % st.get("NoNewPrivs"))
        say("ok: relay process uid %s gid %s, CapEff %s, NoNewPrivs %s, Seccomp %s"
            % (uids[0], st["Gid"].split()[0], st["CapEff"], st["NoNewPrivs"],
               st.get("Seccomp")))
        for ctr in ("relay", "nginx"):
            ro = podman("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}",
                        "%s-%s" % (ARGS.pod, ctr)).strip()
            r = subprocess.run(["podman", "exec", "%s-%s" % (ARGS.pod, ctr), "touch", "/probe"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            if ro != "true" or r.returncode == 0 or b"Read-only file system" not in r.stdout:
                fail("%s: root file system writable (ReadonlyRootfs %s, touch rc %d)"
                     % (ctr, ro, r.returncode))
            say("ok: %s: read-only root (touch /probe: %s)"
                % (ctr, r.stdout.decode(errors="replace").strip()))
        s, metrics = request(ARGS.base, "GET", "/metrics")
        feed_bytes = next((ln.split()[1] for ln in str(metrics).splitlines()
                           if ln.startswith("tweettioc_feed_bytes ")), "?")
        say("ok: relay VmRSS %s, VmHWM %s, feed %s bytes (GET /metrics %d from loopback)"
            % (st["VmRSS"], st["VmHWM"], feed_bytes, s))
        # Another caller: 127.0.0.2 is loopback but not the 127.0.0.1 the
        # config allows, so no traffic leaves this machine's loopback.
        for path in ("/ready", "/metrics"):
            s, _ = request(ARGS.base, "GET", path, source="127.0.0.2")
            if s != 403:
                fail("GET %s from 127.0.0.2 (not an allowed caller): %d, not 403" % (path, s))
        say("ok: GET /ready and /metrics from 127.0.0.2 -> 403")

        # 4. The relay dies; the pod's restart policy brings it back serving.
        state = podman("exec", ARGS.pod + "-relay", "ls", "-A",
                       "/var/lib/securex-relay/state").split()
        if "tweettioc.snapshot" not in state:
            fail("no feed snapshot in the state directory after the first download: %r" % state)
        os.kill(pid, 9)
        say("killed the relay (pid %d, SIGKILL); state dir held: %s"
            % (pid, " ".join(state) or "nothing"))
        t0 = time.monotonic()

        def restarted():
            p, n = relay_pid()
            return p not in (0, pid) and n > restarts, (p, n)
        wait("the relay container to restart", 60, restarted)
        wait("GET /watchdog after the restart", 30, watchdog)
        first = deliberate(ioc)
        if state:
            # A snapshot was there: the first answer already has data.
            if not has_verdict(first):
                fail("first deliberate after the restart (snapshot %s): %r" % (state, first))
            say("ok: first deliberate after the restart has data (from the snapshot), "
                "%.1f s after the kill" % (time.monotonic() - t0))
        else:
            wait("GET /ready after the restart", 30,
                 lambda: (request(ARGS.probe, "GET", "/ready")[0] == 200, None))
            again = deliberate(ioc)
            if not has_verdict(again):
                fail("deliberate after the restart: %r" % (again,))
            say("ok: deliberate after the restart has data (re-downloaded: no snapshot in "
                "RELAY_STATE_DIR), %.1f s after the kill" % (time.monotonic() - t0))
        _, restarts = relay_pid()
        say("ok: relay container restart count %d" % restarts)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
