"""harness.py: the pieces the end-to-end tests are built from.

A fake Twitter IOC Hunter upstream (FakeTweettioc), the relay under test
(Relay, the ASan/UBSan build named by $RELAY_BIN), a private nginx in front
of it (Nginx), a tiny HTTP client (Client) and RelayTestCase, which wires the
three together once per test class. Python standard library only; loopback
only.
"""

import calendar
import copy
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path

import ctim_check
from testkit import FakeHandler, FakeUpstream, free_port  # noqa: F401 (tests import free_port from here)

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
FEED_200 = FIXTURES / "tweettioc-feed-200.json"
NGINX_TEMPLATE = REPO / "deploy" / "nginx" / "local.conf.template"

# What a sanitizer prints when it finds a bug; any of these fails the test.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")


# ---------------------------------------------------------------- utilities

def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    """Polls predicate() until it is true; returns its value or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def read_logs(prefix, names):
    """The files `names` under `prefix` that exist, as text joined by newlines
    (a front end's output and error logs, for a failing test's message)."""
    parts = []
    for name in names:
        try:
            with open(os.path.join(prefix, name), "rb") as f:
                parts.append(f.read().decode("utf-8", "replace"))
        except OSError:
            pass
    return "\n".join(parts)


def rebase_feed(items, newest=None):
    """A deep copy of a tweettioc feed with the tweet timestamps shifted so
    the newest tweet is at `newest` (default now - 60 s). Relative spacing is
    kept; integer timestamps stay integers. Items of the wrong shape are
    copied unchanged."""
    items = copy.deepcopy(items)
    if newest is None:
        newest = time.time() - 60
    stamps = [it["tweet"]["timestamp"] for it in items
              if isinstance(it, dict) and isinstance(it.get("tweet"), dict)
              and isinstance(it["tweet"].get("timestamp"), (int, float))
              and not isinstance(it["tweet"].get("timestamp"), bool)]
    if not stamps:
        return items
    shift = int(newest - max(stamps))
    for it in items:
        if (isinstance(it, dict) and isinstance(it.get("tweet"), dict)
                and isinstance(it["tweet"].get("timestamp"), (int, float))
                and not isinstance(it["tweet"].get("timestamp"), bool)):
            it["tweet"]["timestamp"] = it["tweet"]["timestamp"] + shift
    return items


def load_feed(path=FEED_200, newest=None):
    with open(path, "rb") as f:
        return rebase_feed(json.load(f), newest)


# ---------------------------------------------------------- fake upstream

FEED_PATH_RE = re.compile(r"^/v1/tweets/(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})/full$")


class _FeedHandler(FakeHandler):
    server_version = "FakeTweettioc/1.0"

    def do_GET(self):
        fake = self.server.fake
        fake._record(self.path, dict(self.headers.items()))
        mode, body, delay = fake._snapshot()
        if delay:
            time.sleep(delay)
        match = FEED_PATH_RE.match(self.path.split("?", 1)[0])
        if match and mode == "ok" and fake.date_ranges:
            body = fake.body_for_dates(match.group(1), match.group(2))
        if fake._redirect and "redirected=1" not in self.path:
            self.send(302, b"{}", {"Location": fake._redirect})
        elif not match:
            self.send(404, b'{"error": "not found"}')
        elif mode == "status":
            self.send(fake._status, b'{"error": "injected failure"}')
        elif mode == "broken":
            self.send(200, b'[{"ip": ["1.2.3.4"], "tweet": {"id": "1", "user": "x",')
        else:
            self.send(200, body)

    def sent(self, n):
        self.server.fake._served(n)


class FakeTweettioc(FakeUpstream):
    """In-process tweettioc.com: serves GET /v1/tweets/<d>/<d>/full.

    The document served is `self.feed` (a Python list, rebased so the newest
    tweet is now - 60 s); tests compute their expectations from it. Switch
    behaviour at run time with set_document(), serve_broken(),
    serve_status(), set_delay(), stop() / start() (same port), reset()."""

    handler = _FeedHandler

    def __init__(self, fixture=FEED_200, feed=None, port=None):
        super().__init__(port)
        self._lock = threading.Lock()
        self._counts = {}
        self._headers = []
        self._status = 500
        self._delay = 0
        self._mode = "ok"
        self._redirect = None  # set_redirect()
        self._fixture = fixture
        self.bytes_served = 0
        # True: a request for <start>/<end> gets only the tweets of those
        # UTC days (as tweettioc.com does), not the whole document.
        self.date_ranges = False
        self.set_document(feed if feed is not None else load_feed(fixture))

    # -- behaviour switches
    def set_document(self, doc, rebase=False):
        """Serves `doc`: a Python object (JSON-encoded) or raw bytes."""
        with self._lock:
            if isinstance(doc, (bytes, bytearray)):
                self.feed = None
                self._body = bytes(doc)
            else:
                if rebase:
                    doc = rebase_feed(doc)
                self.feed = doc
                self._body = json.dumps(doc).encode()
            self._mode = "ok"

    def serve_broken(self):
        with self._lock:
            self._mode = "broken"

    def serve_status(self, status=500):
        with self._lock:
            self._mode = "status"
            self._status = status

    def set_redirect(self, location):
        """Answers 302 to `location` (None: stop), except to requests whose
        path holds "redirected=1", so a same-host target can end the chain."""
        with self._lock:
            self._redirect = location

    def set_delay(self, seconds):
        with self._lock:
            self._delay = seconds

    def reset(self):
        """Back to serving self.feed promptly; restarts the server if stopped."""
        with self._lock:
            self._mode = "ok"
            self._delay = 0
            if self.feed is not None:
                self._body = json.dumps(self.feed).encode()
        self.start()

    # -- observation
    def _snapshot(self):
        with self._lock:
            return self._mode, self._body, self._delay

    def _record(self, path, headers):
        with self._lock:
            self._counts[path] = self._counts.get(path, 0) + 1
            self._headers.append((path, headers))
            del self._headers[:-50]

    def _served(self, n):
        with self._lock:
            self.bytes_served += n

    def body_for_dates(self, start, end):
        """The document's items whose tweet falls on the UTC days start..end."""
        day = lambda d: calendar.timegm(time.strptime(d, "%Y-%m-%d"))
        lo, hi = day(start), day(end) + 86400
        with self._lock:
            feed = self.feed
        if feed is None:
            return self._body
        keep = [it for it in feed if isinstance(it, dict) and isinstance(it.get("tweet"), dict)
                and isinstance(it["tweet"].get("timestamp"), (int, float))
                and lo <= it["tweet"]["timestamp"] < hi]
        return json.dumps(keep).encode()

    def request_paths(self):
        """The paths of the latest (up to 50) requests, oldest first."""
        with self._lock:
            return [p for p, _ in self._headers]

    def counts(self):
        """{path: number of requests} so far."""
        with self._lock:
            return dict(self._counts)

    def total_requests(self):
        with self._lock:
            return sum(self._counts.values())

    def last_request(self):
        """(path, headers) of the latest request, or None."""
        with self._lock:
            return self._headers[-1] if self._headers else None


