"""test_tiles.py: the dashboard tiles end to end, through a real nginx.

docs/api.md#endpoints (/tiles, /tiles/tile, /tiles/tile-data) and the tile table of
4.1: every tile answers every period it lists with its type's shape, the
numbers match the feed the fake upstream serves (counted here from that
document over the period the answer's observed_time names, never
hard-coded), bad input is an `invalid argument`, no feed is `service
unavailable`, and a tile-data call never reaches the upstream.
"""

import calendar
import collections
import math
import re
import threading
import time

from harness import RelayTestCase, wait_for
from reference import FEED_LISTS, ctim_type, normalize, valid_item

TILES = "/tweettioc/tiles"
TILE = "/tweettioc/tiles/tile"
TILE_DATA = "/tweettioc/tiles/tile-data"

TILE_TYPES = {
    "tweettioc-recent": "markdown",
    "tweettioc-summary": "metric_group",
    "tweettioc-ioc-types": "donut_graph",
    "tweettioc-activity": "vertical_bar_chart",
    "tweettioc-top-accounts": "horizontal_bar_chart",
    "tweettioc-top-hashtags": "horizontal_bar_chart",
    "twitter_ioc_hunter": "markdown",
}
PERIODS = {"last_24_hours": 24 * 3600, "last_7_days": 7 * 24 * 3600}
DEFAULT_PERIOD = "last_7_days"
REFRESH_SECONDS = 3600
DAY = 86400

# The match-key class of each feed list (normalize.h), so distinct IOCs are
# counted the way lookups see them.
KEY_CLASS = {"ip": "i", "md5": "h", "sha1": "h", "sha256": "h", "mail": "e", "domain": "d",
             "url": "u"}
TYPE_LABELS = {"ip": "IP", "ipv6": "IPv6", "domain": "Domain", "url": "URL", "md5": "MD5",
               "sha1": "SHA1", "sha256": "SHA256", "email": "Email"}
TYPE_METRICS = {"ip": "IP addresses", "ipv6": "IPv6 addresses", "domain": "Domains",
                "url": "URLs", "md5": "MD5 hashes", "sha1": "SHA1 hashes",
                "sha256": "SHA256 hashes", "email": "Email addresses"}
