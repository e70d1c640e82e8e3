"""test_bounds.py: the relay's bounds against hostile callers and upstreams (issue 11).

Through a real nginx, with the upstreams faked on loopback:

* redirects (docs/hardening.md#outbound-calls): a CyberCrime or feed answer of 302 to another host
  or port is an `unknown` error naming the target and is never followed
  (the other server sees no request); a redirect to the same host and port
  is followed, at most 3 in a row;
* bounded work per request: CYBERCRIME_MAX_LOOKUPS values asked at most
  (one warning for the rest), RELAY_REQUEST_DEADLINE_MS for the lookups
  (one error for what is late, the rest of the answer kept), and four
  concurrent requests of 3,000 slow lookups each answered before 28 s, the
  upstream calls stopping with them and never more than the shared cap in
  flight, while /tweettioc/health keeps answering in under 2 s;
* amplification: case variants of one hash do not each get its sightings;
* the answer budget RELAY_MAX_ANSWER_BYTES: a bounded, valid answer with a
  too-many-entities warning.
"""

import http.client
import itertools
import json
import threading
import time

from harness import Client, FakeTweettioc, Nginx, Relay, RelayTestCase, load_feed, wait_for
from fake_cybercrime import FakeCybercrime
from test_cybercrime import DELIBERATE, OBSERVE, CybercrimeCase, obs

# Shared fan-out slots of the relay (include/net/upstream.h UPSTREAM_MAX_CONCURRENT).
UPSTREAM_MAX_CONCURRENT = 64


