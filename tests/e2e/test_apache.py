"""test_apache.py: the shipped Apache config (deploy/apache) really works.

A private apache2 (Debian's package, /usr/sbin/apache2) runs
deploy/apache/securex-relay.conf and securex-relay-limits.conf with only
their machine-specific parts replaced: the ports (127.0.0.1), the
certificate paths (a throw-away CA and a server certificate for
relay.example.com made with the openssl CLI) and the relay's socket path.
The modules loaded are exactly those the file's `a2enmod` line names, with
the dependencies a2enmod itself adds (the "# Depends:" lines of
/etc/apache2/mods-available/*.load), plus Debian's default MPM (mpm_event).
As on a Debian host with the default sites enabled, a default vhost comes
first on both ports, so the header limit is proven to work whatever the
order of the sites.

The relay runs with RELAY_AUTH=hs256 and RELAY_AUDIENCE behind the unix
socket, as under systemd.
"""

import grp
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import testkit
from harness import (REPO, FakeTweettioc, Relay, exchange, free_port, port_open,
                     read_logs, wait_for)

APACHE_DIR = REPO / "deploy" / "apache"
MODS_AVAILABLE = "/etc/apache2/mods-available"
HOST = "relay.example.com"
SECRET = "apache-test-secret-of-32-bytes-at-least"
AUDIENCE = "https://%s/relay/tweettioc" % HOST
# mod_proxy_fcgi encodes each variable into one FastCGI record of at most
# 16 KiB: 1 byte of name length + 4 of value length + "HTTP_AUTHORIZATION"
# (18) + the value <= 16384 (modules/proxy/mod_proxy_fcgi.c, send_environment).
FCGI_MAX_AUTHORIZATION = 16384 - 1 - 4 - len("HTTP_AUTHORIZATION")


def apache_binary():
    for candidate in (shutil.which("apache2"), "/usr/sbin/apache2"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def hs256_token(payload, header=None):
    """A token signed with this test's SECRET; `header` adds to the usual one."""
    return testkit.hs256_token(SECRET, payload, dict(testkit.HS256_HEADER, **(header or {})))


def valid_token(**extra):
    now = int(time.time())
    payload = {"aud": AUDIENCE, "iat": now, "exp": now + 600}
    payload.update(extra)
    return hs256_token(payload)


def token_of_length(n):
    """A valid token of exactly n characters: a padding claim sized to come
    close, then a header kid of 0-5 characters to land on n (base64url
    lengths skip every fourth value, the sum of two does not)."""
    now = int(time.time())
    payload = {"aud": AUDIENCE, "iat": now, "exp": now + 600, "padding": ""}
    base = len(hs256_token(payload, {"kid": ""}))
    first = max(0, (n - base) * 3 // 4 - 8)
    for pad in range(first, first + 24):
        payload["padding"] = "x" * pad
        for kid in range(6):
            tok = hs256_token(payload, {"kid": "k" * kid})
            if len(tok) == n:
                return tok
    raise AssertionError("no token of length %d" % n)


def a2enmod_modules(conf_text):
    """The module names of the `a2enmod` line in the file's header comment."""
    lines = re.findall(r"(?m)^#\s+a2enmod\s+(.+)$", conf_text)
    if len(lines) != 1:
        raise AssertionError("expected one `a2enmod` line in securex-relay.conf, got %r" % lines)
    return lines[0].split()


def with_dependencies(names):
    """names plus what a2enmod enables with them ("# Depends:" in the .load file)."""
    order, seen = [], set()

    def add(name):
        if name in seen:
            return
        seen.add(name)
        path = os.path.join(MODS_AVAILABLE, name + ".load")
        if not os.path.exists(path):
            raise AssertionError("a2enmod %s: no %s" % (name, path))
        with open(path) as f:
            for dep in re.findall(r"(?m)^# Depends:\s*(.+)$", f.read()):
                for d in dep.replace(",", " ").split():
                    add(d)
        order.append(name)
    for n in names:
        add(n)
    return order


def openssl(*args):
    r = subprocess.run(["openssl"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), r.stderr.decode()))


def make_certificates(prefix):
    """A test CA and a certificate for HOST signed by it; returns paths."""
    ca_key, ca_cert = os.path.join(prefix, "ca.key"), os.path.join(prefix, "ca.pem")
    key, csr = os.path.join(prefix, "server.key"), os.path.join(prefix, "server.csr")
    cert = os.path.join(prefix, "server.pem")
    ext = os.path.join(prefix, "server.ext")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=securex-relay test CA", "-keyout", ca_key, "-out", ca_cert)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + HOST,
            "-keyout", key, "-out", csr)
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n" % HOST)
    openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
            "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", cert)
    return ca_cert, cert, key


