"""test_tweettioc.py: the tweettioc module end to end, through a real nginx.

docs/api.md (routing, endpoints, envelope), 4.1 (entities, not
tiles), 5 (feed lifecycle) and 6 (configuration). Every expectation is
computed from the feed the fake upstream serves (reference.py).
"""

import calendar
import json
import re
import subprocess
import threading
import time
import unittest
import urllib.parse

from harness import RelayTestCase, load_feed, relay_bin, rebase_feed, wait_for
from reference import (FEED_LISTS, Reference, SUPPORTED_TYPES, ctim_type, normalize,
                       refer_id)

DELIBERATE = "/tweettioc/deliberate/observables"
OBSERVE = "/tweettioc/observe/observables"
REFER = "/tweettioc/refer/observables"
SOURCE = "Twitter IOC Hunter"
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SEVEN_DAYS = 7 * 24 * 3600


def parse_time(text):
    """CTIM time (2025-11-22T13:05:09.000Z) -> epoch seconds (float)."""
    if not isinstance(text, str) or not TIME_RE.match(text):
        raise AssertionError("not a CTIM UTC time with milliseconds: %r" % (text,))
    whole, frac = text[:-1].split(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + int(frac) / 1000.0


class TweettiocCase(RelayTestCase):
    """Assertions shared by the tweettioc test classes."""

    @property
    def ref(self):
        return Reference(self.feed)

    def obs_body(self, *pairs):
        return [{"type": t, "value": v} for t, v in pairs]

    def envelope(self, path, body, headers=None):
        """POSTs and returns the parsed envelope; checks HTTP 200 and its shape."""
        status, answer, hdrs = self.post(path, body, headers)
        self.assertEqual(status, 200, answer)
        self.assertIsInstance(answer, dict, answer)
        self.assertTrue(set(answer) <= {"data", "errors"} and answer, answer)
        return answer

    def data(self, path, body):
        """POSTs and returns `data`, failing when the answer has errors."""
        answer = self.envelope(path, body)
        self.assertNotIn("errors", answer, answer)
        self.assertIn("data", answer, answer)
        return answer["data"]

    def docs(self, data, key):
        """The docs of data[key] ([] when absent); checks count == len(docs)."""
        if key not in data:
            return []
        block = data[key]
        self.assertIsInstance(block, dict, block)
        self.assertIsInstance(block.get("docs"), list, block)
        self.assertEqual(block.get("count"), len(block["docs"]), block)
        return block["docs"]

    def for_observable(self, docs, obs_type, value):
        return [d for d in docs if d.get("observable", {}).get("value") == value
                and d.get("observable", {}).get("type", "").lower() == obs_type.lower()]

    def assert_observable(self, entity, obs_type, value):
        obs = entity.get("observable")
        self.assertIsInstance(obs, dict, entity)
        self.assertEqual(obs.get("value"), value, "observable must be echoed exactly as sent")
        self.assertEqual(obs.get("type", "").lower(), obs_type.lower())

    def assert_valid_time(self, valid_time, span=SEVEN_DAYS):
        start = parse_time(valid_time.get("start_time"))
        end = parse_time(valid_time.get("end_time"))
        self.assertLess(abs(start - time.time()), 120, valid_time)
        self.assertLess(abs((end - start) - span), 2, valid_time)

    def assert_verdict(self, verdict, obs_type, value):
        self.assertEqual(verdict.get("type"), "verdict", verdict)
        self.assertEqual(verdict.get("disposition"), 3, verdict)
        self.assertEqual(verdict.get("disposition_name"), "Suspicious", verdict)
        self.assertIsInstance(verdict.get("judgement_id"), str, verdict)
        self.assertTrue(verdict["judgement_id"].startswith("transient:judgement-"), verdict)
        self.assert_observable(verdict, obs_type, value)
        self.assert_valid_time(verdict.get("valid_time", {}))

    def assert_judgement(self, judgement, obs_type, value, tweets):
        self.assertEqual(judgement.get("type"), "judgement", judgement)
        self.assertTrue(str(judgement.get("id", "")).startswith("transient:judgement-"), judgement)
        self.assertEqual(judgement.get("disposition"), 3, judgement)
        self.assertEqual(judgement.get("disposition_name"), "Suspicious", judgement)
        self.assertEqual(judgement.get("priority"), 85, judgement)
        self.assertEqual(judgement.get("confidence"), "Medium", judgement)
        self.assertEqual(judgement.get("severity"), "Medium", judgement)
        self.assertEqual(judgement.get("source"), SOURCE, judgement)
        self.assertEqual(judgement.get("source_uri"), tweets[0].link, judgement)
        accounts = len({t.user for t in tweets})
        self.assertRegex(judgement.get("reason", ""),
                         r"^Mentioned in %d tweets? by %d accounts?$" % (len(tweets), accounts))
        self.assert_observable(judgement, obs_type, value)
        self.assert_valid_time(judgement.get("valid_time", {}))

    def assert_sighting(self, sighting, obs_type, value, tweet):
        ref = self.ref
        self.assertEqual(sighting.get("type"), "sighting", sighting)
        self.assertTrue(str(sighting.get("id", "")).startswith("transient:sighting-"), sighting)
        self.assertEqual(sighting.get("source"), SOURCE, sighting)
        self.assertEqual(sighting.get("source_uri"), tweet.link, sighting)
        self.assertIn(tweet.user, sighting.get("title", ""), sighting)
        # The description is what the table carries, as Markdown XDR shows;
        # the tweet text in it is escaped (test_render.py renders it).
        desc = sighting.get("description", "")
        self.assertTrue(desc.startswith("**Account:** "), desc)
        self.assertIn("\n\n**Tweet:** ", desc)
        self.assertTrue(desc.endswith("\n\n**Link:** [open the tweet](%s)" % tweet.link), desc)
        short = sighting.get("short_description", "")
        self.assertTrue(short.startswith("@"), short)
        self.assertIn(" tweeted %s " % obs_type.lower(), short)
        self.assertNotIn("\n", short)
        self.assertEqual(sighting.get("confidence"), "Medium", sighting)
        self.assertEqual(sighting.get("count"), 1, sighting)
        self.assertIs(sighting.get("internal"), False, sighting)
        self.assertEqual(sighting.get("tlp"), "white", sighting)
        self.assertEqual(sighting.get("schema_version"), "1.3.7", sighting)
        observed = sighting.get("observed_time", {})
        start = parse_time(observed.get("start_time"))
        self.assertEqual(observed.get("start_time"), observed.get("end_time"), observed)
        self.assertLess(abs(start - tweet.timestamp), 1.0, (observed, tweet.timestamp))
        observables = sighting.get("observables")
        self.assertIsInstance(observables, list, sighting)
        self.assertEqual(len(observables), 1, observables)
        self.assertEqual(observables[0].get("value"), value)
        self.assertEqual(observables[0].get("type", "").lower(), obs_type.lower())

        # One Related_To relation to each other IOC of the same tweet.
        expected = ref.other_iocs(tweet, obs_type, value)
        related = set()
        for rel in sighting.get("relations") or []:
            self.assertEqual(rel.get("relation"), "Related_To", rel)
            self.assertEqual(rel.get("origin"), SOURCE, rel)
            src, dst = rel.get("source", {}), rel.get("related", {})
            for side in (src, dst):
                self.assertIn(str(side.get("type")).lower(), SUPPORTED_TYPES, rel)
                self.assertIsInstance(side.get("value"), str, rel)
            src_is_obs = ref.same_observable(obs_type, value, src["type"], src["value"])
            other = dst if src_is_obs else src
            self.assertTrue(ref.same_observable(obs_type, value, *(
                (src if src_is_obs else dst)[k] for k in ("type", "value"))),
                "one side of a relation must be the observable: %r" % rel)
            related.add(ref.keys(other["type"], other["value"]))
        self.assertEqual(related, {ref.keys(ctim_type(n, v), v) for n, v in expected},
                         "relations of tweet %s" % tweet.link)

        table = sighting.get("data", {})
        columns = [(c.get("name"), c.get("type")) for c in table.get("columns", [])]
        self.assertEqual(columns, [("Account", "string"), ("Tweet", "markdown"),
                                   ("Hashtags", "string"), ("Link", "url")], table)
        rows = table.get("rows")
        self.assertIsInstance(rows, list, table)
        self.assertEqual(len(rows), 1, table)
        self.assertEqual(len(rows[0]), 4, rows)
        self.assertIn(tweet.user, str(rows[0][0]))
        self.assertEqual(rows[0][3], tweet.link)
        for tag in tweet.hashtags:
            self.assertIn(tag.lstrip("#"), str(rows[0][2]))

    def assert_invalid_argument(self, answer, mentions=None):
        errors = answer.get("errors")
        self.assertIsInstance(errors, list, answer)
        self.assertTrue(errors, answer)
        self.assertEqual(errors[0].get("code"), "invalid argument", answer)
        self.assertEqual(errors[0].get("type"), "fatal", answer)
        self.assertIsInstance(errors[0].get("message"), str, answer)
        if mentions:
            self.assertIn(mentions, errors[0]["message"], answer)

    def picks(self):
        """One known observable (type, value) per IOC list present in the feed."""
        ref = self.ref
        found = [ref.top(name) for name in FEED_LISTS]
        return [p for p in found if p]


# --------------------------------------------------------------------------
class RoutingAndServiceTest(TweettiocCase):
    """Routing (docs/api.md#addressing-a-module), service endpoints (2) and failures (3.3)."""

    def test_version_has_no_envelope_and_matches_the_binary(self):
        for path in ("/version", "/tweettioc/version"):
            with self.subTest(path=path):
                status, body, hdrs = self.post(path, b"")
                self.assertEqual(status, 200, body)
                self.assertEqual(set(body), {"version"}, body)
                self.assertRegex(body["version"], r"^\d+\.\d+\.\d+$")
        out = subprocess.run([relay_bin(), "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=10)
        self.assertEqual(out.returncode, 0, out.stdout)
        self.assertIn(body["version"], out.stdout.decode())

    def test_watchdog_echoes_the_health_check_header(self):
        status, body, _ = self.get("/watchdog", {"Health-Check": "probe-42"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": "probe-42"})

    def test_watchdog_without_header_is_health_check_failed(self):
        status, body, _ = self.get("/watchdog")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["errors"][0]["code"], "health check failed", body)
        self.assertNotIn("data", body)

    def test_health_is_ok_once_the_feed_is_loaded(self):
        status, body, hdrs = self.post("/tweettioc/health", {})
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": {"status": "ok"}})
        self.assertIn("application/json", hdrs.get("Content-Type", ""))

    def test_health_paths_with_prefix_bare_and_trailing_slash(self):
        for path in ("/tweettioc/health", "/health", "/relay/tweettioc/health",
                     "/a/b/tweettioc/health", "/tweettioc/health/", "/health/"):
            with self.subTest(path=path):
                status, body, _ = self.post(path, {})
                self.assertEqual(status, 200, body)
                self.assertEqual(body, {"data": {"status": "ok"}})

    def test_deliberate_under_a_prefix_and_bare(self):
        obs_type, value = self.ref.top("md5")
        for path in ("/relay/tweettioc/deliberate/observables", "/deliberate/observables",
                     "/tweettioc/deliberate/observables/"):
            with self.subTest(path=path):
                data = self.data(path, self.obs_body((obs_type, value)))
                self.assertEqual(len(self.docs(data, "verdicts")), 1, data)

    def test_unknown_path_is_404_json(self):
        for path in ("/nope", "/tweettioc/nope", "/tweettioc/observe", "/tweettioc",
                     "/", "/tweettioc/deliberate/observables/extra", "/x" * 1500):
            with self.subTest(path=path[:60]):
                status, body, _ = self.post(path, {})
                self.assertEqual(status, 404, body)
                self.assertIsInstance(body, dict, body)
                self.assertEqual(body.get("code"), 404, body)
                self.assertIsInstance(body.get("message"), str, body)
        self.assert_relay_alive()

    def test_404_is_decided_before_the_body_is_read(self):
        status, body, _ = self.post("/nope", b"{not json" * 100)
        self.assertEqual(status, 404, body)
        self.assertEqual(body.get("code"), 404, body)

    def test_wrong_method_is_405_json(self):
        cases = [("GET", DELIBERATE), ("GET", "/health"), ("GET", "/tweettioc/refer/observables"),
                 ("PUT", OBSERVE), ("DELETE", "/tweettioc/health"), ("POST", "/watchdog")]
        for method, path in cases:
            with self.subTest(method=method, path=path):
                body = b"[]" if method in ("PUT", "POST") else None
                status, answer, _ = self.client.request(method, path, body)
                self.assertEqual(status, 405, answer)
                self.assertIsInstance(answer, dict, answer)
                self.assertEqual(answer.get("code"), 405, answer)
                self.assertIsInstance(answer.get("message"), str, answer)
        self.assert_relay_alive()

    def test_content_type_header_is_not_required(self):
        obs_type, value = self.ref.top("sha256")
        body = json.dumps(self.obs_body((obs_type, value))).encode()
        for ctype in (None, "text/plain", "application/x-www-form-urlencoded"):
            with self.subTest(content_type=ctype):
                status, answer, _ = self.post(DELIBERATE, body, {"Content-Type": ctype})
                self.assertEqual(status, 200, answer)
                self.assertEqual(len(self.docs(answer["data"], "verdicts")), 1, answer)

    def test_metrics_is_prometheus_text(self):
        status, body, hdrs = self.get("/metrics")
        self.assertEqual(status, 200, body)
        self.assertIn("text/plain", hdrs.get("Content-Type", ""))
        self.assertIsInstance(body, str)
        lines = [l for l in body.splitlines() if l and not l.startswith("#")]
        self.assertTrue(lines, body)
        for line in lines:
            self.assertRegex(line, r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+( \d+)?$")

    def test_more_concurrent_clients_than_relay_threads(self):
        """nginx keeps idle FastCGI connections open (keepalive); with more
        clients than relay threads (4), an idle connection must not pin a
        thread while other connections wait."""
        from harness import Client
        obs = self.ref.top("md5")
        slow, errors = [], []

        def worker():
            client = Client(self.nginx.port, timeout=20)
            for _ in range(15):
                t0 = time.monotonic()
                try:
                    status, body, _ = client.post(DELIBERATE, self.obs_body(obs))
                    if status != 200:
                        errors.append(status)
                except OSError as e:
                    errors.append(repr(e))
                if time.monotonic() - t0 > 5:
                    slow.append(round(time.monotonic() - t0, 1))
        threads = [threading.Thread(target=worker) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual((slow, errors), ([], []), "requests over 5 s / failed")

    def test_upstream_is_asked_for_the_last_seven_days_with_our_user_agent(self):
        last = self.fake.last_request()
        self.assertIsNotNone(last, "the relay never fetched the feed")
        path, headers = last
        m = re.match(r"^/v1/tweets/(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})/full$", path)
        self.assertTrue(m, path)
        start = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%d"))
        end = calendar.timegm(time.strptime(m.group(2), "%Y-%m-%d"))
        today = calendar.timegm(time.strptime(time.strftime("%Y-%m-%d", time.gmtime()),
                                              "%Y-%m-%d"))
        self.assertIn(end, (today, today - 86400), path)  # tolerate a run across midnight
        self.assertEqual(end - start, SEVEN_DAYS, path)
        agent = {k.lower(): v for k, v in headers.items()}.get("user-agent", "")
        self.assertRegex(agent, r"^securex-relay/\d+\.\d+\.\d+")


# --------------------------------------------------------------------------
class EnrichmentTest(TweettiocCase):
    """deliberate / observe / refer on the bundled feed (docs/api.md#module-tweettioc)."""

    UNKNOWN = ("md5", "00000000000000000000000000000000")

    def test_deliberate_returns_one_suspicious_verdict_per_known_ioc_type(self):
        picks = self.picks()
        self.assertGreaterEqual(len(picks), 5, "fixture should hold most IOC types")
        data = self.data(DELIBERATE, self.obs_body(*(picks + [self.UNKNOWN])))
        self.assertEqual(set(data), {"verdicts"}, data)
        verdicts = self.docs(data, "verdicts")
        self.assertEqual(len(verdicts), len(picks), verdicts)
        for obs_type, value in picks:
            with self.subTest(type=obs_type, value=value):
                mine = self.for_observable(verdicts, obs_type, value)
                self.assertEqual(len(mine), 1, verdicts)
                self.assert_verdict(mine[0], obs_type, value)
        self.assertEqual(self.for_observable(verdicts, *self.UNKNOWN), [])

    def test_deliberate_unknown_observable_returns_empty_data(self):
        for path in (DELIBERATE, OBSERVE):
            with self.subTest(path=path):
                self.assertEqual(self.data(path, self.obs_body(self.UNKNOWN,
                                                               ("ip", "192.0.2.254"))), {})

    def test_observe_sightings_judgement_and_verdict_per_ioc_type(self):
        ref = self.ref
        for obs_type, value in self.picks():
            with self.subTest(type=obs_type, value=value):
                tweets = ref.tweets_for(obs_type, value)
                data = self.data(OBSERVE, self.obs_body((obs_type, value)))
                sightings = self.docs(data, "sightings")
                self.assertEqual(len(sightings), len(tweets), sightings)
                for sighting, tweet in zip(sightings, tweets):
                    self.assert_sighting(sighting, obs_type, value, tweet)
                times = [parse_time(s["observed_time"]["start_time"]) for s in sightings]
                self.assertEqual(times, sorted(times, reverse=True), "newest first")
                judgements = self.docs(data, "judgements")
                verdicts = self.docs(data, "verdicts")
                self.assertEqual(len(judgements), 1, data)
                self.assertEqual(len(verdicts), 1, data)
                self.assert_judgement(judgements[0], obs_type, value, tweets)
                self.assert_verdict(verdicts[0], obs_type, value)
                self.assertEqual(verdicts[0]["judgement_id"], judgements[0]["id"])
                self.assertEqual(verdicts[0]["valid_time"], judgements[0]["valid_time"])

    def test_observe_the_most_mentioned_ioc_lists_every_tweet(self):
        ref = self.ref
        best = max((ref.top(n) for n in FEED_LISTS if ref.top(n)),
                   key=lambda p: len(ref.tweets_for(*p)))
        tweets = ref.tweets_for(*best)
        self.assertGreater(len(tweets), 2, "fixture should have an IOC in 3+ tweets")
        data = self.data(OBSERVE, self.obs_body(best))
        links = [s["source_uri"] for s in self.docs(data, "sightings")]
        self.assertEqual(links, [t.link for t in tweets])

    def test_a_multi_megabyte_answer_arrives_whole_and_the_relay_goes_on(self):
        """Answers from 16 KiB on leave the relay in 64 KiB FastCGI records,
        16 to a writev: an answer of a few MB (several writevs) arrives whole
        through nginx, and the kept-alive relay connections serve what
        follows."""
        ref = self.ref
        counts = {}
        for t in ref.tweets:
            for name, v in t.all_iocs():
                counts[(ctim_type(name, v), v)] = None
        pairs, expected = [], 0
        for pair in counts:
            n = min(len(ref.tweets_for(*pair)), 100)  # CTR_ENTITIES_LIMIT default
            if n and expected + n <= 19000:  # under the 20,000 per answer
                pairs.append(pair)
                expected += n
        data = self.data(OBSERVE, self.obs_body(*pairs))
        sightings = self.docs(data, "sightings")
        self.assertEqual(len(sightings), expected)
        self.assertEqual(len({s["id"] for s in sightings}), expected)
        self.assertEqual(len(self.docs(data, "verdicts")), len(pairs))
        self.assertGreater(len(json.dumps(data)), 1536 * 1024)
        for _ in range(3):
            self.assert_relay_alive()
            small = self.data(DELIBERATE, self.obs_body(pairs[0]))
            self.assertEqual(len(self.docs(small, "verdicts")), 1)

    def test_observe_several_observables_in_one_call(self):
        ref = self.ref
        picks = self.picks()
        data = self.data(OBSERVE, self.obs_body(*(picks + [self.UNKNOWN])))
        sightings = self.docs(data, "sightings")
        self.assertEqual(len(sightings), sum(len(ref.tweets_for(*p)) for p in picks))
        self.assertEqual(len(self.docs(data, "judgements")), len(picks))
        self.assertEqual(len(self.docs(data, "verdicts")), len(picks))
        judgement_ids = {j["id"] for j in self.docs(data, "judgements")}
        self.assertEqual({v["judgement_id"] for v in self.docs(data, "verdicts")}, judgement_ids)
        self.assertEqual(self.for_observable(sightings, *self.UNKNOWN), [])

    def test_refer_search_for_each_supported_and_browse_for_hits(self):
        ref = self.ref
        picks = self.picks()
        asked = picks + [self.UNKNOWN, ("file_name", "invoice.exe")]
        data = self.data(REFER, self.obs_body(*asked))
        self.assertIsInstance(data, list, data)
        by_id = {r.get("id"): r for r in data}
        self.assertEqual(len(by_id), len(data), "refer ids must be unique")
        expected = set()
        for obs_type, value in picks + [self.UNKNOWN]:
            expected.add(refer_id("search", obs_type, value))
            if ref.tweets_for(obs_type, value):
                expected.add(refer_id("browse", obs_type, value))
        self.assertEqual(set(by_id), expected)
        for obs_type, value in picks:
            with self.subTest(type=obs_type, value=value):
                search = by_id[refer_id("search", obs_type, value)]
                browse = by_id[refer_id("browse", obs_type, value)]
                self.assertIn("Search", search.get("categories", []), search)
                self.assertIn("Browse", browse.get("categories", []), browse)
                self.assertEqual(browse.get("url"), ref.tweets_for(obs_type, value)[0].link)
                for r in (search, browse):
                    self.assertRegex(r.get("url", ""), r"^https?://")
                    self.assertIsInstance(r.get("title"), str)
                    self.assertIsInstance(r.get("description"), str)

    def test_refer_for_unknown_or_unsupported_only(self):
        self.assertEqual(self.data(REFER, self.obs_body(("file_name", "a.exe"))), [])
        data = self.data(REFER, self.obs_body(self.UNKNOWN))
        self.assertEqual([r["id"] for r in data], [refer_id("search", *self.UNKNOWN)])

    def test_observable_is_echoed_exactly_as_sent(self):
        ref = self.ref
        cases = []
        for name in ("md5", "sha1", "sha256", "domain", "mail"):
            top = ref.top(name)
            if top:
                cases.append((top[0], top[1].upper()))
        url = ref.top("url")
        if url:
            scheme, rest = url[1].split("://", 1)
            host, _, path = rest.partition("/")
            cases.append(("url", scheme.upper() + "://" + host.upper() + "/" + path))
        self.assertTrue(cases)
        for obs_type, sent in cases:
            with self.subTest(type=obs_type, value=sent):
                tweets = ref.tweets_for(obs_type, sent)
                self.assertTrue(tweets, "reference should match the case-folded value")
                data = self.data(OBSERVE, self.obs_body((obs_type, sent)))
                for key in ("sightings", "judgements", "verdicts"):
                    docs = self.docs(data, key)
                    self.assertTrue(docs, data)
                    for doc in docs:
                        if key == "sightings":
                            self.assertEqual(doc["observables"][0]["value"], sent)
                        else:
                            self.assertEqual(doc["observable"]["value"], sent)
                self.assertEqual(len(self.docs(data, "sightings")), len(tweets))
                refer = self.data(REFER, self.obs_body((obs_type, sent)))
                self.assertIn(refer_id("search", obs_type, sent), [r["id"] for r in refer])

    def test_url_path_stays_case_sensitive(self):
        ref = self.ref
        changed = None
        for value, _ in ref.iocs_by_count("url"):
            scheme, rest = value.split("://", 1)
            host, _, path = rest.partition("/")
            candidate = "%s://%s/%s" % (scheme, host, path.upper())
            if path != path.upper() and not ref.tweets_for("url", candidate):
                changed = candidate
                break
        if changed is None:
            self.skipTest("no URL with a lowercase path in the feed")
        self.assertEqual(self.data(DELIBERATE, self.obs_body(("url", changed))), {})

    def test_url_without_scheme_matches_http_and_https(self):
        ref = self.ref
        tried = 0
        for value, _ in ref.iocs_by_count("url")[:6]:
            bare = value.split("://", 1)[1]
            tweets = ref.tweets_for("url", bare)
            self.assertTrue(tweets)
            with self.subTest(value=bare):
                data = self.data(OBSERVE, self.obs_body(("url", bare)))
                self.assertEqual([s["source_uri"] for s in self.docs(data, "sightings")],
                                 [t.link for t in tweets])
                self.assertEqual(self.docs(data, "verdicts")[0]["observable"]["value"], bare)
            tried += 1
        self.assertTrue(tried)

    def test_ip_inside_a_longer_ip_does_not_match(self):
        ref = self.ref
        known = ref.all_values()
        candidates = []
        for value, _ in ref.iocs_by_count("ip"):
            for part in (value[:-1], value[1:]):
                if (part not in known and re.match(r"^\d+\.\d+\.\d+\.\d+$", part)
                        and not ref.tweets_for("ip", part)):
                    candidates.append(part)
        self.assertTrue(candidates, "no IP prefix/suffix candidate in the fixture")
        data = self.data(DELIBERATE, self.obs_body(*[("ip", c) for c in candidates[:20]]))
        self.assertEqual(data, {}, "substring of a longer IP matched")
        data = self.data(OBSERVE, self.obs_body(*[("ip", c) for c in candidates[:5]]))
        self.assertEqual(data, {})

    def test_substrings_of_other_iocs_do_not_match(self):
        ref = self.ref
        known = ref.all_values()
        cases = []
        dom = ref.top("domain")
        if dom:
            parts = dom[1].split(".", 1)
            if len(parts) == 2:
                cases.append(("domain", parts[1]))
            cases.append(("domain", dom[1][1:]))
        for name in ("md5", "sha256"):
            top = ref.top(name)
            if top:
                cases.append((top[0], top[1][:-1]))
        mail = ref.top("mail")
        if mail:
            cases.append(("email", mail[1].split("@", 1)[1]))
            cases.append(("email", mail[1][1:]))
        url = ref.top("url")
        if url:
            cases.append(("url", url[1].rsplit("/", 1)[0]))
            cases.append(("url", url[1] + "x"))
        cases = [(t, v) for t, v in cases if v not in known and not ref.tweets_for(t, v)]
        self.assertTrue(cases)
        self.assertEqual(self.data(DELIBERATE, self.obs_body(*cases)), {})

    def test_type_is_compared_case_insensitively(self):
        obs_type, value = self.ref.top("sha1")
        data = self.data(DELIBERATE, self.obs_body((obs_type.upper(), value)))
        verdicts = self.docs(data, "verdicts")
        self.assertEqual(len(verdicts), 1, data)
        self.assertEqual(verdicts[0]["observable"]["value"], value)

    def test_unsupported_types_are_skipped(self):
        body = self.obs_body(("file_name", "invoice.exe"), ("hostname", "x"),
                             ("mac_address", "00:11:22:33:44:55"))
        self.assertEqual(self.data(DELIBERATE, body), {})
        self.assertEqual(self.data(OBSERVE, body), {})
        self.assertEqual(self.data(REFER, body), [])

    def test_unsupported_next_to_supported(self):
        obs_type, value = self.ref.top("md5")
        data = self.data(DELIBERATE, self.obs_body(("file_name", value), (obs_type, value)))
        verdicts = self.docs(data, "verdicts")
        self.assertEqual(len(verdicts), 1, data)
        self.assertEqual(verdicts[0]["observable"]["type"].lower(), "md5")

    def test_duplicates_are_answered_once(self):
        ref = self.ref
        obs_type, value = ref.top("domain")
        pair = (obs_type, value)
        data = self.data(OBSERVE, self.obs_body(pair, pair, pair))
        self.assertEqual(len(self.docs(data, "verdicts")), 1, data)
        self.assertEqual(len(self.docs(data, "judgements")), 1, data)
        self.assertEqual(len(self.docs(data, "sightings")), len(ref.tweets_for(*pair)))
        refer = self.data(REFER, self.obs_body(pair, pair))
        self.assertEqual(len(refer), 2, refer)  # one search + one browse

    def test_extra_keys_are_ignored(self):
        obs_type, value = self.ref.top("sha256")
        body = [{"type": obs_type, "value": value, "id": 7, "extra": {"a": [1]}}]
        self.assertEqual(len(self.docs(self.data(DELIBERATE, body), "verdicts")), 1)

    def test_empty_observables_array(self):
        self.assertEqual(self.data(DELIBERATE, []), {})
        self.assertEqual(self.data(OBSERVE, []), {})
        self.assertEqual(self.data(REFER, []), [])

    def test_entity_ids_are_unique_transient_uuids(self):
        data = self.data(OBSERVE, self.obs_body(*self.picks()))
        ids = [d["id"] for key in ("sightings", "judgements", "verdicts")
               for d in self.docs(data, key) if "id" in d]
        self.assertEqual(len(ids), len(set(ids)))
        for i in ids:
            self.assertRegex(i, r"^transient:(sighting|judgement|verdict)-[0-9a-f]{8}-[0-9a-f]{4}"
                                r"-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


# --------------------------------------------------------------------------
class InputValidationTest(TweettiocCase):
    """Hostile request bodies (docs/api.md#endpoints and docs/api.md#errors, 3.3): HTTP 200 +
    invalid argument, and the relay keeps answering."""

    ENDPOINTS = (DELIBERATE, OBSERVE, REFER)

    def check_invalid(self, body, mentions=None, endpoints=ENDPOINTS):
        for path in endpoints:
            with self.subTest(path=path):
                answer = self.envelope(path, body)
                self.assert_invalid_argument(answer, mentions)
        self.assert_relay_alive()

    def test_body_that_is_not_json(self):
        self.check_invalid(b"this is not json")
        self.check_invalid(b"")
        self.check_invalid(b'[{"type": "ip", "value": "1.2.3.4"}')
        self.check_invalid(b'[] trailing')

    def test_body_that_is_not_an_array(self):
        for body in ({}, {"type": "ip", "value": "1.2.3.4"}, "ip", 42, None):
            with self.subTest(body=body):
                self.check_invalid(json.dumps(body).encode())

    def test_array_of_non_objects(self):
        self.check_invalid([1, "x", None], "observables[0]")
        self.check_invalid([{"type": "ip", "value": "1.2.3.4"}, ["ip", "1.2.3.4"]],
                           "observables[1]")

    def test_missing_empty_or_non_string_fields_name_index_and_field(self):
        good = {"type": "ip", "value": "1.2.3.4"}
        cases = [
            ([good, good, {"type": "ip"}], "observables[2].value"),
            ([{"value": "1.2.3.4"}], "observables[0].type"),
            ([good, {"type": "", "value": "1.2.3.4"}], "observables[1].type"),
            ([good, {"type": "ip", "value": ""}], "observables[1].value"),
            ([{"type": 5, "value": "1.2.3.4"}], "observables[0].type"),
            ([{"type": "ip", "value": 1234}], "observables[0].value"),
            ([{"type": "ip", "value": None}], "observables[0].value"),
            ([{"type": ["ip"], "value": "1.2.3.4"}], "observables[0].type"),
            ([good, good, good, {"type": "ip", "value": {"v": 1}}], "observables[3].value"),
        ]
        for body, field in cases:
            with self.subTest(field=field, body=body):
                self.check_invalid(body, field)

    def test_invalid_utf8(self):
        self.check_invalid(b'[{"type": "domain", "value": "ex\xffample.com"}]')
        self.check_invalid(b'[{"type": "domain", "value": "\xc3"}]')
        self.check_invalid(b'[{"type": "d\xed\xa0\x80main", "value": "a.com"}]')

    def test_deep_nesting(self):
        self.check_invalid(b"[" * 10000 + b"]" * 10000)
        self.check_invalid(b"[" * 100000)
        self.check_invalid(b'[{"type": "ip", "value": ' + b"[" * 5000 + b"]" * 5000 + b"}]")

    def test_five_thousand_observables_are_answered(self):
        ref = self.ref
        obs = [{"type": "ip", "value": "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256)}
               for i in range(5000)]
        known = ref.top("ip")
        obs[2500] = {"type": known[0], "value": known[1]}
        body = json.dumps(obs).encode()
        self.assertLess(len(body), 1048576)
        start = time.monotonic()
        data = self.data(DELIBERATE, body)
        verdicts = self.docs(data, "verdicts")
        self.assertEqual([v["observable"]["value"] for v in verdicts], [known[1]])
        refer = self.data(REFER, body)
        self.assertGreaterEqual(len(refer), 5000)
        self.assertLess(time.monotonic() - start, 60)
        self.assert_relay_alive()

    def test_strange_but_valid_json_does_not_crash(self):
        """Nothing a client sends may crash the relay (docs/api.md#non-application-failures)."""
        bodies = [
            b'[{"type": "ip", "value": "1.2.3.4\\u0000evil"}]',
            b'[{"type": "domain", "value": "\\ud800"}]',
            b'[{"type": "url", "value": "' + b"A" * 200000 + b'"}]',
            b'[{"type": "email", "value": "' + "\u00e9\u4e2d\U0001f600".encode() * 1000 + b'"}]',
            b'[{"type": "ip", "value": "1.2.3.4", "type": "md5"}]',
            b'[{"type": "url", "value": "hxxp://[.]/[:]/[at]/(.)"}]',
            b'[{"type": "url", "value": "://"}, {"type": "url", "value": "http://"}]',
            b'[{"type": "ipv6", "value": "::"}, {"type": "ip", "value": "%s"}]' % (b"9" * 5000),
            b'[1e999999, -0, 1e-99999]',
            b'\xef\xbb\xbf[]',
            b' \t\r\n[ ] \n',
            b'[{"type": "md5", "value": "x"}]\x00garbage',
        ]
        for body in bodies:
            for path in self.ENDPOINTS:
                with self.subTest(path=path, body=body[:60]):
                    status, answer, _ = self.post(path, body)
                    self.assertEqual(status, 200, answer)
                    self.assertIsInstance(answer, dict, answer)
                    self.assertTrue(set(answer) & {"data", "errors"}, answer)
        self.assert_relay_alive()

    def test_huge_header_is_accepted(self):
        """Headers of 16 KiB get through nginx and the relay (docs/authentication.md)."""
        obs_type, value = self.ref.top("md5")
        headers = {"Authorization": "Bearer " + "a" * 16384, "X-Padding": "p" * 16000}
        status, answer, _ = self.post(DELIBERATE, self.obs_body((obs_type, value)), headers)
        self.assertEqual(status, 200, answer)
        self.assertEqual(len(self.docs(answer["data"], "verdicts")), 1, answer)

    def test_body_shorter_than_content_length_is_not_fatal(self):
        """A client that hangs up mid-body must not hurt the relay."""
        import socket
        with socket.create_connection(("127.0.0.1", self.nginx.port), timeout=5) as s:
            s.sendall(b"POST " + DELIBERATE.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 1000\r\n\r\n[{\"type\"")
        time.sleep(0.2)
        self.assert_relay_alive()


# --------------------------------------------------------------------------
class BodyLimitTest(TweettiocCase):
    """RELAY_MAX_BODY: a larger body is HTTP 413 with a JSON body."""

    relay_env = {"RELAY_MAX_BODY": "4096"}

    def test_body_over_the_limit_is_413(self):
        obs = [{"type": "ip", "value": "10.0.%d.%d" % (i // 256, i % 256)} for i in range(300)]
        body = json.dumps(obs).encode()
        self.assertGreater(len(body), 4096)
        for path in (DELIBERATE, OBSERVE, REFER):
            with self.subTest(path=path):
                status, answer, _ = self.post(path, body)
                self.assertEqual(status, 413, answer)
                self.assertIsInstance(answer, dict, answer)
                self.assertEqual(answer.get("code"), 413, answer)
                self.assertIsInstance(answer.get("message"), str, answer)
                self.assert_relay_alive()

    def test_connection_stays_usable_after_unread_bodies(self):
        """A body the relay does not read (413, 404, 405) must not break the
        kept-alive FastCGI connection nginx reuses for the next request."""
        obs_type, value = self.ref.top("md5")
        follow_up = json.dumps(self.obs_body((obs_type, value))).encode()
        cases = [("POST", OBSERVE, b"[" + b" " * 60000 + b"]"),
                 ("POST", "/nope", b"[" + b" " * 60000 + b"]"),
                 ("PUT", DELIBERATE, b"[" + b" " * 60000 + b"]")]
        for method, path, body in cases:
            broken = []
            for i in range(60):
                first, _, _ = self.client.request(method, path, body)
                status, answer, _ = self.post(DELIBERATE, follow_up)
                if status != 200:
                    broken.append((i, first, status))
            with self.subTest(method=method, path=path):
                self.assertEqual(broken, [], "(round, first status, next status): the request "
                                 "after an unread %d-byte body failed" % len(body))

    def test_body_at_the_limit_is_accepted(self):
        obs_type, value = self.ref.top("md5")
        body = json.dumps(self.obs_body((obs_type, value))).encode()
        body = body + b" " * (4096 - len(body))
        self.assertEqual(len(body), 4096)
        data = self.data(DELIBERATE, body)
        self.assertEqual(len(self.docs(data, "verdicts")), 1, data)
        status, answer, _ = self.post(DELIBERATE, body + b" ")
        self.assertEqual(status, 413, answer)

    def test_much_larger_body_is_413_and_the_relay_recovers(self):
        body = b"[" + b" " * (4 * 1024 * 1024) + b"]"
        status, answer, _ = self.post(OBSERVE, body)
        self.assertEqual(status, 413, answer)
        self.assertEqual(answer.get("code"), 413, answer)
        obs_type, value = self.ref.top("sha1")
        for _ in range(3):  # a few in a row: the FastCGI connection must be reusable
            data = self.data(DELIBERATE, self.obs_body((obs_type, value)))
            self.assertEqual(len(self.docs(data, "verdicts")), 1, data)


# --------------------------------------------------------------------------
class EntitiesLimitTest(TweettiocCase):
    """CTR_ENTITIES_LIMIT caps each entity list per observable, newest first."""

    relay_env = {"CTR_ENTITIES_LIMIT": "2"}

    def test_only_the_two_newest_sightings_and_a_warning(self):
        ref = self.ref
        picks = [p for p in (ref.top(n, min_tweets=3) for n in FEED_LISTS) if p]
        self.assertTrue(picks, "fixture needs an IOC mentioned in 3+ tweets")
        obs_type, value = picks[0]
        tweets = ref.tweets_for(obs_type, value)
        answer = self.envelope(OBSERVE, self.obs_body((obs_type, value)))
        sightings = self.docs(answer.get("data", {}), "sightings")
        self.assertEqual([s["source_uri"] for s in sightings], [t.link for t in tweets[:2]])
        self.assertEqual(len(self.docs(answer["data"], "judgements")), 1)
        self.assertEqual(len(self.docs(answer["data"], "verdicts")), 1)
        warnings = [e for e in answer.get("errors", []) if e.get("code") == "too-many-entities"]
        self.assertEqual(len(warnings), 1, answer)
        self.assertEqual(warnings[0].get("type"), "warning", answer)
        self.assertIsInstance(warnings[0].get("message"), str)

    def test_no_warning_when_within_the_limit(self):
        ref = self.ref
        pick = next(((ctim_type(n, v), v) for n in FEED_LISTS
                     for v, count in ref.iocs_by_count(n) if count == 2), None)
        self.assertIsNotNone(pick, "fixture needs an IOC mentioned in exactly 2 tweets")
        data = self.data(OBSERVE, self.obs_body(pick))  # fails on any error entry
        self.assertEqual(len(self.docs(data, "sightings")), 2)

    def test_deliberate_is_not_cut(self):
        picks = self.picks()
        data = self.data(DELIBERATE, self.obs_body(*picks))
        self.assertEqual(len(self.docs(data, "verdicts")), len(picks))


# --------------------------------------------------------------------------
def defang_url(url):
    scheme, rest = url.split("://", 1)
    host, sep, path = rest.partition("/")
    return scheme.replace("http", "hxxp") + "[:]//" + host.replace(".", "[.]") + sep + path


class HostileFeedTest(TweettiocCase):
    """A feed with defanged IOCs, odd but valid items and items of the wrong
    shape (docs/api.md#module-tweettioc and docs/operations.md#the-tweettioc-feed): wrong items are skipped, never fatal."""

    @classmethod
    def make_feed(cls):
        feed = load_feed()
        ref = Reference(feed)
        plan = {
            "url": lambda v: defang_url(v),
            "domain": lambda v: v.replace(".", "(.)"),
            "mail": lambda v: v.replace("@", "[at]").replace(".", "[.]"),
            "ip": lambda v: v.replace(".", "[.]"),
            "md5": lambda v: v.upper(),
            "sha256": lambda v: v.upper(),
        }
        cls.defanged = {}
        for name, fn in plan.items():
            value, count = ref.iocs_by_count(name)[0]
            cls.defanged[name] = value
            seen = 0
            for item in feed:
                if value in item[name]:
                    if seen % 2 == 0:  # every other mention defanged
                        item[name] = [fn(v) if v == value else v for v in item[name]]
                    seen += 1
        newest = max(it["tweet"]["timestamp"] for it in feed)
        feed += [
            {"ip": ["2001:db8::bad:cafe"], "url": ["hxxp://evil(.)example/x"],
             "tweet": {"id": 1234567890123, "user": "float_user", "tweet": "ipv6 #c2",
                       "hashtags": ["#c2", "ipv6"], "link": "https://twitter.com/f/status/1",
                       "timestamp": newest - 30.5}},
            {"domain": ["only-sha1-missing.example"],
             "tweet": {"id": "2", "user": "sparse", "tweet": "few lists", "hashtags": [],
                       "link": "https://twitter.com/s/status/2", "timestamp": newest - 100}},
            None, 42, "string item", [], {},
            {"ip": ["203.0.113.77"]},
            {"ip": ["203.0.113.78"], "tweet": "not an object"},
            {"ip": ["203.0.113.79"], "tweet": None},
        ]
        return feed

    def test_feed_with_bad_items_is_loaded(self):
        self.assert_relay_alive()

    def test_defanged_iocs_are_found_by_their_refanged_form(self):
        ref = self.ref
        for name, value in self.defanged.items():
            obs_type = ctim_type(name, value)
            with self.subTest(type=obs_type, value=value):
                tweets = ref.tweets_for(obs_type, value)
                self.assertGreaterEqual(len(tweets), 1)
                data = self.data(OBSERVE, self.obs_body((obs_type, value)))
                self.assertEqual([s["source_uri"] for s in self.docs(data, "sightings")],
                                 [t.link for t in tweets])

    def test_synthetic_items(self):
        ref = self.ref
        for obs in (("ipv6", "2001:db8::bad:cafe"), ("url", "http://evil.example/x"),
                    ("domain", "only-sha1-missing.example")):
            with self.subTest(obs=obs):
                tweets = ref.tweets_for(*obs)
                self.assertEqual(len(tweets), 1)
                data = self.data(OBSERVE, self.obs_body(obs))
                sightings = self.docs(data, "sightings")
                self.assertEqual(len(sightings), 1, data)
                self.assert_sighting(sightings[0], obs[0], obs[1], tweets[0])

    def test_items_of_the_wrong_shape_are_skipped(self):
        body = self.obs_body(("ip", "203.0.113.77"), ("ip", "203.0.113.78"),
                             ("ip", "203.0.113.79"))
        self.assertEqual(self.data(DELIBERATE, body), {})


# --------------------------------------------------------------------------
class FeedLifecycleTest(TweettiocCase):
    """Background refresh (docs/operations.md#the-tweettioc-feed): never on the request path; a failed
    refresh keeps the old copy; /health tells the truth."""

    relay_env = {"TWEETTIOC_REFRESH_SECONDS": "1", "RELAY_UPSTREAM_TIMEOUT_MS": "2000"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.original = cls.fake.feed

    def tearDown(self):
        try:
            super().tearDown()  # relay crash / sanitizer check first
        finally:
            self.fake.set_document(self.original)
            self.fake.reset()
            self.wait_healthy(15)

    def known(self):
        return self.ref.top("md5")

    def deliberate_hits(self, obs):
        data = self.data(DELIBERATE, self.obs_body(obs))
        return self.docs(data, "verdicts")

    def test_requests_never_fetch_the_feed(self):
        obs = self.known()
        before = self.fake.total_requests()
        start = time.monotonic()
        for _ in range(200):
            self.assertEqual(len(self.deliberate_hits(obs)), 1)
        elapsed = time.monotonic() - start
        fetched = self.fake.total_requests() - before
        self.assertLessEqual(fetched, int(elapsed) + 1,
                             "%d upstream requests during %.1f s of deliberate calls"
                             % (fetched, elapsed))

    def test_refresh_happens_on_schedule(self):
        before = self.fake.total_requests()
        time.sleep(3.5)
        fetched = self.fake.total_requests() - before
        self.assertGreaterEqual(fetched, 2, "refresh every 1 s expected")
        self.assertLessEqual(fetched, 5)

    def test_new_document_is_swapped_in(self):
        old = self.known()
        feed = load_feed()
        for item in feed:  # drop the old IOC, add a new one
            item["md5"] = [v for v in item["md5"] if v != old[1]]
        feed[0]["md5"] = feed[0]["md5"] + ["feedc0de" * 4]
        self.fake.set_document(feed)
        wait_for(lambda: self.deliberate_hits(("md5", "feedc0de" * 4)), 10,
                 interval=0.2, what="the new feed to be served")
        self.assertEqual(self.deliberate_hits(old), [])

    def outage(self, break_upstream):
        obs = self.known()
        self.assertEqual(len(self.deliberate_hits(obs)), 1)
        break_upstream()
        last = {}

        def unhealthy():
            # The old copy keeps answering all the while.
            self.assertEqual(len(self.deliberate_hits(obs)), 1, "old copy must keep serving")
            status, body, _ = self.post("/health", {})
            last["health"] = (status, body)
            return status == 200 and "errors" in body
        wait_for(unhealthy, 15, interval=0.25, what="/health to report the outage")
        status, body = last["health"]
        self.assertNotIn("data", body, body)
        self.assertEqual(body["errors"][0]["code"], "service unavailable", body)
        self.assertIsInstance(body["errors"][0].get("message"), str)
        # Still served after health turned red.
        for path in (DELIBERATE, OBSERVE):
            answer = self.envelope(path, self.obs_body(obs))
            self.assertEqual(len(self.docs(answer.get("data", {}), "verdicts")), 1, answer)
        self.fake.set_document(self.original)
        self.fake.reset()
        self.wait_healthy(10)

    def test_upstream_down_keeps_old_copy_then_recovers(self):
        self.outage(self.fake.stop)

    def test_broken_json_keeps_old_copy_then_recovers(self):
        self.outage(self.fake.serve_broken)

    def test_upstream_500_keeps_old_copy_then_recovers(self):
        self.outage(lambda: self.fake.serve_status(500))

    def test_wrong_shape_keeps_old_copy_then_recovers(self):
        self.outage(lambda: self.fake.set_document({"tweets": []}))

    def test_slow_upstream_does_not_slow_requests(self):
        obs = self.known()
        self.fake.set_delay(5)  # longer than RELAY_UPSTREAM_TIMEOUT_MS
        deadline = time.monotonic() + 4
        worst = 0.0
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            self.assertEqual(len(self.deliberate_hits(obs)), 1)
            worst = max(worst, time.monotonic() - t0)
            time.sleep(0.05)
        self.assertLess(worst, 1.0, "a request waited for the feed refresh")

    def test_concurrent_requests_during_refreshes(self):
        obs = self.known()
        refs = [self.ref.top(n) for n in FEED_LISTS if self.ref.top(n)]
        failures = []

        def worker(n):
            from harness import Client
            client = Client(self.nginx.port)
            for i in range(40):
                pick = refs[(n + i) % len(refs)]
                path = (DELIBERATE, OBSERVE)[i % 2]
                try:
                    status, body, _ = client.post(path, self.obs_body(pick, obs))
                    if status != 200 or len(body["data"]["verdicts"]["docs"]) != 2 - (pick == obs):
                        failures.append((status, str(body)[:300]))
                except Exception as e:  # noqa: BLE001 - reported below
                    failures.append(repr(e))
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(failures, [])


if __name__ == "__main__":
    unittest.main()
