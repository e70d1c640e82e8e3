"""test_cybercrime.py: the cybercrime module end to end, through a real nginx.

CONTRACT 4.2 (query, mapping, refer, cache), 3.2 (error codes) and the
issue's acceptance points: ten 0.4 s lookups answered in well under a
second, a 500 for one observable leaving the other's verdict in `data`, a
URL with `?`, `&` and `#` reaching the upstream intact and reported as sent,
and a repeated request within the TTL not reaching the upstream.

The upstream is fake_cybercrime.FakeCybercrime. The harness's
RelayTestCase starts the tweettioc fake, the relay and nginx; the classes
here start their fake first and add RELAY_MODULES / CYBERCRIME_URL through
extra_env() (no harness change needed). Each test uses its own values, so
the relay's cache, shared by the class, never links two tests.
"""

import calendar
import re
import sys
import time
import urllib.parse
import uuid

from harness import RelayTestCase
from fake_cybercrime import FakeCybercrime

HEALTH = "/cybercrime/health"
DELIBERATE = "/cybercrime/deliberate/observables"
OBSERVE = "/cybercrime/observe/observables"
REFER = "/cybercrime/refer/observables"
SOURCE = "CyberCrime Tracker"
UNAVAILABLE = "The CyberCrime Tracker is unavailable. Please, try again later."
KEY_ERROR = "The data structure of CyberCrime Tracker has changed. The module is broken."
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SEVEN_DAYS = 7 * 24 * 3600
# The namespace of the relay's stable ids (include/ctim/uuid5.h).
ID_NAMESPACE = uuid.UUID("ce801a56-e465-43ec-a4e7-ea126212c037")


