"""test_auth.py: SecureX authentication end to end (CONTRACT 3.4, 6), through a real nginx.

Each class starts its own relay with one RELAY_AUTH mode. For jwt mode, a
local HTTPS key server (fake_jwks.FakeJwks) with a certificate from a CA
made at test time is the allowlisted jwks_host (RELAY_JWKS_HOSTS=
localhost:<port>, RELAY_CA_FILE=<ca.pem>); a second key server, not
allowlisted, serving an attacker's key over equally valid TLS, must never
see a single connection, also when an allowlisted host redirects to it.
Tokens are signed with the openssl CLI.

The accepted audiences come from configuration only (CONTRACT 3.4 step 5):
the jwt classes run with RELAY_PUBLIC_URL=https://relay.example.com, which
is not the address nginx listens on, so a test passing here proves the
request's Host, X-Forwarded-Proto and HTTPS play no part.
"""

import os
import subprocess
import threading
import time
import unittest

from fake_jwks import FakeJwks, Pki, token_rs256, token_unsigned
from harness import RelayTestCase, free_port, relay_bin
from testkit import b64url, hs256_token as token_hs256
from reference import FEED_LISTS, Reference

PREFIX = "Authorization failed: "
R_MISSING = "Authorization header is missing"
R_TYPE = "Wrong authorization type"
R_STRUCTURE = "Wrong JWT structure"
R_JWKS_MISSING = ("jwks_host is missing in JWT payload. Make sure custom_jwks_host field is "
                  "present in module_type")
R_JWKS_WRONG = ("Wrong jwks_host in JWT payload. Make sure domain follows the "
                "visibility.<region>.cisco.com structure")
R_KID = "kid from JWT header not found in API response"
R_KEY = ("Failed to decode JWT with provided key. Make sure domain in custom_jwks_host "
         "corresponds to your SecureX instance region.")
R_AUD = "Wrong configuration-token-audience"
R_EXPIRED = "The JWT has expired"
R_NBF = "The JWT is not yet valid"  # ours: the Python relays have no message for nbf

PUBLIC_URL = "https://relay.example.com"
OBSERVE = "/tweettioc/observe/observables"
DELIBERATE = "/tweettioc/deliberate/observables"
OMIT = object()


class AuthCase(RelayTestCase):
    """Helpers shared by the authentication classes."""

    def assert_refused(self, answer, reason):
        status, body, _ = answer
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"errors": [{"type": "fatal", "code": "authorization error",
                                            "message": PREFIX + reason}]})

    def assert_ok(self, answer):
        status, body, _ = answer
        self.assertEqual(status, 200, body)
        self.assertIsInstance(body, dict, body)
        self.assertIn("data", body, body)
        self.assertNotIn("errors", body, body)
        return body["data"]

    def call(self, authorization, path="/health", body=None, headers=None):
        hdrs = dict(headers or {})
        if authorization is not None:
            hdrs["Authorization"] = authorization
        return self.post(path, {} if body is None else body, hdrs)

    @classmethod
    def base_url(cls):
        """The URL SecureX would put in aud for the bare path: RELAY_PUBLIC_URL."""
        return PUBLIC_URL

    @classmethod
    def nginx_url(cls, scheme="http"):
        """Where the test really sends its requests (what Host-derived aud was)."""
        return "%s://127.0.0.1:%d" % (scheme, cls.nginx.port)


# ---------------------------------------------------------------- jwt mode

