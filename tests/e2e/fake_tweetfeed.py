"""fake_tweetfeed.py: an in-process TweetFeed (api.tweetfeed.live) for the end-to-end tests.

Serves what docs/api.md (module tweetfeed) says the relay reads:

* GET /v1/week: a JSON array of rows {"date", "user", "type", "value",
  "tags", "tweet"}, newest first: `self.rows` (from tools/gen_tweetfeed.py,
  rebased so the newest row is a minute old, or a document the test sets);
* GET /v1/today: the rows of the current UTC day only;
* GET /v1/ioc?value=<v>: the answer the test set for that value, else
  {"found": false, "query": v, "window": "365d", "records": []}.

Switches chosen by the test at run time: an HTTP status, a delay, raw bytes
(not JSON, or JSON cut short), the upstream's 10,000-row cap, per-value
/v1/ioc answers (records, a status, raw bytes, a delay). Every request is
recorded (path and decoded `value`), so tests can check what reached the
upstream and how many lookups ran at once. Python standard library only;
loopback only; HTTP/1.0, one request per connection, so stop() really
refuses the relay's next call.
"""

import calendar
import importlib.util
import json
import threading
import time
import urllib.parse
from pathlib import Path

from testkit import FakeHandler, FakeUpstream

REPO = Path(__file__).resolve().parents[2]

# The upstream answers at most this many rows (docs/api.md, module tweetfeed).
ROW_CAP = 10000

_spec = importlib.util.spec_from_file_location("gen_tweetfeed", REPO / "tools" / "gen_tweetfeed.py")
gen_tweetfeed = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_tweetfeed)


def row_time(row):
    """Epoch seconds of a row's "YYYY-MM-DD HH:MM:SS" (UTC) date."""
    return calendar.timegm(time.strptime(row["date"], "%Y-%m-%d %H:%M:%S"))


def stamp(epoch):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def rebase_rows(rows, newest=None):
    """A copy of rows with every date shifted so the newest is `newest`
    (default: now - 60 s); rows without a readable date stay as they are."""
    times = []
    for r in rows:
        try:
            times.append(row_time(r))
        except (KeyError, TypeError, ValueError):
            pass
    if not times:
        return [dict(r) if isinstance(r, dict) else r for r in rows]
    shift = int((newest if newest is not None else time.time() - 60) - max(times))
    out = []
    for r in rows:
        r = dict(r) if isinstance(r, dict) else r
        try:
            r["date"] = stamp(row_time(r) + shift)
        except (KeyError, TypeError, ValueError):
            pass
        out.append(r)
    return out


def generated_rows(tweets=200, seed=1, days=7, rows=None):
    """Rows from tools/gen_tweetfeed.py, the newest a minute old."""
    return rebase_rows(gen_tweetfeed.rows(tweets, rows, days, seed=seed))


def tweet_id(link):
    """The status id of a tweet link, or None."""
    parts = urllib.parse.urlsplit(link or "").path.split("/")
    if len(parts) >= 4 and parts[2] == "status" and parts[3].isdigit():
        return parts[3]
    return None


class _Handler(FakeHandler):
    server_version = "FakeTweetFeed/1.0"

    def do_GET(self):
        fake = self.server.fake
        path, _, query = self.path.partition("?")
        params = urllib.parse.parse_qs(query, keep_blank_values=True)
        value = params.get("value", [None])[0]
        fake._record(path, value, dict(self.headers.items()))
        if path == "/v1/ioc":
            self._ioc(fake, value)
        elif path in ("/v1/week", "/v1/today"):
            mode, status, body, delay = fake._feed_answer(path)
            if delay:
                time.sleep(delay)
            if mode == "status":
                self.send(status, b'{"error": "injected failure"}')
            else:
                self.send(200, body)
        else:
            self.send(404, b'{"error": "not found"}')

    def _ioc(self, fake, value):
        status, body, delay = fake._ioc_answer(value)
        with fake._lock:
            fake._in_flight += 1
            fake._max_in_flight = max(fake._max_in_flight, fake._in_flight)
        try:
            if delay:
                time.sleep(delay)
        finally:
            with fake._lock:
                fake._in_flight -= 1
        self.send(status, body)

    def sent(self, n):
        self.server.fake._served(n)


