"""load.py: what the failover and soak runs are built from.

PoolNginx renders the production pieces of deploy/nginx (the upstream block
of securex-relay-pool.conf and the FastCGI snippet securex-relay-fastcgi.conf)
in front of several relays on unix sockets, plain HTTP on 127.0.0.1. Wrk
drives wrk with tests/e2e/check.lua, which checks every answer (HTTP 200
and a marker of the correct answer). SlowClients holds connections open the
way slow or hostile clients do. rss_kb reads a process's resident memory.

Used by test_failover.py (the short version in `make test`) and by
bench/failover.py and bench/soak.py (`make failover`, `make soak`).
Loopback only.
"""

import json
import os
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from harness import REPO, Nginx, free_port

DEPLOY = REPO / "deploy" / "nginx"
CHECK_LUA = REPO / "tests" / "e2e" / "check.lua"
POOL_SOCKETS = ("unix:/run/securex-relay/relay-1.sock", "unix:/run/securex-relay/relay-2.sock")


def render_pool_conf(prefix, listen_port, upstreams):
    """An nginx.conf in `prefix` built from deploy/nginx/securex-relay-pool.conf
    (its relay sockets replaced by `upstreams`) and the production FastCGI
    snippet, listening on 127.0.0.1:listen_port without TLS."""
    with open(DEPLOY / "securex-relay-pool.conf") as f:
        pool = f.read()
    if len(upstreams) != len(POOL_SOCKETS):
        raise ValueError("the pool config names %d relays" % len(POOL_SOCKETS))
    for old, new in zip(POOL_SOCKETS, upstreams):
        if old not in pool:
            raise AssertionError("deploy/nginx/securex-relay-pool.conf changed: %r not found" % old)
        pool = pool.replace(old, new)
    with open(os.path.join(prefix, "pool.conf"), "w") as f:
        f.write(pool)
    shutil.copy(DEPLOY / "securex-relay-fastcgi.conf", os.path.join(prefix, "fastcgi.conf"))
    main = """%(user)s
daemon off;
master_process off;
worker_processes 1;
pid %(p)s/nginx.pid;
error_log %(p)s/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %(p)s/client_body_temp;
    fastcgi_temp_path %(p)s/fastcgi_temp;
    proxy_temp_path %(p)s/proxy_temp;
    large_client_header_buffers 4 32k;
    client_max_body_size 1m;
    client_body_buffer_size 1m;
    client_body_timeout 60s;
    send_timeout 60s;
    include %(p)s/pool.conf;
    server {
        listen 127.0.0.1:%(port)d;
        location / {
            include %(p)s/fastcgi.conf;
        }
    }
}
""" % {"user": "user root;" if os.geteuid() == 0 else "", "p": prefix, "port": listen_port}
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(main)
    return conf


class PoolNginx(Nginx):
    """harness.Nginx with the production upstream pool and FastCGI snippet."""

    def __init__(self, upstreams):
        super().__init__(upstreams[0])
        self.upstreams = list(upstreams)

    def write_conf(self):
        if self.port is None:
            self.port = free_port()
        return render_pool_conf(self.prefix, self.port, self.upstreams)


