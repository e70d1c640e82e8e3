"""test_render.py: every Markdown field the relay sends, rendered by two real renderers, is inert.

The relay is fed fixtures/tweettioc-feed-hostile.json (phishing links,
images, raw HTML, bare URLs and www. names that GFM autolinks, pipes and
backslashes that break tables, backticks, control and bidi characters,
javascript: links, bad percent-escapes, long emoji and multibyte text, and
the extended-autolink forms of issue 18: `www.-a@2130706433/login`, a
www. name in Cyrillic, `mailto:`/`xmpp:` and bare e-mail addresses with odd
domains, `www.` after `(`, `*`, `_`, `~`) and a CyberCrime Tracker fake
whose family names are as hostile. Every Markdown-bearing field of observe
(sighting description, short_description, the data table's markdown
column, judgement reasons, indicator texts), refer (titles, descriptions)
and every markdown tile is rendered with
cmark-gfm (GitHub's renderer; GFM extensions table, autolink,
strikethrough, tagfilter; --unsafe so raw HTML would show) and with marked
(npm, GFM on). The HTML may hold only the tags the relay's own Markdown
makes, every href must go to one of the relay's own link hosts (the
tweet's host, twitter.com or x.com, and tweettioc.com for the tweettioc
module; the CyberCrime fake for the cybercrime module), and tables keep
their cells. Needs cmark-gfm and tests/render/node_modules
(scripts/deps.sh test installs both).
"""

import html.parser
import json
import os
import re
import shutil
import subprocess
import time
import unittest
import urllib.parse

from fake_cybercrime import FakeCybercrime
from fake_tweetfeed import FakeTweetFeed, stamp
from harness import RelayTestCase, load_feed, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
HOSTILE = os.path.join(ROOT, "fixtures", "tweettioc-feed-hostile.json")
RENDER_DIR = os.path.join(ROOT, "tests", "render")

# The tags the relay's own Markdown produces: paragraphs, bold labels,
# links, code spans, tables.
ALLOWED_TAGS = {"p", "strong", "a", "code", "table", "thead", "tbody", "tr", "th", "td", "br"}
# The relay's own links, by module, compared with the whole netloc (a user
# name in it, as in http://www.-a@2130706433/, is never ours): tweets and
# searches and the feed's home for tweettioc; the CyberCrime fake's address
# (added in setUpClass) for cybercrime.
TWEETTIOC_HOSTS = {"twitter.com", "www.twitter.com", "mobile.twitter.com", "x.com", "www.x.com",
                   "tweettioc.com"}

HOSTILE_FAMILIES = {
    "203.0.113.70": "**[Click to verify](https://evil.example/login)** ![t](https://evil.example/p.gif)",
    "203.0.113.71": "<img src=x onerror=alert(1)> www.evil.example https://phish.example/x",
    "203.0.113.72": "Keitaro | pipe \\| back` tick <script>alert(1)</script> a@evil.example",
    # Issue 18: GFM extended autolinks (www., e-mail, mailto:/xmpp:).
    "203.0.113.73": "www.-a@2130706433/login mailto:a@b.-c www.\u043f\u0440\u0438\u043c"
                    "\u0435\u0440.\u0440\u0444/login",
    "203.0.113.74": "(www.-a@2130706433/x) a@.bc xmpp:a@b.-c/r WWW.-a@2130706433/x",
}
# The tweets of the hostile feed with the extended-autolink forms, and the
# text each must still show, whatever escaping the relay adds.
AUTOLINK_TWEETS = {"203.0.113.13": ["www.-a@2130706433/login", "WWW.-f@2130706433/x",
                                    "(www.-b@2130706433/x)"],
                   "203.0.113.14": ["www.-a@2130706433/start", "mailto:a@b.-c",
                                    "xmpp:a@b.-c/r", "(a@[.]bc)"]}
IOC_TYPES = {"ip": "ip", "md5": "md5", "sha1": "sha1", "sha256": "sha256", "mail": "email",
             "domain": "domain", "url": "url"}