def post_raw(port, path, body, timeout=60):
    """POSTs `body` (a JSON-able value) through nginx; returns (status, raw bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def errors_of(answer, code=None):
    return [e for e in answer.get("errors", []) if code is None or e["code"] == code]


class CybercrimeRedirectTests(CybercrimeCase):
    """query.php answering 3xx: only same host and port is followed."""

    @classmethod
    def setUpClass(cls):
        cls.other = FakeCybercrime()  # the "internal" server a redirect points at
        cls.other.start()
        cls.addClassCleanup(cls.other.stop)
        super().setUpClass()

    def test_a_redirect_to_another_port_is_an_unknown_error_and_never_followed(self):
        target = "http://127.0.0.1:%d/internal-secret" % self.other.port
        self.cc.redirect("198.51.100.1", target)
        answer = self.envelope(OBSERVE, obs(("ip", "198.51.100.1")))
        self.assertNotIn("data", answer, answer)
        [e] = answer["errors"]
        self.assertEqual(e["code"], "unknown", e)
        self.assertEqual(e["type"], "fatal", e)
        self.assertIn("The CyberCrime Tracker redirected to %s; redirects to another host are "
                      "not followed." % target, e["message"])
        self.assertIn("ip 198.51.100.1", e["message"])
        time.sleep(0.3)
        self.assertEqual(self.other.total(), 0, "the relay followed the redirect")

    def test_a_redirect_to_another_host_name_on_the_same_port_is_refused(self):
        target = "http://localhost:%d/query.php?url=198.51.100.9" % self.cc.port
        self.cc.redirect("198.51.100.2", target)
        self.cc.malicious("198.51.100.9")
        answer = self.envelope(DELIBERATE, obs(("ip", "198.51.100.2")))
        [e] = errors_of(answer)
        self.assertEqual(e["code"], "unknown", e)
        self.assertIn("redirected to %s" % target, e["message"])
        self.assertEqual(self.cc.count("198.51.100.9"), 0)

    def test_a_redirect_to_the_same_host_and_port_is_followed(self):
        self.cc.redirect("198.51.100.3", "/query.php?url=198.51.100.4")
        self.cc.malicious("198.51.100.4", "Moved")
        data = self.data(OBSERVE, obs(("ip", "198.51.100.3")))
        [v] = self.docs(data, "verdicts")
        self.assert_malicious_verdict(v, "ip", "198.51.100.3")
        [j] = self.docs(data, "judgements")
        self.assertEqual(j["reason"], "Malicious: Moved")
        self.assertEqual(self.cc.count("198.51.100.4"), 1)

    def test_a_redirect_loop_stops_after_three_hops(self):
        self.cc.redirect("198.51.100.5", "/query.php?url=198.51.100.5")
        started = time.monotonic()
        answer = self.envelope(DELIBERATE, obs(("ip", "198.51.100.5")))
        self.assertLess(time.monotonic() - started, 3)
        [e] = errors_of(answer)
        self.assertEqual(e["code"], "unknown", e)
        self.assertIn("at most 3 redirects in a row are followed", e["message"])
        self.assertEqual(self.cc.count("198.51.100.5"), 4)  # the call and 3 redirects


class FeedRedirectTests(RelayTestCase):
    """The feed download follows only same-host redirects."""

    @classmethod
    def setUpClass(cls):
        # Not RelayTestCase's set-up: that one waits for a healthy feed first.
        cls.fake = FakeTweettioc(feed=load_feed())
        cls.other = FakeTweettioc(feed=load_feed())
        for fake in (cls.fake, cls.other):
            fake.start()
            cls.addClassCleanup(fake.stop)
        cls.fake.set_redirect("http://127.0.0.1:%d/internal-secret" % cls.other.port)
        cls.relay = Relay({"RELAY_AUTH": "none", "TWEETTIOC_URL": cls.fake.url,
                           "TWEETTIOC_REFRESH_SECONDS": "1"})
        cls.addClassCleanup(cls.relay.stop)
        cls.relay.start()
        cls.nginx = Nginx(cls.relay.upstream)
        cls.addClassCleanup(cls.nginx.stop)
        cls.nginx.start()
        cls.client = Client(cls.nginx.port)

    def test_a_redirect_elsewhere_fails_the_download_then_a_same_host_one_is_followed(self):
        target = "http://127.0.0.1:%d/internal-secret" % self.other.port
        last = []

        def names_the_redirect():
            status, body, _ = self.post("/health", {})
            last[:] = [body]
            msg = json.dumps(body)
            return "redirected to %s; redirects to another host are not followed" % target in msg
        wait_for(names_the_redirect, 15, interval=0.2, what="/health naming the redirect")
        [e] = last[0]["errors"]
        self.assertEqual(e["code"], "service unavailable", e)
        self.assertEqual(self.other.total_requests(), 0, "the relay followed the redirect")

        # Same host and port: followed, and the feed loads.
        path = [p for p in self.fake.counts()][0].split("?")[0]
        self.fake.set_redirect("%s%s?redirected=1" % (self.fake.url, path))
        self.wait_healthy(15)
        self.assertTrue(any("redirected=1" in p for p in self.fake.counts()), self.fake.counts())
        self.assertEqual(self.other.total_requests(), 0)


class CybercrimeBoundsTests(CybercrimeCase):
    """CYBERCRIME_MAX_LOOKUPS and RELAY_REQUEST_DEADLINE_MS, small."""

    timeout_ms = 10000  # the deadline, not the per-call timeout, must cut

    @classmethod
    def extra_env(cls):
        env = super().extra_env()
        env.update({"CYBERCRIME_MAX_LOOKUPS": "5", "RELAY_REQUEST_DEADLINE_MS": "1500"})
        return env

    def test_values_over_the_lookup_cap_get_one_warning_and_are_not_asked(self):
        values = ["203.0.113.%d" % i for i in range(1, 9)]
        for v in values:
            self.cc.malicious(v)
        answer = self.envelope(DELIBERATE, obs(*[("ip", v) for v in values]))
        verdicts = self.docs(answer["data"], "verdicts")
        self.assertEqual([v["observable"]["value"] for v in verdicts], values[:5])
        [w] = answer["errors"]
        self.assertEqual((w["type"], w["code"]), ("warning", "too-many-entities"), w)
        self.assertIn("3 observables were not looked up", w["message"])
        self.assertIn("at most 5 values (CYBERCRIME_MAX_LOOKUPS)", w["message"])
        self.assertEqual([self.cc.count(v) for v in values], [1] * 5 + [0] * 3)

    def test_cache_hits_do_not_count_against_the_lookup_cap(self):
        first = ["203.0.113.%d" % i for i in range(21, 26)]
        more = ["203.0.113.%d" % i for i in range(26, 29)]
        for v in first + more:
            self.cc.malicious(v)
        self.data(DELIBERATE, obs(*[("ip", v) for v in first]))  # now cached
        data = self.data(DELIBERATE, obs(*[("ip", v) for v in first + more]))
        self.assertEqual(len(self.docs(data, "verdicts")), 8)
        self.assertEqual([self.cc.count(v) for v in first + more], [1] * 8)

    def test_the_deadline_cuts_a_slow_lookup_and_keeps_the_rest_of_the_answer(self):
        self.cc.malicious("203.0.113.41")
        self.cc.malicious("203.0.113.42", delay=6)
        self.cc.malicious("203.0.113.43")
        started = time.monotonic()
        answer = self.envelope(OBSERVE, obs(("ip", "203.0.113.41"), ("ip", "203.0.113.42"),
                                            ("ip", "203.0.113.43")))
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 3.5, "the answer waited for the slow lookup")
        verdicts = self.docs(answer["data"], "verdicts")
        self.assertEqual(sorted(v["observable"]["value"] for v in verdicts),
                         ["203.0.113.41", "203.0.113.43"])
        [e] = answer["errors"]
        self.assertEqual(e["code"], "service unavailable", e)
        self.assertIn("did not answer about 1 observable within the request's deadline of "
                      "1500 ms (RELAY_REQUEST_DEADLINE_MS): ip 203.0.113.42", e["message"])


class CybercrimeFloodTests(CybercrimeCase):
    """The issue's case: 4 concurrent requests of 3,000 slow (1 s) lookups."""

    relay_threads = 8  # the relay's default
    timeout_ms = 10000  # the default RELAY_UPSTREAM_TIMEOUT_MS
    requests = 4
    per_request = 3000

    @classmethod
    def extra_env(cls):
        env = super().extra_env()
        # The cap raised so that the default 20 s deadline is what bounds the work.
        env.update({"CYBERCRIME_MAX_LOOKUPS": str(cls.per_request)})
        env.pop("RELAY_REQUEST_DEADLINE_MS", None)
        return env

    def test_four_requests_of_3000_slow_lookups_are_answered_in_time_and_stop_the_calls(self):
        self.cc.set_default_delay(1.0)
        self.addCleanup(self.cc.set_default_delay, 0)
        results, health = [None] * self.requests, []
        done = threading.Event()

        def flood(k):
            values = ["10.%d.%d.%d" % (k, i // 250, i % 250 + 1) for i in range(self.per_request)]
            started = time.monotonic()
            client = Client(self.nginx.port, timeout=60)
            status, body, _ = client.post(DELIBERATE, obs(*[("ip", v) for v in values]))
            results[k] = (time.monotonic() - started, status, body)

        def poll_health():
            client = Client(self.nginx.port, timeout=10)
            while not done.is_set():
                started = time.monotonic()
                status, body, _ = client.post("/tweettioc/health", {})
                health.append((time.monotonic() - started, status, body))
                time.sleep(0.25)

        threads = [threading.Thread(target=flood, args=(k,)) for k in range(self.requests)]
        poller = threading.Thread(target=poll_health)
        poller.start()
        for t in threads:
            t.start()
        # The shared cap, seen from the fake before the first deadline (at
        # the deadlines the aborted calls still sleep at the fake while the
        # slots they freed serve the requests that are still running).
        time.sleep(18)
        max_in_flight = self.cc.max_in_flight()
        for t in threads:
            t.join(60)
        at_answers = self.cc.total()
        done.set()
        poller.join(15)
        # The fake logs a call when its handler thread gets to it: calls the
        # relay sent (and aborted) just before its answers may still be in
        # the fake's accept queue. Give it a second, then none may come.
        time.sleep(1)
        answered_calls = self.cc.total()
        time.sleep(2)
        after = self.cc.total()

        for elapsed, status, body in results:
            self.assertEqual(status, 200, body)
            self.assertLess(elapsed, 28, "an answer took %.1f s" % elapsed)
            late = errors_of(body, "service unavailable")
            self.assertEqual(len(late), 1, body.get("errors"))
            self.assertIn("within the request's deadline of 20000 ms", late[0]["message"])
        self.assertEqual(after, answered_calls, "upstream calls went on after the answers")
        self.assertLessEqual(answered_calls - at_answers, UPSTREAM_MAX_CONCURRENT)
        self.assertLessEqual(max_in_flight, UPSTREAM_MAX_CONCURRENT)
        self.assertGreaterEqual(max_in_flight, UPSTREAM_MAX_CONCURRENT // 2)
        self.assertTrue(health, "no health answer at all")
        worst = max(h[0] for h in health)
        self.assertTrue(all(h[1] == 200 and h[2] == {"data": {"status": "ok"}} for h in health),
                        health[:3])
        self.assertLess(worst, 2.0, "/tweettioc/health took %.2f s" % worst)
        print("\n    4 x %d lookups: answers after %s s; %d upstream calls at the answers, "
              "%d a second later, %d after 2 s more; at most %d in flight; health: %d "
              "calls, worst %.0f ms"
              % (self.per_request, ", ".join("%.1f" % r[0] for r in results), at_answers,
                 answered_calls, after, max_in_flight, len(health), worst * 1000),
              end=" ")


def case_variants(value, n):
    """Up to n distinct spellings of a hex value that differ only in case."""
    letters = [i for i, c in enumerate(value) if c.isalpha()]
    out = []
    for bits in itertools.product((0, 1), repeat=len(letters)):
        chars = list(value)
        for i, b in zip(letters, bits):
            chars[i] = chars[i].upper() if b else chars[i].lower()
        out.append("".join(chars))
        if len(out) == n:
            break
    return out


class AmplificationTests(RelayTestCase):
    """Case variants of one hash in one request."""

    MD5 = "0c62a0d991dc53ef70a56f15ae2234d8"  # 6 tweets in the fixture feed

    def test_case_variants_of_one_md5_do_not_each_get_its_sightings(self):
        variants = case_variants(self.MD5, 4096)
        body = obs(*[("md5", v) for v in variants])
        self.assertGreater(len(json.dumps(body)), 190 * 1024)
        status, raw = post_raw(self.nginx.port, "/observe/observables", body)
        self.assertEqual(status, 200, raw[:300])
        answer = json.loads(raw.decode("utf-8"))
        data = answer["data"]
        sightings = data["sightings"]["docs"]
        self.assertEqual(len(sightings), 6)
        self.assertEqual({s["observables"][0]["value"] for s in sightings}, {variants[0]})
        # Each spelling still gets its own verdict and judgement, as sent.
        self.assertEqual([v["observable"]["value"] for v in data["verdicts"]["docs"]], variants)
        self.assertEqual(len(data["judgements"]["docs"]), len(variants))
        self.assertLess(len(raw), 8 * 1024 * 1024)
        [w] = answer["errors"]
        self.assertEqual((w["type"], w["code"]), ("warning", "too-many-entities"), w)
        self.assertIn("spelling", w["message"])
        print("\n    %d variants in %d KB: answer %d KB" % (
            len(variants), len(json.dumps(body)) // 1024, len(raw) // 1024), end=" ")


class AnswerBudgetTests(RelayTestCase):
    """RELAY_MAX_ANSWER_BYTES small: entities beyond it are left out."""

    BUDGET = 100000
    relay_env = {"RELAY_MAX_ANSWER_BYTES": str(BUDGET)}

    def many_observables(self, limit=150):
        seen = []
        for item in self.feed:
            for kind, t in (("ip", "ip"), ("domain", "domain"), ("md5", "md5")):
                for v in item.get(kind) or []:
                    if (t, v) not in seen:
                        seen.append((t, v))
        return obs(*seen[:limit])

    def test_observe_answer_stays_within_the_budget_with_a_warning(self):
        status, raw = post_raw(self.nginx.port, "/observe/observables", self.many_observables())
        self.assertEqual(status, 200, raw[:300])
        self.assertLessEqual(len(raw), self.BUDGET)
        answer = json.loads(raw.decode("utf-8"))
        [w] = [e for e in answer["errors"] if "RELAY_MAX_ANSWER_BYTES" in e["message"]]
        self.assertEqual((w["type"], w["code"]), ("warning", "too-many-entities"), w)
        data = answer["data"]
        for key, docs in data.items():
            self.assertEqual(docs["count"], len(docs["docs"]), key)
        # Verdicts are kept first: all of them fit; judgements were cut, and
        # the sightings, last in line, are gone.
        self.assertEqual(data["verdicts"]["count"], 150)
        self.assertLess(data["judgements"]["count"], 150)
        self.assertNotIn("sightings", data)
        print("\n    %d bytes, budget %d" % (len(raw), self.BUDGET), end=" ")

    def test_refer_answer_stays_within_the_budget(self):
        body = self.many_observables(1000)
        status, raw = post_raw(self.nginx.port, "/refer/observables", body)
        self.assertEqual(status, 200, raw[:300])
        self.assertLessEqual(len(raw), self.BUDGET)
        answer = json.loads(raw.decode("utf-8"))
        self.assertTrue(0 < len(answer["data"]) < 2 * len(body), (len(answer["data"]), len(body)))
        [w] = answer["errors"]
        self.assertIn("RELAY_MAX_ANSWER_BYTES", w["message"])

    def test_a_small_answer_is_untouched(self):
        status, raw = post_raw(self.nginx.port, "/deliberate/observables",
                               obs(("md5", AmplificationTests.MD5)))
        answer = json.loads(raw.decode("utf-8"))
        self.assertNotIn("errors", answer)
        self.assertEqual(answer["data"]["verdicts"]["count"], 1)
