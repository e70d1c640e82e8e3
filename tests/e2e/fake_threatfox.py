"""fake_threatfox.py: an in-process ThreatFox API (threatfox-api.abuse.ch) for the end-to-end tests.

Serves POST /api/v1/ the way the real API does: a JSON body
{"query": "search_ioc", "search_term": v} or {"query": "search_hash",
"hash": v}, the header Auth-Key; the answer {"query_status": "ok", "data":
[record...]} with records shaped as ThreatFox's (id, ioc, threat_type,
threat_type_desc, ioc_type, malware, malware_printable, malware_alias,
confidence_level, first_seen, last_seen "YYYY-MM-DD HH:MM:SS UTC" or null,
reference, reporter, tags), {"query_status": "no_result"} for a value
without records. Two keys are valid (KEYS); any other key, or none, gets
HTTP 401. Per value a test can set records, another query_status, an HTTP
status, raw bytes and a delay. Every request is recorded: path, headers
(the Auth-Key among them), the raw body and the decoded query, so tests
can check what reached the upstream. Python standard library only;
loopback only.
"""

import json
import threading
import time

from testkit import FakeHandler, FakeUpstream

KEYS = ("tf-key-alpha-0123456789", "tf-key-beta-9876543210")


def record(ioc, ioc_type="ip:port", rid=1001, malware="win.cobalt_strike",
           printable="Cobalt Strike", alias="Agentemis,BEACON,CobaltStrike",
           confidence=100, first_seen="2025-11-20 10:00:00 UTC", last_seen=None,
           threat_type="botnet_cc", threat_type_desc="Botnet C&C",
           reference="https://example.com/report", reporter="abuse_ch", tags=("c2",)):
    """One record as ThreatFox writes it."""
    return {"id": str(rid), "ioc": ioc, "threat_type": threat_type,
            "threat_type_desc": threat_type_desc, "ioc_type": ioc_type,
            "ioc_type_desc": "", "malware": malware, "malware_printable": printable,
            "malware_alias": alias, "malware_malpedia": "", "confidence_level": confidence,
            "first_seen": first_seen, "last_seen": last_seen, "reference": reference,
            "reporter": reporter, "tags": list(tags) if tags is not None else None}


class _Handler(FakeHandler):
    server_version = "FakeThreatFox/1.0"

    def do_GET(self):
        self.server.fake._record(self.path, dict(self.headers), b"", None)
        self.send(405, b'{"query_status": "method not allowed"}')

    def do_POST(self):
        fake = self.server.fake
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(n, 1 << 20))
        try:
            query = json.loads(raw)
        except ValueError:
            query = None
        fake._record(self.path, dict(self.headers), raw, query)
        if self.path != "/api/v1/":
            self.send(404, b'{"query_status": "not found"}')
            return
        if self.headers.get("Auth-Key") not in KEYS:
            self.send(401, b'{"query_status": "unknown_auth_key"}')
            return
        value = None
        if isinstance(query, dict):
            value = query.get("search_term", query.get("hash"))
        status, body, delay = fake._rule_for(value)
        if delay:
            time.sleep(delay)
        self.send(status, body)


class FakeThreatFox(FakeUpstream):
    """ThreatFox on 127.0.0.1:<port>. Rules per searched value: records(),
    query_status(), status(), raw(), each with delay=. requests() lists what
    arrived: dicts with path, headers, raw body and decoded query."""

    handler = _Handler

    def __init__(self, port=None):
        super().__init__(port)
        self._lock = threading.Lock()
        self._rules = {}
        self._requests = []

    # -- behaviour per value
    def _set(self, value, status, body, delay):
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        with self._lock:
            self._rules[value] = (status, bytes(body), delay)

    def records(self, value, recs, delay=0):
        self._set(value, 200, {"query_status": "ok", "data": list(recs)}, delay)

    def query_status(self, value, text, delay=0):
        self._set(value, 200, {"query_status": text, "data": text}, delay)

    def status(self, value, code, delay=0):
        self._set(value, code, {"query_status": "injected HTTP %d" % code}, delay)

    def raw(self, value, body, status=200, delay=0):
        self._set(value, status, body, delay)

    def _rule_for(self, value):
        with self._lock:
            rule = self._rules.get(value)
        if rule is None:
            return 200, b'{"query_status": "no_result", "data": "Your search did not yield any results"}', 0
        return rule

    # -- what arrived
    def _record(self, path, headers, raw, query):
        with self._lock:
            self._requests.append({"path": path, "headers": headers, "raw": raw,
                                   "query": query})

    def requests(self):
        with self._lock:
            return list(self._requests)

    def searched(self):
        """The values asked, in arrival order."""
        out = []
        for r in self.requests():
            q = r["query"] if isinstance(r["query"], dict) else {}
            out.append(q.get("search_term", q.get("hash")))
        return out

    def reset(self):
        with self._lock:
            self._requests = []