class JwtCase(AuthCase):
    """A relay in jwt mode; the key servers live as long as the class."""

    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()
        cls.addClassCleanup(cls.pki.cleanup)
        cls.key = cls.pki.signing_key("securex")
        cls.attacker_key = cls.pki.signing_key("attacker")
        cls.jwks = FakeJwks(cls.pki.server_cert, cls.pki.server_key,
                            [cls.key.jwk("k1")]).start()
        cls.addClassCleanup(cls.jwks.stop)
        # Not allowlisted: serves the attacker's key over TLS the relay
        # trusts, so only the allowlist stands between it and the relay.
        cls.evil = FakeJwks(cls.pki.server_cert, cls.pki.server_key,
                            [cls.attacker_key.jwk("k1")]).start()
        cls.addClassCleanup(cls.evil.stop)
        # Allowlisted, but its certificate comes from a CA the relay does not trust.
        cert, key = cls.pki.another_ca()
        cls.untrusted = FakeJwks(cert, key, [cls.attacker_key.jwk("k1")]).start()
        cls.addClassCleanup(cls.untrusted.stop)
        # Allowlisted, trusted, but answers 302 to the attacker's key server.
        cls.redirecting = FakeJwks(cls.pki.server_cert, cls.pki.server_key, [],
                                   redirect_to=cls.evil.jwks_url).start()
        cls.addClassCleanup(cls.redirecting.stop)
        super().setUpClass()

    @classmethod
    def extra_env(cls):
        env = {"RELAY_AUTH": "jwt",
               "RELAY_JWKS_HOSTS": "%s,%s,%s" % (cls.jwks.host, cls.untrusted.host,
                                                 cls.redirecting.host),
               "RELAY_PUBLIC_URL": PUBLIC_URL,
               "RELAY_CA_FILE": cls.pki.ca_pem,
               "RELAY_UPSTREAM_TIMEOUT_MS": "5000"}
        env.update(cls.relay_env)
        return env

    @classmethod
    def claims(cls, aud=None, jwks_host=None, exp=None, **extra):
        """What SecureX puts in a configuration token; OMIT drops a claim."""
        now = int(time.time())
        payload = {"jwks_host": cls.jwks.host if jwks_host is None else jwks_host,
                   "aud": cls.base_url() if aud is None else aud,
                   "iat": now, "exp": now + 3600 if exp is None else exp,
                   "sub": "securex-module-instance"}
        payload.update(extra)
        return {k: v for k, v in payload.items() if v is not OMIT}

    @classmethod
    def bearer(cls, key=None, kid="k1", **claims):
        return "Bearer " + token_rs256(key or cls.key, cls.claims(**claims), kid=kid)

    @classmethod
    def health(cls):
        # The harness polls /health until it says ok; in jwt mode that takes a token.
        try:
            return cls.client.post("/health", {}, {"Authorization": cls.bearer()})
        except OSError as e:
            return None, str(e), None