def render_site(prefix, http_port, https_port, socket_path, cert, key):
    """deploy/apache/securex-relay.conf with ports, certificates and socket replaced."""
    with open(APACHE_DIR / "securex-relay.conf") as f:
        site = f.read()
    replacements = [
        ("<VirtualHost *:80>", "<VirtualHost *:%d>" % http_port),
        ("<VirtualHost *:443>", "<VirtualHost *:%d>" % https_port),
        ("/etc/ssl/certs/relay.example.com.fullchain.pem", cert),
        ("/etc/ssl/private/relay.example.com.key", key),
        ("unix:/run/securex-relay/relay.sock|", "unix:%s|" % socket_path),
    ]
    for old, new in replacements:
        if old not in site:
            raise AssertionError("deploy/apache/securex-relay.conf changed: %r not found" % old)
        site = site.replace(old, new)
    path = os.path.join(prefix, "sites-enabled", "securex-relay.conf")
    with open(path, "w") as f:
        f.write(site)
    return path


def render_main(prefix, modules, http_port, https_port, cert, key):
    """A minimal apache2.conf shaped like Debian's: the MPM, the modules (with
    their Debian .conf), the conf-enabled snippet, a default vhost on each
    port first (000-default, default-ssl), then the site."""
    lines = [
        "ServerRoot %s" % prefix,
        "Define APACHE_RUN_DIR %s/run" % prefix,
        "Define APACHE_LOG_DIR %s/logs" % prefix,
        "Define APACHE_LOCK_DIR %s/lock" % prefix,
        "PidFile %s/run/apache2.pid" % prefix,
        "Mutex file:%s/lock default" % prefix,
        "ServerName localhost",
        "ErrorLog %s/logs/error.log" % prefix,
        "LogLevel warn",
        "Timeout 60",
        # from Debian's apache2.conf: the nicknames the site's CustomLog uses
        'LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined',
        'LogFormat "%h %l %u %t \\"%r\\" %>s %O" common',
        "Listen 127.0.0.1:%d" % http_port,
        "Listen 127.0.0.1:%d https" % https_port,
        "Include %s/mpm_event.load" % MODS_AVAILABLE,
        "StartServers 1",
        "ServerLimit 2",
        "ThreadsPerChild 16",
        "MaxRequestWorkers 32",
    ]
    if os.geteuid() == 0:
        lines += ["User www-data", "Group www-data"]
    for m in modules:
        lines.append("Include %s/%s.load" % (MODS_AVAILABLE, m))
        if os.path.exists(os.path.join(MODS_AVAILABLE, m + ".conf")):
            lines.append("Include %s/%s.conf" % (MODS_AVAILABLE, m))
    lines += [
        "IncludeOptional %s/conf-enabled/*.conf" % prefix,
        # Debian's 000-default and default-ssl, first for their address
        "<VirtualHost *:%d>" % http_port,
        "    ServerName default.invalid",
        "    DocumentRoot %s/htdocs" % prefix,
        "</VirtualHost>",
        "<VirtualHost *:%d>" % https_port,
        "    ServerName default.invalid",
        "    DocumentRoot %s/htdocs" % prefix,
        "    SSLEngine on",
        "    SSLCertificateFile %s" % cert,
        "    SSLCertificateKeyFile %s" % key,
        "</VirtualHost>",
        "IncludeOptional %s/sites-enabled/*.conf" % prefix,
    ]
    conf = os.path.join(prefix, "apache2.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    return conf


class Apache:
    """A private apache2 on two free loopback ports, in its own process group."""

    def __init__(self, socket_path, limits=True):
        self.socket_path = socket_path
        self.limits = limits
        self.proc = None
        self.prefix = tempfile.mkdtemp(prefix="apache-e2e-")
        os.chmod(self.prefix, 0o755)
        for d in ("run", "logs", "lock", "htdocs", "conf-enabled", "sites-enabled"):
            os.makedirs(os.path.join(self.prefix, d))
        self.ca, self.cert, self.key = make_certificates(self.prefix)
        with open(APACHE_DIR / "securex-relay.conf") as f:
            self.modules = with_dependencies(a2enmod_modules(f.read()))
        if limits:  # a2enconf securex-relay-limits
            shutil.copy(APACHE_DIR / "securex-relay-limits.conf",
                        os.path.join(self.prefix, "conf-enabled"))

    def _render(self):
        self.http_port, self.https_port = free_port(), free_port()
        render_site(self.prefix, self.http_port, self.https_port, self.socket_path,
                    self.cert, self.key)
        self.conf = render_main(self.prefix, self.modules, self.http_port, self.https_port,
                                self.cert, self.key)

    def command(self, *extra):
        return [apache_binary(), "-d", self.prefix, "-f", self.conf] + list(extra)

    def configtest(self):
        r = subprocess.run(self.command("-t"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
        return r.returncode, r.stdout.decode("utf-8", "replace")

    def start(self):
        """Starts apache2 -DFOREGROUND; new ports when one was taken meanwhile."""
        for attempt in range(3):
            self._render()
            rc, out = self.configtest()
            if rc != 0:
                raise AssertionError("apache2 -t on the shipped config failed:\n" + out)
            self._out = open(os.path.join(self.prefix, "apache.out"), "wb")
            self.proc = subprocess.Popen(self.command("-DFOREGROUND"), stdin=subprocess.DEVNULL,
                                         stdout=self._out, stderr=self._out,
                                         start_new_session=True)
            try:
                wait_for(lambda: self.proc.poll() is not None
                         or (port_open(self.http_port) and port_open(self.https_port)),
                         15, what="apache2 to listen")
            except TimeoutError:
                self.stop()
                raise
            if self.proc.poll() is None:
                return
            log = self.log()
            self.proc = None
            self._out.close()
            if "Address already in use" not in log or attempt == 2:
                raise AssertionError("apache2 exited at start-up:\n" + log)

    def log(self):
        return read_logs(self.prefix,
                         ("apache.out", "logs/error.log", "logs/securex-relay.error.log"))

    def stop(self):
        """SIGTERM to apache2's process group (it started it), SIGKILL after 10 s."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            except ProcessLookupError:
                pass
        # the children leave with the parent; anything left of the group goes
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._out.close()

    def cleanup(self):
        self.stop()
        if not os.environ.get("E2E_KEEP"):
            shutil.rmtree(self.prefix, ignore_errors=True)


@unittest.skipIf(apache_binary() is None,
                 "apache2 is not installed (scripts/deps.sh test installs it)")
class ProductionApacheTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeTweettioc()
        cls.fake.start()
        cls.addClassCleanup(cls.fake.stop)
        cls.relay = Relay({"RELAY_AUTH": "hs256", "RELAY_JWT_SECRET": SECRET,
                           "RELAY_AUDIENCE": AUDIENCE, "TWEETTIOC_URL": cls.fake.url},
                          unix_socket=True)
        # apache's children (www-data when run as root) reach the socket
        os.chmod(cls.relay.tmpdir, 0o711)
        cls.addClassCleanup(cls.relay.stop)
        cls.relay.start()
        # The relay creates its socket 0660: as docs/deploy-apache.md says, the front
        # end's user must be in the socket's group.
        if os.geteuid() == 0:
            os.chown(cls.relay.socket_path, -1, grp.getgrnam("www-data").gr_gid)
        cls.apache = Apache(cls.relay.socket_path)
        cls.addClassCleanup(cls.apache.cleanup)
        cls.apache.start()
        wait_for(lambda: cls.https("POST", "/relay/tweettioc/health", b"{}")[:2]
                 == (200, {"data": {"status": "ok"}}), 15, interval=0.1,
                 what="health ok through apache")

    @classmethod
    def https(cls, method, path, body=None, headers=None, source="127.0.0.1", token=None):
        """A call over TLS (certificate verified against the test CA, SNI
        relay.example.com) with a valid token unless `token` or headers say
        otherwise."""
        ctx = ssl.create_default_context(cafile=cls.apache.ca)
        conn = http.client.HTTPSConnection("127.0.0.1", cls.apache.https_port, context=ctx,
                                           timeout=30, source_address=(source, 0))
        # verify the certificate for HOST while connecting to 127.0.0.1
        conn.host = HOST
        conn._create_connection = lambda addr, *a, **k: socket.create_connection(
            ("127.0.0.1", cls.apache.https_port), *a, **k)
        hdrs = {"Host": HOST,
                "Authorization": "Bearer " + (token if token is not None else valid_token())}
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        return exchange(conn, method, path, body, hdrs)

    def tearDown(self):
        problem = self.relay.problems()
        if problem:
            self.fail("%s\n--- relay stderr ---\n%s" % (problem, self.relay.stderr()[-20000:]))
        if self.apache.proc is None or self.apache.proc.poll() is not None:
            self.fail("apache2 died:\n" + self.apache.log()[-20000:])

    def test_modules_are_the_a2enmod_line(self):
        """The a2enmod line names every module the file needs: apache2 -t with
        exactly those (and their Debian dependencies) passed in setUpClass;
        docs/deploy-apache.md gives the same line."""
        with open(APACHE_DIR / "securex-relay.conf") as f:
            named = a2enmod_modules(f.read())
        for m in ("ssl", "proxy", "proxy_fcgi", "rewrite", "headers", "authz_core",
                  "authz_host"):
            self.assertIn(m, named)
        with open(REPO / "docs" / "deploy-apache.md") as f:
            doc = f.read()
        line = "a2enmod " + " ".join(named)
        self.assertTrue(line in doc, "docs/deploy-apache.md does not give %r" % line)
        self.assertTrue("a2enconf securex-relay-limits" in doc,
                        "docs/deploy-apache.md does not enable securex-relay-limits")

    def test_each_named_module_is_needed(self):
        """Leave one module of the a2enmod line out (unless another one
        pulls it in): apache2 -t refuses the config. The line names nothing
        it does not need."""
        with open(APACHE_DIR / "securex-relay.conf") as f:
            named = a2enmod_modules(f.read())
        tested = 0
        for m in named:
            modules = with_dependencies([n for n in named if n != m])
            if m in modules:
                continue  # a dependency of another named module (proxy, authz_core)
            with self.subTest(left_out=m):
                conf = render_main(self.apache.prefix, modules, self.apache.http_port,
                                   self.apache.https_port, self.apache.cert, self.apache.key)
                try:
                    rc, out = self.apache.configtest()
                finally:
                    render_main(self.apache.prefix, self.apache.modules, self.apache.http_port,
                                self.apache.https_port, self.apache.cert, self.apache.key)
                self.assertEqual(conf, self.apache.conf)
                self.assertNotEqual(rc, 0, "apache2 -t passed without %s" % m)
                tested += 1
        self.assertGreaterEqual(tested, len(named) - 2)

    def test_tcp_example_is_valid(self):
        """The commented TCP ProxyPass line, swapped in, passes apache2 -t."""
        path = os.path.join(self.apache.prefix, "sites-enabled", "securex-relay.conf")
        with open(path) as f:
            site = f.read()
        m = re.search(r"(?m)^\s*#\s+(ProxyPass \"fcgi://127\.0\.0\.1:9000/relay/\".*)$", site)
        self.assertIsNotNone(m, "the TCP example is gone from securex-relay.conf")
        tcp = re.sub(r'(?m)^(\s*)ProxyPass "unix:[^\n]*$', lambda mm: mm.group(1) + m.group(1),
                     site)
        self.assertNotEqual(tcp, site)
        alt = os.path.join(self.apache.prefix, "tcp.conf")
        with open(alt, "w") as f:
            f.write(tcp)
        with open(self.apache.conf) as f:
            main = f.read().replace("%s/sites-enabled/*.conf" % self.apache.prefix, alt)
        alt_main = os.path.join(self.apache.prefix, "apache2-tcp.conf")
        with open(alt_main, "w") as f:
            f.write(main)
        r = subprocess.run([apache_binary(), "-d", self.apache.prefix, "-f", alt_main, "-t"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout.decode("utf-8", "replace"))

    def test_plain_http_redirects_to_https(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.apache.http_port, timeout=30)
        try:
            conn.request("POST", "/relay/tweettioc/health", b"{}", {"Host": HOST})
            resp = conn.getresponse()
            resp.read()
        finally:
            conn.close()
        self.assertEqual(resp.status, 301)
        self.assertEqual(resp.headers["Location"], "https://%s/relay/tweettioc/health" % HOST)

    def test_health_over_tls(self):
        status, body, headers = self.https("POST", "/relay/tweettioc/health", b"{}")
        self.assertEqual((status, body), (200, {"data": {"status": "ok"}}))
        self.assertIn("max-age", headers.get("Strict-Transport-Security", ""))

    def test_deliberate_with_a_token(self):
        feed = self.fake.feed
        ip = next(it["ip"][0] for it in feed if it.get("ip"))
        status, body, _ = self.https("POST", "/relay/tweettioc/deliberate/observables",
                                     json.dumps([{"type": "ip", "value": ip}]).encode(),
                                     {"Content-Type": "application/json"})
        self.assertEqual(status, 200, body)
        self.assertNotIn("errors", body)
        docs = body["data"]["verdicts"]["docs"]
        self.assertEqual([(d["observable"]["value"], d["disposition"]) for d in docs], [(ip, 3)])

    def test_authorization_header_is_passed(self):
        """Without CGIPassAuth the relay would say the header is missing; a
        wrong token is refused for what it is, no token for being absent."""
        status, body, _ = self.https("POST", "/relay/tweettioc/health", b"{}",
                                     token=hs256_token({"aud": "https://other/tweettioc",
                                                        "exp": int(time.time()) + 600}))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["errors"][0]["code"], "authorization error")
        self.assertNotIn("missing", body["errors"][0]["message"])
        status, body, _ = self.https("POST", "/relay/tweettioc/health", b"{}",
                                     headers={"Authorization": None})
        self.assertEqual(body["errors"][0]["message"],
                         "Authorization failed: Authorization header is missing")

    def test_largest_token_that_gets_through(self):
        """An Authorization value of exactly 16,361 bytes is served; one byte
        more is dropped by mod_proxy_fcgi and answered as a missing header
        (an auth error, not a crash or a 5xx)."""
        largest = token_of_length(FCGI_MAX_AUTHORIZATION - len("Bearer "))
        status, body, _ = self.https("POST", "/relay/tweettioc/health", b"{}", token=largest)
        self.assertEqual((status, body), (200, {"data": {"status": "ok"}}))
        over = token_of_length(FCGI_MAX_AUTHORIZATION - len("Bearer ") + 1)
        status, body, _ = self.https("POST", "/relay/tweettioc/health", b"{}", token=over)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["errors"][0]["code"], "authorization error")
        self.assertEqual(body["errors"][0]["message"],
                         "Authorization failed: Authorization header is missing")
        self.assertIn("AH02536", self.apache.log())

    def test_large_headers_pass_behind_a_default_vhost(self):
        """12 KB headers: LimitRequestFieldSize from the conf-available
        snippet applies although default-ssl is the first vhost."""
        status, body, _ = self.https("POST", "/relay/tweettioc/health", b"{}",
                                     headers={"X-Padding": "y" * 12000})
        self.assertEqual((status, body), (200, {"data": {"status": "ok"}}))

    def test_metrics_only_from_localhost(self):
        status, body, _ = self.https("GET", "/relay/metrics")
        self.assertEqual(status, 200, body)
        self.assertIn("relay_", body if isinstance(body, str) else "")
        status, _, _ = self.https("GET", "/relay/metrics", source="127.0.0.2")
        self.assertEqual(status, 403)
        status, _, _ = self.https("GET", "/relay/metrics/", source="127.0.0.2")
        self.assertEqual(status, 403)
        status, body, _ = self.https("POST", "/relay/tweettioc/health", b"{}",
                                     source="127.0.0.2")
        self.assertEqual((status, body), (200, {"data": {"status": "ok"}}))

    def test_body_over_one_mib_is_refused_by_apache(self):
        status, _, _ = self.https("POST", "/relay/tweettioc/deliberate/observables",
                                  b"[" + b" " * (1024 * 1024 + 10) + b"]")
        self.assertEqual(status, 413)


if __name__ == "__main__":
    unittest.main()
