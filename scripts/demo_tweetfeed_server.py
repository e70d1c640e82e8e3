#!/usr/bin/env python3
"""demo_tweetfeed_server.py: an offline TweetFeed for `make demo` (loopback only).

Serves TweetFeed's API shape from tools/gen_tweetfeed.py rows, rebased so
the newest row is a minute old: GET /v1/week (all rows), /v1/today (the
current UTC day's), and /v1/ioc?value=<v>, which finds DEMO_LOOKUP (an
address older than the week, to show the 365-day lookup) and nothing else.

  scripts/demo_tweetfeed_server.py --port 8090 [--tweets 800]
  scripts/demo_tweetfeed_server.py --examples      # "type value" lines to try
"""
import argparse
import calendar
import http.server
import importlib.util
import json
import os
import time
import urllib.parse

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location(
    "gen_tweetfeed", os.path.join(TOP, "tools", "gen_tweetfeed.py"))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

DEMO_LOOKUP = "198.51.100.23"


def stamp(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def rows(tweets):
    out = gen.rows(tweets, seed=7)
    newest = max(calendar.timegm(time.strptime(r["date"], "%Y-%m-%d %H:%M:%S")) for r in out)
    shift = int(time.time() - 60 - newest)
    for r in out:
        r["date"] = stamp(calendar.timegm(time.strptime(r["date"], "%Y-%m-%d %H:%M:%S")) + shift)
    return out


def lookup_answer(value):
    if value != DEMO_LOOKUP:
        return {"found": False, "query": value, "window": "365d", "records": []}
    now = time.time()
    return {"found": True, "query": value, "window": "365d", "records": [{
        "type": "ip", "value": value, "count": 6,
        "first_seen": stamp(now - 200 * 86400), "last_seen": stamp(now - 40 * 86400),
        "users": ["abuse_ch", "malwrhunterteam"], "tags": ["#cobaltstrike", "#c2"],
        "tweets": ["https://x.com/abuse_ch/status/1860000000000000123",
                   "https://x.com/malwrhunterteam/status/1860000000000000456"]}]}


def serve(port, tweets):
    data = rows(tweets)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *args):
            pass

        def do_GET(self):
            path, _, query = self.path.partition("?")
            if path == "/v1/week":
                body = data
            elif path == "/v1/today":
                day = time.strftime("%Y-%m-%d", time.gmtime())
                body = [r for r in data if r["date"].startswith(day)]
            elif path == "/v1/ioc":
                value = urllib.parse.parse_qs(query).get("value", [""])[0]
                body = lookup_answer(value)
            else:
                self.send_error(404)
                return
            raw = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int)
    p.add_argument("--tweets", type=int, default=800)
    p.add_argument("--examples", action="store_true")
    a = p.parse_args()
    if a.examples:
        seen = set()
        for r in rows(a.tweets):
            if r["type"] not in seen:
                seen.add(r["type"])
                print(r["type"], r["value"])
        print("lookup", DEMO_LOOKUP)
        return
    serve(a.port, a.tweets)


if __name__ == "__main__":
    main()
