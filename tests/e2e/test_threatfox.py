"""test_threatfox.py: the threatfox module end to end, through a real nginx.

docs/api.md, "Module: threatfox": the POST with the Auth-Key, exact
matching, the entities (verdict, sighting, judgement, indicator per family,
based-on and sighting-of relationships), refer, the cache (successful
answers only, per key acceptance), 401 as an authorization error never
cached, other query_status values as warnings, the bounds (entities limit,
a huge data array, a hanging upstream), hostile text, and the key never
leaving the relay but in the Auth-Key header.

The upstream is fake_threatfox.FakeThreatFox. Each test uses its own
values, so the relay's cache, shared by the class, never links two tests.
"""

import json
import re
import time
import uuid

from harness import RelayTestCase
from fake_threatfox import FakeThreatFox, KEYS, record
from testkit import hs256_token

DELIBERATE = "/threatfox/deliberate/observables"
OBSERVE = "/threatfox/observe/observables"
REFER = "/threatfox/refer/observables"
SOURCE = "ThreatFox"
REFUSED = "Authorization failed: ThreatFox refused the Auth-Key."
ID_NAMESPACE = uuid.UUID("ce801a56-e465-43ec-a4e7-ea126212c037")
THIRTY_DAYS = 30 * 24 * 3600


def obs(*pairs):
    return [{"type": t, "value": v} for t, v in pairs]


def stable(family):
    return "transient:indicator-%s" % uuid.uuid5(ID_NAMESPACE, "threatfox:" + family)


class ThreatFoxCase(RelayTestCase):
    """A FakeThreatFox, then the harness's relay + nginx with the module on."""

    key = KEYS[0]
    cache_seconds = 3600
    extra = {}

    @classmethod
    def setUpClass(cls):
        cls.tf = FakeThreatFox()
        cls.tf.start()
        cls.addClassCleanup(cls.tf.stop)
        super().setUpClass()

    @classmethod
    def extra_env(cls):
        env = super().extra_env()
        env.update({"RELAY_MODULES": "tweettioc,threatfox", "THREATFOX_URL": cls.tf.url,
                    "THREATFOX_CACHE_SECONDS": str(cls.cache_seconds),
                    "RELAY_UPSTREAM_TIMEOUT_MS": "3000"})
        if cls.key:
            env["THREATFOX_AUTH_KEY"] = cls.key
        env.update(cls.extra)
        return env

    def envelope(self, path, body, headers=None):
        status, answer, _ = self.post(path, body, headers)
        self.assertEqual(status, 200, answer)
        self.assertIsInstance(answer, dict, answer)
        self.assertTrue(answer and set(answer) <= {"data", "errors"}, answer)
        return answer

    def data(self, path, body, headers=None):
        answer = self.envelope(path, body, headers)
        self.assertNotIn("errors", answer, answer)
        return answer["data"]

    def docs(self, data, key):
        if key not in data:
            return []
        self.assertEqual(data[key]["count"], len(data[key]["docs"]), data[key])
        return data[key]["docs"]