def nofile_limit(n=8192):
    """Raises this process's open-file limit (wrk and slow clients need many)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(max(soft, n), hard)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Wrk:
    """One wrk run in the background: Wrk(...).start(); ....result()."""

    def __init__(self, url, seconds, body=None, expect="", method="POST", connections=8,
                 threads=1, tmpdir=None, timeout_s=10):
        self.url = url
        self.seconds = seconds
        self.env = dict(os.environ, LOAD_METHOD=method, LOAD_EXPECT=expect, LOAD_BODY="")
        if body is not None:
            fd, path = tempfile.mkstemp(prefix="load-body-", dir=tmpdir)
            with os.fdopen(fd, "wb") as f:
                f.write(body if isinstance(body, bytes) else json.dumps(body).encode())
            self.env["LOAD_BODY"] = path
            self.body_path = path
        else:
            self.body_path = None
        self.cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds,
                    "--timeout", "%ds" % timeout_s, "--latency", "-s", str(CHECK_LUA), url]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        return self

    def result(self):
        out, _ = self.proc.communicate(timeout=self.seconds + 60)
        if self.body_path:
            os.unlink(self.body_path)
        text = out.decode("utf-8", "replace")
        res = None
        bad = []
        for line in text.splitlines():
            if line.startswith("LOAD "):
                res = json.loads(line[5:])
            elif line.startswith("LOADBAD "):
                bad.append(line[8:])
        if res is None:
            raise RuntimeError("wrk printed no result (exit %s):\n%s"
                               % (self.proc.returncode, text))
        res["first_bad"] = bad
        res["failed"] = res["bad_status"] + res["bad_body"] + res["socket_errors"]
        return res


def wrk_line(name, r):
    return ("%-12s %7d requests %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms  max %7.1f ms  "
            "failed %d (status %d, wrong answer %d, socket %d)" % (
                name, r["requests"], r["rps"], r["p50_ms"], r["p99_ms"], r["max_ms"], r["failed"],
                r["bad_status"], r["bad_body"], r["socket_errors"]))


class SlowClients:
    """`readers` clients that send a request for a large answer and read it
    one byte a second through a tiny receive buffer, and `senders` that
    send their request body one byte a second: both hold an nginx connection
    for as long as they run. Never more than a few bytes a second each."""

    def __init__(self, port, reader_request, sender_head, readers=100, senders=100):
        self.port = port
        self.reader_request = reader_request
        self.sender_head = sender_head
        self.readers = readers
        self.senders = senders
        self.socks = []
        self.stats = {"connected": 0, "bytes_read": 0, "closed_early": 0}
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        for i in range(self.readers + self.senders):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if i < self.readers:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            s.connect(("127.0.0.1", self.port))
            s.setblocking(False)
            s.sendall(self.reader_request if i < self.readers else self.sender_head)
            self.socks.append((s, i < self.readers))
            self.stats["connected"] += 1
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(1.0):
            for s, reader in list(self.socks):
                try:
                    if reader:
                        r, _, _ = select.select([s], [], [], 0)
                        if r:
                            b = s.recv(1)
                            if not b:
                                self.stats["closed_early"] += 1
                                self.socks.remove((s, reader))
                            self.stats["bytes_read"] += len(b)
                    else:
                        s.send(b" ")
                except OSError:
                    self.stats["closed_early"] += 1
                    self.socks.remove((s, reader))

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        for s, _ in self.socks:
            s.close()
        self.socks = []
        return self.stats


def rss_kb(pid):
    """Resident set size of `pid` in KiB (VmRSS)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def post_request(path, body, port):
    """Raw HTTP/1.1 request bytes for a POST with a JSON body."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (path, port, len(data))).encode() + data


def slow_sender_head(path, port, length=4096):
    """The head of a POST whose body will never be complete."""
    return ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n[" % (path, port, length)).encode()


def kill9(relay):
    """SIGKILLs a harness.Relay and forgets it (its stop() then does nothing)."""
    proc = relay.proc
    proc.kill()
    proc.wait()
    relay.proc = None
    relay._stderr.close()
    return proc.returncode


def top_observables(feed, n=3):
    """The n most mentioned (type, value) pairs of a feed, with their tweet counts."""
    types = {"ip": "ip", "md5": "md5", "sha1": "sha1", "sha256": "sha256", "mail": "email",
             "domain": "domain", "url": "url"}
    counts = {}
    for item in feed:
        if not isinstance(item, dict):
            continue
        for k, t in types.items():
            for v in set(item.get(k, [])):
                counts[(t, v)] = counts.get((t, v), 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def wait_port_closed(path_or_port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if isinstance(path_or_port, int):
                socket.create_connection(("127.0.0.1", path_or_port), timeout=0.2).close()
            else:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path_or_port)
                s.close()
        except OSError:
            return True
        time.sleep(0.05)
    return False
