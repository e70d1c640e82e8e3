"""test_faults.py: the upstream fault matrix, end to end through nginx (CONTRACT 3 and 5).

Every way an upstream can fail (fake_faults.FaultServer on 127.0.0.1):
connection refused, a connect that hangs, an answer that never comes, one
byte a second, 5xx, 429, a body shorter than its Content-Length, a body
over the size cap, HTML instead of JSON, redirects to file:// and ftp://,
a redirect loop, and invalid UTF-8 or NUL bytes (\\u0000) inside JSON
strings.

tweettioc: the refresh fails within RELAY_UPSTREAM_TIMEOUT_MS, the previous
copy keeps answering (fast, while the refresh is stuck), and /health names
the reason once the copy is stale. cybercrime: each observable gets the
contract's error code for its own fault, the others keep their entities,
and the whole request ends within the timeout.
"""

import json
import re
import statistics
import sys
import threading
import time
import unittest

from harness import Client, RelayTestCase, load_feed, wait_for
import fake_faults as ff

TIMEOUT_MS = 1500
# How much later than its timeout the relay may give up on an upstream.
SLACK_S = 1.0
DELIBERATE_TT = "/tweettioc/deliberate/observables"
DELIBERATE_CC = "/cybercrime/deliberate/observables"
MAX_BYTES = 200000  # TWEETTIOC_MAX_BYTES: the fixture feed is ~110 KB


def _report(line):
    sys.stdout.write("\n    " + line + " ")
    sys.stdout.flush()


class FaultCase(RelayTestCase):
    """A relay whose upstreams are one FaultServer; nginx in front."""

    modules = "tweettioc"

    @classmethod
    def extra_env(cls):
        env = dict(cls.relay_env)
        env.update({
            "RELAY_MODULES": cls.modules,
            "TWEETTIOC_URL": cls.faults.url,
            "CYBERCRIME_URL": cls.faults.url,
            "CYBERCRIME_CACHE_SECONDS": "0",
            "TWEETTIOC_REFRESH_SECONDS": "1",
            "TWEETTIOC_MAX_BYTES": str(MAX_BYTES),
            "RELAY_UPSTREAM_TIMEOUT_MS": str(TIMEOUT_MS),
        })
        return env

    @classmethod
    def setUpClass(cls):
        cls.feed_doc = load_feed()
        cls.faults = ff.FaultServer()
        cls.faults.set_mode(ff.ok(cls.feed_doc))
        cls.faults.start()
        cls.addClassCleanup(cls.faults.stop)
        # What the cybercrime /health asks about.
        cls.faults.rule("127.0.0.1", ff.ok({"success": False, "message": "Not found"}))
        super().setUpClass()

    def known_md5(self):
        for item in self.feed_doc:
            if item.get("md5"):
                return item["md5"][0]
        raise AssertionError("the fixture has no md5")

    def deliberate(self, path, pairs, client=None):
        """(seconds, envelope) of one deliberate call; checks HTTP 200."""
        body = [{"type": t, "value": v} for t, v in pairs]
        t0 = time.monotonic()
        status, answer, _ = (client or self.client).post(path, body)
        took = time.monotonic() - t0
        self.assertEqual(status, 200, answer)
        self.assertIsInstance(answer, dict, answer)
        return took, answer