class ThreatFoxTests(ThreatFoxCase):

    def test_an_ip_port_record_gives_the_verdict_sighting_judgement_and_indicator(self):
        self.tf.records("198.51.100.7", [record("198.51.100.7:443", rid=4242, confidence=80,
                                                 last_seen="2025-11-21 09:30:00 UTC")])
        data = self.data(OBSERVE, obs(("ip", "198.51.100.7")))
        self.assertEqual(set(data), {"verdicts", "sightings", "judgements", "indicators",
                                     "relationships"}, data)
        [v] = self.docs(data, "verdicts")
        [s] = self.docs(data, "sightings")
        [j] = self.docs(data, "judgements")
        [i] = self.docs(data, "indicators")
        rels = self.docs(data, "relationships")
        page = "https://threatfox.abuse.ch/ioc/4242/"
        self.assertEqual((v["disposition"], v["disposition_name"]), (2, "Malicious"))
        self.assertEqual(v["judgement_id"], j["id"])
        self.assertEqual(s["source"], SOURCE)
        self.assertEqual(s["source_uri"], page)
        self.assertEqual(s["title"], "Reported to ThreatFox")
        self.assertEqual(s["confidence"], "High")
        self.assertEqual(s["external_ids"], ["threatfox-4242"])
        self.assertEqual(s["observed_time"], {"start_time": "2025-11-20T10:00:00.000Z",
                                              "end_time": "2025-11-21T09:30:00.000Z"})
        self.assertIn("Cobalt Strike", s["description"])
        self.assertEqual((j["disposition"], j["severity"], j["priority"], j["confidence"]),
                         (2, "High", 85, "High"))
        self.assertEqual(j["reason"], "Botnet C\\&C: Cobalt Strike")  # inert Markdown
        self.assertEqual(j["reason_uri"], page)
        self.assertEqual(i["id"], stable("Cobalt Strike"))
        self.assertEqual(i["producer"], SOURCE)
        self.assertEqual(sorted(i["tags"]), ["Agentemis", "BEACON", "CobaltStrike"])
        self.assertEqual(sorted((r["relationship_type"], r["source_ref"], r["target_ref"])
                                for r in rels),
                         sorted([("based-on", j["id"], i["id"]),
                                 ("sighting-of", s["id"], i["id"])]))

    def test_the_request_reaching_threatfox_is_a_post_with_the_key_and_the_right_query(self):
        self.tf.reset()
        self.data(OBSERVE, obs(("domain", "nothing-here.example"), ("md5", "A" * 32)))
        reqs = self.tf.requests()
        self.assertEqual(len(reqs), 2, reqs)
        for r in reqs:
            self.assertEqual(r["path"], "/api/v1/")
            self.assertEqual(r["headers"].get("Auth-Key"), self.key)
        self.assertEqual(sorted(json.dumps(r["query"], sort_keys=True) for r in reqs),
                         sorted([json.dumps({"query": "search_ioc",
                                             "search_term": "nothing-here.example"},
                                            sort_keys=True),
                                 json.dumps({"query": "search_hash", "hash": "A" * 32},
                                            sort_keys=True)]))

    def test_matching_is_exact_never_a_longer_ip(self):
        self.tf.records("1.2.3.4", [record("11.2.3.4:80", rid=1), record("1.2.3.45", rid=2)])
        self.assertEqual(self.data(OBSERVE, obs(("ip", "1.2.3.4"))), {})
        h = "d41d8cd98f00b204e9800998ecf8427e"
        self.tf.records(h.upper(), [record(h, ioc_type="md5_hash", rid=3)])
        [v] = self.docs(self.data(DELIBERATE, obs(("md5", h.upper()))), "verdicts")
        self.assertEqual(v["observable"], {"type": "md5", "value": h.upper()})

    def test_deliberate_gives_only_the_verdict_valid_thirty_days(self):
        self.tf.records("evil-one.example", [record("evil-one.example", ioc_type="domain")])
        data = self.data(DELIBERATE, obs(("domain", "evil-one.example")))
        self.assertEqual(set(data), {"verdicts"}, data)

    def test_refer_links_the_threatfox_search(self):
        data = self.data(REFER, obs(("ip", "203.0.113.9"), ("email", "a@b.example")))
        [r] = data
        self.assertEqual(r["url"], "https://threatfox.abuse.ch/browse.php?search=ioc%3A203.0.113.9")

    def test_a_repeated_request_is_served_from_the_cache(self):
        self.tf.records("evil-two.example", [record("evil-two.example", ioc_type="domain")])
        self.data(DELIBERATE, obs(("domain", "evil-two.example")))
        self.tf.reset()
        self.data(DELIBERATE, obs(("domain", "evil-two.example")))
        self.assertEqual(self.tf.searched(), [])

    def test_another_query_status_is_a_warning_and_the_other_observables_are_kept(self):
        self.tf.query_status("evil-three.example", "illegal_search_term")
        self.tf.raw("evil-four.example", b"<html>not json")
        self.tf.records("evil-five.example", [record("evil-five.example", ioc_type="domain")])
        answer = self.envelope(DELIBERATE, obs(("domain", "evil-three.example"),
                                               ("domain", "evil-four.example"),
                                               ("domain", "evil-five.example")))
        [v] = self.docs(answer["data"], "verdicts")
        self.assertEqual(v["observable"]["value"], "evil-five.example")
        kinds = sorted((e["type"], e["code"]) for e in answer["errors"])
        self.assertEqual(kinds, [("fatal", "key error"), ("warning", "warning")], answer)
        warning = [e for e in answer["errors"] if e["type"] == "warning"][0]
        self.assertIn("illegal_search_term", warning["message"])
        # Not cached: asked again.
        self.tf.reset()
        self.envelope(DELIBERATE, obs(("domain", "evil-three.example")))
        self.assertEqual(self.tf.searched(), ["evil-three.example"])

    def test_a_huge_data_array_is_bounded_by_the_entities_limit(self):
        recs = [record("evil-six.example", ioc_type="domain", rid=10000 + n)
                for n in range(3000)]
        self.tf.records("evil-six.example", recs)
        answer = self.envelope(OBSERVE, obs(("domain", "evil-six.example")))
        self.assertEqual(len(self.docs(answer["data"], "sightings")), 100)
        self.assertEqual(len(self.docs(answer["data"], "indicators")), 1)
        [w] = answer["errors"]
        self.assertEqual((w["type"], w["code"]), ("warning", "too-many-entities"))

    def test_hostile_text_is_inert_and_a_bad_reference_is_left_out(self):
        self.tf.records("evil-seven.example", [record(
            "evil-seven.example", ioc_type="domain", rid=77,
            printable="[click](http://x.example) <img src=x>", reference="javascript:alert(1)",
            reporter="**bold**")])
        data = self.data(OBSERVE, obs(("domain", "evil-seven.example")))
        [s] = self.docs(data, "sightings")
        [i] = self.docs(data, "indicators")
        for text in (s["description"], i["title"]):
            self.assertNotIn("](http", text)
            self.assertNotRegex(text, r"(?<!\\)<img")  # only escaped: \<img
        self.assertNotIn("javascript", s["description"])
        self.assertIn("\\*\\*bold\\*\\*", s["description"])


