"""fake_iroh.py: an in-process Cisco XDR API (IROH) over TLS for the register tests.

Serves what `securex-relay register` uses, the way visibility.amp.cisco.com
does (CiscoSecurity/tr-05-module-maker's calls):

    POST  /iroh/oauth2/token                   client credentials (HTTP basic,
                                               grant_type=client_credentials)
    GET   /iroh/iroh-int/module-type           the organisation's module types
    POST  /iroh/iroh-int/module-type           create: 201 with the new id
    PATCH /iroh/iroh-int/module-type/<id>      update

One API client (client_id, client_secret) is valid; a wrong one gets 401
{"error": "invalid_client"}. Calls without the token it issued get 401.
`scope_ok=False` makes the module-type calls 403 (a client without the
Integration scope). `echo_credentials=True` makes a refused client's
error_description quote the secret it sent (an API the command must not
trust to keep secrets out of its messages). Every request is recorded (method, path, headers, body)
so tests can check what arrived. TLS with a certificate from fake_jwks.Pki;
Python standard library only; loopback only.
"""

import base64
import json
import secrets
import ssl
import threading
import urllib.parse

from testkit import FakeHandler, FakeUpstream, TlsFakeServer

TOKEN_PATH = "/iroh/oauth2/token"
MODULE_TYPE_PATH = "/iroh/iroh-int/module-type"


class _Handler(FakeHandler):
    server_version = "FakeIroh/1.0"

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PATCH(self):
        self._handle("PATCH")

    def _handle(self, method):
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake._record(method, self.path, dict(self.headers.items()), body)
        status, answer = fake._answer(method, self.path, self.headers, body)
        self.send(status, answer if isinstance(answer, bytes) else json.dumps(answer).encode())


class FakeIroh(FakeUpstream):
    """https://localhost:<port>: give its `url` to the relay as XDR_API_URL."""

    handler = _Handler
    server_class = TlsFakeServer

    def __init__(self, cert, key, client_id, client_secret):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.scope_ok = True
        self.echo_credentials = False
        self.token = None
        self._lock = threading.Lock()
        self._requests = []
        self._module_types = {}  # id -> module type

    @property
    def url(self):
        return "https://localhost:%d" % self.port

    # -- what tests set and read
    def add_module_type(self, module_type):
        """Puts a module type in the organisation; returns its id."""
        with self._lock:
            mt_id = "mt-%s" % secrets.token_hex(8)
            self._module_types[mt_id] = dict(module_type, id=mt_id)
            return mt_id

    def module_types(self):
        with self._lock:
            return [dict(m) for m in self._module_types.values()]

    def clear(self):
        with self._lock:
            self._requests = []
            self._module_types = {}
            self.scope_ok = True
            self.echo_credentials = False

    def requests(self):
        with self._lock:
            return list(self._requests)

    # -- the server side
    def _record(self, method, path, headers, body):
        with self._lock:
            self._requests.append({"method": method, "path": path, "headers": headers,
                                   "body": body})

    @staticmethod
    def _basic(headers):
        auth = headers.get("Authorization") or ""
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, None
        return (user, password) if auth.startswith("Basic ") else (None, None)

    def _client_ok(self, headers, body):
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        return (self._basic(headers) == (self.client_id, self.client_secret)
                and form.get("grant_type") == ["client_credentials"])

    def _answer(self, method, path, headers, body):
        with self._lock:
            if path == TOKEN_PATH and method == "POST":
                if not self._client_ok(headers, body):
                    why = "Invalid client credentials"
                    if self.echo_credentials:
                        why += ": %s:%s" % self._basic(headers)
                    return 401, {"error": "invalid_client", "error_description": why}
                self.token = "tok-%s" % secrets.token_hex(16)
                return 200, {"access_token": self.token, "token_type": "bearer",
                             "expires_in": 600, "scope": "integration"}
            if not path.startswith(MODULE_TYPE_PATH):
                return 404, {"error": "not found"}
            if headers.get("Authorization") != "Bearer %s" % self.token or not self.token:
                return 401, {"error": "invalid_token"}
            if not self.scope_ok:
                return 403, {"error": "insufficient_scope"}
            rest = path[len(MODULE_TYPE_PATH):]
            if rest == "" and method == "GET":
                return 200, list(self._module_types.values())
            try:
                doc = json.loads(body)
            except ValueError:
                return 400, {"message": "the body is not JSON"}
            if not isinstance(doc, dict) or "title" not in doc:
                return 400, {"message": "a module type needs a title"}
            if rest == "" and method == "POST":
                mt_id = "mt-%s" % secrets.token_hex(8)
                self._module_types[mt_id] = dict(doc, id=mt_id)
                return 201, self._module_types[mt_id]
            mt_id = rest[1:]
            if method == "PATCH" and rest.startswith("/") and mt_id in self._module_types:
                self._module_types[mt_id].update(doc)
                return 200, self._module_types[mt_id]
            return 404, {"message": "no such module type"}
