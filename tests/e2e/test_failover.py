"""test_failover.py: two relays behind one nginx upstream; one is killed under load.

nginx runs the production upstream block (deploy/nginx/securex-relay-pool.conf)
and FastCGI snippet (securex-relay-fastcgi.conf) in front of two relays on
unix sockets. wrk drives /deliberate with a known observable and checks
every answer (tests/e2e/check.lua); half-way through, one relay gets
SIGKILL. Target: no failed and no wrong answer (nginx passes the requests
that were in flight at the kill to the other relay). Then 200 slow clients
(half reading their answer a byte a second, half sending their body a byte
a second) hold connections open while the normal requests are measured
again: their p99 must stay close to the one without slow clients.

FAILOVER_SECONDS (default 6) sets the wrk run with the kill; `make
failover` runs 30 s against the optimised build and prints the figures.
"""

import json
import os
import sys
import time
import unittest

import load
from harness import Client, FakeTweettioc, Relay, wait_for

SECONDS = int(os.environ.get("FAILOVER_SECONDS", "6"))
SLOW_SECONDS = int(os.environ.get("FAILOVER_SLOW_SECONDS", str(max(5, SECONDS // 3))))
DELIBERATE = "/tweettioc/deliberate/observables"
OBSERVE = "/tweettioc/observe/observables"


def report(line):
    sys.stdout.write("\n    " + line + " ")
    sys.stdout.flush()


class FailoverTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        load.nofile_limit()
        cls.fake = FakeTweettioc()
        cls.fake.start()
        cls.addClassCleanup(cls.fake.stop)
        env = {"RELAY_AUTH": "none", "TWEETTIOC_URL": cls.fake.url,
               "TWEETTIOC_REFRESH_SECONDS": "3600"}
        cls.relays = [Relay(env, unix_socket=True), Relay(env, unix_socket=True)]
        for r in cls.relays:
            cls.addClassCleanup(r.stop)
            r.start()
        cls.nginx = load.PoolNginx([r.upstream for r in cls.relays])
        cls.addClassCleanup(cls.nginx.stop)
        cls.nginx.start()
        cls.client = Client(cls.nginx.port)
        (cls.obs_type, cls.obs_value), cls.tweets = load.top_observables(cls.fake.feed, 1)[0]
        cls.body = [{"type": cls.obs_type, "value": cls.obs_value}]
        # Both relays must have the feed before the load starts.
        for r in cls.relays:
            c = Client(cls.nginx.port)
            wait_for(lambda: c.post("/health", {})[1] == {"data": {"status": "ok"}}, 30,
                     interval=0.1, what="health ok")
        wait_for(cls.both_serve, 30, interval=0.1, what="both relays to have the feed")

    @classmethod
    def both_serve(cls):
        """Enough healthy answers in a row that both relays must have given some."""
        return all(cls.client.post("/health", {})[1] == {"data": {"status": "ok"}}
                   for _ in range(8))

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.nginx.port

    def expect(self):
        # The answer is exactly one verdict for the observable as sent.
        return '{"data":{"verdicts":{"count":1,'

    def tearDown(self):
        for r in self.relays:
            problem = r.problems() if r.proc is not None else None
            if problem:
                self.fail("%s\n--- relay stderr ---\n%s" % (problem, r.stderr()[-20000:]))

    # nginx keeps a failed relay out of the rotation for fail_timeout
    # (securex-relay-pool.conf); only after it are both relays asked again.
    FAIL_TIMEOUT = 5

    def restart(self, relay):
        """Starts a killed relay again and waits until nginx sends it
        requests and it answers them from a loaded feed."""
        if relay.proc is not None:
            return
        if os.path.exists(relay.socket_path):
            os.unlink(relay.socket_path)
        relay.start()
        time.sleep(max(0, self.killed_at + self.FAIL_TIMEOUT + 1 - time.monotonic()))
        wait_for(lambda: all(self.client.post("/health", {})[1] == {"data": {"status": "ok"}}
                             for _ in range(16)), 60, interval=0.2,
                 what="the restarted relay to serve the feed")

    def test_kill_9_of_one_relay_under_load_fails_no_request(self):
        status, answer, _ = self.client.post(DELIBERATE, self.body)
        self.assertEqual(status, 200, answer)
        self.assertIn(self.expect(), json.dumps(answer, separators=(",", ":")))
        wrk = load.Wrk(self.url + DELIBERATE, SECONDS, body=self.body, expect=self.expect(),
                       connections=16, threads=2).start()
        time.sleep(SECONDS / 2)
        victim = self.relays[0]
        killed_at = FailoverTest.killed_at = time.monotonic()
        load.kill9(victim)
        res = wrk.result()
        self.addCleanup(self.restart, victim)
        # nginx logs each request it had to take away from the dead relay.
        passed_on = [line for line in self.nginx.log().splitlines()
                     if victim.socket_path in line and "[error]" in line]
        report(load.wrk_line("kill -9", res))
        report("expected: relay 1 killed on purpose %.1f s into the run; nginx logged %d "
               "upstream errors for it (requests passed on to relay 2), e.g. %s" % (
                   SECONDS / 2, len(passed_on),
                   passed_on[0].split("[error]", 1)[1][:120] if passed_on else "-"))
        self.assertGreater(res["requests"], 0)
        self.assertTrue(passed_on, "the kill did not hit a request: nothing was proven")
        self.assertEqual(res["failed"], 0, "failed or wrong answers: %r" % res["first_bad"])
        # The survivor keeps answering, correctly.
        status, answer, _ = self.client.post(DELIBERATE, self.body)
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["data"]["verdicts"]["count"], 1, answer)
        self.assertLess(time.monotonic() - killed_at, SECONDS + 60)

    killed_at = 0.0

    def test_slow_clients_do_not_slow_normal_requests(self):
        for r in self.relays:
            self.restart(r)
        wait_for(self.both_serve, 30, interval=0.1, what="both relays up")
        base = load.Wrk(self.url + DELIBERATE, SLOW_SECONDS, body=self.body,
                        expect=self.expect(), connections=8, threads=1).start().result()
        # Readers ask for the largest answer (observe of the most tweeted IOC).
        slow = load.SlowClients(
            self.nginx.port,
            load.post_request(OBSERVE, self.body, self.nginx.port),
            load.slow_sender_head(DELIBERATE, self.nginx.port),
            readers=100, senders=100).start()
        try:
            time.sleep(1)
            loaded = load.Wrk(self.url + DELIBERATE, SLOW_SECONDS, body=self.body,
                              expect=self.expect(), connections=8, threads=1).start().result()
        finally:
            stats = slow.stop()
        report(load.wrk_line("no slow", base))
        report(load.wrk_line("200 slow", loaded))
        report("slow clients: %d connected, %d bytes read by the readers, %d closed early"
               % (stats["connected"], stats["bytes_read"], stats["closed_early"]))
        self.assertEqual(base["failed"], 0, base["first_bad"])
        self.assertEqual(loaded["failed"], 0, loaded["first_bad"])
        self.assertEqual(stats["connected"], 200)
        self.assertEqual(stats["closed_early"], 0, stats)
        # Normal latency: p99 within 3x (and 50 ms) of the run without them.
        self.assertLess(loaded["p99_ms"], 3 * base["p99_ms"] + 50,
                        "p99 %.2f ms with slow clients vs %.2f ms without"
                        % (loaded["p99_ms"], base["p99_ms"]))


if __name__ == "__main__":
    unittest.main()
