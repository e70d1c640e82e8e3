"""soak.py: `make soak`: minutes of mixed load with a feed refresh every 10 s.

    RELAY_BIN=build/securex-relay SOAK_SECONDS=300 python3 tests/e2e/soak.py

One relay (the optimised build by default, as in production) behind nginx,
its feed (the 2000-tweet fixture) refreshed every 10 s from a fake upstream
that alternates between two documents, so every refresh builds and swaps in
a new index while requests run. Five wrk processes drive deliberate,
observe, refer, tile-data and health at once, each answer checked
(check.lua). The relay's RSS is sampled every 5 s. Passes when no answer was
wrong or failed and the RSS after the first minute grew by less than 5 %.
Not part of `make test` (it takes SOAK_SECONDS, default 300).
"""

import json
import os
import sys
import threading
import time
import unittest

import load
from harness import Client, FIXTURES, FakeTweettioc, Nginx, Relay, load_feed, wait_for

SECONDS = int(os.environ.get("SOAK_SECONDS", "300"))
WARMUP = min(60, SECONDS // 5)
SAMPLE = 5
FEED = FIXTURES / "tweettioc-feed-2000.json"


class SoakTest(unittest.TestCase):

    def test_mixed_load_with_refreshes_keeps_memory_flat_and_answers_right(self):
        load.nofile_limit()
        feed_a = load_feed(FEED)
        # The second document differs in every tweet id: a real new copy.
        feed_b = json.loads(json.dumps(feed_a))
        for item in feed_b:
            if isinstance(item, dict) and isinstance(item.get("tweet"), dict):
                item["tweet"]["id"] = str(item["tweet"]["id"]) + "1"
        fake = FakeTweettioc(feed=feed_a)
        fake.start()
        self.addCleanup(fake.stop)
        relay = Relay({"RELAY_AUTH": "none", "TWEETTIOC_URL": fake.url,
                       "TWEETTIOC_REFRESH_SECONDS": "10"}, threads=4, unix_socket=True)
        self.addCleanup(relay.stop)
        relay.start(timeout=60)
        nginx = Nginx(relay.upstream)
        self.addCleanup(nginx.stop)
        nginx.start()
        url = "http://127.0.0.1:%d" % nginx.port
        client = Client(nginx.port)
        wait_for(lambda: client.post("/health", {})[1] == {"data": {"status": "ok"}}, 60,
                 interval=0.2, what="the feed to load")

        top = load.top_observables(feed_a, 3)
        obs = [{"type": t, "value": v} for (t, v), _ in top]
        cases = {
            "deliberate": ("/tweettioc/deliberate/observables", obs,
                           '{"data":{"verdicts":{"count":3,'),
            "observe": ("/tweettioc/observe/observables", obs[:1], '"sightings":{"count":'),
            "refer": ("/tweettioc/refer/observables", obs, '"id":"ref-tweettioc-browse-'),
            "tile-data": ("/tweettioc/tiles/tile-data",
                          {"tile_id": "tweettioc-summary", "period": "last_7_days"},
                          '"cache_scope":"org"'),
            "health": ("/tweettioc/health", {}, '{"data":{"status":"ok"}}'),
        }
        # Refreshes alternate between the two documents.
        stop = threading.Event()

        def alternate():
            docs = [feed_b, feed_a]
            i = 0
            while not stop.wait(10):
                fake.set_document(docs[i % 2])
                i += 1
        flipper = threading.Thread(target=alternate, daemon=True)
        flipper.start()
        self.addCleanup(stop.set)

        runs = {name: load.Wrk(url + path, SECONDS, body=body, expect=expect, connections=2,
                               threads=1).start()
                for name, (path, body, expect) in cases.items()}
        samples = []
        t0 = time.monotonic()
        refreshes0 = fake.total_requests()
        while time.monotonic() - t0 < SECONDS:
            samples.append((time.monotonic() - t0, load.rss_kb(relay.proc.pid)))
            time.sleep(SAMPLE)
        results = {name: w.result() for name, w in runs.items()}
        samples.append((time.monotonic() - t0, load.rss_kb(relay.proc.pid)))
        refreshes = fake.total_requests() - refreshes0
        stop.set()

        out = sys.stdout
        out.write("\n    soak: %d s, %d feed refreshes (%d tweets each), relay %s\n"
                  % (SECONDS, refreshes, len(feed_a), os.path.basename(relay.binary)))
        for name, r in results.items():
            out.write("    " + load.wrk_line(name, r) + "\n")
        after_warmup = [kb for t, kb in samples if t >= WARMUP]
        base = after_warmup[0]
        final = samples[-1][1]
        peak = max(after_warmup)
        growth = 100.0 * (final - base) / base
        peak_growth = 100.0 * (peak - base) / base
        out.write("    RSS: start %d KiB, at %d s %d KiB, peak after it %d KiB (%+.1f %%), "
                  "end %d KiB (%+.1f %%)\n" % (samples[0][1], WARMUP, base, peak, peak_growth,
                                               final, growth))
        out.write("    RSS samples (s:KiB): %s\n"
                  % " ".join("%d:%d" % (t, kb) for t, kb in samples))
        out.flush()
        for name, r in results.items():
            self.assertEqual(r["failed"], 0, "%s: %r" % (name, r["first_bad"]))
            self.assertGreater(r["requests"], 0, name)
        self.assertGreaterEqual(refreshes, SECONDS // 10 - 1, "the feed was not refreshed")
        self.assertLess(growth, 5.0, "RSS grew %.1f %% after the first minute" % growth)
        problem = relay.problems()
        self.assertIsNone(problem, relay.stderr()[-5000:])


if __name__ == "__main__":
    unittest.main()