# ------------------------------------------------------------------ relay

def relay_bin():
    path = os.environ.get("RELAY_BIN")
    if not path:
        path = str(REPO / "build" / "asan" / "securex-relay")
    return path


class Relay:
    """The relay under test, listening for FastCGI on 127.0.0.1:<port>."""

    def __init__(self, env=None, threads=4, binary=None, unix_socket=False,
                 inherited_socket=None, preexec_fn=None):
        self.binary = binary or relay_bin()
        # A listening socket the test holds, given to the relay as fd 0 the
        # way systemd does (StandardInput=socket): no --listen, and the
        # socket outlives the relay, so a successor serves its backlog.
        self.inherited_socket = inherited_socket
        self.preexec_fn = preexec_fn
        self.env = dict(env or {})
        self.threads = threads
        self.port = None
        self.proc = None
        self.tmpdir = tempfile.mkdtemp(prefix="relay-e2e-")
        self.stderr_path = os.path.join(self.tmpdir, "relay.stderr")
        # --listen PATH (a unix socket) instead of 127.0.0.1:<port>
        self.socket_path = os.path.join(self.tmpdir, "relay.sock") if unix_socket else None

    @property
    def upstream(self):
        """The address for nginx's upstream block."""
        if self.socket_path:
            return "unix:" + self.socket_path
        return "127.0.0.1:%d" % self.port

    def _listening(self):
        if self.inherited_socket is not None:
            return "serving FastCGI on fd 0" in self.stderr()
        if not self.socket_path:
            return port_open(self.port)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(self.socket_path)
                return True
            except OSError:
                return False

    def _environment(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        # Each relay keeps its feed snapshot in its own directory unless the
        # test names one (the default, /var/lib/securex-relay, is shared).
        env["RELAY_STATE_DIR"] = os.path.join(self.tmpdir, "state")
        env.update({k: str(v) for k, v in self.env.items()})
        return env

    def start(self, timeout=15, port=None):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError("relay binary %s missing (set RELAY_BIN or build it)" % self.binary)
        if self.inherited_socket is not None:
            self.port = self.inherited_socket.getsockname()[1]
            listen = "fd 0"
            args = [self.binary, "--threads", str(self.threads)]
            stdin = self.inherited_socket.fileno()
        else:
            self.port = port or free_port()
            listen = self.socket_path or "127.0.0.1:%d" % self.port
            args = [self.binary, "--listen", listen, "--threads", str(self.threads)]
            stdin = subprocess.DEVNULL
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            args, env=self._environment(), stdin=stdin, preexec_fn=self.preexec_fn,
            stdout=self._stderr, stderr=self._stderr, cwd=self.tmpdir)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("relay exited with %s at start-up:\n%s"
                                   % (self.proc.returncode, self.stderr()))
            return self._listening()
        wait_for(up, timeout, what="relay to listen on %s" % listen)

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def problems(self):
        """Why the relay is not healthy (dead, sanitizer report), or None."""
        text = self.stderr()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                return "sanitizer report (%s) in relay stderr" % marker
        if self.proc is not None and self.proc.poll() is not None:
            return "relay exited with status %s" % self.proc.returncode
        return None

    def restart_after_crash(self):
        """Keeps the dead relay's stderr aside and starts a new one on the
        same port, so the tests after a crash still run."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self._stderr.close()
        n = 1
        while os.path.exists("%s.%d" % (self.stderr_path, n)):
            n += 1
        os.rename(self.stderr_path, "%s.%d" % (self.stderr_path, n))
        if self.socket_path and os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
        self.start(port=self.port)

    def stop(self, timeout=10):
        """SIGTERM, wait; raises AssertionError (with the stderr) unless the
        relay exited 0 without a sanitizer report."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        failure = None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                failure = "relay did not exit within %d s of SIGTERM" % timeout
        self._stderr.close()
        text = self.stderr()
        if failure is None and proc.returncode != 0:
            failure = "relay exited with status %s after SIGTERM" % proc.returncode
        for marker in SANITIZER_MARKERS:
            if failure is None and marker in text:
                failure = "sanitizer report (%s) in relay stderr" % marker
        if failure:
            raise AssertionError("%s\n--- relay stderr (%s) ---\n%s"
                                 % (failure, self.stderr_path, text[-20000:]))
        if not os.path.exists(self.stderr_path + ".1") and not os.environ.get("E2E_KEEP"):
            shutil.rmtree(self.tmpdir, ignore_errors=True)


