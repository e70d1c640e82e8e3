"""test_register.py: `securex-relay register` against a fake Cisco XDR API over TLS.

The fake (fake_iroh.FakeIroh) speaks HTTPS with a certificate from a test CA
(fake_jwks.Pki); the command reaches it through XDR_API_URL and trusts it
through RELAY_CA_FILE. Checked: a first run creates the module type, a
second one updates it (same title: never a duplicate), what is pushed is
exactly what `module-type` prints, and every failure (wrong secret,
unreachable API, untrusted certificate, bad region, missing credentials,
duplicate titles, a client without the scope) is one line naming the fix
with a non-zero exit status. No run ever prints the client secret or the
access token. No relay, no nginx: the binary is run as a command.
"""

import json
import os
import secrets
import subprocess
import unittest

from fake_iroh import FakeIroh, MODULE_TYPE_PATH, TOKEN_PATH
from fake_jwks import Pki
from harness import SANITIZER_MARKERS, free_port

BASE_URL = "https://relay.example.com"
CLIENT_ID = "client-%s" % secrets.token_hex(6)
SECRET = "s3cret-%s" % secrets.token_hex(12)


class RegisterTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.binary = os.environ["RELAY_BIN"]
        cls.pki = Pki()
        cls.addClassCleanup(cls.pki.cleanup)
        cls.iroh = FakeIroh(cls.pki.server_cert, cls.pki.server_key, CLIENT_ID, SECRET)
        cls.iroh.start()
        cls.addClassCleanup(cls.iroh.stop)

    def setUp(self):
        self.iroh.clear()

    def env(self, **extra):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
               "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", ""),
               "XDR_CLIENT_ID": CLIENT_ID, "XDR_CLIENT_SECRET": SECRET,
               "XDR_API_URL": self.iroh.url, "RELAY_CA_FILE": self.pki.ca_pem}
        env.update(extra)
        return {k: v for k, v in env.items() if v is not None}

    def run_cmd(self, *args, env=None):
        """(exit status, stdout, stderr) of the binary; never a secret in either."""
        r = subprocess.run([self.binary] + list(args), env=env or self.env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        out, err = r.stdout.decode(), r.stderr.decode()
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
        for secret in (SECRET, self.iroh.token):
            if secret:
                self.assertNotIn(secret, out + err)
        return r.returncode, out, err

    def register(self, module="tweettioc", region="us", env=None):
        return self.run_cmd("register", module, "--url", BASE_URL, "--region", region, env=env)

    def module_type(self, module="tweettioc", region="us"):
        rc, out, err = self.run_cmd("module-type", module, "--url", BASE_URL, "--region", region)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def assert_one_line_failure(self, rc, out, err, status, *words):
        self.assertEqual(rc, status, err)
        self.assertEqual(out, "")
        self.assertEqual(err.count("\n"), 1, err)
        self.assertTrue(err.startswith("securex-relay register: "), err)
        for w in words:
            self.assertIn(w, err)

    def writes(self):
        return [r for r in self.iroh.requests() if r["method"] in ("POST", "PATCH")
                and r["path"].startswith(MODULE_TYPE_PATH)]

    # -- create, update
    def test_a_first_run_creates_and_a_second_updates_never_a_duplicate(self):
        rc, out, err = self.register()
        self.assertEqual((rc, err), (0, ""))
        [created] = self.iroh.module_types()
        self.assertIn('created the module type "Twitter IOC Hunter" (id %s)' % created["id"], out)
        self.assertIn("Administration > Integrations", out)
        rc, out, err = self.register()
        self.assertEqual((rc, err), (0, ""))
        self.assertIn('updated the module type "Twitter IOC Hunter" (id %s)' % created["id"], out)
        self.assertEqual([m["id"] for m in self.iroh.module_types()], [created["id"]])
        self.assertEqual([(w["method"], w["path"]) for w in self.writes()],
                         [("POST", MODULE_TYPE_PATH),
                          ("PATCH", "%s/%s" % (MODULE_TYPE_PATH, created["id"]))])

    def test_what_is_pushed_is_what_module_type_prints(self):
        for module, region, host in (("tweettioc", "us", "visibility.amp.cisco.com"),
                                     ("cybercrime", "eu", "visibility.eu.amp.cisco.com")):
            with self.subTest(module=module):
                rc, _, err = self.register(module, region)
                self.assertEqual(rc, 0, err)
                body = json.loads(self.writes()[-1]["body"])
                self.assertEqual(body, self.module_type(module, region))
                self.assertEqual(body["properties"]["custom_jwks_host"], host)
                self.assertEqual(body["properties"]["configuration-token-audience"],
                                 "%s/%s" % (BASE_URL, module))

    def test_the_calls_carry_the_client_credentials_and_then_the_token(self):
        rc, _, err = self.register()
        self.assertEqual(rc, 0, err)
        reqs = self.iroh.requests()
        self.assertEqual([(r["method"], r["path"]) for r in reqs],
                         [("POST", TOKEN_PATH), ("GET", MODULE_TYPE_PATH),
                          ("POST", MODULE_TYPE_PATH)])
        self.assertEqual(reqs[0]["body"], b"grant_type=client_credentials")
        self.assertTrue(reqs[0]["headers"]["Authorization"].startswith("Basic "))
        for r in reqs[1:]:
            self.assertEqual(r["headers"]["Authorization"], "Bearer %s" % self.iroh.token)
        self.assertEqual(reqs[2]["headers"]["Content-Type"], "application/json")
        self.assertTrue(reqs[0]["headers"]["User-Agent"].startswith("securex-relay/"))

    def test_module_types_of_other_titles_are_left_alone(self):
        cisco = self.iroh.add_module_type({"title": "CyberCrime Tracker"})
        rc, _, err = self.register("cybercrime")
        self.assertEqual(rc, 0, err)
        [w] = self.writes()
        self.assertEqual((w["method"], w["path"]), ("POST", MODULE_TYPE_PATH))
        self.assertEqual(len(self.iroh.module_types()), 2)
        self.assertNotIn(cisco, w["path"])

    # -- failures: one line, naming the fix
    def test_a_wrong_secret_is_one_line_and_exit_1(self):
        rc, out, err = self.register(env=self.env(XDR_CLIENT_SECRET="not-" + SECRET))
        self.assert_one_line_failure(rc, out, err, 1, "HTTP 401", "XDR_CLIENT_ID",
                                     "XDR_CLIENT_SECRET", "us region")
        self.assertNotIn("not-" + SECRET, err)
        self.assertEqual(self.writes(), [])

    def test_an_answer_that_quotes_the_secret_is_not_repeated(self):
        self.iroh.echo_credentials = True
        wrong = "not-" + SECRET
        rc, out, err = self.register(env=self.env(XDR_CLIENT_SECRET=wrong))
        self.assert_one_line_failure(rc, out, err, 1, "HTTP 401", "XDR_CLIENT_SECRET")
        self.assertNotIn(wrong, err)
        self.assertNotIn("Invalid client credentials", err)

    def test_an_unreachable_api_is_one_line_and_exit_1(self):
        closed = "https://localhost:%d" % free_port()
        rc, out, err = self.register(env=self.env(XDR_API_URL=closed))
        self.assert_one_line_failure(rc, out, err, 1, "cannot reach %s" % closed, "--region",
                                     "XDR_API_URL")

    def test_an_untrusted_certificate_names_relay_ca_file(self):
        rc, out, err = self.register(env=self.env(RELAY_CA_FILE=None))
        self.assert_one_line_failure(rc, out, err, 1, "TLS certificate", "RELAY_CA_FILE")
        self.assertEqual(self.iroh.requests(), [])

    def test_a_bad_region_is_one_line_and_exit_2(self):
        rc, out, err = self.register(region="mars")
        self.assert_one_line_failure(rc, out, err, 2, "--region", "us, eu or apjc", '"mars"')
        self.assertEqual(self.iroh.requests(), [])
        rc, out, err = self.run_cmd("register", "tweettioc", "--url", BASE_URL)
        self.assert_one_line_failure(rc, out, err, 2, "--region is missing")

    def test_missing_credentials_name_the_variable(self):
        for name in ("XDR_CLIENT_ID", "XDR_CLIENT_SECRET"):
            with self.subTest(missing=name):
                rc, out, err = self.register(env=self.env(**{name: None}))
                self.assert_one_line_failure(rc, out, err, 2, name + " is not set",
                                             "Administration > API Clients")
        self.assertEqual(self.iroh.requests(), [])

    def test_the_secret_is_never_taken_from_arguments(self):
        rc, out, err = self.run_cmd("register", "tweettioc", "--url", BASE_URL, "--region",
                                    "us", "--secret", "x")
        self.assert_one_line_failure(rc, out, err, 2, 'unknown option "--secret"')

    def test_duplicate_titles_are_refused_without_writing(self):
        a = self.iroh.add_module_type({"title": "Twitter IOC Hunter"})
        b = self.iroh.add_module_type({"title": "Twitter IOC Hunter"})
        rc, out, err = self.register()
        self.assert_one_line_failure(rc, out, err, 1, "2 module types", a, b,
                                     "delete all but one")
        self.assertEqual(self.writes(), [])

    def test_a_client_without_the_integration_scope(self):
        self.iroh.scope_ok = False
        rc, out, err = self.register()
        self.assert_one_line_failure(rc, out, err, 1, "HTTP 403", "Integration scope")

    def test_an_http_api_url_is_refused(self):
        rc, out, err = self.register(env=self.env(XDR_API_URL="http://localhost:1"))
        self.assert_one_line_failure(rc, out, err, 2, "XDR_API_URL", "https://")


if __name__ == "__main__":
    unittest.main()