# Activity: each tweet is filed under the most specific type it names.
PRECEDENCE = ("sha256", "sha1", "md5", "url", "domain", "ip", "ipv6", "email")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def parse_time(text):
    if not isinstance(text, str) or not TIME_RE.match(text):
        raise AssertionError("not a CTIM UTC time with milliseconds: %r" % (text,))
    whole, frac = text[:-1].split(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + int(frac) / 1000.0


def ascii_lower(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def cell_separators(line):
    """Pipes that split a GFM table row: those not preceded by a backslash."""
    return sum(1 for i, c in enumerate(line) if c == "|" and (i == 0 or line[i - 1] != "\\"))


class TileReference:
    """What the tiles should show for the tweets stamped in [start, end]."""

    def __init__(self, feed, start, end):
        tweets = [it for it in feed if valid_item(it) and self._kept(it)]
        tweets = [it for it in tweets if start <= it["tweet"]["timestamp"] <= end]
        # Newest first; equal times by id, longer (larger) ids first, as feed.c sorts.
        tweets.sort(key=lambda it: (it["tweet"]["timestamp"], len(self._id(it)), self._id(it)),
                    reverse=True)
        self.tweets = tweets

    @staticmethod
    def _id(item):
        i = item["tweet"].get("id")
        return i if isinstance(i, str) else "%.0f" % i

    @staticmethod
    def _kept(item):
        t = item["tweet"]
        return all(isinstance(t.get(k), str) for k in ("user", "tweet", "link")) \
            and t["user"] and t["link"]

    @staticmethod
    def iocs(item):
        """[(ctim type, match key)] of an item, in the feed's list order."""
        out = []
        for name in FEED_LISTS:
            for v in item.get(name) or []:
                if isinstance(v, str) and v:
                    out.append((ctim_type(name, v), (KEY_CLASS[name], normalize(name, v))))
        return out

    def distinct_by_type(self):
        first = {}
        for it in self.tweets:
            for typ, key in self.iocs(it):
                first.setdefault(key, typ)
        return collections.Counter(first.values())

    def accounts(self):
        return len({it["tweet"]["user"] for it in self.tweets})

    def days(self, start, end):
        """{midnight ms: Counter(primary type -> tweets)} for every UTC day touched."""
        days = {}
        for d in range(math.floor(start / DAY), math.floor(end / DAY) + 1):
            days[d * DAY * 1000] = collections.Counter()
        for it in self.tweets:
            types = {typ for typ, _ in self.iocs(it)}
            primary = next((t for t in PRECEDENCE if t in types), "none")
            days[math.floor(it["tweet"]["timestamp"] / DAY) * DAY * 1000][primary] += 1
        return days

    def top_accounts(self, n=10):
        mentions, tweets = collections.Counter(), collections.Counter()
        for it in self.tweets:
            user = it["tweet"]["user"]
            mentions[user] += len(self.iocs(it))
            tweets[user] += 1
        ranked = sorted((u for u in mentions if mentions[u] > 0),
                        key=lambda u: (-mentions[u], -tweets[u], ascii_lower(u), u))
        return [(u, mentions[u]) for u in ranked[:n]]

    def top_hashtags(self, n=10):
        counts, label = collections.Counter(), {}
        for it in self.tweets:
            seen = set()
            for tag in it["tweet"].get("hashtags") or []:
                if not isinstance(tag, str):
                    continue
                tag = tag.lstrip("#")
                if not tag:
                    continue
                key = ascii_lower(tag)
                label.setdefault(key, tag)
                if key not in seen:
                    seen.add(key)
                    counts[key] += 1
        ranked = sorted(counts, key=lambda k: (-counts[k], k))
        return [(k, "#" + label[k], counts[k]) for k in ranked[:n]]


class TilesCase(RelayTestCase):
    """Shared requests and shape checks."""

    relay_env = {"TWEETTIOC_REFRESH_SECONDS": str(REFRESH_SECONDS)}

    def answer(self, path, body):
        status, answer, _ = self.post(path, body)
        self.assertEqual(status, 200, answer)
        self.assertIsInstance(answer, dict, answer)
        return answer

    def tile_data(self, tile_id, period=None, path=TILE_DATA):
        body = {"tile_id": tile_id}
        if period is not None:
            body["period"] = period
        answer = self.answer(path, body)
        self.assertNotIn("errors", answer, answer)
        return answer["data"]

    def assert_invalid_argument(self, path, body):
        answer = self.answer(path, body)
        self.assertNotIn("data", answer, answer)
        self.assertEqual(answer["errors"][0]["code"], "invalid argument", answer)
        self.assertEqual(answer["errors"][0]["type"], "fatal", answer)

    def window(self, data, period):
        """(start, end) of the answer's observed_time, checked against the period."""
        start = parse_time(data["observed_time"]["start_time"])
        end = parse_time(data["observed_time"]["end_time"])
        self.assertAlmostEqual(end - start, PERIODS[period], delta=0.002)
        self.assertLess(abs(end - time.time()), 120, "observed_time must end now")
        return start, end

    def reference(self, data, period):
        start, end = self.window(data, period)
        return TileReference(self.feed, start, end), start, end

    def assert_envelope(self, data, period):
        self.assertEqual(data["cache_scope"], "org")
        valid_start = parse_time(data["valid_time"]["start_time"])
        valid_end = parse_time(data["valid_time"]["end_time"])
        self.assertAlmostEqual(valid_end - valid_start, REFRESH_SECONDS, delta=0.002)
        start, end = self.window(data, period)
        self.assertAlmostEqual(valid_start, end, delta=0.002)

    def assert_shape(self, tile_type, data):
        if tile_type == "markdown":
            self.assertIsInstance(data["data"], list)
            self.assertTrue(data["data"] and all(isinstance(s, str) for s in data["data"]))
            for line in data["data"]:
                self.assertNotIn("\n", line)
                if line.startswith("|"):
                    self.assertEqual(cell_separators(line), 7, line)
        elif tile_type == "metric_group":
            for m in data["data"]:
                self.assertEqual(set(m), {"icon", "label", "value", "value_unit"}, m)
                self.assertIsInstance(m["value"], int)
                self.assertEqual(m["value_unit"], "integer")
        elif tile_type == "donut_graph":
            labels = data["labels"]
            self.assertIsInstance(labels, list)
            self.assertTrue(all(isinstance(level, list) for level in labels))
            for slice_ in data["data"]:
                self.assertIsInstance(slice_["key"], int)
                self.assertLess(slice_["key"], len(labels[0]))
                self.assertGreater(slice_["value"], 0)
        else:
            keys = [k["key"] for k in data["keys"]]
            self.assertTrue(all(set(k) == {"key", "label"} for k in data["keys"]), data["keys"])
            self.assertIn(data["key_type"], ("timestamp", "string"))
            for bar in data["data"]:
                self.assertTrue({"key", "label", "value", "values"} <= set(bar), bar)
                self.assertEqual([v["key"] for v in bar["values"]], keys)
                self.assertEqual(sum(v["value"] for v in bar["values"]), bar["value"], bar)
                self.assertTrue(all(isinstance(v["tooltip"], str) for v in bar["values"]))


class TilesTest(TilesCase):
    """A loaded feed; a refresh interval long enough that none happens during a test."""

    def test_tiles_lists_every_tile_and_tile_returns_each_definition(self):
        answer = self.answer(TILES, {})
        tiles = answer["data"]
        self.assertEqual([t["id"] for t in tiles], list(TILE_TYPES))
        for t in tiles:
            self.assertEqual(t["type"], TILE_TYPES[t["id"]])
            # last_30_days (retained history, test_snapshot.py) on all but the legacy tile.
            extra = [] if t["id"] == "twitter_ioc_hunter" else ["last_30_days"]
            self.assertEqual(t["periods"], list(PERIODS) + extra)
            self.assertEqual(t["default_period"], DEFAULT_PERIOD)
            for field in ("title", "description", "short_description"):
                self.assertTrue(isinstance(t[field], str) and t[field], (t["id"], field))
            self.assertTrue(t["tags"])
            one = self.answer(TILE, {"tile_id": t["id"]})
            self.assertEqual(one, {"data": t})
        # The bare path (first module) and a body-less POST work too.
        status, bare, _ = self.post("/tiles")
        self.assertEqual((status, bare), (200, answer))

    def test_every_tile_answers_every_period_with_its_shape(self):
        for tile_id, tile_type in TILE_TYPES.items():
            for period in list(PERIODS) + [None]:
                with self.subTest(tile=tile_id, period=period):
                    data = self.tile_data(tile_id, period)
                    self.assert_envelope(data, period or DEFAULT_PERIOD)
                    self.assert_shape(tile_type, data)

    def test_summary_counts_the_tweets_iocs_and_accounts_of_the_period(self):
        for period in PERIODS:
            with self.subTest(period=period):
                data = self.tile_data("tweettioc-summary", period)
                ref, _, _ = self.reference(data, period)
                metrics = {m["label"]: m["value"] for m in data["data"]}
                # The contract's own check: tweets in the last 24 hours.
                self.assertEqual(metrics["Tweets"], len(ref.tweets))
                self.assertGreater(metrics["Tweets"], 0)
                self.assertEqual(metrics["Accounts"], ref.accounts())
                by_type = ref.distinct_by_type()
                self.assertEqual(metrics["Distinct IOCs"], sum(by_type.values()))
                for typ, label in TYPE_METRICS.items():
                    self.assertEqual(metrics[label], by_type.get(typ, 0), label)
        # A day holds fewer tweets than the week of the fixture.
        day = self.tile_data("tweettioc-summary", "last_24_hours")["data"][0]["value"]
        week = self.tile_data("tweettioc-summary", "last_7_days")["data"][0]["value"]
        self.assertLess(day, week)

    def test_ioc_types_donut_shares_the_distinct_iocs_by_type(self):
        for period in PERIODS:
            with self.subTest(period=period):
                data = self.tile_data("tweettioc-ioc-types", period)
                ref, _, _ = self.reference(data, period)
                names = data["labels"][0]
                got = {names[s["key"]]: s["value"] for s in data["data"]}
                want = {TYPE_LABELS[t]: n for t, n in ref.distinct_by_type().items() if n}
                self.assertEqual(got, want)

    def test_activity_stacks_tweets_per_utc_day_by_ioc_type(self):
        for period in PERIODS:
            with self.subTest(period=period):
                data = self.tile_data("tweettioc-activity", period)
                self.assertEqual(data["key_type"], "timestamp")
                ref, start, end = self.reference(data, period)
                days = ref.days(start, end)
                self.assertEqual([b["key"] for b in data["data"]], list(days))
                for bar in data["data"]:
                    self.assertEqual(bar["key"] % (DAY * 1000), 0)
                    self.assertEqual(bar["value"], sum(days[bar["key"]].values()))
                    got = {v["key"]: v["value"] for v in bar["values"] if v["value"]}
                    self.assertEqual(got, dict(days[bar["key"]]))
                self.assertEqual(sum(b["value"] for b in data["data"]), len(ref.tweets))

    def test_top_accounts_and_hashtags_rank_the_period(self):
        for period in PERIODS:
            with self.subTest(period=period):
                data = self.tile_data("tweettioc-top-accounts", period)
                ref, _, _ = self.reference(data, period)
                self.assertEqual([(b["key"], b["value"]) for b in data["data"]],
                                 ref.top_accounts())
                for bar in data["data"]:
                    self.assertEqual(bar["label"], "@" + bar["key"])
                    for seg in bar["values"]:
                        self.assertEqual(seg["link_uri"], "https://twitter.com/" + bar["key"])
                data = self.tile_data("tweettioc-top-hashtags", period)
                ref, _, _ = self.reference(data, period)
                self.assertEqual([(b["key"], b["label"], b["value"]) for b in data["data"]],
                                 ref.top_hashtags())
                self.assertLessEqual(len(data["data"]), 10)

    def test_recent_tweets_table_lists_the_newest_tweets_with_absolute_links(self):
        for period in PERIODS:
            with self.subTest(period=period):
                data = self.tile_data("tweettioc-recent", period)
                ref, _, _ = self.reference(data, period)
                lines = data["data"]
                rows = lines[4:]
                self.assertEqual(len(rows), min(25, len(ref.tweets)))
                self.assertIn("%d of %d shown" % (len(rows), len(ref.tweets)), lines[0])
                for row, item in zip(rows, ref.tweets):
                    tweet = item["tweet"]
                    self.assertIn("[open](%s)" % tweet["link"], row)
                    self.assertIn("](https://twitter.com/%s)" % tweet["user"], row)
                    self.assertIn(time.strftime("%Y-%m-%d %H:%M",
                                                time.gmtime(tweet["timestamp"])), row)
                legacy = self.tile_data("twitter_ioc_hunter", period)
                self.assertEqual(legacy["data"][4:], rows)

    def test_bad_tile_requests_are_invalid_arguments(self):
        self.assert_invalid_argument(TILE, {"tile_id": "no-such-tile"})
        self.assert_invalid_argument(TILE, {})
        self.assert_invalid_argument(TILE_DATA, {"tile_id": "no-such-tile",
                                                 "period": "last_7_days"})
        self.assert_invalid_argument(TILE_DATA, {"tile_id": "tweettioc-summary",
                                                 "period": "last_90_days"})
        self.assert_invalid_argument(TILE_DATA, {"tile_id": "tweettioc-summary", "period": ""})
        self.assert_invalid_argument(TILE_DATA, {"tile_id": "tweettioc-summary", "period": 7})
        self.assert_invalid_argument(TILE_DATA, {"tile_id": ""})
        self.assert_invalid_argument(TILE_DATA, {"period": "last_7_days"})
        self.assert_invalid_argument(TILE_DATA, ["tweettioc-summary"])
        self.assert_invalid_argument(TILE_DATA, b"{not json")
        self.assert_invalid_argument(TILE_DATA, {"tile_id": "x" * 5000})
        self.assert_relay_alive()

    def test_tile_data_never_touches_the_upstream(self):
        before = self.fake.total_requests()
        errors = []

        def burst():
            try:
                for tile_id in TILE_TYPES:
                    for period in PERIODS:
                        self.tile_data(tile_id, period)
            except Exception as e:  # reported below, from the main thread
                errors.append(e)

        threads = [threading.Thread(target=burst) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(self.fake.total_requests(), before,
                         "a tile-data call reached the upstream: %r" % self.fake.counts())


class TilesWithoutFeedTest(TilesCase):
    """The upstream never serves a usable feed: nothing to count yet."""

    @classmethod
    def make_feed(cls):
        return b'{"not": "a feed"}'

    @classmethod
    def wait_healthy(cls, timeout=15):
        # Healthy never comes; wait until the first download was refused.
        wait_for(lambda: cls.fake.total_requests() > 0, timeout, what="a first feed request")

    def test_tile_data_is_service_unavailable_while_no_feed_is_loaded(self):
        for tile_id in TILE_TYPES:
            answer = self.answer(TILE_DATA, {"tile_id": tile_id, "period": "last_24_hours"})
            self.assertNotIn("data", answer, answer)
            self.assertEqual(answer["errors"][0]["code"], "service unavailable", answer)

    def test_definitions_and_input_checks_do_not_need_the_feed(self):
        answer = self.answer(TILES, {})
        self.assertEqual([t["id"] for t in answer["data"]], list(TILE_TYPES))
        self.assertEqual(self.answer(TILE, {"tile_id": "tweettioc-activity"})["data"]["type"],
                         "vertical_bar_chart")
        self.assert_invalid_argument(TILE_DATA, {"tile_id": "no-such-tile"})
        self.assert_invalid_argument(TILE_DATA, {"tile_id": "tweettioc-summary",
                                                 "period": "last_hour"})
