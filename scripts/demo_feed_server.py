#!/usr/bin/env python3
"""demo_feed_server.py: a stand-in for tweettioc.com for `make demo`.

    demo_feed_server.py --port 8901 [--file fixtures/tweettioc-feed-2000.json]
        Serves the file for any GET /v1/tweets/<YYYY-MM-DD>/<YYYY-MM-DD>/full on
        127.0.0.1, with the tweet timestamps shifted (on every request) so the
        newest tweet is one minute old: dashboards always show recent data.

    demo_feed_server.py --examples [--file ...]
        Prints "<type> <value>" for the most mentioned IOC of each type in the
        file, for the demo's ready-to-paste curl commands.
"""

import argparse
import http.server
import json
import re
import sys
import time

FEED_PATH = re.compile(r"^/v1/tweets/\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}/full$")
LISTS = (("md5", "md5"), ("sha256", "sha256"), ("sha1", "sha1"), ("ip", "ip"),
         ("domain", "domain"), ("url", "url"), ("mail", "email"))


def timestamp_of(item):
    tweet = item.get("tweet") if isinstance(item, dict) else None
    ts = tweet.get("timestamp") if isinstance(tweet, dict) else None
    return ts if isinstance(ts, (int, float)) and not isinstance(ts, bool) else None


def rebased(items):
    stamps = [t for t in map(timestamp_of, items) if t is not None]
    if not stamps:
        return items
    shift = int(time.time() - 60 - max(stamps))
    out = []
    for item in items:
        if timestamp_of(item) is not None:
            item = dict(item, tweet=dict(item["tweet"], timestamp=item["tweet"]["timestamp"] + shift))
        out.append(item)
    return out


def examples(items):
    for name, ctim in LISTS:
        counts = {}
        for item in items:
            if timestamp_of(item) is None or not isinstance(item.get(name), list):
                continue
            for value in set(v for v in item[name] if isinstance(v, str)):
                counts[value] = counts.get(value, 0) + 1
        if counts:
            value = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            print(ctim, value)


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "demo-tweettioc/1.0"

    def log_message(self, fmt, *args):
        sys.stderr.write("feed: %s\n" % (fmt % args))

    def do_GET(self):
        if FEED_PATH.match(self.path.split("?", 1)[0]):
            body, status = json.dumps(rebased(self.server.items)).encode(), 200
        else:
            body, status = b'{"error": "not found"}', 404
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", default="fixtures/tweettioc-feed-2000.json")
    parser.add_argument("--port", type=int)
    parser.add_argument("--examples", action="store_true")
    args = parser.parse_args()
    with open(args.file, "rb") as f:
        items = json.load(f)
    if args.examples:
        examples(items)
        return 0
    if not args.port:
        parser.error("--port is required")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.items = items
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