class ThreatFoxDeadlineTests(ThreatFoxCase):
    extra = {"RELAY_REQUEST_DEADLINE_MS": "1000"}

    def test_a_hanging_upstream_is_cut_by_the_deadline_and_the_rest_kept(self):
        self.tf.records("slow.example", [record("slow.example", ioc_type="domain")], delay=2.5)
        self.tf.records("fast.example", [record("fast.example", ioc_type="domain")])
        started = time.monotonic()
        answer = self.envelope(DELIBERATE, obs(("domain", "slow.example"),
                                               ("domain", "fast.example")))
        self.assertLess(time.monotonic() - started, 2.0)
        [v] = self.docs(answer["data"], "verdicts")
        self.assertEqual(v["observable"]["value"], "fast.example")
        [e] = answer["errors"]
        self.assertEqual(e["code"], "service unavailable")
        self.assertIn("slow.example", e["message"])


class ThreatFoxRefusedKeyTests(ThreatFoxCase):
    key = "not-a-valid-key-000"

    def test_a_refused_key_is_one_authorization_error_and_never_cached(self):
        self.tf.records("evil-eight.example", [record("evil-eight.example", ioc_type="domain")])
        for _ in range(2):
            self.tf.reset()
            answer = self.envelope(DELIBERATE, obs(("domain", "evil-eight.example"),
                                                   ("ip", "192.0.2.1")))
            self.assertEqual(answer["errors"], [{"type": "fatal", "code": "authorization error",
                                                 "message": REFUSED}], answer)
            self.assertNotIn("data", answer)
            self.assertEqual(sorted(self.tf.searched()), ["192.0.2.1", "evil-eight.example"])


class ThreatFoxNoKeyTests(ThreatFoxCase):
    key = None

    def test_without_any_key_the_answer_says_where_to_set_it(self):
        answer = self.envelope(DELIBERATE, obs(("ip", "192.0.2.2")))
        [e] = answer["errors"]
        self.assertEqual(e["code"], "authorization error")
        self.assertIn("module's configuration", e["message"])
        self.assertEqual(self.tf.requests(), [])


class ThreatFoxSecretTests(ThreatFoxCase):
    key = KEYS[1]

    def test_the_key_never_leaves_but_in_the_auth_key_header(self):
        self.tf.records("evil-nine.example", [record("evil-nine.example", ioc_type="domain")])
        self.tf.status("evil-ten.example", 500)
        bodies = []
        for path in (OBSERVE, DELIBERATE, REFER, "/threatfox/health"):
            _, body, _ = self.post(path, obs(("domain", "evil-nine.example"),
                                             ("domain", "evil-ten.example")))
            bodies.append(body)
        bodies.append(self.get("/metrics")[1])
        for b in bodies:
            text = b.decode("latin-1") if isinstance(b, bytes) else (
                b if isinstance(b, str) else json.dumps(b))
            self.assertNotIn(self.key, text)
        self.assertNotIn(self.key, self.relay.stderr())
        self.assertNotIn(self.key, self.nginx.log())
        for r in self.tf.requests():
            self.assertEqual(r["headers"].get("Auth-Key"), self.key)
            self.assertNotIn(self.key.encode(), r["raw"])
            self.assertNotIn(self.key, r["path"])
            others = {k: v for k, v in r["headers"].items() if k.lower() != "auth-key"}
            self.assertNotIn(self.key, json.dumps(others))


# ------------------------------------------------------------ claims (hs256)
SECRET = "e2e shared secret for the threatfox claims tests"


