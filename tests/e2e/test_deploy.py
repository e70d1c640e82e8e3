"""test_deploy.py: the production nginx config (deploy/nginx) really works,
and the systemd units (deploy/systemd) are valid and say what they must.

deploy/nginx/securex-relay.conf and securex-relay-fastcgi.conf are rendered
with only their machine-specific parts replaced (ports on 127.0.0.1, a
throw-away certificate, temp paths), in front of the relay listening on a
unix socket as under systemd: TLS, the http->https redirect, the FastCGI
params (HTTPS, DOCUMENT_URI, Host), 16 KiB headers, the 1 MiB body limit,
/metrics for localhost only. The relay runs with RELAY_AUTH=hs256 and
RELAY_PUBLIC_URL=https://<HOST>: the token audience is that URL's, whatever
Host or location prefix the request came with.

DeploySystemdUnitsTest runs `systemd-analyze verify` on every unit (the
plain pair and instances of the templated pair). verify refuses a unit
whose ExecStart binary does not exist, so the units are copied to a temp
dir with /usr/local/bin/securex-relay replaced by $RELAY_BIN; nothing else
changes. verify needs no running systemd (it works in a container).
"""

import http.client
import time
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import unittest

import testkit
from harness import (FIXTURES, REPO, Client, FakeTweettioc, Nginx, Relay, RelayTestCase,
                     exchange, free_port, nginx_binary, port_open, relay_bin,
                     wait_for)

DEPLOY = REPO / "deploy" / "nginx"
SYSTEMD = REPO / "deploy" / "systemd"
HOST = "relay.example.com"
SECRET = "deploy-test-secret-of-32-bytes-at-least"


def hs256_token(payload):
    return testkit.hs256_token(SECRET, payload)


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
        now = int(time.time())
        token = hs256_token({"aud": aud or audience_for(path), "iat": now, "exp": now + 600})
        hdrs = {"Host": HOST, "Authorization": "Bearer " + token}
        hdrs.update(headers or {})
        return exchange(conn, method, path, body, hdrs)

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

    def test_ready_only_from_localhost(self):
        status, body, _ = self.https("GET", "/ready")
        self.assertEqual((status, body), (200, {"ready": True}))
        for path in ("/ready", "/relay/ready", "/tweettioc/ready/"):
            status, _, _ = self.https("GET", path, source="127.0.0.2")
            self.assertEqual(status, 403, path)

    def test_version_and_watchdog(self):
        status, body, _ = self.https("POST", "/version", b"")
        self.assertEqual(status, 200, body)
        self.assertIn("version", body)
        status, body, _ = self.https("GET", "/watchdog", headers={"Health-Check": "tls"})
        self.assertEqual((status, body), (200, {"data": "tls"}))


def unit_entries(path):
    """[(section, key, value)] of a systemd unit file, in order."""
    entries, section = [], None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            entries.append((section, key.strip(), value.strip()))
    return entries


def unit_values(path, section, key):
    return [v for s, k, v in unit_entries(path) if s == section and k == key]


def config_default(name):
    """The default of a numeric setting, from the settings table that declares
    it: src/config.c (the shared RELAY_* ones) or src/modules/*/settings.c."""
    tables = [REPO / "src" / "config.c"] + sorted((REPO / "src" / "modules").glob("*/settings.c"))
    for path in tables:
        with open(path) as f:
            m = re.search(r'SETTING_(?:LONG|SIZE)\(\s*"%s",\s*[^,]+,\s*[^,]+,\s*(\d+)\s*,'
                          % name, f.read())
        if m:
            return int(m.group(1))
    raise AssertionError("no SETTING_LONG/SETTING_SIZE row for %s in %s"
                         % (name, ", ".join(str(p) for p in tables)))


