"""test_deploy.py: the production nginx config (deploy/nginx) really works.

deploy/nginx/securex-relay.conf and securex-relay-fastcgi.conf are rendered
with only their machine-specific parts replaced (ports on 127.0.0.1, a
throw-away certificate, temp paths), in front of the relay listening on a
unix socket as under systemd: TLS, the http->https redirect, the FastCGI
params (HTTPS, DOCUMENT_URI, Host), 16 KiB headers, the 1 MiB body limit,
/metrics for localhost only. The relay runs with RELAY_AUTH=hs256 and
RELAY_PUBLIC_URL=https://<HOST>: the token audience is that URL's, whatever
Host or location prefix the request came with.
"""

import base64
import hashlib
import hmac
import http.client
import json
import time
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import unittest

from harness import (REPO, Client, FakeTweettioc, Relay, decode_body, free_port, nginx_binary,
                     port_open, wait_for)

DEPLOY = REPO / "deploy" / "nginx"
HOST = "relay.example.com"
SECRET = "deploy-test-secret"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_token(payload):
    signing_input = "%s.%s" % (b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()),
                               b64url(json.dumps(payload).encode()))
    sig = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(sig)


PUBLIC_URL = "https://%s" % HOST


def audience_for(path):
    """The module URL the relay must expect for `path`: RELAY_PUBLIC_URL's."""
    return PUBLIC_URL + ("/tweettioc" if re.search(r"/tweettioc(/|$)", path) else "")


