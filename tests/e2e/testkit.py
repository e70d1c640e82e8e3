"""testkit.py: what the end-to-end tests and their fake upstreams share.

base64url and HS256 token minting (the relay's hs256 mode, and JWTs built
by hand for the auth tests), a free loopback port, and the base of every
in-process fake HTTP upstream: FakeHandler (HTTP/1.0, silent, answers that
survive a client that hung up), FakeServer and FakeUpstream (start on a
fixed port, also again after stop(), and stop). tests/container/check_pod.py
imports it too. Python standard library only; loopback only.
"""

import base64
import errno
import hashlib
import hmac
import http.server
import json
import socket
import ssl
import threading
import time

HS256_HEADER = {"alg": "HS256", "typ": "JWT"}


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(data):
    """base64url without padding (RFC 7515 section 2) of bytes or text."""
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def json_part(obj):
    """A token part: bytes or text as they are, anything else as compact JSON."""
    if isinstance(obj, (bytes, str)):
        return b64url(obj)
    return b64url(json.dumps(obj, separators=(",", ":")))


def hs256_token(secret, payload, header=None):
    """A compact JWS of `payload` signed with HMAC-SHA256 under `secret` (text
    or bytes). `header` replaces {"alg": "HS256", "typ": "JWT"} when given."""
    if isinstance(secret, str):
        secret = secret.encode()
    signing_input = "%s.%s" % (json_part(HS256_HEADER if header is None else header),
                               json_part(payload))
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return "%s.%s" % (signing_input, b64url(mac))


# ------------------------------------------------------- fake upstreams

class FakeHandler(http.server.BaseHTTPRequestHandler):
    """Base of the fakes' request handlers. HTTP/1.0: one request per
    connection, so a stopped fake really refuses the relay's next call and
    concurrency shows up as concurrent connections. self.server.fake is the
    FakeUpstream that owns the server."""

    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def send(self, status, body, headers=None, content_type="application/json"):
        """Answers `status` with `body` (bytes); a client that already hung up
        (the relay gave up: its timeout, which some tests want) is no error."""
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.sent(len(body))
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def sent(self, n):
        """Called with the body size after each complete answer."""


class FakeServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class TlsFakeServer(FakeServer):
    """A FakeServer speaking TLS with its fake's `context` (an
    ssl.SSLContext); the fake's _connected(), when it has one, counts TCP
    accepts."""

    def get_request(self):
        sock, addr = self.socket.accept()
        connected = getattr(self.fake, "_connected", None)
        if connected:
            connected()
        # The handshake happens on the handler's first read, in its thread,
        # so a client that fails TLS cannot block the accept loop.
        return self.fake.context.wrap_socket(sock, server_side=True,
                                             do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass  # failed handshakes are expected in some tests


class FakeUpstream:
    """An in-process server on 127.0.0.1:<port> (a free one unless given).
    Subclasses set `handler` (a FakeHandler) and may set `server_class`."""

    handler = FakeHandler
    server_class = FakeServer

    def __init__(self, port=None):
        self.port = port or free_port()
        self._server = None
        self._thread = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def running(self):
        return self._server is not None

    def start(self):
        """Listens and serves in a thread; on the same port again after stop()
        (waiting out TIME_WAIT and races for up to 10 s). Returns self."""
        if self._server is not None:
            return self
        deadline = time.monotonic() + 10
        while True:
            try:
                self._server = self.server_class(("127.0.0.1", self.port), self.handler)
                break
            except OSError as e:
                if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Closes the listening socket: the relay then gets connection refused."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._server = None
        self._thread = None