class ThreatFoxClaimsTests(ThreatFoxCase):
    """docs/authentication.md, claims: `key` and CTR_ENTITIES_LIMIT from a
    verified token; no THREATFOX_AUTH_KEY, so every key comes from a token."""

    key = None
    extra = {"RELAY_AUTH": "hs256", "RELAY_JWT_SECRET": SECRET}

    @classmethod
    def wait_healthy(cls, timeout=15):
        pass  # /health needs a token here; the first test's call waits instead

    def bearer(self, **claims):
        return {"Authorization": "Bearer " + hs256_token(SECRET, claims)}

    def test_the_key_claim_is_the_auth_key_sent(self):
        self.tf.records("claims-one.example", [record("claims-one.example", ioc_type="domain")])
        self.tf.reset()
        data = self.data(DELIBERATE, obs(("domain", "claims-one.example")),
                         self.bearer(key=KEYS[1]))
        self.assertEqual(len(self.docs(data, "verdicts")), 1)
        [r] = self.tf.requests()
        self.assertEqual(r["headers"].get("Auth-Key"), KEYS[1])

    def test_an_unusable_key_claim_is_an_authorization_error_that_never_echoes_it(self):
        self.tf.reset()
        for claim in (42, "", "k" * 10240, "has space", ["k"]):
            with self.subTest(claim=str(claim)[:20]):
                answer = self.envelope(DELIBERATE, obs(("ip", "192.0.2.3")),
                                       self.bearer(key=claim))
                [e] = answer["errors"]
                self.assertEqual(e["code"], "authorization error")
                self.assertIn("Auth-Key", e["message"])
                if isinstance(claim, str) and claim:
                    self.assertNotIn(claim, json.dumps(answer))
        self.assertEqual(self.tf.requests(), [])

    def test_a_cached_answer_is_served_only_to_a_key_threatfox_accepted(self):
        self.tf.records("claims-two.example", [record("claims-two.example", ioc_type="domain")])
        body = obs(("domain", "claims-two.example"))
        self.data(DELIBERATE, body, self.bearer(key=KEYS[0]))
        self.tf.reset()
        # Another tenant's key, never accepted: asks ThreatFox itself (401).
        answer = self.envelope(DELIBERATE, body, self.bearer(key="stranger-key-0000"))
        self.assertEqual(answer["errors"][0]["message"], REFUSED)
        self.assertNotIn("data", answer)
        self.assertEqual(self.tf.searched(), ["claims-two.example"])
        # The first key again: from the cache.
        self.tf.reset()
        self.data(DELIBERATE, body, self.bearer(key=KEYS[0]))
        self.assertEqual(self.tf.searched(), [])

    def test_the_entities_limit_claim(self):
        recs = [record("claims-three.example", ioc_type="domain", rid=20000 + n)
                for n in range(1200)]
        self.tf.records("claims-three.example", recs)
        body = obs(("domain", "claims-three.example"))
        for claim, want, codes in ((3, 3, ["too-many-entities"]),
                                   ("4", 4, ["too-many-entities"]),
                                   ("many", 100, ["too-many-entities", "warning"]),
                                   (0, 100, ["too-many-entities", "warning"]),
                                   (5000, 1000, ["too-many-entities"])):
            with self.subTest(claim=claim):
                answer = self.envelope(OBSERVE, body,
                                       self.bearer(key=KEYS[0], CTR_ENTITIES_LIMIT=claim))
                self.assertEqual(len(self.docs(answer["data"], "sightings")), want)
                self.assertEqual(sorted(e["code"] for e in answer["errors"]), codes, answer)

    def test_the_key_claim_never_leaves_but_in_the_auth_key_header(self):
        secret_key = KEYS[1]
        self.tf.records("claims-four.example", [record("claims-four.example",
                                                       ioc_type="domain")])
        self.tf.status("claims-five.example", 503)
        self.tf.reset()
        texts = []
        for path in (OBSERVE, DELIBERATE, REFER, "/threatfox/health"):
            _, b, _ = self.post(path, obs(("domain", "claims-four.example"),
                                          ("domain", "claims-five.example")),
                                self.bearer(key=secret_key))
            texts.append(json.dumps(b))
        texts.append(str(self.get("/metrics")[1]))
        for t in texts:
            self.assertNotIn(secret_key, t)
        self.assertNotIn(secret_key, self.relay.stderr())
        self.assertTrue(self.tf.requests())
        for r in self.tf.requests():
            self.assertEqual(r["headers"].get("Auth-Key"), secret_key)
            self.assertNotIn(secret_key.encode(), r["raw"])
            self.assertNotIn(secret_key, r["path"])


class ThreatFoxNoneModeIgnoresClaimsTests(ThreatFoxCase):
    key = None

    def test_in_none_mode_a_key_claim_is_not_used(self):
        from fake_jwks import token_unsigned
        header = {"Authorization": "Bearer " + token_unsigned({"key": KEYS[0]})}
        answer = self.envelope(DELIBERATE, obs(("ip", "192.0.2.4")), header)
        [e] = answer["errors"]
        self.assertEqual(e["code"], "authorization error")
        self.assertEqual(self.tf.requests(), [])