class DeploySystemdUnitsTest(unittest.TestCase):
    UNITS = ("securex-relay.socket", "securex-relay.service",
             "securex-relay@.socket", "securex-relay@.service")

    def verify(self, *names, binary=None):
        """systemd-analyze verify on `names` (instances allowed) in a temp copy of
        deploy/systemd with ExecStart pointing at the built relay; (rc, output)."""
        if not shutil.which("systemd-analyze"):
            self.fail("systemd-analyze not installed (scripts/deps.sh test installs systemd)")
        binary = binary or relay_bin()
        tmp = tempfile.mkdtemp(prefix="systemd-verify-")
        self.addCleanup(shutil.rmtree, tmp, True)
        for unit in self.UNITS:
            with open(SYSTEMD / unit) as f:
                text = f.read()
            if "ExecStart=/usr/local/bin/securex-relay " not in text and unit.endswith("service"):
                self.fail("%s: ExecStart is no longer /usr/local/bin/securex-relay" % unit)
            with open(os.path.join(tmp, unit), "w") as f:
                f.write(text.replace("/usr/local/bin/securex-relay", binary))
        r = subprocess.run(["systemd-analyze", "verify", "--man=no"]
                           + [os.path.join(tmp, n) for n in names],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return r.returncode, r.stdout.decode("utf-8", "replace")

    def test_systemd_analyze_verify_is_clean(self):
        """rc 0 and not one warning (unknown keys, bad dependencies only warn)."""
        self.assertTrue(os.access(relay_bin(), os.X_OK), "relay binary %s missing" % relay_bin())
        for names in (("securex-relay.socket", "securex-relay.service"),
                      ("securex-relay@1.socket", "securex-relay@1.service"),
                      ("securex-relay@2.socket", "securex-relay@2.service")):
            with self.subTest(units=names):
                rc, out = self.verify(*names)
                self.assertEqual((rc, out), (0, ""))

    def test_verify_can_fail(self):
        """The check above is not vacuous: a missing ExecStart binary fails it."""
        rc, out = self.verify("securex-relay.socket", "securex-relay.service",
                              binary="/nonexistent/securex-relay")
        self.assertNotEqual(rc, 0)
        self.assertIn("/nonexistent/securex-relay", out)

    def test_socket_outlives_the_service(self):
        """No PartOf/BindsTo: a stop, restart or crash of the relay keeps the socket."""
        for unit in ("securex-relay.socket", "securex-relay@.socket"):
            for key in ("PartOf", "BindsTo"):
                with self.subTest(unit=unit, key=key):
                    self.assertEqual(unit_values(SYSTEMD / unit, "Unit", key), [])
            self.assertEqual(unit_values(SYSTEMD / unit, "Socket", "Accept"), ["no"])
        for unit in ("securex-relay.service", "securex-relay@.service"):
            with self.subTest(unit=unit):
                self.assertEqual(unit_values(SYSTEMD / unit, "Service", "StandardInput"),
                                 ["socket"])
                self.assertEqual(unit_values(SYSTEMD / unit, "Service", "Restart"),
                                 ["on-failure"])

    def test_stop_timeout_covers_the_longest_request(self):
        """A key download (RELAY_UPSTREAM_TIMEOUT_MS) then lookups
        (RELAY_REQUEST_DEADLINE_MS), with the defaults of src/config.c."""
        longest = (config_default("RELAY_UPSTREAM_TIMEOUT_MS")
                   + config_default("RELAY_REQUEST_DEADLINE_MS")) / 1000.0
        for unit in ("securex-relay.service", "securex-relay@.service"):
            with self.subTest(unit=unit):
                values = unit_values(SYSTEMD / unit, "Service", "TimeoutStopSec")
                self.assertEqual(len(values), 1, values)
                self.assertRegex(values[0], r"^\d+$")
                self.assertGreater(int(values[0]), longest)
                self.assertEqual(unit_values(SYSTEMD / unit, "Service", "KillSignal"),
                                 ["SIGTERM"])

    def test_reload_is_sighup(self):
        for unit in ("securex-relay.service", "securex-relay@.service"):
            with self.subTest(unit=unit):
                self.assertEqual(unit_values(SYSTEMD / unit, "Service", "ExecReload"),
                                 ["/bin/kill -HUP $MAINPID"])

    def test_instances_match_the_nginx_pool(self):
        """securex-relay@N.socket listens where securex-relay-pool.conf's
        servers connect, and securex-relay@N.service belongs to it."""
        with open(DEPLOY / "securex-relay-pool.conf") as f:
            servers = re.findall(r"(?m)^\s*server unix:(\S+)", f.read())
        self.assertGreaterEqual(len(servers), 2, servers)
        listen = unit_values(SYSTEMD / "securex-relay@.socket", "Socket", "ListenStream")
        self.assertEqual(len(listen), 1, listen)
        pattern = re.escape(listen[0]).replace("%i", "(.+)")
        for path in servers:
            with self.subTest(server=path):
                m = re.fullmatch(pattern, path)
                self.assertIsNotNone(m, "%s is not an instance of %s" % (path, listen[0]))
        service = SYSTEMD / "securex-relay@.service"
        self.assertEqual(unit_values(service, "Unit", "Requires"), ["securex-relay@%i.socket"])
        self.assertIn("securex-relay@%i.socket", unit_values(service, "Unit", "After")[0])
        # one state directory per instance: they share nothing
        self.assertEqual(unit_values(service, "Service", "StateDirectory"),
                         ["securex-relay-%i"])

    def test_template_service_follows_the_plain_one(self):
        """Every [Service] setting of securex-relay.service is in
        securex-relay@.service with the same value (MemoryMax, sandboxing, ...),
        except the per-instance ones."""
        per_instance = {"StateDirectory", "EnvironmentFile"}
        plain = [(k, v) for s, k, v in unit_entries(SYSTEMD / "securex-relay.service")
                 if s == "Service" and k not in per_instance]
        template = [(k, v) for s, k, v in unit_entries(SYSTEMD / "securex-relay@.service")
                    if s == "Service" and k not in per_instance]
        self.assertEqual(template, plain,
                         "securex-relay@.service drifted from securex-relay.service: "
                         "copy the change over")
        self.assertEqual(
            unit_values(SYSTEMD / "securex-relay@.service", "Service", "EnvironmentFile"),
            ["-/etc/securex-relay/relay.env", "-/etc/securex-relay/relay-%i.env"])
        for a, b in (("securex-relay.socket", "securex-relay@.socket"),):
            self.assertEqual(
                [(k, v) for s, k, v in unit_entries(SYSTEMD / a) if s == "Socket"
                 and k != "ListenStream"],
                [(k, v) for s, k, v in unit_entries(SYSTEMD / b) if s == "Socket"
                 and k != "ListenStream"])

    def test_memory_max_follows_from_the_byte_cap(self):
        """MemoryMax = 4 x TWEETTIOC_MAX_BYTES + 64M, the one rule: each copy
        with its index is held to the memory budget 2 x cap + 2 MiB
        (include/modules/tweettioc/feed_copy.h), two copies during a refresh,
        plus one item's parse and the process. The units apply it to the
        default cap, the Kubernetes limit to the ConfigMap's cap."""
        mib = 1 << 20
        cap = config_default("TWEETTIOC_MAX_BYTES")
        for unit in ("securex-relay.service", "securex-relay@.service"):
            with self.subTest(unit=unit):
                self.assertEqual(unit_values(SYSTEMD / unit, "Service", "MemoryMax"),
                                 ["%dM" % ((4 * cap + 64 * mib) // mib)])
                with open(SYSTEMD / unit) as f:
                    self.assertIn("# MemoryMax = 4 x TWEETTIOC_MAX_BYTES + 64M.", f.read())
        kube = REPO / "deploy" / "kubernetes"
        with open(kube / "configmap.yaml") as f:
            kube_cap = int(re.search(r'^\s*TWEETTIOC_MAX_BYTES: "(\d+)"', f.read(), re.M).group(1))
        with open(kube / "deployment.yaml") as f:
            text = f.read()
        limit = re.search(r"- name: relay\n.*?limits:\n(?:\s+cpu: \S+\n)?\s+memory: (\d+)Mi\n",
                          text, re.S)
        self.assertIsNotNone(limit, "no memory limit for the relay container")
        self.assertEqual(int(limit.group(1)), (4 * kube_cap + 64 * mib) // mib)
        self.assertIn("limit = 4 x TWEETTIOC_MAX_BYTES + 64 MiB", text)

    def test_exec_start_serves_the_socket_it_inherits(self):
        """The service's ExecStart, run the way the socket unit runs it: the
        listening socket (ListenStream, in a temp dir) handed over as fd 0 by
        systemd-socket-activate --inetd (no --accept: one long-running
        process, like Accept=no), nginx in front. Restarts on a kept socket
        are tested elsewhere (the restart-under-load test)."""
        if not shutil.which("systemd-socket-activate"):
            self.fail("systemd-socket-activate not installed (scripts/deps.sh test: systemd)")
        exec_start = unit_values(SYSTEMD / "securex-relay.service", "Service", "ExecStart")
        self.assertEqual(len(exec_start), 1, exec_start)
        argv = exec_start[0].split()
        self.assertEqual(argv[0], "/usr/local/bin/securex-relay")
        self.assertNotIn("--listen", argv, "the unit must serve the inherited socket")
        listen = unit_values(SYSTEMD / "securex-relay.socket", "Socket", "ListenStream")
        self.assertEqual(listen, ["/run/securex-relay/relay.sock"])
        fake = FakeTweettioc()
        fake.start()
        self.addCleanup(fake.stop)
        tmp = tempfile.mkdtemp(prefix="socket-activate-")
        self.addCleanup(shutil.rmtree, tmp, True)
        sock = os.path.join(tmp, "relay.sock")
        env = {"RELAY_AUTH": "none", "TWEETTIOC_URL": fake.url}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        cmd = ["systemd-socket-activate", "--inetd", "-l", sock]
        cmd += ["-E%s=%s" % kv for kv in env.items()]
        cmd += [relay_bin()] + argv[1:]
        err_path = os.path.join(tmp, "relay.stderr")
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err, cwd=tmp)

        def stop():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.addCleanup(stop)
        wait_for(lambda: os.path.exists(sock) or proc.poll() is not None, 10, what="the socket")
        nginx = Nginx("unix:" + sock)
        self.addCleanup(nginx.stop)
        nginx.start()
        client = Client(nginx.port)
        wait_for(lambda: client.post("/tweettioc/health", {})[1] == {"data": {"status": "ok"}},
                 20, interval=0.1, what="health ok on the inherited socket")
        # fd 0 of the relay (systemd-socket-activate exec()s it) is the socket
        self.assertTrue(os.readlink("/proc/%d/fd/0" % proc.pid).startswith("socket:"))
        stop()
        with open(err_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        self.assertEqual(proc.returncode, 0, text[-5000:])
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer"):
            self.assertNotIn(marker, text)

    def test_install_doc_enables_socket_and_service(self):
        with open(REPO / "docs" / "deploy-nginx-systemd.md") as f:
            doc = f.read()
        for text in ("systemctl enable --now securex-relay.socket securex-relay.service",
                     "securex-relay@1.socket"):
            self.assertTrue(text in doc, "docs/deploy-nginx-systemd.md does not say %r" % text)


class DeployDocsTileExampleTest(RelayTestCase):
    """The tile example in docs/api.md is what the relay answers for the
    feed `make demo` serves (fixtures/tweettioc-feed-2000.json, newest tweet
    a minute old, as scripts/demo_feed_server.py rebases it)."""

    fixture = FIXTURES / "tweettioc-feed-2000.json"

    def summary(self, period):
        status, body, _ = self.client.post("/tweettioc/tiles/tile-data",
                                           {"tile_id": "tweettioc-summary", "period": period})
        self.assertEqual(status, 200, body)
        return {m["label"]: m["value"] for m in body["data"]["data"]}

    def test_api_doc_summary_numbers_are_the_relays(self):
        with open(REPO / "docs" / "api.md") as f:
            doc = f.read()
        start = doc.index('`{"tile_id": "tweettioc-summary", "period": "last_24_hours"}`')
        block = doc[doc.index("```json", start):]
        block = block[:block.index("\n```\n")]
        shown = {label: int(value) for label, value in re.findall(
            r'"label": "([^"]+)",\s*"value": (\d+)', block)}
        self.assertGreaterEqual(len(shown), 3, block)
        got = self.summary("last_24_hours")
        self.assertEqual({k: got.get(k) for k in shown}, shown)
        week = self.summary("last_7_days")
        m = re.search(r"the same feed gives (\d+) tweets, (\d+)\s+distinct IOCs and (\d+) "
                      r"accounts", doc)
        self.assertIsNotNone(m, "docs/api.md: the last_7_days sentence is gone")
        self.assertEqual((week["Tweets"], week["Distinct IOCs"], week["Accounts"]),
                         tuple(int(g) for g in m.groups()))



KUBERNETES = REPO / "deploy" / "kubernetes"


class DeploySecretsTest(unittest.TestCase):
    """Issue 18: the kustomization applied the example Secret, RELAY_JWT_SECRET
    "change-me" included, the relay took any non-empty secret, and the install
    step left relay.env (which can hold it) readable by every user."""

    def load(self, name):
        import yaml
        with open(KUBERNETES / name) as f:
            return [d for d in yaml.safe_load_all(f) if d]

    def test_the_kustomization_applies_no_secret(self):
        (kz,) = self.load("kustomization.yaml")
        self.assertNotIn("secret.example.yaml", kz["resources"])
        for res in kz["resources"]:
            for doc in self.load(res):
                self.assertNotEqual(doc["kind"], "Secret", res)
        # The Deployment reads the Secret the example describes, which the
        # operator creates.
        (example,) = self.load("secret.example.yaml")
        (dep,) = self.load("deployment.yaml")
        refs = [src["secretRef"]["name"]
                for c in dep["spec"]["template"]["spec"]["containers"]
                for src in c.get("envFrom", []) if "secretRef" in src]
        self.assertEqual(refs, [example["metadata"]["name"]])

    def test_the_example_secret_stops_the_relay(self):
        (example,) = self.load("secret.example.yaml")
        value = example["stringData"]["RELAY_JWT_SECRET"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RELAY_AUTH": "hs256",
               "RELAY_JWT_SECRET": value}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        try:
            r = subprocess.run([relay_bin(), "--listen", "127.0.0.1:%d" % free_port()], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=30)
        except subprocess.TimeoutExpired:
            self.fail("the relay started with the example's RELAY_JWT_SECRET")
        out = r.stdout.decode("utf-8", "replace")
        self.assertEqual(r.returncode, 1, out)
        self.assertIn("RELAY_JWT_SECRET", out)
        self.assertNotIn(value, out)

    def test_relay_env_example_says_how_to_protect_it(self):
        with open(SYSTEMD / "relay.env.example") as f:
            header = f.read().split("\n\n", 1)[0]
        self.assertIn("install -D -m 0640 -o root -g root", header)
        self.assertIn("chmod 0640", header)


if __name__ == "__main__":
    unittest.main()
