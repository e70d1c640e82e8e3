"""test_tweetfeed.py: the tweetfeed module end to end, through a real nginx.

docs/api.md (module tweetfeed) and docs/operations.md (the feed
lifecycle): rows grouped into tweets, exact matching, deliberate, observe,
refer, /health, metrics, the 10,000-row cap, bad answers keeping the
previous copy, history beyond the upstream's week, SIGHUP, and the /v1/ioc
lookups for index misses (found, not found, failing, their bound, their
concurrency and their cache).

The upstream is fake_tweetfeed.FakeTweetFeed; the harness's RelayTestCase
starts the tweettioc fake, the relay and nginx, and the classes here add
RELAY_MODULES and TWEETFEED_* through extra_env().
"""

import calendar
import os
import re
import shutil
import signal
import tempfile
import time
import unittest

from harness import Client, FakeTweettioc, Nginx, Relay, RelayTestCase, wait_for
from fake_tweetfeed import FakeTweetFeed, ROW_CAP, stamp

HEALTH = "/tweetfeed/health"
DELIBERATE = "/tweetfeed/deliberate/observables"
OBSERVE = "/tweetfeed/observe/observables"
REFER = "/tweetfeed/refer/observables"
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def parse_time(text):
    assert isinstance(text, str) and TIME_RE.match(text), text
    whole, frac = text[:-1].split(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + int(frac) / 1000.0


def obs(*pairs):
    return [{"type": t, "value": v} for t, v in pairs]


def row(when, user, kind, value, status, tags=None, host="x.com"):
    r = {"date": stamp(when), "user": user, "type": kind, "value": value,
         "tweet": "https://%s/%s/status/%s" % (host, user.lstrip("@"), status)}
    if tags is not None:
        r["tags"] = tags
    return r


def base_rows(now=None):
    """A small hand-written window: two tweets of alice and bob, one hostile."""
    now = now or time.time() - 60
    return [
        row(now, "@alice", "ip", "203.0.113.7", "1860000000000000001", ["#c2"]),
        row(now - 1, "alice", "domain", "evil[.]example", "1860000000000000001",
            ["phishing"], host="twitter.com"),
        row(now - 3600, "bob", "ip", "203.0.113.7", "1860000000000000002", []),
        row(now - 3600, "bob", "sha256", "a" * 64, "1860000000000000002"),
        row(now - 7200, "mallory", "url", "https://phish.example/login?a=1&b=2",
            "1860000000000000003", ["[x](javascript:alert(1))", "<img src=x>"]),
        row(now - 7200, "mallory", "btc", "1abc", "1860000000000000003"),
        row(now - 7200, "eve", "ip", "198.51.100.1", "not-a-status"),
    ]


class TweetFeedCase(RelayTestCase):
    """A FakeTweetFeed, then the harness's relay + nginx with tweetfeed on."""

    refresh_seconds = 900
    lookup = "on"
    max_lookups = 50
    cache_seconds = 3600

    @classmethod
    def tweetfeed_rows(cls):
        return base_rows()

    @classmethod
    def setUpClass(cls):
        cls.tf = FakeTweetFeed(rows=cls.tweetfeed_rows())
        cls.tf.start()
        cls.addClassCleanup(cls.tf.stop)
        super().setUpClass()
        cls.wait_tweetfeed()

    @classmethod
    def extra_env(cls):
        env = super().extra_env()
        env.update({"RELAY_MODULES": "tweettioc,tweetfeed", "TWEETFEED_URL": cls.tf.url,
                    "TWEETFEED_REFRESH_SECONDS": str(cls.refresh_seconds),
                    "TWEETFEED_LOOKUP": cls.lookup,
                    "TWEETFEED_MAX_LOOKUPS": str(cls.max_lookups),
                    "TWEETFEED_CACHE_SECONDS": str(cls.cache_seconds),
                    "RELAY_UPSTREAM_TIMEOUT_MS": "2000"})
        return env

    @classmethod
    def wait_tweetfeed(cls, timeout=15):
        def ok():
            status, body, _ = cls.client.post(HEALTH, {})
            return status == 200 and body == {"data": {"status": "ok"}}
        wait_for(ok, timeout, interval=0.1, what="POST /tweetfeed/health to answer ok")

    def envelope(self, path, body):
        status, answer, _ = self.post(path, body)
        self.assertEqual(status, 200, answer)
        self.assertIsInstance(answer, dict, answer)
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

    def metric(self, name):
        status, text, _ = self.get("/metrics")
        self.assertEqual(status, 200)
        if isinstance(text, bytes):
            text = text.decode()
        m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
        return float(m.group(1)) if m else None

    def sighup(self):
        self.relay.proc.send_signal(signal.SIGHUP)


class TweetFeedIndexTests(TweetFeedCase):
    lookup = "off"

    def test_health_and_metrics_show_the_grouped_copy(self):
        self.assertEqual(self.envelope(HEALTH, {}), {"data": {"status": "ok"}})
        status, body, _ = self.get("/ready")
        self.assertEqual((status, body), (200, {"ready": True}))
        self.assertEqual(self.metric("tweetfeed_feed_loaded"), 1)
        # Three attributable tweets; btc and the bad link skipped.
        self.assertEqual(self.metric("tweetfeed_feed_tweets"), 3)
        self.assertGreaterEqual(self.metric("tweetfeed_skipped_rows_total"), 2)

    def test_deliberate_gives_a_suspicious_verdict_for_a_known_value_only(self):
        data = self.data(DELIBERATE, obs(("ip", "203.0.113.7"), ("ip", "3.0.113.7"),
                                         ("domain", "EVIL.example"), ("sha1", "b" * 40)))
        verdicts = self.docs(data, "verdicts")
        self.assertEqual(sorted(v["observable"]["value"] for v in verdicts),
                         ["203.0.113.7", "EVIL.example"])
        for v in verdicts:
            self.assertEqual(v["disposition"], 3)
            self.assertEqual(v["disposition_name"], "Suspicious")
        self.assertNotIn("judgements", data)
        self.assertNotIn("sightings", data)

    def test_observe_gives_one_sighting_per_tweet_newest_first(self):
        data = self.data(OBSERVE, obs(("ip", "203.0.113.7")))
        sightings = self.docs(data, "sightings")
        self.assertEqual([s["title"] for s in sightings],
                         ["Tweeted by @alice", "Tweeted by @bob"])
        s = sightings[0]
        self.assertEqual(s["source"], "TweetFeed")
        self.assertEqual(s["source_uri"], "https://twitter.com/alice/status/1860000000000000001")
        self.assertEqual([c["name"] for c in s["data"]["columns"]],
                         ["Account", "Tags", "IOCs", "Link"])
        self.assertIn("**IOCs:** ip `203.0.113.7`, domain `evil.example`", s["description"])
        self.assertEqual([r["related"] for r in s["relations"]],
                         [{"type": "domain", "value": "evil.example"}])
        judgement = self.docs(data, "judgements")[0]
        self.assertEqual(judgement["reason"], "Mentioned in 2 tweets by 2 accounts")
        self.assertEqual(judgement["source"], "TweetFeed")
        self.assertEqual(self.docs(data, "verdicts")[0]["disposition"], 3)

    def test_matching_is_exact_never_a_substring(self):
        for value in ("03.0.113.7", "203.0.113.70", "vil.example", "a" * 63):
            kind = "sha256" if value.startswith("a") else "ip" if value[0].isdigit() else "domain"
            self.assertEqual(self.data(DELIBERATE, obs((kind, value))), {}, value)

    def test_url_without_scheme_matches_and_is_reported_as_sent(self):
        data = self.data(DELIBERATE, obs(("url", "phish.example/login?a=1&b=2")))
        self.assertEqual(self.docs(data, "verdicts")[0]["observable"]["value"],
                         "phish.example/login?a=1&b=2")

    def test_hostile_tags_are_inert(self):
        s = self.docs(self.data(OBSERVE, obs(("url", "https://phish.example/login?a=1&b=2"))),
                      "sightings")[0]
        self.assertNotIn("](javascript", s["description"])
        self.assertNotRegex(s["description"], r"(?<!\\)<img")
        self.assertIn("\\<img", s["description"])

    def test_refer_browses_the_newest_tweet_of_a_known_value(self):
        data = self.data(REFER, obs(("ip", "203.0.113.7"), ("ip", "192.0.2.99")))
        self.assertEqual(len(data), 1, data)
        self.assertEqual(data[0]["url"], "https://twitter.com/alice/status/1860000000000000001")
        self.assertTrue(data[0]["id"].startswith("ref-tweetfeed-browse-ip-"), data[0])

    def test_a_miss_is_not_looked_up_with_lookups_off(self):
        before = len(self.tf.lookups())
        self.assertEqual(self.data(OBSERVE, obs(("ip", "192.0.2.50"))), {})
        self.assertEqual(len(self.tf.lookups()), before)


class TweetFeedRefreshTests(TweetFeedCase):
    """Refreshes: /v1/today each period, /v1/week on SIGHUP, history, bad answers, the cap."""

    lookup = "off"
    refresh_seconds = 1

    def tearDown(self):
        self.tf.reset()
        self.tf.set_rows(base_rows())
        super().tearDown()

    def test_refreshes_ask_for_today_and_sighup_for_the_week(self):
        wait_for(lambda: self.tf.count("/v1/today") >= 2, 10, what="two /v1/today downloads")
        weeks = self.tf.count("/v1/week")
        self.sighup()
        wait_for(lambda: self.tf.count("/v1/week") > weeks, 10, what="a /v1/week after SIGHUP")

    def test_history_keeps_tweets_the_upstream_no_longer_lists(self):
        now = time.time() - 30
        self.tf.set_rows([row(now, "carol", "md5", "c" * 32, "1860000000000000009")])
        wait_for(lambda: self.data(DELIBERATE, obs(("md5", "c" * 32))) != {}, 10,
                 what="the new tweet")
        # The first window's tweets are still answered.
        self.assertNotEqual(self.data(DELIBERATE, obs(("ip", "203.0.113.7"))), {})

    def test_a_bad_answer_keeps_the_previous_copy(self):
        for body in (b"<html>oops</html>", b'[{"date": "2026-', b'{"rows": []}'):
            failures = self.metric("tweetfeed_refresh_failures_total")
            self.tf.set_raw(body)
            wait_for(lambda: self.metric("tweetfeed_refresh_failures_total") > failures, 10,
                     what="a failed refresh")
            self.assertNotEqual(self.data(DELIBERATE, obs(("ip", "203.0.113.7"))), {})
        self.tf.serve_status(500)
        failures = self.metric("tweetfeed_refresh_failures_total")
        wait_for(lambda: self.metric("tweetfeed_refresh_failures_total") > failures, 10,
                 what="a failed refresh")
        self.assertNotEqual(self.data(DELIBERATE, obs(("ip", "203.0.113.7"))), {})
        # Three periods (3 s here) without a good refresh: /health says stale.
        wait_for(lambda: "stale" in str(self.envelope(HEALTH, {})), 10, what="stale health")
        self.assertIn("HTTP 500", self.envelope(HEALTH, {})["errors"][0]["message"])
        status, body, _ = self.get("/ready")
        self.assertEqual(status, 503, body)
        self.assertIn("tweetfeed: The TweetFeed feed is stale", body["message"])

    def test_an_answer_of_ten_thousand_rows_is_used_counted_and_logged(self):
        self.tf.serve_cap()
        last = self.tf.rows[-1]
        wait_for(lambda: (self.metric("tweetfeed_capped_answers_total") or 0) >= 1, 15,
                 what="the capped answer counted")
        self.assertIn("TweetFeed's cap", self.relay.stderr())
        self.assertEqual(len(self.tf.rows), ROW_CAP)
        wait_for(lambda: self.data(DELIBERATE, obs((last["type"], last["value"]))) != {}, 15,
                 what="a row of the capped answer")


def record(value, kind="ip", count=4, first=None, last=None, users=("alice", "bob")):
    now = time.time()
    return {"type": kind, "value": value, "count": count,
            "first_seen": stamp(first or now - 200 * 86400), "last_seen": stamp(last or now - 3600),
            "users": list(users), "tags": ["#c2"],
            "tweets": ["https://x.com/%s/status/18600000000000001%02d" % (u, i)
                       for i, u in enumerate(users)],
            "ai": {"ignored": True}}


class TweetFeedLookupTests(TweetFeedCase):
    """Index misses asked at /v1/ioc."""

    max_lookups = 3

    def setUp(self):
        self.tf.clear_ioc()
        self.tf.set_ioc_delay(0)
        self.tf.clear_requests()

    def test_a_found_miss_gives_a_365_day_sighting_judgement_and_verdict(self):
        self.tf.found("192.0.2.10", [record("192.0.2.10")])
        data = self.data(OBSERVE, obs(("ip", "192.0.2.10")))
        s = self.docs(data, "sightings")[0]
        self.assertEqual(s["title"], "Seen on TweetFeed (365 days)")
        self.assertEqual(s["count"], 4)
        ot = s["observed_time"]
        self.assertGreater(parse_time(ot["end_time"]) - parse_time(ot["start_time"]), 100 * 86400)
        self.assertEqual(s["source_uri"], "https://twitter.com/alice/status/1860000000000000100")
        self.assertIn("[@bob](https://twitter.com/bob)", s["description"])
        self.assertEqual(self.docs(data, "judgements")[0]["reason"],
                         "Seen 4 times on TweetFeed in 365 days")
        self.assertEqual(self.docs(data, "verdicts")[0]["disposition"], 3)
        self.assertEqual(self.tf.lookups(), ["192.0.2.10"])

    def test_deliberate_of_a_found_miss_is_the_verdict_only(self):
        self.tf.found("192.0.2.11", [record("192.0.2.11")])
        data = self.data(DELIBERATE, obs(("ip", "192.0.2.11")))
        self.assertEqual(list(data), ["verdicts"])

    def test_a_miss_not_found_gives_nothing(self):
        self.assertEqual(self.data(OBSERVE, obs(("domain", "clean.example"))), {})
        self.assertEqual(self.tf.lookups(), ["clean.example"])

    def test_index_hits_are_never_looked_up(self):
        self.data(OBSERVE, obs(("ip", "203.0.113.7")))
        self.assertEqual(self.tf.lookups(), [])

    def test_a_failed_lookup_is_a_warning_and_keeps_the_index_answers(self):
        for fault in ("status", "raw", "slow"):
            value = "192.0.2.%d" % {"status": 20, "raw": 21, "slow": 22}[fault]
            if fault == "status":
                self.tf.ioc_status(value, 500)
            elif fault == "raw":
                self.tf.ioc_raw(value, b"<html>")
            else:
                self.tf.ioc_raw(value, b"{}", delay=3)  # over RELAY_UPSTREAM_TIMEOUT_MS
            answer = self.envelope(DELIBERATE, obs(("ip", "203.0.113.7"), ("ip", value)))
            self.assertEqual([v["observable"]["value"]
                              for v in answer["data"]["verdicts"]["docs"]], ["203.0.113.7"])
            self.assertEqual(len(answer["errors"]), 1, answer)
            self.assertIn(value, answer["errors"][0]["message"])

    def test_at_most_max_lookups_are_asked_and_one_warning_says_so(self):
        values = ["192.0.2.%d" % i for i in range(30, 35)]
        answer = self.envelope(DELIBERATE, obs(*[("ip", v) for v in values]))
        self.assertEqual(sorted(self.tf.lookups()), values[:3])
        self.assertEqual(len(answer["errors"]), 1, answer)
        self.assertEqual(answer["errors"][0]["code"], "too-many-entities")
        self.assertIn("2 observables", answer["errors"][0]["message"])

    def test_lookups_run_concurrently(self):
        self.tf.set_ioc_delay(0.6)
        started = time.monotonic()
        self.data(DELIBERATE, obs(*[("ip", "192.0.2.%d" % i) for i in range(40, 43)]))
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertGreaterEqual(self.tf.max_in_flight(), 2)

    def test_a_found_answer_is_cached_and_a_negative_one_is_not(self):
        self.tf.found("192.0.2.50", [record("192.0.2.50")])
        for _ in range(2):
            self.data(DELIBERATE, obs(("ip", "192.0.2.50"), ("ip", "192.0.2.51")))
        self.assertEqual(sorted(self.tf.lookups()), ["192.0.2.50", "192.0.2.51", "192.0.2.51"])


class TweetFeedTileTests(TweetFeedCase):
    """Tiles over the kept copy."""

    lookup = "off"
    IDS = ["tweetfeed-summary", "tweetfeed-ioc-types", "tweetfeed-activity",
           "tweetfeed-top-accounts", "tweetfeed-top-tags"]

    def test_tiles_lists_the_five_tiles_with_three_periods(self):
        tiles = self.data("/tweetfeed/tiles", {})
        self.assertEqual([t["id"] for t in tiles], self.IDS)
        for t in tiles:
            self.assertEqual(t["periods"], ["last_24_hours", "last_7_days", "last_30_days"])
            self.assertEqual(t["default_period"], "last_7_days")
        self.assertEqual(self.data("/tweetfeed/tiles/tile", {"tile_id": "tweetfeed-summary"})
                         ["type"], "metric_group")

    def test_summary_counts_the_period(self):
        tile = self.data("/tweetfeed/tiles/tile-data",
                         {"tile_id": "tweetfeed-summary", "period": "last_24_hours"})
        values = {m["label"]: m["value"] for m in tile["data"]}
        self.assertEqual(values["Tweets"], 3)
        self.assertEqual(values["Accounts"], 3)
        self.assertEqual(values["Distinct IOCs"], 4)
        self.assertEqual(tile["cache_scope"], "org")

    def test_every_tile_answers_every_period(self):
        for tile_id in self.IDS:
            for period in ("last_24_hours", "last_7_days", "last_30_days"):
                self.data("/tweetfeed/tiles/tile-data", {"tile_id": tile_id, "period": period})

    def test_unknown_tiles_and_periods_are_invalid_arguments(self):
        for body in ({"tile_id": "tweettioc-summary"},
                     {"tile_id": "tweetfeed-summary", "period": "last_year"}):
            answer = self.envelope("/tweetfeed/tiles/tile-data", body)
            self.assertEqual(answer["errors"][0]["code"], "invalid argument", answer)


class TweetFeedSnapshotTests(unittest.TestCase):
    """The kept copy on disk: a restart with TweetFeed down answers from data at once,
    history included."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="relay-tweetfeed-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.state = os.path.join(self.tmp, "state")
        self.tweettioc = FakeTweettioc()
        self.tweettioc.start()
        self.addCleanup(self.tweettioc.stop)
        self.tf = FakeTweetFeed(rows=base_rows())
        self.tf.start()
        self.addCleanup(self.tf.stop)
        self.relay = None
        self.start_relay()
        self.nginx = Nginx(self.relay.upstream)
        self.nginx.start()
        self.addCleanup(self.nginx.stop)
        self.client = Client(self.nginx.port)

    def tearDown(self):
        if self.relay is not None:
            self.relay.stop()

    def start_relay(self):
        env = {"RELAY_AUTH": "none", "RELAY_MODULES": "tweettioc,tweetfeed",
               "TWEETTIOC_URL": self.tweettioc.url, "TWEETFEED_URL": self.tf.url,
               "TWEETFEED_LOOKUP": "off", "RELAY_STATE_DIR": self.state,
               "RELAY_UPSTREAM_TIMEOUT_MS": "2000"}
        self.relay = Relay(env)
        self.relay.start(timeout=30, port=getattr(self, "port", None))
        self.port = self.relay.port

    def verdicts(self, kind, value):
        status, body, _ = self.client.post(DELIBERATE, [{"type": kind, "value": value}])
        self.assertEqual(status, 200, body)
        return body.get("data", {}).get("verdicts", {}).get("count", 0)

    def test_a_restart_with_tweetfeed_down_answers_from_the_snapshot(self):
        snapshot = os.path.join(self.state, "tweetfeed.snapshot")
        wait_for(lambda: self.verdicts("ip", "203.0.113.7") == 1, 30, what="the first copy")
        wait_for(lambda: os.path.exists(snapshot), 30, what="tweetfeed.snapshot")
        # A second window without the first one's tweets: history keeps them.
        now = time.time() - 30
        self.tf.set_rows([row(now, "carol", "md5", "c" * 32, "1860000000000000009")])
        mtime = os.path.getmtime(snapshot)
        self.relay.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: os.path.getmtime(snapshot) > mtime, 30, what="a newer snapshot")
        self.tf.stop()
        self.relay.stop()
        self.start_relay()
        # The first requests after the restart: data, the history included.
        self.assertEqual(self.verdicts("ip", "203.0.113.7"), 1)
        self.assertEqual(self.verdicts("md5", "c" * 32), 1)
        self.assertEqual(self.client.post(HEALTH, {})[1], {"data": {"status": "ok"}})
        self.assertIn("tweetfeed: loaded the snapshot", self.relay.stderr())
        self.assertTrue(os.path.exists(os.path.join(self.state, "tweettioc.snapshot")))