def cmark_gfm(markdown):
    out = subprocess.run(
        ["cmark-gfm", "--unsafe", "--extension", "table", "--extension", "autolink",
         "--extension", "strikethrough", "--extension", "tagfilter"],
        input=markdown.encode(), stdout=subprocess.PIPE, check=True, timeout=30)
    return out.stdout.decode()


def marked(documents):
    out = subprocess.run(["node", os.path.join(RENDER_DIR, "render.mjs")],
                         input=json.dumps(documents).encode(), stdout=subprocess.PIPE,
                         check=True, timeout=60, cwd=RENDER_DIR)
    return json.loads(out.stdout)


class _Html(html.parser.HTMLParser):
    """Collects what matters in rendered HTML: tags, hrefs, table rows."""

    def __init__(self, allowed):
        super().__init__(convert_charrefs=True)
        self.allowed = allowed  # netlocs a link may go to
        self.text = ""    # the visible text
        self.problems = []
        self.tables = []  # per table: list of cell counts per row
        self.links = []   # (href, text)
        self._row = None
        self._a = None

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append("tag <%s %s>" % (tag, attrs))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = 0
        elif tag in ("td", "th") and self._row is not None:
            self._row += 1
        elif tag == "a":
            href = dict(attrs).get("href")
            u = urllib.parse.urlsplit(href or "")
            if u.scheme not in ("http", "https") or u.netloc.lower() not in self.allowed:
                self.problems.append("foreign link %r" % href)
            self._a = [href, ""]
        for name, _ in attrs:
            if tag != "a" or name not in ("href", "title"):
                if not (tag in ("td", "th") and name in ("align", "style")):
                    self.problems.append("attribute %s on <%s>" % (name, tag))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None
        elif tag == "a" and self._a:
            self.links.append(tuple(self._a))
            self._a = None

    def handle_data(self, data):
        self.text += data
        if self._a:
            self._a[1] += data

    def handle_comment(self, data):
        self.problems.append("comment <!--%s-->" % data)  # cmark's "raw HTML omitted"

    def handle_decl(self, decl):
        self.problems.append("declaration %r" % decl)


def source_cells(line):
    """Cells of a GFM table row as marked splits it: a pipe after an odd
    number of backslashes is escaped."""
    n, i = 0, 0
    for i, c in enumerate(line):
        if c == "|":
            back = 0
            while back < i and line[i - 1 - back] == "\\":
                back += 1
            n += back % 2 == 0
    return n - 1