class JwtAuthTest(JwtCase):
    """Every outcome of CONTRACT 3.4 in jwt mode, with its exact message."""

    def test_valid_token_gets_data(self):
        self.assertEqual(self.assert_ok(self.call(self.bearer())), {"status": "ok"})
        module_aud = self.base_url() + "/tweettioc"
        self.assertEqual(self.assert_ok(self.call(self.bearer(aud=module_aud),
                                                  "/tweettioc/health")), {"status": "ok"})
        obs_type, value = Reference(self.feed).top("md5")
        data = self.assert_ok(self.call(self.bearer(aud=module_aud), DELIBERATE,
                                        [{"type": obs_type, "value": value}]))
        self.assertEqual(data["verdicts"]["count"], 1, data)

    def test_scheme_is_case_insensitive_and_spaces_are_tolerated(self):
        token = self.bearer()[len("Bearer "):]
        self.assert_ok(self.call("bearer " + token))
        self.assert_ok(self.call("BEARER   " + token))

    def test_missing_header(self):
        self.assert_refused(self.call(None), R_MISSING)

    def test_wrong_authorization_type(self):
        token = self.bearer()[len("Bearer "):]
        for header in ("Basic dXNlcjpwYXNz", "Bearer", "Token " + token, token,
                       "Bearer %s extra" % token, "Bearer a.b.c d.e.f"):
            with self.subTest(header=header[:40]):
                self.assert_refused(self.call(header), R_TYPE)

    def test_wrong_jwt_structure(self):
        not_json = "%s.%s.%s" % (b64url("not json"), b64url("{}"), b64url("sig"))
        array_header = "%s.%s.%s" % (b64url("[1]"), b64url("{}"), b64url("sig"))
        for header in ("Bearer abc", "Bearer a.b", "Bearer a.b.c.d", "Bearer ...",
                       "Bearer !!!.???.***", "Bearer " + not_json, "Bearer " + array_header,
                       "Bearer eyJhbGciOiJSUzI1NiJ9==.e30.AAAA"):
            with self.subTest(header=header[:40]):
                self.assert_refused(self.call(header), R_STRUCTURE)

    def test_jwks_host_missing(self):
        self.assert_refused(self.call(self.bearer(jwks_host=OMIT)), R_JWKS_MISSING)

    def test_jwks_host_outside_the_allowlist_is_never_contacted(self):
        downloads = self.jwks.downloads()
        hosts = [
            self.evil.host,                                  # the attacker's key server
            "127.0.0.1:%d" % self.jwks.port,                 # right server, not the allowlisted name
            "localhost",                                     # the allowlisted host without its port
            self.jwks.host + "/.well-known/jwks?x=",         # path tricks
            self.evil.host + "/" + self.jwks.host,
            self.evil.host + "#" + self.jwks.host,
            self.evil.host + "?" + self.jwks.host,
            self.jwks.host + "@" + self.evil.host,
            self.jwks.host + "\\" + self.evil.host,
            self.jwks.host + " ",
            "visibility.amp.cisco.com",                      # a default host, not allowlisted here
            "",
        ]
        for host in hosts:
            with self.subTest(jwks_host=host):
                self.assert_refused(self.call(self.bearer(jwks_host=host)), R_JWKS_WRONG)
        # The real attack: a token signed by the attacker's key, naming the
        # attacker's key server (what the Python relays would accept).
        self.assert_refused(self.call(self.bearer(key=self.attacker_key,
                                                  jwks_host=self.evil.host)), R_JWKS_WRONG)
        self.assertEqual(self.evil.connections(), 0)
        self.assertEqual(self.evil.requests(), 0)
        self.assertEqual(self.jwks.downloads(), downloads)

    def test_allowlisted_host_with_an_untrusted_certificate_is_refused(self):
        self.assert_refused(self.call(self.bearer(key=self.attacker_key,
                                                  jwks_host=self.untrusted.host)), R_JWKS_WRONG)
        # TLS verification failed before any HTTP request was sent.
        self.assertEqual(self.untrusted.requests(), 0)
        self.assertIn("jwks", self.relay.stderr())

    def test_allowlisted_host_redirecting_elsewhere_is_not_followed(self):
        """Issue 11: a 302 from an allowlisted jwks_host to another key
        server made the relay trust that server's (the attacker's) key."""
        evil_before = self.evil.requests()
        self.assert_refused(self.call(self.bearer(key=self.attacker_key,
                                                  jwks_host=self.redirecting.host)), R_JWKS_WRONG)
        self.assertGreaterEqual(self.redirecting.downloads(), 1)
        self.assertEqual(self.evil.requests(), evil_before)
        self.assertEqual(self.evil.connections(), 0)
        self.assertIn("redirect refused", self.relay.stderr())

    def test_kid_not_found(self):
        self.assert_refused(self.call(self.bearer(kid="rotated-away")), R_KID)
        self.assert_refused(self.call(self.bearer(kid=None)), R_KID)

    def test_signature_by_another_key(self):
        self.assert_refused(self.call(self.bearer(key=self.attacker_key)), R_KEY)

    def test_tampered_payload(self):
        good = self.bearer()[len("Bearer "):]
        header, _, sig = good.split(".")
        other = b64url('{"jwks_host":"%s","aud":"%s","CTR_ENTITIES_LIMIT":1}'
                       % (self.jwks.host, self.base_url()))
        self.assert_refused(self.call("Bearer %s.%s.%s" % (header, other, sig)), R_KEY)

    def test_alg_none_is_refused(self):
        for alg in ("none", "None", "NONE"):
            with self.subTest(alg=alg):
                token = token_unsigned(self.claims(), {"alg": alg, "kid": "k1"})
                self.assert_refused(self.call("Bearer " + token), R_KEY)

    def test_hs256_signed_with_the_public_key_is_refused(self):
        for secret in (self.key.public_pem, self.key.public_der):
            token = token_hs256(secret, self.claims(), {"alg": "HS256", "kid": "k1"})
            self.assert_refused(self.call("Bearer " + token), R_KEY)

    def test_other_algorithms_are_refused(self):
        for alg in ("RS384", "RS512", "PS256", "ES256"):
            with self.subTest(alg=alg):
                token = token_rs256(self.key, self.claims(), header={"alg": alg, "kid": "k1"})
                self.assert_refused(self.call("Bearer " + token), R_KEY)

    def test_wrong_audience(self):
        for aud in ("http://relay.example.com", "https://relay.example.com:8443",
                    self.base_url() + "/tweettioc", self.base_url() + "/other", "",
                    self.nginx_url(), self.nginx_url("https")):
            with self.subTest(aud=aud):
                self.assert_refused(self.call(self.bearer(aud=aud)), R_AUD)
        self.assert_refused(self.call(self.bearer(aud=self.base_url()), "/tweettioc/health"),
                            R_AUD)

    def test_token_for_one_module_does_not_open_another(self):
        tweettioc = self.bearer(aud=self.base_url() + "/tweettioc")
        cybercrime = self.bearer(aud=self.base_url() + "/cybercrime")
        self.assert_ok(self.call(tweettioc, "/tweettioc/health"))
        # Twice: the second call is a cache hit, and aud is still checked.
        for _ in range(2):
            self.assert_refused(self.call(cybercrime, "/tweettioc/health"), R_AUD)
            self.assert_refused(self.call(tweettioc, "/health"), R_AUD)

    def test_missing_audience_is_refused(self):
        self.assert_refused(self.call(self.bearer(aud=OMIT)), R_AUD)

    def test_audience_forms(self):
        self.assert_ok(self.call(self.bearer(aud=["https://x.example", self.base_url() + "/"])))
        self.assert_ok(self.call(self.bearer(aud=self.base_url() + "/tweettioc/"),
                                 "/tweettioc/health/"))
        # The module URL is RELAY_PUBLIC_URL's, whatever location prefix the
        # path has behind nginx.
        self.assert_ok(self.call(self.bearer(aud=self.base_url() + "/tweettioc"),
                                 "/relay/tweettioc/health"))
        self.assert_refused(self.call(self.bearer(aud=self.base_url() + "/relay/tweettioc"),
                                      "/relay/tweettioc/health"), R_AUD)

    def test_host_and_forwarded_proto_are_not_trusted(self):
        """Issue 11: a token any SecureX tenant can get, for its own URL, with
        the request claiming to be for that URL, returned verdicts."""
        attack = {"Host": "attacker.example", "X-Forwarded-Proto": "https"}
        obs_type, value = Reference(self.feed).top("md5")
        for aud in ("https://attacker.example/tweettioc", ["https://attacker.example/tweettioc"]):
            with self.subTest(aud=aud):
                self.assert_refused(self.call(self.bearer(aud=aud), DELIBERATE,
                                              [{"type": obs_type, "value": value}],
                                              headers=attack), R_AUD)
        self.assert_refused(self.call(self.bearer(aud="https://attacker.example"),
                                      headers=attack), R_AUD)
        # What the relay used to derive from the request itself.
        self.assert_refused(self.call(self.bearer(aud=self.nginx_url() + "/tweettioc"),
                                      "/tweettioc/health"), R_AUD)
        # The configured audience works whatever Host says.
        self.assert_ok(self.call(self.bearer(aud=self.base_url() + "/tweettioc"),
                                 "/tweettioc/health", headers=attack))

    def test_claims_cut_by_a_nul_are_refused(self):
        """Issue 18: cJSON decodes \\u0000 into a NUL that ends the C string, so
        aud "<this relay's audience>\\u0000.evil" was accepted; jwks_host and
        kid were cut the same way. json.dumps writes "\\x00" as \\u0000."""
        module_aud = self.base_url() + "/tweettioc"
        headers = [self.bearer(aud=module_aud + "\x00.evil"),
                   self.bearer(aud=["https://x.example", module_aud + "\x00.evil"]),
                   self.bearer(aud=module_aud, jwks_host=self.jwks.host + "\x00.evil"),
                   self.bearer(aud=module_aud, kid="k1\x00.evil"),
                   self.bearer(aud=module_aud, iss="https://visibility.amp.cisco.com\x00"),
                   self.bearer(aud=module_aud, sub="\x00"),
                   self.bearer(aud=module_aud + "\x1b[0m"),
                   self.bearer(aud=module_aud, kid="k1\n")]
        for i, header in enumerate(headers):
            with self.subTest(case=i):
                self.assert_refused(self.call(header, "/tweettioc/health"), R_STRUCTURE)
        # The text "\\u0000" (an escaped backslash) is no NUL.
        self.assert_ok(self.call(self.bearer(aud=module_aud, sub="\\u0000"),
                                 "/tweettioc/health"))

    def test_expired_token(self):
        self.assert_refused(self.call(self.bearer(exp=int(time.time()) - 3600)), R_EXPIRED)
        # 60 s of leeway for clock skew.
        self.assert_ok(self.call(self.bearer(exp=int(time.time()) - 20)))

    def test_token_not_yet_valid(self):
        self.assert_refused(self.call(self.bearer(nbf=int(time.time()) + 3600)), R_NBF)

    def metric(self, name):
        status, text, _ = self.get("/metrics")
        self.assertEqual(status, 200, text)
        for line in text.splitlines():
            if line.startswith(name + " "):
                return int(line.split()[1])
        self.fail("%s not in /metrics:\n%s" % (name, text))

    def test_a_token_is_verified_once(self):
        header = self.bearer(sub="verified-once")
        misses = self.metric("relay_auth_token_cache_misses_total")
        hits = self.metric("relay_auth_token_cache_hits_total")
        for _ in range(20):
            self.assert_ok(self.call(header))
        self.assertEqual(self.metric("relay_auth_token_cache_misses_total"), misses + 1)
        self.assertEqual(self.metric("relay_auth_token_cache_hits_total"), hits + 19)
        # A refused token is verified every time, never remembered.
        bad = self.bearer(key=self.attacker_key, sub="verified-once")
        for _ in range(3):
            self.assert_refused(self.call(bad), R_KEY)
        self.assertEqual(self.metric("relay_auth_token_cache_misses_total"), misses + 4)

    def test_16k_token_through_nginx(self):
        header = self.bearer(filler="f" * (11 * 1024))
        self.assertGreater(len(header), 15 * 1024)
        self.assertLessEqual(len(header), 16 * 1024)
        self.assertEqual(self.assert_ok(self.call(header)), {"status": "ok"})

    def test_endpoints_without_auth_need_no_token(self):
        status, body, _ = self.post("/version", {})
        self.assertEqual(status, 200, body)
        self.assertIn("version", body)
        status, body, _ = self.get("/watchdog", {"Health-Check": "probe"})
        self.assertEqual((status, body), (200, {"data": "probe"}))
        status, body, _ = self.get("/metrics")
        self.assertEqual(status, 200, body)

    def test_garbage_headers_never_crash_the_relay(self):
        for header in ("Bearer " + "A" * 20000, "Bearer \x7f\x01", "Bearer .", "Bearer ..",
                       "Bearer " + "." * 5000, "bEaReR", "Bearer " + b64url("{" * 3000) + ".e30.x"):
            status, body, _ = self.call(header)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["errors"][0]["code"], "authorization error", body)
        self.assert_ok(self.call(self.bearer()))


