"""fake_faults.py: an upstream on 127.0.0.1 that fails in every way the relay must survive.

FaultServer speaks just enough HTTP/1.0 over raw sockets to misbehave on
purpose: refuse connections (nothing listening), let connects hang (a
listener whose backlog is full and that never accepts), accept and never
answer, trickle one byte a second, send a body shorter than its
Content-Length, send more than the relay's size cap, answer with any status,
content type or bytes, and redirect (to file://, ftp://, or to itself).

The behaviour is global (set_mode) or per value of the `url` query
parameter (rule), so one CyberCrime request can meet a different fault for
each observable. Every request is recorded with when it arrived and when
the relay hung up, so tests can check that the relay gave up within its
timeout. Python standard library only; loopback only.
"""

import json
import select
import socket
import threading
import time
import urllib.parse

from harness import free_port

HOST = "127.0.0.1"


class Fault:
    """One behaviour: what the server does with a request it has read."""

    def __init__(self, kind, status=200, body=b"", content_type="application/json",
                 location=None, interval=1.0, extra=1000):
        self.kind = kind
        self.status = status
        self.body = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
        self.content_type = content_type
        self.location = location
        self.interval = interval
        self.extra = extra

    def __repr__(self):
        return "Fault(%s)" % self.kind


def ok(body, content_type="application/json"):
    return Fault("ok", 200, body, content_type)


def status(code, body=b'{"error": "injected"}'):
    return Fault("ok", code, body)


def hang():
    """Reads the request, then never answers (until the relay hangs up)."""
    return Fault("hang")


def trickle(body=b"[" + b" " * 4096 + b"]", interval=1.0):
    """Headers at once, then the body one byte per `interval` seconds."""
    return Fault("trickle", 200, body, interval=interval)


def truncated(body, extra=1000):
    """Content-Length `extra` bytes larger than the body sent, then close."""
    return Fault("truncated", 200, body, extra=extra)


def unsized(body):
    """200 with no Content-Length: the body, then close (HTTP/1.0)."""
    return Fault("unsized", 200, body)


def redirect(location, code=302):
    return Fault("redirect", code, b"", location=location)


def redirect_loop():
    """A redirect to the very URL that was asked for."""
    return Fault("loop", 302)


class Record:
    def __init__(self, path, value):
        self.path = path
        self.value = value
        self.arrived = time.monotonic()
        self.closed = None  # when the relay hung up (hang / trickle)
        self.fault = None


class FaultServer:
    """A misbehaving upstream on 127.0.0.1:<port>; see the module docstring."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._mode = ok(b"[]")
        self._rules = {}
        self._records = []
        self._listener = None
        self._thread = None
        self._held = []  # blackhole: the connections that fill the backlog
        self._stopping = False

    @property
    def url(self):
        return "http://%s:%d" % (HOST, self.port)

    # -- behaviour
    def set_mode(self, fault):
        with self._lock:
            self._mode = fault

    def rule(self, value, fault):
        """`fault` for requests whose `url` query parameter is `value`."""
        with self._lock:
            self._rules[value] = fault

    def rule_path(self, path, fault):
        """`fault` for requests of `path` (without the query)."""
        with self._lock:
            self._rules[("path", path)] = fault

    def clear_rules(self):
        with self._lock:
            self._rules.clear()

    # -- lifecycle
    def start(self):
        """Listens and serves (undoes down() and blackhole())."""
        self._close_listener()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 10
        while True:
            try:
                s.bind((HOST, self.port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        s.listen(64)
        self._listener = s
        self._stopping = False
        self._thread = threading.Thread(target=self._accept_loop, args=(s,), daemon=True)
        self._thread.start()

    def down(self):
        """Nothing listens: connections are refused."""
        self._close_listener()

    def blackhole(self):
        """A listener that never accepts, its backlog full: connects hang."""
        self._close_listener()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((HOST, self.port))
        s.listen(0)
        self._listener = s
        # Fill the accept queue until a connect no longer completes.
        for _ in range(16):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.settimeout(0.3)
            self._held.append(c)
            try:
                c.connect((HOST, self.port))
            except OSError:
                break
        else:
            raise RuntimeError("could not fill the listen backlog")

    def stop(self):
        self._close_listener()

    def _close_listener(self):
        self._stopping = True
        if self._listener is not None:
            try:
                self._listener.close()
            except OSError:
                pass
            self._listener = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        for c in self._held:
            c.close()
        self._held = []

    # -- observation
    def records(self, value=None):
        with self._lock:
            return [r for r in self._records if value is None or r.value == value]

    def count(self):
        with self._lock:
            return len(self._records)

    # -- serving
    def _accept_loop(self, listener):
        while not self._stopping:
            try:
                r, _, _ = select.select([listener], [], [], 0.05)
                if not r:
                    continue
                conn, _ = listener.accept()
            except (OSError, ValueError):
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            line = data.split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split(" ")
            target = parts[1] if len(parts) > 1 else "/"
            path, _, query = target.partition("?")
            value = urllib.parse.parse_qs(query).get("url", [None])[0]
            rec = Record(path, value)
            with self._lock:
                fault = self._rules.get(("path", path))
                if fault is None and value is not None:
                    fault = self._rules.get(value)
                if fault is None:
                    fault = self._mode
                rec.fault = fault
                self._records.append(rec)
            self._act(conn, fault, target, rec)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    @staticmethod
    def _head(status_code, headers):
        reason = {200: "OK", 301: "Moved Permanently", 302: "Found", 429: "Too Many Requests",
                  500: "Internal Server Error", 502: "Bad Gateway",
                  503: "Service Unavailable", 504: "Gateway Timeout"}.get(status_code, "Status")
        lines = ["HTTP/1.0 %d %s" % (status_code, reason)] + \
                ["%s: %s" % kv for kv in headers] + ["", ""]
        return "\r\n".join(lines).encode("latin-1")

    def _wait_hangup(self, conn, seconds):
        """Waits up to `seconds` for the relay to close; True when it did."""
        r, _, _ = select.select([conn], [], [], seconds)
        if not r:
            return False
        try:
            return conn.recv(4096) == b""
        except OSError:
            return True

    def _act(self, conn, f, target, rec):
        if f.kind == "hang":
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self._wait_hangup(conn, 0.05):
                    rec.closed = time.monotonic()
                    return
            return
        if f.kind == "trickle":
            conn.sendall(self._head(200, [("Content-Type", f.content_type),
                                          ("Content-Length", str(len(f.body)))]))
            for i in range(len(f.body)):
                try:
                    conn.sendall(f.body[i:i + 1])
                except OSError:
                    rec.closed = time.monotonic()
                    return
                if self._wait_hangup(conn, f.interval):
                    rec.closed = time.monotonic()
                    return
            return
        if f.kind in ("redirect", "loop"):
            location = f.location if f.kind == "redirect" else target
            conn.sendall(self._head(f.status, [("Location", location), ("Content-Length", "0")]))
            return
        if f.kind == "unsized":
            conn.sendall(self._head(200, [("Content-Type", f.content_type)]) + f.body)
            conn.shutdown(socket.SHUT_WR)
            return
        length = len(f.body) + (f.extra if f.kind == "truncated" else 0)
        conn.sendall(self._head(f.status, [("Content-Type", f.content_type),
                                           ("Content-Length", str(length))]) + f.body)
        if f.kind == "truncated":
            conn.shutdown(socket.SHUT_WR)
