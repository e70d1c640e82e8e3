#!/usr/bin/env python3
"""run_bench.py: the benchmark behind `make bench`.

Starts, on loopback only, a static fake tweettioc upstream, the optimised
relay and nginx, then drives each case with wrk and, in the same run, an
nginx location serving a fixed JSON body of the same size (the ceiling of
anything behind nginx). Prints per case requests/s, p50, p99 and the ratio
relay/ceiling, then deliberate x10 with RS256 tokens against the same without
auth (median relay/none, target >= 90%: each token is verified once), the
feed-scaling numbers and the p99 during feed swaps, and writes everything to
build/bench.json.

`run_bench.py auth` runs only the authentication pair; `run_bench.py memory`
only the relay process's memory: during a refresh of the largest feed, and
during a refresh of each hostile feed (one big item of tiny strings, many
tiny IOCs; tools/gen_feed.py --hostile) next to the byte cap and the memory
rule (memory_rule() below, as deploy/systemd states it); `run_bench.py
hostile` only the hostile feeds; `run_bench.py tweetfeed` only the TweetFeed
cases (deliberate x10 and observe x10 next to tweettioc's, each against the
nginx ceiling in the same run) and the relay's memory during a refresh of a
large TweetFeed answer.

Environment: BENCH_SECONDS (per relay case, default 6), BENCH_CONNECTIONS
(default 16), BENCH_THREADS (relay worker threads, default 2: one per core),
BENCH_AUTH_ROUNDS (runs of each authentication case, default 4).
"""
import http.server
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import harness  # noqa: E402  (free ports, Relay, Nginx)