def render_production(prefix, http_port, https_port, upstream):
    """deploy/nginx/securex-relay.conf made runnable in `prefix`."""
    os.makedirs(os.path.join(prefix, "snippets"))
    os.makedirs(os.path.join(prefix, "logs"))
    shutil.copy(DEPLOY / "securex-relay-fastcgi.conf", os.path.join(prefix, "snippets"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=" + HOST, "-keyout", os.path.join(prefix, "key.pem"),
                    "-out", os.path.join(prefix, "cert.pem")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(DEPLOY / "securex-relay.conf") as f:
        site = f.read()
    replacements = [
        ("/etc/nginx/snippets/", prefix + "/snippets/"),
        ("/etc/ssl/certs/relay.example.com.fullchain.pem", prefix + "/cert.pem"),
        ("/etc/ssl/private/relay.example.com.key", prefix + "/key.pem"),
        ("/var/log/nginx/", prefix + "/logs/"),
        ("unix:/run/securex-relay/relay.sock", upstream),
        ("listen 80;", "listen 127.0.0.1:%d;" % http_port),
        ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % https_port),
    ]
    for old, new in replacements:
        if old not in site:
            raise AssertionError("deploy config changed: %r not found" % old)
        site = site.replace(old, new)
    site = re.sub(r"(?m)^\s*listen \[::\].*$", "", site)  # no IPv6 needed on loopback
    with open(os.path.join(prefix, "site.conf"), "w") as f:
        f.write(site)
    main = """%s
daemon off;
master_process off;
pid %s/nginx.pid;
error_log %s/error.log info;
events { worker_connections 256; }
http {
    client_body_temp_path %s/client_body_temp;
    fastcgi_temp_path %s/fastcgi_temp;
    proxy_temp_path %s/proxy_temp;
    include %s/site.conf;
}
""" % ("user root;" if os.geteuid() == 0 else "", prefix, prefix, prefix, prefix, prefix, prefix)
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(main)
    return conf


class ProductionNginxTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeTweettioc()
        cls.fake.start()
        cls.addClassCleanup(cls.fake.stop)
        cls.relay = Relay({"RELAY_AUTH": "hs256", "RELAY_JWT_SECRET": SECRET,
                           "RELAY_PUBLIC_URL": PUBLIC_URL,
                           "TWEETTIOC_URL": cls.fake.url}, unix_socket=True)
        cls.addClassCleanup(cls.relay.stop)
        cls.relay.start()
        cls.prefix = tempfile.mkdtemp(prefix="nginx-prod-")
        cls.addClassCleanup(shutil.rmtree, cls.prefix, True)
        cls.http_port, cls.https_port = free_port(), free_port()
        conf = render_production(cls.prefix, cls.http_port, cls.https_port, cls.relay.upstream)
        cmd = [nginx_binary(), "-p", cls.prefix + "/", "-c", conf, "-e", cls.prefix + "/error.log"]
        check = subprocess.run(cmd + ["-t"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if check.returncode != 0:
            raise AssertionError("nginx -t on the production config failed:\n"
                                 + check.stdout.decode())
        cls.nginx = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        cls.addClassCleanup(cls._stop_nginx)
        wait_for(lambda: port_open(cls.https_port) and port_open(cls.http_port), 10,
                 what="production nginx")
        wait_for(lambda: cls.https("POST", "/tweettioc/health", b"{}")[1]
                 == {"data": {"status": "ok"}}, 15, interval=0.1, what="health ok over TLS")

    @classmethod
    def _stop_nginx(cls):
        if cls.nginx.poll() is None:
            cls.nginx.send_signal(signal.SIGQUIT)
            try:
                cls.nginx.wait(10)
            except subprocess.TimeoutExpired:
                cls.nginx.kill()
                cls.nginx.wait()

    @classmethod
    def https(cls, method, path, body=None, headers=None, source="127.0.0.1", aud=None):
        """A call over TLS with a valid token for `path` (or audience `aud`)."""
        ctx = ssl.create_default_context(cafile=os.path.join(cls.prefix, "cert.pem"))
        ctx.check_hostname = False  # connecting to 127.0.0.1, certificate for HOST
        conn = http.client.HTTPSConnection("127.0.0.1", cls.https_port, context=ctx, timeout=30,
                                           source_address=(source, 0))
        try:
            now = int(time.time())
            token = hs256_token({"aud": aud or audience_for(path), "iat": now,
                                 "exp": now + 600})
            hdrs = {"Host": HOST, "Authorization": "Bearer " + token}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, decode_body(resp.read()), resp.headers
        finally:
            conn.close()

    def tearDown(self):
        problem = self.relay.problems()
        if problem:
            self.fail("%s\n--- relay stderr ---\n%s" % (problem, self.relay.stderr()[-20000:]))

    def test_plain_http_redirects_to_https(self):
        status, _, headers = Client(self.http_port).request(
            "POST", "/tweettioc/health", b"{}", {"Host": HOST})
        self.assertEqual(status, 301)
        self.assertEqual(headers["Location"], "https://%s/tweettioc/health" % HOST)

    def test_health_over_tls_through_the_unix_socket(self):
        status, body, headers = self.https("POST", "/tweettioc/health", b"{}")
        self.assertEqual((status, body), (200, {"data": {"status": "ok"}}))
        self.assertIn("max-age", headers.get("Strict-Transport-Security", ""))

    def test_prefixed_location_is_routed(self):
        status, body, _ = self.https("POST", "/relay/tweettioc/health", b"{}")
        self.assertEqual((status, body), (200, {"data": {"status": "ok"}}))

    def test_audience_is_the_configured_public_url(self):
        """aud must be RELAY_PUBLIC_URL/<module>, whatever Host nginx passes."""
        status, body, _ = self.https("POST", "/tweettioc/health", b"{}")
        self.assertEqual((status, body), (200, {"data": {"status": "ok"}}))
        status, body, _ = self.https("POST", "/tweettioc/health", b"{}",
                                     {"Host": "attacker.example"})
        self.assertEqual((status, body), (200, {"data": {"status": "ok"}}))
        for aud in ("http://%s/tweettioc" % HOST, "https://127.0.0.1/tweettioc",
                    "https://%s/cybercrime" % HOST, "https://%s/relay/tweettioc" % HOST):
            with self.subTest(aud=aud):
                status, body, _ = self.https("POST", "/tweettioc/health", b"{}", aud=aud)
                self.assertEqual(status, 200, body)
                self.assertEqual(body["errors"][0]["message"],
                                 "Authorization failed: Wrong configuration-token-audience")

    def test_sixteen_kib_headers_get_through(self):
        now = int(time.time())
        token = hs256_token({"aud": audience_for("/tweettioc/health"), "exp": now + 600,
                             "padding": "x" * 12000})
        self.assertGreater(len(token), 16000)
        status, body, _ = self.https("POST", "/tweettioc/health", b"{}",
                                     {"Authorization": "Bearer " + token,
                                      "X-Padding": "y" * 16000})
        self.assertEqual((status, body), (200, {"data": {"status": "ok"}}))

    def test_body_over_one_mib_is_refused_by_nginx(self):
        status, _, _ = self.https("POST", "/tweettioc/deliberate/observables",
                                  b"[" + b" " * (1024 * 1024 + 10) + b"]")
        self.assertEqual(status, 413)

    def test_metrics_only_from_localhost(self):
        status, body, _ = self.https("GET", "/metrics")
        self.assertEqual(status, 200, body)
        status, _, _ = self.https("GET", "/metrics", source="127.0.0.2")
        self.assertEqual(status, 403)
        status, _, _ = self.https("GET", "/relay/metrics", source="127.0.0.2")
        self.assertEqual(status, 403)
        status, body, _ = self.https("POST", "/tweettioc/health", b"{}", source="127.0.0.2")
        self.assertEqual((status, body), (200, {"data": {"status": "ok"}}))

    def test_version_and_watchdog(self):
        status, body, _ = self.https("POST", "/version", b"")
        self.assertEqual(status, 200, body)
        self.assertIn("version", body)
        status, body, _ = self.https("GET", "/watchdog", headers={"Health-Check": "tls"})
        self.assertEqual((status, body), (200, {"data": "tls"}))


if __name__ == "__main__":
    unittest.main()