def parse_time(text):
    if not isinstance(text, str) or not TIME_RE.match(text):
        raise AssertionError("not a CTIM UTC time with milliseconds: %r" % (text,))
    whole, frac = text[:-1].split(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + int(frac) / 1000.0


def obs(*pairs):
    return [{"type": t, "value": v} for t, v in pairs]


class CybercrimeCase(RelayTestCase):
    """A FakeCybercrime, then the harness's relay + nginx with the module on."""

    modules = "tweettioc,cybercrime"
    cache_seconds = 3600
    timeout_ms = 1500

    @classmethod
    def setUpClass(cls):
        cls.cc = FakeCybercrime()
        cls.cc.start()
        # Class cleanups run even when setUpClass() fails.
        cls.addClassCleanup(cls.cc.stop)
        super().setUpClass()

    @classmethod
    def extra_env(cls):
        env = super().extra_env()
        env.update({"RELAY_MODULES": cls.modules, "CYBERCRIME_URL": cls.cc.url,
                    "CYBERCRIME_CACHE_SECONDS": str(cls.cache_seconds),
                    "RELAY_UPSTREAM_TIMEOUT_MS": str(cls.timeout_ms)})
        return env

    # -- helpers
    def envelope(self, path, body):
        status, answer, _ = self.post(path, body)
        self.assertEqual(status, 200, answer)
        self.assertIsInstance(answer, dict, answer)
        self.assertTrue(answer and set(answer) <= {"data", "errors"}, answer)
        return answer

    def data(self, path, body):
        answer = self.envelope(path, body)
        self.assertNotIn("errors", answer, answer)
        return answer["data"]

    def docs(self, data, key):
        if key not in data:
            return []
        self.assertEqual(data[key]["count"], len(data[key]["docs"]), data[key])
        return data[key]["docs"]

    def assert_valid_time(self, vt):
        start, end = parse_time(vt["start_time"]), parse_time(vt["end_time"])
        self.assertLess(abs(start - time.time()), 120, vt)
        self.assertLess(abs((end - start) - SEVEN_DAYS), 2, vt)

    def assert_malicious_verdict(self, verdict, obs_type, value):
        self.assertEqual(verdict["type"], "verdict")
        self.assertEqual(verdict["disposition"], 2, verdict)
        self.assertEqual(verdict["disposition_name"], "Malicious", verdict)
        self.assertEqual(verdict["observable"], {"type": obs_type, "value": value})
        self.assertTrue(verdict["judgement_id"].startswith("transient:judgement-"), verdict)
        self.assert_valid_time(verdict["valid_time"])

    def search_url(self, query):
        return "%s/index.php?search=%s" % (self.cc.url, urllib.parse.quote(query, safe=""))


class CybercrimeTests(CybercrimeCase):
    """Both modules enabled; the cybercrime endpoints under /cybercrime/."""

    def test_malicious_ip_gives_the_python_relays_judgement_and_a_verdict(self):
        self.cc.malicious("104.24.123.62", "Keitaro")
        data = self.data(OBSERVE, obs(("ip", "104.24.123.62")))
        self.assertEqual(set(data), {"judgements", "verdicts", "indicators", "relationships"},
                         data)
        [j] = self.docs(data, "judgements")
        [v] = self.docs(data, "verdicts")
        self.assertNotIn("schema_version", v)  # CTIM's Verdict has no such key
        expected = {"type": "judgement", "confidence": "Low", "priority": 90,
                    "severity": "Medium", "source": SOURCE, "disposition": 2,
                    "disposition_name": "Malicious", "reason": "Malicious: Keitaro",
                    "source_uri": self.search_url("104.24.123.62"),
                    "observable": {"type": "ip", "value": "104.24.123.62"}}
        self.assertEqual({k: j.get(k) for k in expected}, expected)
        self.assertTrue(j["id"].startswith("transient:judgement-"), j)
        self.assert_valid_time(j["valid_time"])
        self.assert_malicious_verdict(v, "ip", "104.24.123.62")
        self.assertEqual(v["judgement_id"], j["id"])
        self.assertEqual(v["valid_time"], j["valid_time"])

    def test_the_family_is_an_indicator_the_judgement_is_based_on(self):
        self.cc.malicious("104.24.123.63", "Keitaro")
        data = self.data(OBSERVE, obs(("ip", "104.24.123.63")))
        [j] = self.docs(data, "judgements")
        [i] = self.docs(data, "indicators")
        [r] = self.docs(data, "relationships")
        self.assertEqual(i["producer"], SOURCE)
        self.assertEqual(i["tlp"], "white")
        self.assertEqual(i["title"], "Malware family: Keitaro")
        self.assertIn("Keitaro", i["short_description"])
        self.assert_valid_time(i["valid_time"])
        self.assertTrue(i["id"].startswith("transient:indicator-"), i)
        self.assertEqual((r["relationship_type"], r["source_ref"], r["target_ref"]),
                         ("based-on", j["id"], i["id"]))
        # A message that names no family: judgement and verdict only.
        self.cc.malicious("104.24.123.64", "")
        data = self.data(OBSERVE, obs(("ip", "104.24.123.64")))
        self.assertEqual(set(data), {"judgements", "verdicts"}, data)

    def test_one_family_is_one_indicator_id_in_every_answer(self):
        # docs/api.md, "Ids that stay the same": uuid5 of "<module>:<family>"
        # in the relay's namespace (include/ctim/uuid5.h).
        def stable(family):
            return "transient:indicator-%s" % uuid.uuid5(ID_NAMESPACE, "cybercrime:" + family)
        self.cc.malicious("104.24.124.1", "Keitaro")
        self.cc.malicious("104.24.124.2", "Keitaro")
        self.cc.malicious("104.24.124.3", "Azorult")
        first = self.data(OBSERVE, obs(("ip", "104.24.124.1"), ("ip", "104.24.124.3")))
        second = self.data(OBSERVE, obs(("ip", "104.24.124.2")))
        both = self.data(OBSERVE, obs(("ip", "104.24.124.1"), ("ip", "104.24.124.2")))
        ids = lambda data: sorted(i["id"] for i in self.docs(data, "indicators"))
        self.assertEqual(ids(first), sorted([stable("Keitaro"), stable("Azorult")]))
        self.assertEqual(ids(second), [stable("Keitaro")])
        # Two observables of one family in one answer: one indicator, and
        # each judgement based on it.
        self.assertEqual(ids(both), [stable("Keitaro")])
        rels = self.docs(both, "relationships")
        self.assertEqual(sorted(r["source_ref"] for r in rels),
                         sorted(j["id"] for j in self.docs(both, "judgements")))
        self.assertEqual({r["target_ref"] for r in rels}, {stable("Keitaro")})
        # Judgements keep per-answer ids.
        [j1] = [j for j in self.docs(first, "judgements")
                if j["observable"]["value"] == "104.24.124.1"]
        [j2] = [j for j in self.docs(both, "judgements")
                if j["observable"]["value"] == "104.24.124.1"]
        self.assertNotEqual(j1["id"], j2["id"])

    def test_deliberate_gives_only_the_verdict(self):
        self.cc.malicious("10.1.0.1", "Azorult")
        data = self.data(DELIBERATE, obs(("ip", "10.1.0.1")))
        self.assertEqual(set(data), {"verdicts"}, data)
        [v] = self.docs(data, "verdicts")
        self.assert_malicious_verdict(v, "ip", "10.1.0.1")

    def test_any_other_message_gives_empty_data(self):
        self.cc.message("10.2.0.1", "Not found")
        self.cc.message("10.2.0.2", "Clean")
        self.assertEqual(self.data(OBSERVE, obs(("ip", "10.2.0.1"), ("ip", "10.2.0.2"))), {})
        self.assertEqual(self.data(DELIBERATE, obs(("ip", "10.2.0.1"))), {})

    def test_unsupported_types_are_skipped_without_asking_the_upstream(self):
        before = self.cc.total()
        body = obs(("domain", "example.com"), ("sha256", "a" * 64), ("ipv6", "::1"))
        self.assertEqual(self.data(OBSERVE, body), {})
        self.assertEqual(self.data(REFER, body), [])
        self.assertEqual(self.cc.total(), before)

    def test_url_with_query_and_fragment_reaches_the_upstream_intact_and_is_reported_as_sent(self):
        url = "http://evil.example/gate.php?a=1&b=2#frag"
        self.cc.malicious("evil.example/gate.php?a=1&b=2#frag", "Pony")
        data = self.data(OBSERVE, obs(("url", url)))
        self.assertIn("evil.example/gate.php?a=1&b=2#frag", self.cc.queries())
        [j] = self.docs(data, "judgements")
        [v] = self.docs(data, "verdicts")
        self.assertEqual(j["observable"], {"type": "url", "value": url})
        self.assert_malicious_verdict(v, "url", url)
        self.assertEqual(j["source_uri"], self.search_url("evil.example/gate.php?a=1&b=2#frag"))

    def test_type_is_case_insensitive_and_reported_lowercase(self):
        self.cc.malicious("10.3.0.1")
        [v] = self.docs(self.data(DELIBERATE, obs(("IP", "10.3.0.1"))), "verdicts")
        self.assertEqual(v["observable"], {"type": "ip", "value": "10.3.0.1"})

    def test_ten_slow_observables_are_answered_concurrently(self):
        values = ["10.4.0.%d" % i for i in range(10)]
        for value in values:
            self.cc.malicious(value, "Slow", delay=0.4)
        started = time.monotonic()
        data = self.data(DELIBERATE, obs(*[("ip", v) for v in values]))
        elapsed = time.monotonic() - started
        sys.stdout.write("\n    cybercrime: ten observables at 0.4 s each answered in %.3f s "
                         % elapsed)
        self.assertEqual(len(self.docs(data, "verdicts")), 10, data)
        self.assertLess(elapsed, 0.9, "lookups ran one after another?")
        self.assertGreaterEqual(elapsed, 0.4)

    def test_a_500_for_one_observable_leaves_the_others_verdict_in_data(self):
        self.cc.malicious("10.5.0.1", "Keitaro")
        self.cc.status("10.5.0.2", 500)
        answer = self.envelope(OBSERVE, obs(("ip", "10.5.0.1"), ("ip", "10.5.0.2")))
        self.assertIn("data", answer, answer)
        [v] = self.docs(answer["data"], "verdicts")
        self.assert_malicious_verdict(v, "ip", "10.5.0.1")
        [e] = answer["errors"]
        self.assertEqual((e["type"], e["code"]), ("fatal", "service unavailable"), e)
        self.assertTrue(e["message"].startswith(UNAVAILABLE), e)
        self.assertIn("10.5.0.2", e["message"])

    def test_upstream_failures_map_to_the_contract_codes(self):
        cases = [(404, "not found"), (500, "service unavailable"),
                 (502, "service unavailable"), (503, "service unavailable"),
                 (504, "service unavailable"), (429, "too many requests"),
                 (302, "unknown")]
        for n, (code, expected) in enumerate(cases):
            value = "10.6.0.%d" % n
            self.cc.status(value, code)
            with self.subTest(status=code):
                answer = self.envelope(DELIBERATE, obs(("ip", value)))
                self.assertNotIn("data", answer, answer)
                [e] = answer["errors"]
                self.assertEqual(e["code"], expected, e)
                self.assertIn(value, e["message"])

    def test_answers_of_the_wrong_shape_are_a_key_error(self):
        bodies = [b'{"success": true}', b"<html>oops</html>", b'["Malicious: X"]',
                  b'{"message": 42}', b""]
        for n, body in enumerate(bodies):
            value = "10.7.0.%d" % n
            self.cc.raw(value, body)
            with self.subTest(body=body):
                answer = self.envelope(OBSERVE, obs(("ip", value)))
                [e] = answer["errors"]
                self.assertEqual(e["code"], "key error", e)
                self.assertTrue(e["message"].startswith(KEY_ERROR), e)

    def test_one_error_entry_per_failing_observable(self):
        self.cc.status("10.8.0.1", 503)
        self.cc.status("10.8.0.2", 503)
        self.cc.malicious("10.8.0.3")
        answer = self.envelope(DELIBERATE, obs(("ip", "10.8.0.1"), ("ip", "10.8.0.2"),
                                               ("ip", "10.8.0.3")))
        self.assertEqual(len(answer["errors"]), 2, answer)
        self.assertIn("10.8.0.1", answer["errors"][0]["message"])
        self.assertIn("10.8.0.2", answer["errors"][1]["message"])
        self.assertEqual(len(self.docs(answer["data"], "verdicts")), 1)

    def test_a_timeout_is_service_unavailable(self):
        self.cc.malicious("10.9.0.1", delay=2.5)  # the class's timeout is 1.5 s
        started = time.monotonic()
        answer = self.envelope(DELIBERATE, obs(("ip", "10.9.0.1")))
        self.assertLess(time.monotonic() - started, 2.4)
        [e] = answer["errors"]
        self.assertEqual(e["code"], "service unavailable", e)

    def test_a_repeated_request_within_the_ttl_does_not_reach_the_upstream(self):
        self.cc.malicious("10.10.0.1")
        self.cc.message("10.10.0.2", "Not found")
        body = obs(("ip", "10.10.0.1"), ("ip", "10.10.0.2"), ("url", "http://cached.example/x"))
        first = self.data(OBSERVE, body)
        before = self.cc.total()
        second = self.data(OBSERVE, body)
        self.data(DELIBERATE, body)
        self.assertEqual(self.cc.total(), before, "a cached value was asked again")
        self.assertEqual(len(self.docs(second, "verdicts")), 1)
        self.assertEqual(self.docs(first, "judgements")[0]["reason"],
                         self.docs(second, "judgements")[0]["reason"])

    def test_failures_are_not_cached(self):
        self.cc.status("10.11.0.1", 500)
        self.envelope(DELIBERATE, obs(("ip", "10.11.0.1")))
        self.cc.malicious("10.11.0.1")
        data = self.data(DELIBERATE, obs(("ip", "10.11.0.1")))
        self.assertEqual(len(self.docs(data, "verdicts")), 1)
        self.assertEqual(self.cc.count("10.11.0.1"), 2)

    def test_the_same_value_under_two_schemes_is_asked_once(self):
        self.cc.malicious("twice.example/p")
        body = obs(("url", "http://twice.example/p"), ("url", "https://twice.example/p"))
        verdicts = self.docs(self.data(DELIBERATE, body), "verdicts")
        self.assertEqual(sorted(v["observable"]["value"] for v in verdicts),
                         ["http://twice.example/p", "https://twice.example/p"])
        self.assertEqual(self.cc.count("twice.example/p"), 1)

    def test_refer_gives_a_search_link_per_supported_observable(self):
        before = self.cc.total()
        body = obs(("ip", "10.12.0.1"), ("url", "http://x.example/y?a=1&b=2#f"),
                   ("domain", "x.example"))
        refs = self.data(REFER, body)
        self.assertEqual(self.cc.total(), before, "refer must not call the upstream")
        self.assertEqual([r["id"] for r in refs],
                         ["ref-cybercrime-search-ip-10.12.0.1",
                          "ref-cybercrime-search-url-"
                          + urllib.parse.quote("http://x.example/y?a=1&b=2#f", safe="")])
        self.assertEqual(refs[0]["url"], self.search_url("10.12.0.1"))
        self.assertEqual(refs[1]["url"], self.search_url("x.example/y?a=1&b=2#f"))
        for r in refs:
            self.assertEqual(r["categories"], ["Search", SOURCE], r)
            self.assertTrue(r["title"].startswith("Search for this "), r)
            self.assertTrue(r["description"], r)

    def test_health_is_ok_when_the_upstream_answers(self):
        before = self.cc.count("127.0.0.1")
        self.assertEqual(self.data(HEALTH, {}), {"status": "ok"})
        self.assertEqual(self.cc.count("127.0.0.1"), before + 1, "health must really ask")

    def test_health_reports_what_is_wrong_with_the_upstream(self):
        try:
            self.cc.status("127.0.0.1", 503)
            answer = self.envelope(HEALTH, {})
            self.assertNotIn("data", answer)
            self.assertEqual(answer["errors"][0]["code"], "service unavailable", answer)
            self.assertTrue(answer["errors"][0]["message"].startswith(UNAVAILABLE), answer)
            self.cc.raw("127.0.0.1", b'{"error": "changed"}')
            answer = self.envelope(HEALTH, {})
            self.assertEqual(answer["errors"][0]["code"], "key error", answer)
            self.assertEqual(answer["errors"][0]["message"], KEY_ERROR)
            self.cc.status("127.0.0.1", 429)
            answer = self.envelope(HEALTH, {})
            self.assertEqual(answer["errors"][0]["code"], "too many requests", answer)
        finally:
            self.cc.clear("127.0.0.1")
        self.assertEqual(self.data(HEALTH, {}), {"status": "ok"})

    def test_metrics_count_lookups_cache_hits_and_upstream_errors(self):
        self.cc.status("10.13.0.1", 404)
        self.cc.malicious("10.13.0.2")
        body = obs(("ip", "10.13.0.1"), ("ip", "10.13.0.2"))
        self.envelope(DELIBERATE, body)
        self.envelope(DELIBERATE, body)
        status, text, _ = self.get("/metrics")
        self.assertEqual(status, 200)
        values = {}
        for line in text.splitlines():
            if line.startswith("cybercrime_"):
                name, _, number = line.rpartition(" ")
                values[name] = float(number)
        for name in ("cybercrime_lookups_total", "cybercrime_cache_hits_total",
                     "cybercrime_upstream_requests_total", "cybercrime_cache_entries",
                     'cybercrime_upstream_errors_total{reason="not_found"}'):
            self.assertIn(name, values, text)
        self.assertGreaterEqual(values["cybercrime_cache_hits_total"], 1)
        self.assertGreaterEqual(values['cybercrime_upstream_errors_total{reason="not_found"}'], 2)

    def test_bad_input_is_an_invalid_argument_and_the_relay_stays_up(self):
        answer = self.envelope(OBSERVE, b"{not json")
        self.assertEqual(answer["errors"][0]["code"], "invalid argument")
        answer = self.envelope(OBSERVE, [{"type": "ip"}, {"type": "ip", "value": "10.14.0.1"}])
        self.assertEqual(answer["errors"][0]["code"], "invalid argument")
        self.assertEqual(answer.get("data"), {})
        self.assertEqual(self.data(HEALTH, {}), {"status": "ok"})


class CybercrimeAloneTests(CybercrimeCase):
    """RELAY_MODULES=cybercrime: the bare paths are the cybercrime module's
    (the harness's readiness probe, POST /health, then asks the fake)."""

    modules = "cybercrime"

    def test_bare_paths_answer_for_the_only_module(self):
        self.cc.malicious("10.20.0.1")
        self.assertEqual(self.data("/health", {}), {"status": "ok"})
        [v] = self.docs(self.data("/deliberate/observables", obs(("ip", "10.20.0.1"))),
                        "verdicts")
        self.assert_malicious_verdict(v, "ip", "10.20.0.1")

    def test_tweettioc_paths_are_not_found_when_only_cybercrime_is_enabled(self):
        status, answer, _ = self.post("/tweettioc/health", {})
        self.assertEqual(status, 404, answer)


class CybercrimeNoCacheTests(CybercrimeCase):
    """CYBERCRIME_CACHE_SECONDS=0 disables the cache: every request asks."""

    cache_seconds = 0

    def test_every_request_reaches_the_upstream(self):
        self.cc.malicious("10.30.0.1")
        for _ in range(3):
            self.data(DELIBERATE, obs(("ip", "10.30.0.1")))
        self.assertEqual(self.cc.count("10.30.0.1"), 3)