# ------------------------------------------------------------------ nginx

def nginx_binary():
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("nginx not found in PATH or /usr/sbin (scripts/deps.sh test)")


def render_nginx_conf(prefix, listen_port, upstream, master_process=False,
                      max_body="64m", template=NGINX_TEMPLATE):
    """The local nginx config (deploy/nginx/local.conf.template) filled in."""
    with open(template) as f:
        text = f.read()
    values = {
        "@PREFIX@": str(prefix),
        "@USER_LINE@": "user root;" if os.geteuid() == 0 else "",
        "@MASTER@": "on" if master_process else "off",
        "@LISTEN@": "127.0.0.1:%d" % listen_port,
        "@UPSTREAM@": upstream,
        "@MAX_BODY@": str(max_body),
    }
    for key, value in values.items():
        text = text.replace(key, value)
    return text


class Nginx:
    """A private nginx on 127.0.0.1:<port> passing everything to the relay."""

    def __init__(self, upstream, master_process=False, max_body="64m"):
        self.upstream = upstream
        self.master_process = master_process
        self.max_body = max_body
        self.port = None
        self.proc = None
        self.prefix = tempfile.mkdtemp(prefix="nginx-e2e-")
        self.conf = os.path.join(self.prefix, "nginx.conf")
        self.error_log = os.path.join(self.prefix, "error.log")

    def write_conf(self):
        if self.port is None:
            self.port = free_port()
        with open(self.conf, "w") as f:
            f.write(render_nginx_conf(self.prefix, self.port, self.upstream,
                                      self.master_process, self.max_body))
        return self.conf

    def command(self, *extra):
        return [nginx_binary(), "-p", self.prefix + "/", "-c", self.conf,
                "-e", self.error_log] + list(extra)

    def check_config(self):
        """nginx -t on the generated config; returns (ok, output)."""
        self.write_conf()
        r = subprocess.run(self.command("-t"), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        return r.returncode == 0, r.stdout.decode("utf-8", "replace")

    def start(self, timeout=10):
        self.write_conf()
        self._out = open(os.path.join(self.prefix, "nginx.out"), "wb")
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._out)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited with %s:\n%s" % (self.proc.returncode, self.log()))
            return port_open(self.port)
        wait_for(up, timeout, what="nginx to listen on port %d" % self.port)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def restart(self):
        """Starts nginx again on the same port (after something killed it)."""
        if self.proc is not None and self.proc.poll() is None:
            return
        self._out.close()
        self.proc = None
        self.start()

    def log(self):
        return read_logs(self.prefix, ("nginx.out", "error.log"))

    def stop(self, timeout=10):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # graceful: finish requests, close keepalives
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._out.close()
        self.returncode = proc.returncode
        if not os.environ.get("E2E_KEEP"):
            shutil.rmtree(self.prefix, ignore_errors=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port


# ----------------------------------------------------------------- client

def exchange(conn, method, path, body=None, headers=None):
    """One request on `conn` (http or https; closed afterwards): returns
    (status, body, headers) with the body decoded strictly (decode_body),
    and every entity of a 200 answer checked against CTIM (ctim_check.py)."""
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        body = decode_body(resp.read(), resp.headers.get("Content-Type"))
        if resp.status == 200:
            ctim_check.assert_valid_answer(path, body)
        return resp.status, body, resp.headers
    finally:
        conn.close()


class Client:
    """Minimal HTTP client for the nginx in front of the relay. Every call
    returns (status, body, headers): body is the parsed JSON when it parses,
    else the text (or bytes when not UTF-8); headers is case-insensitive."""

    def __init__(self, port, host="127.0.0.1", timeout=30):
        self.host = host
        self.port = port
        self.timeout = timeout

    def request(self, method, path, body=None, headers=None):
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        hdrs = {}
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}  # None removes a header
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return exchange(conn, method, path, body, hdrs)


    def post(self, path, body=b"", headers=None):
        return self.request("POST", path, body, headers)

    def get(self, path, headers=None):
        return self.request("GET", path, None, headers)