class TweettiocFaultTest(FaultCase):
    """Each fault during a refresh: the old copy answers, fast; /health
    says why within the timeout; then the relay recovers."""

    def setUp(self):
        self.faults.set_mode(ff.ok(self.feed_doc))
        self.faults.start()
        self.wait_healthy(15)

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            self.faults.set_mode(ff.ok(self.feed_doc))
            self.faults.start()
            self.wait_healthy(15)

    def keeps_copy(self, name, apply_fault, reason, timed=False):
        """Applies the fault and waits for /health to name `reason` (a
        regex), while deliberate keeps answering from the old copy. With
        `timed`, the ms figure in curl's timeout message must be within
        the configured timeout."""
        md5 = self.known_md5()
        took, answer = self.deliberate(DELIBERATE_TT, [("md5", md5)])
        self.assertEqual(len(answer["data"]["verdicts"]["docs"]), 1, answer)
        apply_fault()
        latencies, last = [], {}

        def health_names_reason():
            took, answer = self.deliberate(DELIBERATE_TT, [("md5", md5)])
            latencies.append(took)
            self.assertEqual(len(answer.get("data", {}).get("verdicts", {}).get("docs", [])), 1,
                             "the previous copy must keep answering: %r" % (answer,))
            status, body, _ = self.post("/tweettioc/health", {})
            last["health"] = body
            return (status == 200 and isinstance(body, dict) and "errors" in body
                    and re.search(reason, body["errors"][0].get("message", "")))
        try:
            wait_for(health_names_reason, 15, interval=0.1, what="/health to name %r" % reason)
        except TimeoutError as e:
            raise AssertionError("%s; last /health: %r" % (e, last.get("health"))) from None
        err = last["health"]["errors"][0]
        self.assertEqual(err["code"], "service unavailable", err)
        self.assertEqual(err["type"], "fatal", err)
        message = err["message"]
        if timed:
            ms = re.search(r"after (\d+) milli", message)
            self.assertIsNotNone(ms, message)
            self.assertLessEqual(int(ms.group(1)), TIMEOUT_MS + 1000 * SLACK_S, message)
        worst = max(latencies)
        _report("%-22s deliberate during the fault: %3d calls, median %.1f ms, worst %.1f ms; "
                "/health, as expected: %s" % (
                    name, len(latencies), 1000 * statistics.median(latencies), 1000 * worst,
                    message[message.find("Last attempt"):][:110]))
        self.assertLess(worst, 1.0, "a request waited on the failing refresh")

    def test_connection_refused_keeps_the_copy(self):
        self.keeps_copy("refused", self.faults.down,
                        r"Connection refused|Couldn't connect|Failed to connect")

    def test_connect_timeout_keeps_the_copy(self):
        self.keeps_copy("connect timeout", self.faults.blackhole,
                        r"(Connection|Operation) timed out after \d+ milli", timed=True)

    def test_total_timeout_keeps_the_copy(self):
        self.keeps_copy("no answer", lambda: self.faults.set_mode(ff.hang()),
                        r"Operation timed out after \d+ milli", timed=True)

    def test_one_byte_a_second_keeps_the_copy(self):
        self.keeps_copy("trickle", lambda: self.faults.set_mode(ff.trickle()),
                        r"Operation timed out after \d+ milli", timed=True)
        # The relay, not the server, ended the transfer, within the timeout.
        done = [r for r in self.faults.records() if r.fault.kind == "trickle" and r.closed]
        self.assertTrue(done, "no trickled transfer was hung up by the relay")
        for r in done:
            self.assertLessEqual(r.closed - r.arrived, TIMEOUT_MS / 1000 + SLACK_S)

    def test_http_503_keeps_the_copy(self):
        self.keeps_copy("503", lambda: self.faults.set_mode(ff.status(503)), r"HTTP 503")

    def test_http_429_keeps_the_copy(self):
        self.keeps_copy("429", lambda: self.faults.set_mode(ff.status(429)), r"HTTP 429")

    def test_truncated_body_keeps_the_copy(self):
        body = json.dumps(self.feed_doc).encode()
        self.keeps_copy("truncated", lambda: self.faults.set_mode(ff.truncated(body)),
                        r"transfer closed with \d+ bytes remaining|partial file")

    def test_body_over_the_size_cap_keeps_the_copy(self):
        big = b"[" + b" " * (MAX_BYTES + 1000) + b"]"
        self.keeps_copy("over the cap", lambda: self.faults.set_mode(ff.ok(big)),
                        r"larger than %d bytes" % MAX_BYTES)

    def test_unsized_body_over_the_size_cap_keeps_the_copy(self):
        # No Content-Length: libcurl cannot refuse it up front, so the cap
        # is counted as the body is parsed while it downloads.
        big = b"[" + b"{}, " * (MAX_BYTES // 4 + 1000) + b"{}]"
        self.keeps_copy("unsized over the cap", lambda: self.faults.set_mode(ff.unsized(big)),
                        r"larger than %d bytes" % MAX_BYTES)

    def test_html_instead_of_json_keeps_the_copy(self):
        html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        self.keeps_copy("html", lambda: self.faults.set_mode(ff.ok(html, "text/html")),
                        r"not valid JSON")

    def test_redirect_to_file_is_refused(self):
        self.keeps_copy("redirect file://",
                        lambda: self.faults.set_mode(ff.redirect("file:///etc/passwd")),
                        r"redirected to file:///etc/passwd; redirects to protocols other than "
                        r"http and https are not followed")

    def test_redirect_to_ftp_is_refused(self):
        url = "ftp://127.0.0.1:%d/feed.json" % self.faults.port
        self.keeps_copy("redirect ftp://", lambda: self.faults.set_mode(ff.redirect(url)),
                        r"redirected to ftp://.*; redirects to protocols other than http and "
                        r"https are not followed")

    def test_redirect_loop_is_refused(self):
        self.keeps_copy("redirect loop", lambda: self.faults.set_mode(ff.redirect_loop()),
                        r"at most 3 redirects in a row are followed")

    def test_json_with_another_content_type_is_accepted(self):
        # The contract asks for JSON, not for a header: a JSON feed served
        # as text/plain is used (the Python relay did the same).
        feed = load_feed()
        feed[0]["md5"] = feed[0]["md5"] + ["c0ffee00" * 4]
        self.faults.set_mode(ff.ok(feed, "text/plain"))
        wait_for(lambda: self.deliberate(DELIBERATE_TT, [("md5", "c0ffee00" * 4)])[1]
                 .get("data", {}).get("verdicts"), 10, interval=0.2,
                 what="the text/plain feed to be served")

    def test_unsized_feed_is_parsed_as_it_arrives(self):
        # Without a Content-Length the feed still arrives in pieces, each
        # parsed as it comes (an item split across pieces included).
        feed = load_feed()
        feed[-1]["md5"] = feed[-1]["md5"] + ["5150" * 8]
        self.faults.set_mode(ff.unsized(json.dumps(feed).encode()))
        wait_for(lambda: self.deliberate(DELIBERATE_TT, [("md5", "5150" * 8)])[1]
                 .get("data", {}).get("verdicts"), 10, interval=0.2,
                 what="the unsized feed to be served")

    def test_invalid_utf8_and_nul_inside_strings_skip_only_those_values(self):
        feed = load_feed()
        newest = feed[0]["tweet"]
        empty = {k: [] for k in ("ip", "md5", "sha1", "sha256", "mail", "domain", "url")}

        def item(n, tweet=None, **lists):
            it = dict(empty, **lists)
            it["tweet"] = dict(newest, id="90000000000000000%d" % n, **(tweet or {}))
            return it
        hostile = [
            item(1, md5=["5eed5eed" * 4]),  # proves the new copy is in
            # A NUL in an IOC: that IOC goes, and its prefix must not match.
            item(2, ip=["6.6.6.6\u0000.evil.example"], md5=["5eed5eee" * 4]),
            # A NUL in the account name: the tweet has the wrong shape.
            item(3, md5=["badbadba" * 4], tweet={"user": "evil\u0000alice"}),
            # Invalid UTF-8 in the text: the wrong shape as well.
            item(4, md5=["0dd0dd0d" * 4], tweet={"tweet": "PLACEHOLDER"}),
        ]
        body = json.dumps(hostile + feed).encode().replace(b"PLACEHOLDER", b"caf\xc3 \xff\xfe")
        self.faults.set_mode(ff.ok(body))
        wait_for(lambda: self.deliberate(DELIBERATE_TT, [("md5", "5eed5eed" * 4)])[1]
                 .get("data", {}).get("verdicts"), 10, interval=0.2,
                 what="the feed with hostile strings to be loaded")
        _, answer = self.deliberate(DELIBERATE_TT, [("md5", "5eed5eee" * 4)])
        self.assertEqual(len(answer["data"]["verdicts"]["docs"]), 1,
                         "the tweet with a bad IOC keeps its other IOCs: %r" % (answer,))
        _, answer = self.deliberate(DELIBERATE_TT, [("ip", "6.6.6.6"), ("md5", "badbadba" * 4),
                                                    ("md5", "0dd0dd0d" * 4)])
        self.assertEqual(answer, {"data": {}},
                         "a value cut at its NUL, or a tweet with a bad string, was served")
        status, metrics, _ = self.get("/metrics")
        skipped = re.search(r"^tweettioc_feed_skipped_items (\d+)", metrics, re.M)
        self.assertEqual(int(skipped.group(1)), 2, metrics)

    def metric(self, name, missing=None):
        status, text, _ = self.get("/metrics")
        m = re.search(r"^%s (\d+)" % name, text, re.M)
        if not m and missing is not None:
            return missing
        self.assertIsNotNone(m, "no %s in /metrics" % name)
        return int(m.group(1))

    def test_an_item_over_the_size_limit_is_skipped_unread(self):
        # Items over max(TWEETTIOC_MAX_BYTES / 16, 64 KiB) = 64 KiB are
        # skipped without being parsed (docs/operations.md): this one of
        # tiny strings was parsed whole by cJSON and served cut to 1,024 IOCs.
        feed = load_feed()
        newest = feed[0]["tweet"]
        big = {"ip": ["7.7.7.71"] + ["a"] * 15000,
               "tweet": dict(newest, id="900000000000000071")}
        marker = {"md5": ["5eed0071" * 4], "tweet": dict(newest, id="900000000000000072")}
        body = json.dumps([marker, big] + feed).encode()
        self.assertLess(len(body), MAX_BYTES)
        self.assertGreater(len(json.dumps(big)), 65536)
        skipped = self.metric("tweettioc_feed_skipped_items")
        self.faults.set_mode(ff.ok(body))
        wait_for(lambda: self.deliberate(DELIBERATE_TT, [("md5", "5eed0071" * 4)])[1]
                 .get("data", {}).get("verdicts"), 10, interval=0.2,
                 what="the feed with the big item to be loaded")
        _, answer = self.deliberate(DELIBERATE_TT, [("ip", "7.7.7.71")])
        self.assertEqual(answer, {"data": {}}, "the item over the size limit was read")
        self.assertEqual(self.metric("tweettioc_feed_skipped_items"), skipped + 1)
        _report("one item of %d bytes among %d: skipped unread, the other items served"
                % (len(json.dumps(big)), len(feed) + 2))

    def test_a_feed_over_the_memory_budget_keeps_the_copy(self):
        # 1,024 distinct short domains a tweet: ~11 bytes of JSON an IOC,
        # ~14 times that parsed and indexed. Under the byte cap, but its
        # parsed form passes the budget, 2 x TWEETTIOC_MAX_BYTES + 2 MiB:
        # the download is refused and the copy kept (it used to be served).
        newest = self.feed_doc[0]["tweet"]
        items, size, n = [], 2, 0
        while True:
            item = {"md5": ["5eed0b0b" * 4] if n == 0 else [],
                    "domain": ["%x.io" % (n * 1024 + i) for i in range(1024)],
                    "tweet": dict(newest, id="91000000000000%04d" % n)}
            size += len(json.dumps(item)) + 2
            if size > MAX_BYTES - 1000:
                break
            items.append(item)
            n += 1
        body = json.dumps(items).encode()
        refused = self.metric("tweettioc_refresh_over_budget_total", missing=0)
        budget = 2 * MAX_BYTES + 2 * 1048576
        self.keeps_copy("over the budget", lambda: self.faults.set_mode(ff.ok(body)),
                        r"memory budget of %d bytes" % budget)
        _, answer = self.deliberate(DELIBERATE_TT, [("md5", "5eed0b0b" * 4)])
        self.assertEqual(answer, {"data": {}}, "the feed over the budget was served")
        self.assertGreater(self.metric("tweettioc_refresh_over_budget_total"), refused)
        _report("%d tweets x 1,024 IOCs, %d bytes (cap %d): refused" % (n, len(body), MAX_BYTES))


class CybercrimeFaultTest(FaultCase):
    """One deliberate request, one fault per observable: each gets its own
    error code, the healthy ones their entities, all within the timeout."""

    modules = "tweettioc,cybercrime"

    # value -> (fault, expected error code or None for no error, verdict?)
    @classmethod
    def matrix(cls):
        big = b'{"message": "Malicious: x", "pad": "' + b"x" * 70000 + b'"}'
        port = cls.faults.port
        return {
            "192.0.2.10": (ff.status(503), "service unavailable"),
            "192.0.2.11": (ff.status(500), "service unavailable"),
            "192.0.2.12": (ff.status(429), "too many requests"),
            "192.0.2.13": (ff.status(404), "not found"),
            "192.0.2.14": (ff.hang(), "service unavailable"),
            "192.0.2.15": (ff.trickle(b'{"message": "Malicious: slow"}'), "service unavailable"),
            "192.0.2.16": (ff.truncated(b'{"message": "Malicious: cut"}'), "service unavailable"),
            "192.0.2.17": (ff.ok(big), "unknown"),
            "192.0.2.18": (ff.ok(b"<html>502</html>", "text/html"), "key error"),
            "192.0.2.19": (ff.redirect("file:///etc/passwd"), "unknown"),
            "192.0.2.20": (ff.redirect("ftp://127.0.0.1:%d/x" % port), "unknown"),
            "192.0.2.21": (ff.redirect_loop(), "unknown"),
            "192.0.2.22": (ff.ok(b'{"message": "Malicious: caf\xc3 \xff"}'), "key error"),
            "192.0.2.23": (ff.ok(b'{"message": "Malicious: a\\u0000b"}'), "key error"),
            "192.0.2.24": (ff.ok({"success": True, "message": "Malicious: Pony"}), None),
            "192.0.2.25": (ff.ok({"success": False, "message": "Not found"}), None),
        }

    def test_each_observable_gets_the_error_of_its_own_fault(self):
        matrix = self.matrix()
        for value, (fault, _) in matrix.items():
            self.faults.rule(value, fault)
        md5 = self.known_md5()
        # The slow lookups must not hold up other requests.
        side = {"latencies": []}

        def other_requests():
            client = Client(self.nginx.port)
            deadline = time.monotonic() + TIMEOUT_MS / 1000
            while time.monotonic() < deadline:
                took, answer = self.deliberate(DELIBERATE_TT, [("md5", md5)], client)
                side["latencies"].append(took)
                side.setdefault("answers", []).append(answer)
                time.sleep(0.05)
        t = threading.Thread(target=other_requests)
        t.start()
        took, answer = self.deliberate(DELIBERATE_CC, [("ip", v) for v in matrix])
        t.join()
        self.assertLessEqual(took, TIMEOUT_MS / 1000 + SLACK_S + 1.0,
                             "the lookups did not run concurrently within the timeout")
        errors = {}
        for e in answer.get("errors", []):
            self.assertEqual(e.get("type"), "fatal", e)
            found = [v for v in matrix if v in e.get("message", "")]
            self.assertEqual(len(found), 1, "an error must name its observable: %r" % e)
            errors[found[0]] = e["code"]
        for value, (_, code) in matrix.items():
            self.assertEqual(errors.get(value), code, "%s: got %r, want %r; answer %r"
                             % (value, errors.get(value), code, answer))
        verdicts = answer.get("data", {}).get("verdicts", {}).get("docs", [])
        self.assertEqual([v["observable"]["value"] for v in verdicts], ["192.0.2.24"], answer)
        for a in side["answers"]:
            self.assertEqual(len(a["data"]["verdicts"]["docs"]), 1, a)
        _report("cybercrime: %d faults in one request answered in %.2f s; tweettioc meanwhile: "
                "%d calls, worst %.1f ms" % (len(matrix) - 2, took, len(side["latencies"]),
                                             1000 * max(side["latencies"])))
        self.assertLess(max(side["latencies"]), 1.0)


class CybercrimeRefusedTest(FaultCase):
    modules = "cybercrime"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.faults.down()

    def test_connection_refused_is_service_unavailable(self):
        _, answer = self.deliberate(DELIBERATE_CC, [("ip", "192.0.2.30")])
        self.assertEqual([e["code"] for e in answer["errors"]], ["service unavailable"], answer)
        status, body, _ = self.post("/cybercrime/health", {})
        self.assertEqual(body["errors"][0]["code"], "service unavailable", body)


class CybercrimeConnectTimeoutTest(FaultCase):
    modules = "cybercrime"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.faults.blackhole()

    def test_connect_timeout_is_service_unavailable_within_the_timeout(self):
        took, answer = self.deliberate(DELIBERATE_CC, [("ip", "192.0.2.31"),
                                                       ("ip", "192.0.2.32")])
        self.assertEqual([e["code"] for e in answer["errors"]], ["service unavailable"] * 2,
                         answer)
        self.assertLessEqual(took, TIMEOUT_MS / 1000 + SLACK_S, answer)
        _report("cybercrime connect timeout: answered in %.2f s" % took)


if __name__ == "__main__":
    unittest.main()
