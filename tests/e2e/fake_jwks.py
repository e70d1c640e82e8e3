"""fake_jwks.py: a local HTTPS JWKS host, a test PKI and RS256 signing, all made at test time.

TestPki makes a throw-away CA and a server certificate for localhost /
127.0.0.1 with the `openssl` CLI in a temp dir, and RSA signing keys whose
public half it can publish as a JWK. FakeJwks is an HTTPS server (Python's
ssl module) serving GET /.well-known/jwks; it counts TCP connections and
HTTP requests so tests can prove that a host received nothing, and can
answer every request with a redirect instead (redirect_to). Tokens are
signed with `openssl dgst -sha256 -sign` (the Python standard library has no
RSA). Nothing here is committed key material: every key dies with its temp
dir.
"""

import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time

from testkit import FakeHandler, FakeUpstream, TlsFakeServer, b64url, json_part


def openssl(*args, stdin=None):
    """Runs the openssl CLI; returns stdout bytes, raises with stderr on failure."""
    r = subprocess.run(["openssl"] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout


class SigningKey:
    """An RSA key pair made with `openssl genpkey`, with its JWK and PEM."""

    def __init__(self, path):
        self.path = path
        modulus = openssl("rsa", "-in", path, "-noout", "-modulus").decode().strip()
        self.n = int(modulus.split("=", 1)[1], 16)
        text = openssl("rsa", "-in", path, "-noout", "-text").decode()
        line = next(l for l in text.splitlines() if l.startswith("publicExponent:"))
        self.e = int(line.split()[1])
        self.public_pem = openssl("rsa", "-in", path, "-pubout")
        self.public_der = openssl("rsa", "-in", path, "-pubout", "-outform", "DER")

    def jwk(self, kid):
        def enc(i):
            return b64url(i.to_bytes((i.bit_length() + 7) // 8, "big"))
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": enc(self.n), "e": enc(self.e)}

    def sign(self, data):
        return openssl("dgst", "-sha256", "-sign", self.path, stdin=data)


def token_rs256(key, payload, kid="k1", header=None):
    """A compact JWS signed by `key` (a SigningKey) with RS256."""
    hdr = header if header is not None else {"alg": "RS256", "typ": "JWT", "kid": kid}
    if header is None and kid is None:
        del hdr["kid"]
    signing_input = "%s.%s" % (json_part(hdr), json_part(payload))
    return "%s.%s" % (signing_input, b64url(key.sign(signing_input.encode())))


def token_unsigned(payload, header=None):
    hdr = header if header is not None else {"alg": "none", "typ": "JWT", "kid": "k1"}
    return "%s.%s." % (json_part(hdr), json_part(payload))


class Pki:
    """A temp dir with a CA and a localhost server certificate signed by it.

    ca_pem: the CA certificate (give it to the relay as RELAY_CA_FILE);
    server_cert / server_key: for FakeJwks. another_ca() makes an unrelated
    CA + certificate, for a server the relay must not trust."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="relay-pki-")
        self.ca_pem, self.ca_key = self._ca("ca")
        self.server_cert, self.server_key = self._server("server", self.ca_pem, self.ca_key)

    def path(self, name):
        return os.path.join(self.dir, name)

    def _ca(self, name):
        pem, key = self.path(name + ".pem"), self.path(name + ".key")
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", pem,
                "-days", "2", "-subj", "/CN=securex-relay test CA %s" % name,
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return pem, key

    def _server(self, name, ca_pem, ca_key):
        key, csr, cert = (self.path(name + ext) for ext in (".key", ".csr", ".pem"))
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
                "-subj", "/CN=localhost")
        openssl("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
                "-out", cert, "-days", "2", "-extfile", ext)
        return cert, key

    def another_ca(self, name="untrusted"):
        """(cert, key) for localhost signed by a CA the relay does not know."""
        ca_pem, ca_key = self._ca(name + "-ca")
        return self._server(name, ca_pem, ca_key)

    def signing_key(self, name):
        path = self.path(name + ".key")
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path)
        return SigningKey(path)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class _JwksHandler(FakeHandler):
    server_version = "FakeJwks/1.0"

    def do_GET(self):
        fake = self.server.fake
        body = fake._record(self.path)
        if fake.redirect_to:
            self.send(302, b"", {"Location": fake.redirect_to})
        elif self.path.split("?", 1)[0] != "/.well-known/jwks":
            self.send(404, b'{"error": "not found"}')
        else:
            self.send(200, body)


class FakeJwks(FakeUpstream):
    """An HTTPS JWKS host on 127.0.0.1:<port> (reach it as localhost:<port>).

    `keys` is a list of JWK dicts served as {"keys": [...]} at
    /.well-known/jwks; set_keys() changes them (a key rotation). connections()
    and requests() count what arrived (TCP accepts, HTTP requests by path);
    last_download() says when the key set was last asked for.
    With `redirect_to` (a URL) every request gets a 302 to it instead."""

    handler = _JwksHandler
    server_class = TlsFakeServer

    def __init__(self, cert, key, keys=(), port=None, redirect_to=None):
        super().__init__(port)
        self.redirect_to = redirect_to
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self._lock = threading.Lock()
        self._connections = 0
        self._requests = {}
        self._last_download = None
        self.set_keys(keys)

    @property
    def host(self):
        return "localhost:%d" % self.port

    @property
    def url(self):
        return "https://%s" % self.host

    @property
    def jwks_url(self):
        return "https://%s/.well-known/jwks" % self.host

    def set_keys(self, keys):
        with self._lock:
            self._body = json.dumps({"keys": list(keys)}).encode()

    def _connected(self):
        with self._lock:
            self._connections += 1

    def _record(self, path):
        with self._lock:
            self._requests[path] = self._requests.get(path, 0) + 1
            if path.split("?", 1)[0] == "/.well-known/jwks":
                self._last_download = time.monotonic()
            return self._body

    def connections(self):
        with self._lock:
            return self._connections

    def requests(self, path=None):
        """Requests for `path`, or for any path when None."""
        with self._lock:
            if path is None:
                return sum(self._requests.values())
            return self._requests.get(path, 0)

    def downloads(self):
        return self.requests("/.well-known/jwks")

    def last_download(self):
        """time.monotonic() of the last GET of the key set (the relay's clock
        too: both are CLOCK_MONOTONIC), or None."""
        with self._lock:
            return self._last_download