class JwtEntitiesLimitClaimTest(JwtCase):
    """CTR_ENTITIES_LIMIT in the token overrides the environment for that call."""

    relay_env = {"CTR_ENTITIES_LIMIT": "100"}

    def observe(self, claim):
        ref = Reference(self.feed)
        picks = [p for p in (ref.top(n, min_tweets=3) for n in FEED_LISTS) if p]
        self.assertTrue(picks, "fixture needs an IOC mentioned in 3+ tweets")
        obs_type, value = picks[0]
        extra = {} if claim is OMIT else {"CTR_ENTITIES_LIMIT": claim}
        header = self.bearer(aud=self.base_url() + "/tweettioc", **extra)
        status, body, _ = self.call(header, OBSERVE, [{"type": obs_type, "value": value}])
        self.assertEqual(status, 200, body)
        return body, len(ref.tweets_for(obs_type, value))

    def test_claim_as_string_and_integer(self):
        for claim, want in (("1", 1), (2, 2)):
            with self.subTest(claim=claim):
                body, _ = self.observe(claim)
                self.assertEqual(body["data"]["sightings"]["count"], want, body)
                codes = [e.get("code") for e in body.get("errors", [])]
                self.assertIn("too-many-entities", codes, body)

    def test_invalid_claim_falls_back_to_the_environment(self):
        for claim in ("many", 0, -4, "0", 2.5, OMIT):
            with self.subTest(claim=claim):
                body, total = self.observe(claim)
                self.assertEqual(body["data"]["sightings"]["count"], min(total, 100), body)


