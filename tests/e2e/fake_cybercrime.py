"""fake_cybercrime.py: an in-process cybercrime-tracker.net for the end-to-end tests.

Serves GET /query.php?url=<value> the way the real API does
({"success": true, "message": "Malicious: <family>"} for a listed value),
with per-value behaviour chosen by the test: a malicious listing, another
message, an HTTP status, a delay, or raw bytes. Every query is recorded with
its `url` parameter decoded, so tests can check what reached the upstream.
Python standard library only; loopback only.
"""

import json
import threading
import time
import urllib.parse

from testkit import FakeHandler, FakeUpstream

# What the fake answers for a value without a rule.
DEFAULT_MESSAGE = "Not found"


class _Handler(FakeHandler):
    server_version = "FakeCybercrime/1.0"

    def do_GET(self):
        fake = self.server.fake
        path, _, query = self.path.partition("?")
        if path != "/query.php":
            fake._record(path, None)
            self.send(404, b'{"error": "not found"}')
            return
        params = urllib.parse.parse_qs(query, keep_blank_values=True)
        value = params.get("url", [None])[0]
        fake._record(path, value)
        moved = fake._redirect_for(value)
        if moved:
            self.send(moved[0], b"{}", {"Location": moved[1]})
            return
        status, body, delay = fake._rule_for(value)
        with fake._lock:
            fake._in_flight += 1
            fake._max_in_flight = max(fake._max_in_flight, fake._in_flight)
        try:
            if delay:
                time.sleep(delay)
        finally:
            # Before the answer goes out: once the relay has it, it may ask again.
            with fake._lock:
                fake._in_flight -= 1
        self.send(status, body)


class FakeCybercrime(FakeUpstream):
    """cybercrime-tracker.net on 127.0.0.1:<port>.

    Rules are per decoded `url` value: malicious(), message(), status(),
    raw(); each takes delay= (seconds before answering); redirect() answers
    a 3xx with a Location. queries() lists the
    decoded values asked so far, in arrival order."""

    handler = _Handler

    def __init__(self, port=None):
        super().__init__(port)
        self._lock = threading.Lock()
        self._rules = {}
        self._redirects = {}
        self._default_delay = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._queries = []
        self._paths = []

    # -- behaviour per value
    def _set(self, value, status, body, delay):
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        with self._lock:
            self._rules[value] = (status, bytes(body), delay)

    def malicious(self, value, family="Keitaro", delay=0):
        self._set(value, 200, {"success": True, "message": "Malicious: %s" % family}, delay)

    def message(self, value, text, delay=0):
        self._set(value, 200, {"success": False, "message": text}, delay)

    def status(self, value, code, delay=0):
        self._set(value, code, {"error": "injected HTTP %d" % code}, delay)

    def raw(self, value, body, status=200, delay=0):
        self._set(value, status, body, delay)

    def set_default_delay(self, seconds):
        """Seconds before answering a value without a rule."""
        with self._lock:
            self._default_delay = seconds

    def redirect(self, value, location, status=302):
        """Answers `status` with a Location header for this value."""
        with self._lock:
            self._redirects[value] = (status, location)

    def clear(self, value):
        with self._lock:
            self._rules.pop(value, None)
            self._redirects.pop(value, None)

    def _redirect_for(self, value):
        with self._lock:
            return self._redirects.get(value)

    def _rule_for(self, value):
        with self._lock:
            rule = self._rules.get(value)
        if rule is None:
            return (200, json.dumps({"success": False, "message": DEFAULT_MESSAGE}).encode(),
                    self._default_delay)
        return rule

    # -- observation
    def _record(self, path, value):
        with self._lock:
            self._paths.append(path)
            if value is not None:
                self._queries.append(value)

    def queries(self):
        """Decoded `url` values of every query.php call so far."""
        with self._lock:
            return list(self._queries)

    def count(self, value):
        with self._lock:
            return self._queries.count(value)

    def total(self):
        with self._lock:
            return len(self._paths)

    def max_in_flight(self):
        """Most query.php answers that were being prepared at the same time."""
        with self._lock:
            return self._max_in_flight