class RenderTests(RelayTestCase):
    """The hostile feed and a hostile CyberCrime Tracker, both modules on."""

    relay_env = {"CTR_ENTITIES_LIMIT": "1000"}

    @classmethod
    def make_feed(cls):
        return load_feed(HOSTILE)

    @classmethod
    def setUpClass(cls):
        cls.cc = FakeCybercrime()
        cls.cc.start()
        cls.cybercrime_hosts = {urllib.parse.urlsplit(cls.cc.url).netloc}
        for value, family in HOSTILE_FAMILIES.items():
            cls.cc.malicious(value, family)
        # Class cleanups run even when setUpClass() fails.
        cls.addClassCleanup(cls.cc.stop)
        super().setUpClass()

    @classmethod
    def extra_env(cls):
        env = super().extra_env()
        env.update({"RELAY_MODULES": "tweettioc,cybercrime", "CYBERCRIME_URL": cls.cc.url})
        return env

    def observables(self):
        seen = []
        for item in self.feed:
            for key, ctim_type in IOC_TYPES.items():
                for value in item.get(key, []):
                    if {"type": ctim_type, "value": value} not in seen:
                        seen.append({"type": ctim_type, "value": value})
        return seen

    def answer(self, path, body):
        status, answer, _ = self.post(path, body)
        self.assertEqual(status, 200, answer)
        self.assertIn("data", answer, answer)
        return answer["data"]

    def allowed(self, where):
        """The netlocs a link in the field `where` may go to."""
        return self.cybercrime_hosts if where.startswith("cybercrime") else TWEETTIOC_HOSTS

    def documents(self):
        """(where, markdown) for every Markdown-bearing field of every endpoint."""
        docs = []
        obs = self.observables()
        data = self.answer("/tweettioc/observe/observables", obs)
        sightings = data.get("sightings", {}).get("docs", [])
        self.assertGreater(len(sightings), 10)
        for i, s in enumerate(sightings):
            docs.append(("sighting[%d].description" % i, s["description"]))
            docs.append(("sighting[%d].short_description" % i, s.get("short_description", "")))
            cols = s["data"]["columns"]
            for row in s["data"]["rows"]:
                for c, cell in zip(cols, row):
                    if c["type"] == "markdown":
                        docs.append(("sighting[%d].data.%s" % (i, c["name"]), cell))
        for i, j in enumerate(data.get("judgements", {}).get("docs", [])):
            docs.append(("judgement[%d].reason" % i, j["reason"]))
        for i, r in enumerate(self.answer("/tweettioc/refer/observables", obs)):
            docs.append(("refer[%d].title" % i, r["title"]))
            docs.append(("refer[%d].description" % i, r["description"]))
        cc = [{"type": "ip", "value": v} for v in HOSTILE_FAMILIES]
        data = self.answer("/cybercrime/observe/observables", cc)
        self.assertEqual(data["judgements"]["count"], len(HOSTILE_FAMILIES), data)
        for i, j in enumerate(data["judgements"]["docs"]):
            docs.append(("cybercrime judgement[%d].reason" % i, j["reason"]))
        for i, ind in enumerate(data.get("indicators", {}).get("docs", [])):
            for k in ("title", "short_description", "description"):
                docs.append(("cybercrime indicator[%d].%s" % (i, k), ind[k]))
        for i, r in enumerate(self.answer("/cybercrime/refer/observables", cc)):
            docs.append(("cybercrime refer[%d].title" % i, r["title"]))
            docs.append(("cybercrime refer[%d].description" % i, r["description"]))
        tiles = self.answer("/tweettioc/tiles", {})
        for tile in tiles:
            if tile["type"] != "markdown":
                continue
            for period in tile["periods"]:
                d = self.answer("/tweettioc/tiles/tile-data",
                                {"tile_id": tile["id"], "period": period})
                docs.append(("tile %s/%s" % (tile["id"], period), "\n".join(d["data"])))
        return docs

    def parse(self, where, rendered):
        parser = _Html(self.allowed(where))
        parser.feed(rendered)
        parser.close()
        return parser

    def check_html(self, renderer, where, markdown, rendered):
        parser = self.parse(where, rendered)
        problems = list(parser.problems)
        for t, rows in enumerate(parser.tables):
            if rows and any(n != rows[0] for n in rows):
                problems.append("table %d rows have %s cells" % (t, rows))
        # Every tweet link the Markdown has is still a link (a cell that
        # broke out shifts it into another cell or into text).
        opens = [h for h, text in parser.links if text == "open"]
        if len(opens) != markdown.count("[open]("):
            problems.append("%d [open] links rendered for %d written"
                            % (len(opens), markdown.count("[open](")))
        if problems:
            self.fail("%s, %s:\n  %s\nMarkdown: %s\nHTML: %s" % (
                renderer, where, "\n  ".join(problems[:10]), markdown[:1500], rendered[:1500]))

    def test_every_markdown_field_renders_inert_in_cmark_gfm_and_marked(self):
        self.assertIsNotNone(shutil.which("cmark-gfm"), "cmark-gfm: run scripts/deps.sh test")
        self.assertTrue(os.path.isdir(os.path.join(RENDER_DIR, "node_modules", "marked")),
                        "marked: run scripts/deps.sh test")
        docs = self.documents()
        rendered = marked([md for _, md in docs])
        for (where, md), html_marked in zip(docs, rendered):
            with self.subTest(where=where):
                self.check_html("cmark-gfm", where, md, cmark_gfm(md))
                self.check_html("marked", where, md, html_marked)

    def autolink_documents(self):
        """(where, markdown, texts it must show) for the fields issue 18 found
        live links in: the sighting description and its hashtags line, the
        recent-tweets tile, the CyberCrime judgement reason and indicator."""
        docs = []
        data = self.answer("/tweettioc/observe/observables",
                           [{"type": "ip", "value": v} for v in AUTOLINK_TWEETS])
        sightings = data["sightings"]["docs"]
        self.assertEqual(len(sightings), len(AUTOLINK_TWEETS), data)
        for s in sightings:
            texts = next(t for ip, t in AUTOLINK_TWEETS.items()
                         if s["observables"][0]["value"] == ip)
            docs.append(("sighting %s description" % s["title"], s["description"], texts))
            tags = [line for line in s["description"].split("\n")
                    if line.startswith("**Hashtags:**")]
            self.assertEqual(len(tags), 1, s["description"])
            docs.append(("sighting %s hashtags" % s["title"], tags[0], []))
        for period in ("last_24_hours", "last_7_days"):
            d = self.answer("/tweettioc/tiles/tile-data",
                            {"tile_id": "tweettioc-recent", "period": period})
            tile = "\n".join(d["data"])
            self.assertIn("autolink\\_www", tile)
            docs.append(("tile tweettioc-recent/%s" % period, tile, []))
        cc = [{"type": "ip", "value": v} for v in ("203.0.113.73", "203.0.113.74")]
        data = self.answer("/cybercrime/observe/observables", cc)
        self.assertEqual(data["judgements"]["count"], 2, data)
        for i, j in enumerate(data["judgements"]["docs"]):
            family = HOSTILE_FAMILIES[j["observable"]["value"]]
            docs.append(("cybercrime judgement[%d].reason" % i, j["reason"],
                         ["Malicious: " + family.split()[0]]))
        self.assertEqual(data["indicators"]["count"], 2, data)
        for i, ind in enumerate(data["indicators"]["docs"]):
            for k in ("title", "short_description", "description"):
                docs.append(("cybercrime indicator[%d].%s" % (i, k), ind[k], []))
        return docs

    def test_extended_autolinks_stay_text_in_cmark_gfm_and_marked(self):
        """Issue 18: www., e-mail, mailto: and xmpp: forms make no link in
        either renderer, and still read the same."""
        docs = self.autolink_documents()
        rendered = marked([md for _, md, _ in docs])
        for (where, md, texts), html_marked in zip(docs, rendered):
            for renderer, out in (("cmark-gfm", cmark_gfm(md)), ("marked", html_marked)):
                with self.subTest(where=where, renderer=renderer):
                    parser = self.parse(where, out)
                    foreign = [p for p in parser.problems if p.startswith("foreign link")]
                    self.assertEqual(foreign, [], "Markdown: %s\nHTML: %s" % (md, out))
                    for text in texts:
                        self.assertIn(text, parser.text, "Markdown: %s\nHTML: %s" % (md, out))

    def test_tile_tables_keep_their_cells_in_the_markdown(self):
        for period in ("last_24_hours", "last_7_days"):
            lines = self.answer("/tweettioc/tiles/tile-data",
                                {"tile_id": "tweettioc-recent", "period": period})["data"]
            rows = [line for line in lines if line.startswith("|")]
            self.assertGreater(len(rows), 2)
            for line in rows:
                self.assertEqual(source_cells(line), 6, line)

    def test_relay_links_stay_live(self):
        data = self.answer("/tweettioc/observe/observables",
                           [{"type": "ip", "value": "203.0.113.7"}])
        [s] = data["sightings"]["docs"]
        html_out = cmark_gfm(s["description"])
        # The feed's javascript: link is not a tweet link: rebuilt from account and id.
        self.assertIn('href="https://twitter.com/phisher/status/1800000000000000000"', html_out)
        self.assertIn('href="https://twitter.com/phisher"', html_out)
        self.assertEqual(s["source_uri"], "https://twitter.com/phisher/status/1800000000000000000")
        self.assertIn("hxxps://phish[.]example/login", html_out)

    def test_invalid_links_are_rebuilt_or_left_out(self):
        by_user = {}
        data = self.answer("/tweettioc/observe/observables", self.observables())
        for s in data["sightings"]["docs"]:
            by_user[s["title"]] = s
        # Space and %zz in the link, account not a handle: no link at all.
        s = by_user["Tweeted by @a b"]
        self.assertNotIn("source_uri", s)
        self.assertNotIn("Link", [c["name"] for c in s["data"]["columns"]])
        # Bad percent-escape: rebuilt from a handle and a numeric id.
        s = by_user["Tweeted by @ctrl_user"]
        self.assertEqual(s["source_uri"], "https://twitter.com/ctrl_user/status/1800000000000000003")
        # Not a handle, id not digits, relative link with %zz: none.
        self.assertNotIn("source_uri", by_user["Tweeted by @" + "u" * 40])
        # Over 2,048 characters: rebuilt.
        self.assertEqual(by_user["Tweeted by @long_link"]["source_uri"],
                         "https://twitter.com/long_link/status/1800000000000000011")
        # No Browse link for a tweet without a link.
        refer = self.answer("/tweettioc/refer/observables", [{"type": "ip", "value": "203.0.113.8"}])
        self.assertEqual([r["id"].split("-")[2] for r in refer], ["search"])

    def dropped(self):
        status, text, _ = self.get("/metrics")
        self.assertEqual(status, 200, text)
        m = re.search(r"^relay_entities_dropped_total (\d+)$", text, re.M)
        self.assertIsNotNone(m, text[-2000:])
        return int(m.group(1))

    def test_an_entity_that_cannot_be_valid_is_left_out_and_counted(self):
        before = self.dropped()
        # A search link for this value would be longer than a URI may be.
        refer = self.answer("/tweettioc/refer/observables",
                            [{"type": "domain", "value": "a" * 3000 + ".example"},
                             {"type": "ip", "value": "203.0.113.7"}])
        self.assertEqual([r["id"].split("-")[3] for r in refer], ["ip", "ip"])
        self.assertEqual(self.dropped(), before + 1)

    def test_limits_count_utf16_units(self):
        data = self.answer("/tweettioc/observe/observables",
                           [{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"}])
        [s] = data["sightings"]["docs"]
        units = len(s["description"].encode("utf-16-le")) // 2
        self.assertLessEqual(units, 5000)
        self.assertGreater(units, 4900)  # the emoji tweet fills it, cut with an ellipsis
        self.assertIn("...", s["description"])


# TweetFeed rows as hostile as its contributors can make them: tags and
# values with links, images, HTML, pipes, backslashes, backticks, bidi and
# control characters; accounts must be handles (rows.c refuses others).
HOSTILE_TAGS = ["**[Click to verify](https://evil.example/login)**",
                "![t](https://evil.example/p.gif)", "<img src=x onerror=alert(1)>",
                "a|b\\|c`d", "www.evil.example", "javascript:alert(1)", "\u202eevil\u0007"]
HOSTILE_VALUES = [("url", "https://evil.example/a|b`c<img src=x>"),
                  ("url", "hxxps://phish[.]example/login?x=[y](https://evil.example)"),
                  ("domain", "www.evil.example"), ("ip", "203.0.113.80"),
                  ("md5", "d41d8cd98f00b204e9800998ecf8427e")]


# tweetfeed links to Twitter only (accounts, tweets).
TWEETFEED_HOSTS = TWEETTIOC_HOSTS - {"tweettioc.com"}


def hostile_rows():
    now = time.time() - 60
    rows = []
    for i, (kind, value) in enumerate(HOSTILE_VALUES):
        rows.append({"date": stamp(now - i), "user": "phisher", "type": kind, "value": value,
                     "tags": HOSTILE_TAGS,
                     "tweet": "https://x.com/phisher/status/18000000000000000%02d" % (i % 2)})
    return rows


class TweetFeedRenderTests(RelayTestCase):
    """The tweetfeed module's description, table, lookup sighting and refer, rendered."""

    answer = RenderTests.answer
    check_html = RenderTests.check_html
    parse = RenderTests.parse

    def allowed(self, where):
        return TWEETFEED_HOSTS

    @classmethod
    def setUpClass(cls):
        cls.tf = FakeTweetFeed(rows=hostile_rows())
        cls.tf.start()
        cls.addClassCleanup(cls.tf.stop)
        cls.tf.found("203.0.113.81", [{
            "type": "ip", "value": "203.0.113.81", "count": 3,
            "first_seen": "2026-01-02 03:04:05", "last_seen": "2026-02-03 04:05:06",
            "users": ["phisher", "@mallory"], "tags": HOSTILE_TAGS,
            "tweets": ["https://x.com/phisher/status/1800000000000000007",
                       "https://evil.example/phisher/status/1"]}])
        super().setUpClass()
        wait_for(lambda: cls.client.post("/tweetfeed/health", {})[0] == 200 and
                 "data" in cls.client.post("/tweetfeed/health", {})[1], 15,
                 what="tweetfeed to load")

    @classmethod
    def extra_env(cls):
        env = super().extra_env()
        env.update({"RELAY_MODULES": "tweettioc,cybercrime,tweetfeed",
                    "TWEETFEED_URL": cls.tf.url})
        return env

    def tweetfeed_documents(self):
        docs = []
        obs = [{"type": k, "value": v} for k, v in HOSTILE_VALUES]
        obs.append({"type": "ip", "value": "203.0.113.81"})
        data = self.answer("/tweetfeed/observe/observables", obs)
        sightings = data["sightings"]["docs"]
        self.assertGreaterEqual(len(sightings), len(HOSTILE_VALUES) + 1)
        self.assertIn("Seen on TweetFeed (365 days)", [s["title"] for s in sightings])
        for i, s in enumerate(sightings):
            docs.append(("tweetfeed sighting[%d].description" % i, s["description"]))
            docs.append(("tweetfeed sighting[%d].short_description" % i,
                         s.get("short_description", "")))
            if "data" in s:
                cols = s["data"]["columns"]
                self.assertEqual([c["name"] for c in cols], ["Account", "Tags", "IOCs", "Link"])
                for row in s["data"]["rows"]:
                    for c, cell in zip(cols, row):
                        if c["type"] == "markdown":
                            docs.append(("tweetfeed sighting[%d].data.%s" % (i, c["name"]),
                                         cell))
                        if c["type"] == "url":
                            self.assertRegex(cell, r"^https://twitter\.com/phisher/status/\d+$")
        for i, j in enumerate(data["judgements"]["docs"]):
            docs.append(("tweetfeed judgement[%d].reason" % i, j["reason"]))
        for i, r in enumerate(self.answer("/tweetfeed/refer/observables", obs)):
            docs.append(("tweetfeed refer[%d].title" % i, r["title"]))
            docs.append(("tweetfeed refer[%d].description" % i, r["description"]))
        return docs

    def test_every_tweetfeed_markdown_field_renders_inert(self):
        docs = self.tweetfeed_documents()
        rendered = marked([md for _, md in docs])
        for (where, md), html_marked in zip(docs, rendered):
            with self.subTest(where=where):
                self.check_html("cmark-gfm", where, md, cmark_gfm(md))
                self.check_html("marked", where, md, html_marked)

    def test_tweetfeed_tiles_link_only_to_twitter(self):
        for tile in self.answer("/tweetfeed/tiles", {}):
            for period in tile["periods"]:
                d = self.answer("/tweetfeed/tiles/tile-data",
                                {"tile_id": tile["id"], "period": period})
                for url in re.findall(r'"(https?://[^"]*)"', json.dumps(d)):
                    host = urllib.parse.urlsplit(url).hostname
                    self.assertIn(host, TWEETFEED_HOSTS, (tile["id"], url))


if __name__ == "__main__":
    unittest.main()