class JwksDownloadTest(JwtCase):
    """The key set is cached: a cold burst of concurrent calls and 100 more
    cause one download."""

    @classmethod
    def wait_healthy(cls, timeout=15):
        pass  # no warm-up call: the test starts with a cold cache

    def test_100_requests_download_the_key_set_once(self):
        header = self.bearer()
        results = []
        lock = threading.Lock()
        # More concurrent clients than the relay has worker threads: every
        # thread misses the cold cache at once and they share one download.
        clients = 10

        def worker():
            for _ in range(100 // clients):
                status, body, _ = self.call(header)
                with lock:
                    results.append((status, body))
        threads = [threading.Thread(target=worker) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(len(results), 100 // clients * clients)
        for status, body in results:
            self.assertEqual(status, 200, body)
            self.assertFalse(any(e.get("code") == "authorization error"
                                 for e in body.get("errors", [])), body)
        self.assertEqual(self.jwks.downloads(), 1)
        for _ in range(100):
            self.assertEqual(self.call(header)[0], 200)
        self.assertEqual(self.jwks.downloads(), 1)

    def test_unknown_kids_do_not_hammer_the_key_server(self):
        for i in range(20):
            self.assert_refused(self.call(self.bearer(kid="unknown-%d" % i)), R_KID)
        self.assertLessEqual(self.jwks.downloads(), 2)


class JwksRotationTest(JwtCase):
    """Issue 18: a cached token outlived its key. The key server stops
    publishing k1; once the relay has downloaded the key set again, the token
    verified with k1 is refused, as a new k1 token is. The relay downloads
    again when a token names a kid it does not know, at most once per
    JWKS_REFETCH_SECONDS (60 s) per host: the test waits that minute out
    (SIGHUP would flush the token cache too, and so prove nothing)."""

    REFETCH_SECONDS = 60

    def test_a_cached_token_goes_with_its_key(self):
        old = self.bearer(sub="verified with k1")
        self.assert_ok(self.call(old))
        self.assert_ok(self.call(old))  # a cache hit
        new_key = self.pki.signing_key("rotated")
        self.jwks.set_keys([new_key.jwk("k2")])
        # Until the relay downloads again it knows nothing of the rotation.
        self.assert_ok(self.call(old))
        downloads = self.jwks.downloads()
        wait = self.jwks.last_download() + self.REFETCH_SECONDS + 1 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        # The relay's own refetch: a token with the new kid.
        self.assert_ok(self.call(self.bearer(key=new_key, kid="k2")))
        self.assertEqual(self.jwks.downloads(), downloads + 1)
        for _ in range(2):
            self.assert_refused(self.call(old), R_KID)
        self.assert_refused(self.call(self.bearer(sub="a new k1 token")), R_KID)
        self.assertEqual(self.jwks.downloads(), downloads + 1)


class RelayAudienceTest(JwtCase):
    """RELAY_AUDIENCE replaces the request's own URL as the accepted aud."""

    relay_env = {"RELAY_AUDIENCE": "https://relay.example.com/tweettioc,https://other.example",
                 "RELAY_PUBLIC_URL": ""}

    @classmethod
    def health(cls):
        try:
            return cls.client.post("/health", {}, {
                "Authorization": cls.bearer(aud="https://other.example")})
        except OSError as e:
            return None, str(e), None

    def test_configured_audiences_are_accepted(self):
        self.assert_ok(self.call(self.bearer(aud="https://relay.example.com/tweettioc/")))
        self.assert_ok(self.call(self.bearer(aud=["x", "https://other.example"])))

    def test_other_audiences_are_refused(self):
        # Without RELAY_PUBLIC_URL no module URL counts, nor the request's own.
        for aud in (self.base_url(), self.nginx_url(), self.nginx_url() + "/tweettioc",
                    "https://relay.example.com/cybercrime"):
            with self.subTest(aud=aud):
                self.assert_refused(self.call(self.bearer(aud=aud)), R_AUD)


# -------------------------------------------------------------- hs256 mode

SECRET = "e2e shared secret for the serverless relay"


class Hs256AuthTest(AuthCase):
    relay_env = {"RELAY_AUTH": "hs256", "RELAY_JWT_SECRET": SECRET}

    @classmethod
    def health(cls):
        try:
            return cls.client.post("/health", {},
                                   {"Authorization": "Bearer " + token_hs256(SECRET, {})})
        except OSError as e:
            return None, str(e), None

    def test_shared_secret_is_accepted(self):
        self.assertEqual(self.assert_ok(self.call("Bearer " + token_hs256(SECRET, {"sub": "x"}))),
                         {"status": "ok"})
        now = int(time.time())
        claims = {"exp": now + 60, "aud": self.base_url()}
        self.assert_ok(self.call("Bearer " + token_hs256(SECRET, claims)))

    def test_wrong_secret_is_refused(self):
        self.assert_refused(self.call("Bearer " + token_hs256(SECRET + "x", {})), R_KEY)

    def test_other_algorithms_are_refused(self):
        self.assert_refused(self.call("Bearer " + token_unsigned({}, {"alg": "none"})), R_KEY)
        self.assert_refused(self.call("Bearer " + token_hs256(SECRET, {}, {"alg": "HS512"})),
                            R_KEY)
        pki = Pki()
        self.addCleanup(pki.cleanup)
        key = pki.signing_key("rs")
        self.assert_refused(self.call("Bearer " + token_rs256(key, {})), R_KEY)

    def test_claims_are_checked(self):
        now = int(time.time())
        self.assert_refused(self.call("Bearer " + token_hs256(SECRET, {"exp": now - 3600})),
                            R_EXPIRED)

    def test_aud_is_not_checked_without_audience_settings(self):
        # The relay's own secret binds the token; Host would add nothing.
        self.assert_ok(self.call("Bearer " + token_hs256(SECRET, {"aud": "https://x"})))

    def test_malformed_headers(self):
        self.assert_refused(self.call(None), R_MISSING)
        self.assert_refused(self.call("Basic x"), R_TYPE)
        self.assert_refused(self.call("Bearer x.y"), R_STRUCTURE)


class Hs256PublicUrlTest(AuthCase):
    """hs256 with RELAY_PUBLIC_URL: aud required, the module's URL."""

    relay_env = {"RELAY_AUTH": "hs256", "RELAY_JWT_SECRET": SECRET,
                 "RELAY_PUBLIC_URL": PUBLIC_URL + "/"}

    @classmethod
    def health(cls):
        try:
            return cls.client.post("/health", {}, {
                "Authorization": "Bearer " + token_hs256(SECRET, {"aud": PUBLIC_URL})})
        except OSError as e:
            return None, str(e), None

    def test_module_audience_is_required(self):
        def call(aud, path):
            claims = {} if aud is None else {"aud": aud}
            return self.call("Bearer " + token_hs256(SECRET, claims), path)
        self.assert_ok(call(PUBLIC_URL + "/tweettioc/", "/tweettioc/health"))
        for aud in (None, PUBLIC_URL, PUBLIC_URL + "/cybercrime",
                    "https://attacker.example/tweettioc"):
            with self.subTest(aud=aud):
                self.assert_refused(call(aud, "/tweettioc/health"), R_AUD)
        self.assert_refused(call(PUBLIC_URL + "/tweettioc\x00.evil", "/tweettioc/health"),
                            R_STRUCTURE)
        attack = {"Host": "attacker.example", "X-Forwarded-Proto": "https"}
        token = token_hs256(SECRET, {"aud": "https://attacker.example/tweettioc"})
        self.assert_refused(self.call("Bearer " + token, "/tweettioc/health", headers=attack),
                            R_AUD)


# --------------------------------------------------------------- none mode

class NoneAuthTest(AuthCase):
    relay_env = {"RELAY_AUTH": "none"}

    def test_no_header_needed(self):
        self.assertEqual(self.assert_ok(self.call(None)), {"status": "ok"})

    def test_any_header_ignored(self):
        self.assert_ok(self.call("Basic whatever"))
        self.assert_ok(self.call("Bearer not.a.jwt"))


# -------------------------------------------------------------- start-up

class AuthStartupTest(unittest.TestCase):
    """A bad authentication setting stops the relay at start-up, naming the variable."""

    def start_relay(self, env):
        full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                full[name] = os.environ[name]
        full.update(env)
        try:
            return subprocess.run([relay_bin(), "--listen", "127.0.0.1:%d" % free_port()],
                                  env=full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=30)
        except subprocess.TimeoutExpired:
            self.fail("the relay started with %r" % env)

    def assert_refuses(self, env, variable):
        r = self.start_relay(env)
        out = r.stdout.decode("utf-8", "replace")
        self.assertNotEqual(r.returncode, 0, out)
        self.assertIn(variable, out)
        self.assertNotIn("Sanitizer", out)

    def test_unknown_mode(self):
        self.assert_refuses({"RELAY_AUTH": "bogus"}, "RELAY_AUTH")

    def test_hs256_without_secret(self):
        self.assert_refuses({"RELAY_AUTH": "hs256"}, "RELAY_JWT_SECRET")

    def test_hs256_with_a_short_or_placeholder_secret(self):
        """Issue 18: any non-empty secret was accepted, the example's
        "change-me" too. 32 bytes at least, no placeholder; the message
        names the variable, never the value."""
        for secret in ("change-me", "CHANGE-ME", "changeme", "s3cret", "x" * 31,
                       "REPLACE-with-the-output-of-openssl-rand-hex-32"):
            with self.subTest(secret=secret):
                r = self.start_relay({"RELAY_AUTH": "hs256", "RELAY_JWT_SECRET": secret})
                out = r.stdout.decode("utf-8", "replace")
                self.assertEqual(r.returncode, 1, out)  # as for every bad setting
                self.assertIn("RELAY_JWT_SECRET", out)
                self.assertNotIn(secret, out)
                self.assertNotIn("Sanitizer", out)

    def test_jwt_without_an_audience(self):
        """Issue 11: jwt mode must know its audience; it used to take the Host."""
        r = self.start_relay({"RELAY_AUTH": "jwt"})
        out = r.stdout.decode("utf-8", "replace")
        self.assertNotEqual(r.returncode, 0, out)
        self.assertIn("RELAY_AUDIENCE", out)
        self.assertIn("RELAY_PUBLIC_URL", out)
        self.assertNotIn("Sanitizer", out)
        # Empty values are not a setting either.
        self.assert_refuses({"RELAY_AUTH": "jwt", "RELAY_AUDIENCE": " , ",
                             "RELAY_PUBLIC_URL": ""}, "RELAY_PUBLIC_URL")

    def test_bad_public_url(self):
        for url in ("relay.example.com", "ftp://relay.example.com", "https:///",
                    "https://relay.example.com/?x"):
            with self.subTest(url=url):
                self.assert_refuses({"RELAY_AUTH": "jwt", "RELAY_PUBLIC_URL": url},
                                    "RELAY_PUBLIC_URL")

    def test_jwks_host_with_a_path(self):
        self.assert_refuses({"RELAY_AUTH": "jwt",
                             "RELAY_JWKS_HOSTS": "visibility.amp.cisco.com/evil"},
                            "RELAY_JWKS_HOSTS")


if __name__ == "__main__":
    unittest.main()