BUILD = REPO / "build"
RELAY = BUILD / "securex-relay"
FEED_SCALE = BUILD / "bench" / "feed_scale"
SECONDS = int(os.environ.get("BENCH_SECONDS", "6"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
AUTH_ROUNDS = int(os.environ.get("BENCH_AUTH_ROUNDS", "4"))


class StaticFeed:
    """Serves one file's bytes for every GET (the bench needs speed, not tricks)."""

    def __init__(self, path):
        self.path = path
        self.requests = 0
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests += 1
                with open(fake.path, "rb") as f:
                    body = f.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # A relay stopped mid-download resets the connection: expected.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.port = harness.free_port()
        self.server = Server(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class BenchNginx(harness.Nginx):
    """The test nginx plus GET /ceiling/<case>: fixed JSON files served by nginx itself."""

    def __init__(self, upstream, ceiling_dir):
        super().__init__(upstream)
        self.ceiling_dir = ceiling_dir

    def write_conf(self):
        super().write_conf()
        text = open(self.conf).read()
        location = ("location /ceiling/ {\n\t\t\talias %s/;\n\t\t\tdefault_type application/json;"
                    "\n\t\t\taccess_log off;\n\t\t}\n\n\t\tlocation / {" % self.ceiling_dir)
        text = text.replace("location / {", location, 1)
        text = text.replace("access_log %s/access.log;" % self.prefix, "access_log off;")
        with open(self.conf, "w") as f:
            f.write(text)
        return self.conf


def generate(path, **args):
    cmd = [sys.executable, str(REPO / "tools" / "gen_feed.py")]
    for k, v in args.items():
        cmd += ["--" + k, str(v)]
    with open(path, "wb") as f:
        subprocess.run(cmd, stdout=f, check=True)


def pick_observables(feed_path, n):
    """n IOCs of the feed, the most mentioned first (they make the biggest answers)."""
    items = json.load(open(feed_path))
    counts = {}
    types = {"ip": "ip", "md5": "md5", "sha1": "sha1", "sha256": "sha256", "mail": "email",
             "domain": "domain", "url": "url"}
    for item in items:
        for k, t in types.items():
            for v in item.get(k, []):
                counts[(t, v)] = counts.get((t, v), 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:n]
    return [{"type": t, "value": v} for (t, v), _ in top]


def wrk(url, body_file=None, method="POST", seconds=SECONDS, authorization=None):
    env = dict(os.environ, BENCH_METHOD=method, BENCH_BODY=body_file or "",
               BENCH_AUTHORIZATION=authorization or "")
    out = subprocess.run(["wrk", "-t2", "-c%d" % CONNECTIONS, "-d%ds" % seconds, "--latency",
                          "-s", str(REPO / "bench" / "report.lua"), url],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True)
    for line in out.stdout.decode().splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise RuntimeError("wrk printed no result:\n" + out.stdout.decode())


def fetch(url, body, headers=None):
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                 headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()


def start_stack(feed_path, tmp, env=None, authorization=None):
    upstream = StaticFeed(feed_path)
    relay_env = {"RELAY_AUTH": "none", "TWEETTIOC_URL": upstream.url,
                 "TWEETTIOC_REFRESH_SECONDS": "3600"}
    relay_env.update(env or {})
    # A unix socket between nginx and the relay, as deploy/ sets it up.
    relay = harness.Relay(env=relay_env, threads=THREADS, binary=str(RELAY), unix_socket=True)
    relay.start(timeout=120)
    nginx = BenchNginx(relay.upstream, str(tmp / "ceiling"))
    nginx.start()
    base = "http://127.0.0.1:%d" % nginx.port
    headers = {"Authorization": authorization} if authorization else {}
    # With a 1 s refresh period a copy of the largest feed is "stale" (older
    # than 3 periods) as soon as it is swapped in: loaded is what counts.
    harness.wait_for(lambda: any(w in fetch(base + "/health", b"", headers)[1]
                                 for w in (b'"ok"', b"is stale")), 120,
                     what="the relay to load the feed")
    return upstream, relay, nginx, base


def http_cases(tmp):
    feed = tmp / "feed-2000.json"
    generate(feed, tweets=2000, end=int(time.time()) - 60, seed=11)
    obs10 = pick_observables(feed, 10)
    bodies = {
        "deliberate x1": ("/tweettioc/deliberate/observables", obs10[:1]),
        "deliberate x10": ("/tweettioc/deliberate/observables", obs10),
        "observe x10": ("/tweettioc/observe/observables", obs10),
        "refer x10": ("/tweettioc/refer/observables", obs10),
        "tile-data": ("/tweettioc/tiles/tile-data",
                      {"tile_id": "tweettioc-summary", "period": "last_7_days"}),
        "health": ("/tweettioc/health", None),
    }
    (tmp / "ceiling").mkdir()
    upstream, relay, nginx, base = start_stack(feed, tmp)
    results = []
    try:
        for i, (name, (path, payload)) in enumerate(bodies.items()):
            body_file = None
            data = b""
            if payload is not None:
                body_file = str(tmp / ("body-%d.json" % i))
                data = json.dumps(payload).encode()
                open(body_file, "wb").write(data)
            status, answer = fetch(base + path, data)
            if status != 200 or b'"errors"' in answer[:20]:
                print("  %-16s skipped: %s %s" % (name, status, answer[:120].decode()))
                continue
            # The ceiling: nginx serving the relay's very answer from a file.
            ceiling_file = "case-%d.json" % i
            (tmp / "ceiling" / ceiling_file).write_bytes(answer)
            r = wrk(base + path, body_file)
            c = wrk(base + "/ceiling/" + ceiling_file, method="GET", seconds=max(3, SECONDS // 2))
            row = {"case": name, "bytes": len(answer), "relay": r, "ceiling": c,
                   "ratio": r["rps"] / c["rps"] if c["rps"] else 0}
            results.append(row)
            print("  %-16s %7d B | relay %8.0f req/s p50 %6.2f ms p99 %6.2f ms non-2xx %d | "
                  "ceiling %8.0f req/s | ratio %5.1f%%" % (
                      name, len(answer), r["rps"], r["p50_ms"], r["p99_ms"], r["non2xx"],
                      c["rps"], 100 * row["ratio"]), flush=True)
        upstream_requests = upstream.requests
    finally:
        nginx.stop()
        relay.stop()
        upstream.stop()
    return results, upstream_requests


def process_cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/<pid>/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def auth_cases(tmp):
    """deliberate x10 with an RS256 configuration token (key set from a fake
    JWKS host over TLS on loopback, RELAY_AUDIENCE set) against the same
    without auth, both stacks up at once and the runs interleaved so both
    see the same machine; BENCH_AUTH_ROUNDS runs each, compared by median."""
    from fake_jwks import FakeJwks, Pki, token_rs256
    feed = tmp / "feed-auth.json"
    generate(feed, tweets=2000, end=int(time.time()) - 60, seed=11)
    body_file = str(tmp / "auth-body.json")
    open(body_file, "w").write(json.dumps(pick_observables(feed, 10)))
    pki = Pki()
    key = pki.signing_key("bench")
    jwks = FakeJwks(pki.server_cert, pki.server_key, [key.jwk("k1")]).start()
    audience = "https://relay.example.com/tweettioc"
    now = int(time.time())
    token = "Bearer " + token_rs256(key, {"jwks_host": jwks.host, "aud": audience, "iat": now,
                                          "exp": now + 3600, "sub": "bench"})
    (tmp / "ceiling").mkdir(exist_ok=True)
    stacks = {}
    try:
        stacks["none"] = start_stack(feed, tmp)
        stacks["rs256"] = start_stack(feed, tmp, {
            "RELAY_AUTH": "jwt", "RELAY_JWKS_HOSTS": jwks.host, "RELAY_AUDIENCE": audience,
            "RELAY_CA_FILE": pki.ca_pem}, authorization=token)
        path = "/tweettioc/deliberate/observables"
        data = open(body_file, "rb").read()
        for label, auth in (("none", None), ("rs256", token)):
            status, answer = fetch(stacks[label][3] + path, data,
                                   {"Authorization": auth} if auth else {})
            if status != 200 or b'"verdicts"' not in answer:
                raise RuntimeError("%s: %s %s" % (label, status, answer[:200]))
        runs = {"none": [], "rs256": []}
        order = [("none", None), ("rs256", token)]
        for _ in range(AUTH_ROUNDS):
            for label, auth in order:
                relay = stacks[label][1]
                cpu = process_cpu_seconds(relay.proc.pid)
                r = wrk(stacks[label][3] + path, body_file, authorization=auth)
                # CPU the relay spent per answer: what auth costs, whatever
                # else the machine is doing at the time.
                r["relay_cpu_us"] = ((process_cpu_seconds(relay.proc.pid) - cpu) * 1e6
                                     / max(1, r["requests"]))
                runs[label].append(r)
            order.reverse()  # none first, then rs256 first: drift hits both alike
        downloads = jwks.downloads()
        metrics = fetch(stacks["rs256"][3] + "/metrics", None)[1].decode()
        verified = [line for line in metrics.splitlines()
                    if line.startswith("relay_auth_token_cache_misses_total ")]
    finally:
        for upstream, relay, nginx, _ in stacks.values():
            nginx.stop()
            relay.stop()
            upstream.stop()
        jwks.stop()
        pki.cleanup()
    def median(values):
        values = sorted(values)
        mid = len(values) // 2
        return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2

    out = {label: max(r, key=lambda x: x["rps"]) for label, r in runs.items()}
    out["runs"] = runs
    out["jwks_downloads"] = downloads
    out["tokens_verified"] = int(verified[0].split()[1]) if verified else -1
    # The median of the interleaved runs is the ratio: on a shared machine
    # one lucky run of either case moves the best-of figure by 20%.
    med = {label: median([x["rps"] for x in runs[label]]) for label in runs}
    out["ratio"] = med["rs256"] / med["none"] if med["none"] else 0
    out["best_ratio"] = out["rs256"]["rps"] / out["none"]["rps"] if out["none"]["rps"] else 0
    for label in ("none", "rs256"):
        r = out[label]
        out[label + "_relay_cpu_us"] = median([x["relay_cpu_us"] for x in runs[label]])
        print("  deliberate x10, auth %-5s median %8.0f req/s, best %8.0f (p50 %5.2f ms p99 "
              "%6.2f ms non-2xx %d), relay CPU %5.1f us/answer; runs: %s" % (
                  label, med[label], r["rps"], r["p50_ms"], r["p99_ms"], r["non2xx"],
                  out[label + "_relay_cpu_us"],
                  ", ".join("%.0f" % x["rps"] for x in runs[label])), flush=True)
    rs_cpu = out["rs256_relay_cpu_us"]
    out["cpu_ratio"] = out["none_relay_cpu_us"] / rs_cpu if rs_cpu else 0
    print("  rs256 / none: %.1f%% of the median (target >= 90%%; best of each: %.1f%%; relay "
          "CPU per answer none/rs256: %.1f%%); key set downloads: %d, signatures verified: %d"
          % (100 * out["ratio"], 100 * out["best_ratio"], 100 * out["cpu_ratio"], downloads,
             out["tokens_verified"]), flush=True)
    return out


def feed_scaling(tmp):
    feeds = []
    for n in (10000, 100000, 1000000):
        path = tmp / ("feed-%d.json" % n)
        generate(path, iocs=n, end=int(time.time()) - 60, seed=7)
        feeds.append(str(path))
    json_path = tmp / "scale.json"
    subprocess.run([str(FEED_SCALE), "--json", str(json_path)] + feeds, check=True)
    # Two lines per feed (parse/index/lookup, then snapshot and refresh peak): one row.
    by_feed = {}
    for line in open(json_path):
        row = json.loads(line)
        row["feed"] = os.path.basename(row["feed"])
        by_feed.setdefault(row["feed"], {}).update(row)
    rows = list(by_feed.values())
    return rows, feeds[-1]


def download_per_day(feed_path, period=300):
    """Bytes a day the relay downloads at the default refresh period: the full
    7-day window every time (before) vs yesterday..today with one full
    window a day (after, TWEETTIOC_FULL_REFRESH_SECONDS=86400)."""
    items = json.load(open(feed_path))
    today = int(time.time()) // 86400 * 86400
    recent = [it for it in items if it["tweet"]["timestamp"] >= today - 86400]
    full = os.path.getsize(feed_path)
    incr = len(json.dumps(recent).encode())
    n = 86400 // period
    out = {"full_bytes": full, "incremental_bytes": incr, "refreshes_per_day": n,
           "before_bytes_per_day": n * full, "after_bytes_per_day": full + (n - 1) * incr}
    print("  downloads a day at %d s: full window %.1f MB each -> %.1f GB/day before; "
          "yesterday..today %.1f MB each -> %.1f GB/day after (%.1fx less)" % (
              period, full / 1e6, out["before_bytes_per_day"] / 1e9, incr / 1e6,
              out["after_bytes_per_day"] / 1e9,
              out["before_bytes_per_day"] / max(1, out["after_bytes_per_day"])), flush=True)
    return out


def refresh_under_load(tmp, big_feed):
    """p99 of deliberate x10 with no swaps, then with a refresh of the largest feed every second."""
    obs = pick_observables(big_feed, 10)
    body_file = str(tmp / "refresh-body.json")
    open(body_file, "w").write(json.dumps(obs))
    out = {}
    for label, refresh in (("steady", "3600"), ("refreshing", "1")):
        upstream, relay, nginx, base = start_stack(big_feed, tmp,
                                                   {"TWEETTIOC_REFRESH_SECONDS": refresh})
        try:
            before = upstream.requests
            r = wrk(base + "/tweettioc/deliberate/observables", body_file, seconds=SECONDS + 4)
            r["feed_downloads"] = upstream.requests - before
            out[label] = r
        finally:
            nginx.stop()
            relay.stop()
            upstream.stop()
        print("  %-10s p50 %6.2f ms p99 %6.2f ms %8.0f req/s non-2xx %d (feed downloads "
              "during the run: %d)" % (label, r["p50_ms"], r["p99_ms"], r["rps"], r["non2xx"],
                                       r["feed_downloads"]), flush=True)
    s, f = out["steady"]["p99_ms"], out["refreshing"]["p99_ms"]
    out["p99_ratio"] = f / s if s else 0
    print("  p99 during swaps / p99 without: %.2fx" % out["p99_ratio"])
    return out


def proc_status_mb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return -1.0


def relay_memory(tmp, big_feed):
    """The relay process itself (not a mirror of it): peak RSS while it
    downloads the largest feed with no copy yet, and during one refresh of
    the same feed (SIGHUP) while that copy serves, against the feed's bytes."""
    size = os.path.getsize(big_feed)
    upstream, relay, nginx, base = start_stack(big_feed, tmp)
    try:
        pid = relay.proc.pid

        def refreshes():
            text = fetch(base + "/metrics", None)[1].decode()
            return int(re.search(r"^tweettioc_refreshes_total (\d+)", text, re.M).group(1))
        first_peak = proc_status_mb(pid, "VmHWM")
        serving = proc_status_mb(pid, "VmRSS")
        before = refreshes()
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")  # VmHWM starts again from VmRSS
        os.kill(pid, signal.SIGHUP)
        harness.wait_for(lambda: refreshes() > before, 180, interval=0.2,
                         what="the SIGHUP refresh")
        peak = proc_status_mb(pid, "VmHWM")
    finally:
        nginx.stop()
        relay.stop()
        upstream.stop()
    out = {"feed_bytes": size, "first_download_peak_mb": first_peak, "serving_rss_mb": serving,
           "refresh_peak_mb": peak, "refresh_peak_to_feed": peak * 1048576 / size}
    cap = 268435456  # TWEETTIOC_MAX_BYTES's default, which start_stack keeps
    print("  first download: peak RSS %.0f MB = %.2fx the feed; serving: %.0f MB; one refresh "
          "(SIGHUP): peak %.0f MB = %.2fx the feed's bytes (MemoryMax rule for the default "
          "cap: %.0f MiB)"
          % (first_peak, first_peak * 1048576 / size, serving, peak, out["refresh_peak_to_feed"],
             memory_rule(cap) / 1048576.0), flush=True)
    return out


# The memory rule of deploy/systemd/securex-relay.service, in bytes:
# MemoryMax = 4 x TWEETTIOC_MAX_BYTES + 64 MiB (two copies at the memory
# budget, 2 x cap + 2 MiB each, plus one item's parse and the process).
def memory_rule(cap):
    return 4 * cap + 64 * 1048576


def metric(base, name):
    text = fetch(base + "/metrics", None)[1].decode()
    m = re.search(r"^%s (\d+)" % name, text, re.M)
    return int(m.group(1)) if m else -1


# (byte cap, hostile feed size): the worst case a cap lets through (a feed
# just under it), and the sizes of the review at the default cap.
HOSTILE_CASES = ((16 * 1048576, 16 * 1048576 - 65536), (268435456, 8400000))


def hostile_memory(tmp, cases=HOSTILE_CASES):
    """Peak RSS of the relay process during one refresh (SIGHUP) to each
    hostile feed, a small ordinary copy serving, next to the byte cap: the
    item over the size limit is skipped, a feed whose parsed form is over
    the memory budget is refused (the copy kept)."""
    end = int(time.time()) - 60
    small = tmp / "hostile-small.json"
    generate(small, tweets=200, end=end, seed=3)
    out = []
    for cap, size in cases:
        for shape in ("big-item", "tiny-iocs"):
            path = tmp / ("hostile-%s-%d.json" % (shape, size))
            generate(path, hostile=shape, bytes=size, end=end)
            # A relay of its own per feed: freed memory is not always given
            # back to the system, so an earlier peak would hide this one.
            upstream, relay, nginx, base = start_stack(small, tmp,
                                                       {"TWEETTIOC_MAX_BYTES": str(cap)})
            try:
                pid = relay.proc.pid
                serving = proc_status_mb(pid, "VmRSS")
                failures = metric(base, "tweettioc_refresh_failures_total")
                upstream.path = str(path)
                with open("/proc/%d/clear_refs" % pid, "w") as f:
                    f.write("5")  # VmHWM starts again from VmRSS
                before = metric(base, "tweettioc_refreshes_total")
                os.kill(pid, signal.SIGHUP)
                harness.wait_for(lambda: metric(base, "tweettioc_refreshes_total") > before,
                                 180, interval=0.2, what="the refresh of the hostile feed")
                peak = proc_status_mb(pid, "VmHWM")
                refused = metric(base, "tweettioc_refresh_failures_total") > failures
                row = {"shape": shape, "cap": cap, "feed_bytes": os.path.getsize(path),
                       "serving_rss_mb": serving, "peak_mb": peak,
                       "rule_mb": memory_rule(cap) / 1048576.0, "refused": refused,
                       "tweets": metric(base, "tweettioc_feed_tweets"),
                       "skipped": metric(base, "tweettioc_feed_skipped_items"),
                       "over_budget": metric(base, "tweettioc_refresh_over_budget_total")}
            finally:
                nginx.stop()
                relay.stop()
                upstream.stop()
                os.unlink(path)
            row["within_rule"] = peak <= row["rule_mb"]
            out.append(row)
            print("  cap %3.0f MiB (budget 2 x cap + 2 MiB = %.0f MiB; MemoryMax rule 4 x cap "
                  "+ 64 MiB = %.0f MiB), %-9s feed of %.1f MB: peak RSS %5.1f MB = %.2fx the "
                  "cap, %.1fx the feed (%s; %.0f MB before); %s, %d tweets, %d skipped items"
                  % (cap / 1048576.0, (2 * cap + 2097152) / 1048576.0, row["rule_mb"], shape,
                     row["feed_bytes"] / 1e6, peak, peak * 1048576 / cap,
                     peak * 1048576 / row["feed_bytes"],
                     "within the rule" if row["within_rule"] else "OVER THE RULE", serving,
                     "refused, previous copy kept" if refused else "accepted",
                     row["tweets"], row["skipped"]), flush=True)
    return out


def generate_rows(path, **args):
    cmd = [sys.executable, str(REPO / "tools" / "gen_tweetfeed.py")]
    for k, v in args.items():
        cmd += ["--" + k, str(v)]
    with open(path, "wb") as f:
        subprocess.run(cmd, stdout=f, check=True)


def pick_row_observables(rows_path, n):
    """n values of the TweetFeed rows, the most listed first."""
    counts = {}
    for r in json.load(open(rows_path)):
        counts[(r["type"], r["value"])] = counts.get((r["type"], r["value"]), 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:n]
    return [{"type": t, "value": v} for (t, v), _ in top]


def start_two_feeds(feed_path, rows_path, tmp):
    """The relay with tweettioc and tweetfeed, each fed by a static upstream."""
    tf = StaticFeed(rows_path)
    env = {"RELAY_MODULES": "tweettioc,tweetfeed", "TWEETFEED_URL": tf.url,
           "TWEETFEED_REFRESH_SECONDS": "3600", "TWEETFEED_LOOKUP": "off",
           "TWEETFEED_MAX_BYTES": str(1 << 30)}
    upstream, relay, nginx, base = start_stack(feed_path, tmp, env)
    harness.wait_for(lambda: b'"ok"' in fetch(base + "/tweetfeed/health", b"")[1], 120,
                     what="the relay to load the TweetFeed rows")
    return tf, upstream, relay, nginx, base


def tweetfeed_cases(tmp):
    """deliberate x10 and observe x10 for both indexed feeds, each with its ceiling."""
    feed = tmp / "feed-2000.json"
    generate(feed, tweets=2000, end=int(time.time()) - 60, seed=11)
    rows = tmp / "tweetfeed-10000.json"
    generate_rows(rows, rows=10000, end=int(time.time()) - 60, seed=11)
    obs_tt, obs_tf = pick_observables(feed, 10), pick_row_observables(rows, 10)
    bodies = {
        "tweettioc deliberate x10": ("/tweettioc/deliberate/observables", obs_tt),
        "tweettioc observe x10": ("/tweettioc/observe/observables", obs_tt),
        "tweetfeed deliberate x10": ("/tweetfeed/deliberate/observables", obs_tf),
        "tweetfeed observe x10": ("/tweetfeed/observe/observables", obs_tf),
    }
    ceiling = tmp / "ceiling"
    ceiling.mkdir(exist_ok=True)
    tf, upstream, relay, nginx, base = start_two_feeds(feed, rows, tmp)
    results = []
    try:
        for i, (name, (path, payload)) in enumerate(bodies.items()):
            body_file = str(tmp / ("tf-body-%d.json" % i))
            data = json.dumps(payload).encode()
            open(body_file, "wb").write(data)
            status, answer = fetch(base + path, data)
            if status != 200 or b'"errors"' in answer[:20]:
                print("  %-26s skipped: %s %s" % (name, status, answer[:120].decode()))
                continue
            (ceiling / ("tf-case-%d.json" % i)).write_bytes(answer)
            r = wrk(base + path, body_file)
            c = wrk(base + "/ceiling/tf-case-%d.json" % i, method="GET",
                    seconds=max(3, SECONDS // 2))
            row = {"case": name, "bytes": len(answer), "relay": r, "ceiling": c,
                   "ratio": r["rps"] / c["rps"] if c["rps"] else 0}
            results.append(row)
            print("  %-26s %7d B | relay %8.0f req/s p50 %6.2f ms p99 %6.2f ms non-2xx %d | "
                  "ceiling %8.0f req/s | ratio %5.1f%%" % (
                      name, len(answer), r["rps"], r["p50_ms"], r["p99_ms"], r["non2xx"],
                      c["rps"], 100 * row["ratio"]), flush=True)
    finally:
        nginx.stop()
        relay.stop()
        upstream.stop()
        tf.stop()
    return results


def tweetfeed_memory(tmp, n_rows=200000):
    """The relay process's peak RSS during one SIGHUP refresh of a large
    TweetFeed answer (rows, one IOC each) while the same copy serves,
    against the answer's bytes: the engine's refresh figure for this shape."""
    feed = tmp / "feed-200.json"
    generate(feed, tweets=200, end=int(time.time()) - 60, seed=3)
    rows = tmp / ("tweetfeed-%d.json" % n_rows)
    generate_rows(rows, rows=n_rows, end=int(time.time()) - 60, seed=5)
    size = os.path.getsize(rows)
    tf, upstream, relay, nginx, base = start_two_feeds(feed, rows, tmp)
    try:
        pid = relay.proc.pid

        def refreshes():
            text = fetch(base + "/metrics", None)[1].decode()
            return int(re.search(r"^tweetfeed_refreshes_total (\d+)", text, re.M).group(1))
        serving = proc_status_mb(pid, "VmRSS")
        before = refreshes()
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        os.kill(pid, signal.SIGHUP)  # both feeds refresh; tweettioc's is tiny here
        harness.wait_for(lambda: refreshes() > before, 300, interval=0.2,
                         what="the SIGHUP refresh")
        peak = proc_status_mb(pid, "VmHWM")
    finally:
        nginx.stop()
        relay.stop()
        upstream.stop()
        tf.stop()
    out = {"rows": n_rows, "feed_bytes": size, "serving_rss_mb": serving,
           "refresh_peak_mb": peak, "refresh_growth_to_feed": (peak - serving) * 1048576 / size,
           "refresh_peak_to_feed": peak * 1048576 / size}
    print("  TweetFeed answer of %d rows (%.1f MB): serving %.0f MB; one refresh (SIGHUP): "
          "peak %.0f MB = %.2fx the answer's bytes (growth over serving %.2fx)"
          % (n_rows, size / 1048576, serving, peak, out["refresh_peak_to_feed"],
             out["refresh_growth_to_feed"]), flush=True)
    return out


def main():
    started = time.monotonic()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="relay-bench-"))
    if sys.argv[1:] == ["memory"]:  # only the relay process's memory
        feed = tmp / "feed-1000000.json"
        generate(feed, iocs=1000000, end=int(time.time()) - 60, seed=7)
        print("== the relay process's memory (largest feed)", flush=True)
        relay_memory(tmp, feed)
        print("== the relay process's memory (hostile feeds)", flush=True)
        hostile_memory(tmp)
        subprocess.run(["rm", "-rf", str(tmp)])
        return
    if sys.argv[1:] == ["hostile"]:  # only the hostile feeds
        print("== the relay process's memory (hostile feeds)", flush=True)
        hostile_memory(tmp)
        subprocess.run(["rm", "-rf", str(tmp)])
        return
    if sys.argv[1:] == ["tweetfeed"]:  # only the TweetFeed cases and memory
        print("== TweetFeed next to tweettioc through nginx (%d connections, %d s per case)"
              % (CONNECTIONS, SECONDS), flush=True)
        cases = tweetfeed_cases(tmp)
        print("== the relay process's memory (a large TweetFeed answer)", flush=True)
        memory = tweetfeed_memory(tmp)
        BUILD.mkdir(exist_ok=True)
        (BUILD / "bench-tweetfeed.json").write_text(
            json.dumps({"cases": cases, "relay_memory": memory}, indent=2))
        subprocess.run(["rm", "-rf", str(tmp)])
        return
    if sys.argv[1:] == ["auth"]:  # only the authentication pair
        print("== authentication: RS256 configuration tokens vs none", flush=True)
        auth_cases(tmp)
        subprocess.run(["rm", "-rf", str(tmp)])
        return
    print("== requests through nginx (%d connections, %d s per case, %d relay threads)"
          % (CONNECTIONS, SECONDS, THREADS), flush=True)
    cases, downloads = http_cases(tmp)
    print("== authentication: RS256 configuration tokens vs none", flush=True)
    auth = auth_cases(tmp)
    print("== feed scaling", flush=True)
    scaling, big = feed_scaling(tmp)
    downloads_per_day = download_per_day(big)
    print("== refresh under load (largest feed)", flush=True)
    refresh = refresh_under_load(tmp, big)
    print("== the relay process's memory (largest feed)", flush=True)
    memory = relay_memory(tmp, big)
    print("== the relay process's memory (hostile feeds)", flush=True)
    hostile = hostile_memory(tmp)
    print("== TweetFeed next to tweettioc", flush=True)
    tf_cases = tweetfeed_cases(tmp)
    print("== the relay process's memory (a large TweetFeed answer)", flush=True)
    tf_memory = tweetfeed_memory(tmp)
    report = {"cases": cases, "auth": auth, "feed_scaling": scaling,
              "refresh_under_load": refresh, "relay_memory": memory, "hostile_memory": hostile,
              "tweetfeed_cases": tf_cases, "tweetfeed_memory": tf_memory,
              "downloads_per_day": downloads_per_day,
              "seconds": round(time.monotonic() - started, 1)}
    BUILD.mkdir(exist_ok=True)
    (BUILD / "bench.json").write_text(json.dumps(report, indent=2))
    subprocess.run(["rm", "-rf", str(tmp)])
    print("wrote build/bench.json (%.0f s)" % report["seconds"])


if __name__ == "__main__":
    main()