class AnswerDecodeError(AssertionError):
    """An answer that is not strict UTF-8 (or says JSON and is not JSON)."""


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


def decode_body(raw, content_type=None):
    """The answer, decoded strictly: it must be UTF-8 (no lone surrogates
    hidden in escapes either), and when it says JSON it must parse as strict
    JSON (no NaN / Infinity). Otherwise AnswerDecodeError fails the test.
    JSON is returned parsed, any other text as str."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AnswerDecodeError("answer is not valid UTF-8 (%s): %r" % (e, raw[:300])) from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except ValueError as e:
        if content_type and "json" in content_type:
            raise AnswerDecodeError("answer says %s but is not JSON (%s): %r"
                                    % (content_type, e, raw[:300])) from None
        return text
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as e:
        raise AnswerDecodeError("answer escapes a lone surrogate (%s): %r" % (e, raw[:300])) from None
    return value


# ------------------------------------------------------- test case base

class RelayTestCase(unittest.TestCase):
    """Starts a FakeTweettioc, the relay and nginx once per class.

    Subclasses set `relay_env` (extra environment for the relay), or
    override extra_env() / make_feed(). Tests use self.client (through
    nginx), self.fake (the upstream) and self.feed (what it serves)."""

    relay_env = {}
    relay_threads = 4
    fixture = FEED_200
    nginx_max_body = "64m"
    health_timeout = 15

    @classmethod
    def make_feed(cls):
        """The document the fake upstream serves (already rebased)."""
        return load_feed(cls.fixture)

    @classmethod
    def extra_env(cls):
        return dict(cls.relay_env)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeTweettioc(feed=cls.make_feed())
        cls.fake.start()
        cls.addClassCleanup(cls.fake.stop)
        env = {"RELAY_AUTH": "none", "TWEETTIOC_URL": cls.fake.url}
        env.update(cls.extra_env())
        cls.relay = Relay(env, threads=cls.relay_threads)
        cls.addClassCleanup(cls.relay.stop)
        cls.relay.start()
        cls.nginx = Nginx(cls.relay.upstream, max_body=cls.nginx_max_body)
        cls.addClassCleanup(cls.nginx.stop)
        cls.nginx.start()
        cls.client = Client(cls.nginx.port)
        cls.wait_healthy(cls.health_timeout)

    @classmethod
    def health(cls):
        try:
            return cls.client.post("/health", {})
        except OSError as e:
            return None, str(e), None

    @classmethod
    def wait_healthy(cls, timeout=15):
        """Polls POST /health until {"data": {"status": "ok"}}."""
        last = []

        def ok():
            status, body, _ = cls.health()
            last[:] = [status, body]
            return status == 200 and body == {"data": {"status": "ok"}}
        try:
            wait_for(ok, timeout, interval=0.1, what="POST /health to answer ok")
        except TimeoutError as e:
            raise AssertionError("%s; last answer: %r\n--- relay stderr ---\n%s"
                                 % (e, last, cls.relay.stderr()[-5000:])) from None

    @property
    def feed(self):
        return self.fake.feed

    def tearDown(self):
        if not self.nginx.alive():
            # Not the relay's fault: something outside the test (a `pkill
            # nginx` elsewhere on the machine) stopped our nginx. Restart it
            # so the rest of the class runs, and say so.
            log = self.nginx.log()
            self.nginx.restart()
            self.wait_healthy(self.health_timeout)
            self.fail("this test class's nginx exited during the test; its log:\n%s"
                      % log[-2000:])
        problem = self.relay.problems()
        if problem:
            # Restart so the rest of the class gets a chance, then fail this test.
            text = self.relay.stderr()
            self.relay.restart_after_crash()
            self.wait_healthy(self.health_timeout)
            self.fail("%s during this test\n--- relay stderr ---\n%s" % (problem, text[-20000:]))
        super().tearDown()

    # -- helpers for tests
    def post(self, path, body=b"", headers=None):
        return self.client.post(path, body, headers)

    def get(self, path, headers=None):
        return self.client.get(path, headers)

    def assert_relay_alive(self):
        """The relay still answers a normal request."""
        status, body, _ = self.post("/health", {})
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": {"status": "ok"}})