class FakeTweetFeed(FakeUpstream):
    """TweetFeed on 127.0.0.1:<port>.

    Feed: `self.rows` (a list of row dicts) is served by /v1/week, and its
    rows of the current UTC day by /v1/today. set_rows() replaces it
    (rebase=True moves the newest row to a minute ago); set_raw() serves
    bytes instead (a body that is not JSON, or is cut short); serve_cap()
    serves exactly ROW_CAP rows; serve_status() and set_delay() switch
    both feed paths. /v1/ioc answers are per decoded value: found(),
    ioc_status(), ioc_raw(), each with delay=; set_ioc_delay() delays
    values without a rule. requests() lists (path, value) in arrival
    order."""

    handler = _Handler

    def __init__(self, rows=None, port=None, tweets=200, seed=1):
        super().__init__(port)
        self._lock = threading.Lock()
        self._mode = "ok"
        self._status = 500
        self._delay = 0
        self._raw = None
        self._ioc_rules = {}
        self._ioc_delay = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._requests = []
        self._headers = []
        self.bytes_served = 0
        self.set_rows(rows if rows is not None else generated_rows(tweets, seed))

    # -- the feed
    def set_rows(self, rows, rebase=False):
        """Serves these rows (a list; anything JSON can encode)."""
        with self._lock:
            self.rows = rebase_rows(rows) if rebase else list(rows)
            self._raw = None
            self._mode = "ok"

    def set_raw(self, body):
        """Serves these bytes from both feed paths (not JSON, cut short, ...)."""
        with self._lock:
            self._raw = bytes(body)
            self._mode = "ok"

    def serve_cap(self, seed=2):
        """Serves exactly ROW_CAP rows, as the upstream does when it cuts a window."""
        self.set_rows(generated_rows(seed=seed, tweets=None, rows=ROW_CAP))

    def serve_status(self, status=500):
        with self._lock:
            self._mode = "status"
            self._status = status

    def set_delay(self, seconds):
        """Seconds before answering /v1/week and /v1/today."""
        with self._lock:
            self._delay = seconds

    def reset(self):
        """Back to serving self.rows promptly; restarts the server if stopped."""
        with self._lock:
            self._mode = "ok"
            self._delay = 0
            self._raw = None
        self.start()

    def today_rows(self, now=None):
        """The rows /v1/today serves: those of the current UTC day."""
        day = time.strftime("%Y-%m-%d", time.gmtime(now if now is not None else time.time()))
        with self._lock:
            rows = list(self.rows)
        return [r for r in rows if isinstance(r, dict) and str(r.get("date", "")).startswith(day)]

    def _feed_answer(self, path):
        with self._lock:
            mode, status, delay, raw, rows = (self._mode, self._status, self._delay, self._raw,
                                              self.rows)
        if raw is not None:
            return mode, status, raw, delay
        if path == "/v1/today":
            rows = self.today_rows()
        return mode, status, json.dumps(rows).encode(), delay

    # -- /v1/ioc
    def found(self, value, records, delay=0):
        """/v1/ioc?value=<value> answers found with these records (dicts)."""
        body = {"found": True, "query": value, "window": "365d", "records": records}
        self._set_ioc(value, 200, json.dumps(body).encode(), delay)

    def ioc_status(self, value, status, delay=0):
        self._set_ioc(value, status, b'{"error": "injected failure"}', delay)

    def ioc_raw(self, value, body, status=200, delay=0):
        self._set_ioc(value, status, bytes(body), delay)

    def set_ioc_delay(self, seconds):
        """Seconds before answering a value without a rule."""
        with self._lock:
            self._ioc_delay = seconds

    def clear_ioc(self, value=None):
        with self._lock:
            if value is None:
                self._ioc_rules.clear()
            else:
                self._ioc_rules.pop(value, None)

    def _set_ioc(self, value, status, body, delay):
        with self._lock:
            self._ioc_rules[value] = (status, body, delay)

    def _ioc_answer(self, value):
        with self._lock:
            rule = self._ioc_rules.get(value)
            delay = self._ioc_delay
        if rule is not None:
            return rule
        body = {"found": False, "query": value, "window": "365d", "records": []}
        return 200, json.dumps(body).encode(), delay

    # -- observation
    def _record(self, path, value, headers):
        with self._lock:
            self._requests.append((path, value))
            self._headers.append((path, headers))
            del self._headers[:-50]

    def _served(self, n):
        with self._lock:
            self.bytes_served += n

    def requests(self):
        """(path, decoded value or None) of every request so far, in order."""
        with self._lock:
            return list(self._requests)

    def count(self, path):
        with self._lock:
            return sum(1 for p, _ in self._requests if p == path)

    def lookups(self):
        """Decoded values of every /v1/ioc call so far."""
        with self._lock:
            return [v for p, v in self._requests if p == "/v1/ioc"]

    def last_headers(self):
        with self._lock:
            return dict(self._headers[-1][1]) if self._headers else {}

    def max_in_flight(self):
        """Most /v1/ioc answers that were being prepared at the same time."""
        with self._lock:
            return self._max_in_flight

    def clear_requests(self):
        with self._lock:
            self._requests.clear()
            self._max_in_flight = 0
