"""test_ready.py: GET /ready through nginx, the readiness a probe sees.

503 with the reason (and no data) while the tweettioc feed is not loaded,
200 {"ready": true} once it is, and 503 naming the failure when the upstream
stays unreachable; /watchdog (liveness) answers all along, the upstream does
not matter to it. No token: /ready is unauthenticated (CONTRACT 2).
"""

import tempfile
import unittest

from harness import Client, FakeTweettioc, Nginx, Relay, free_port, wait_for


class ReadyCase(unittest.TestCase):
    def start_stack(self, url):
        env = {"RELAY_AUTH": "hs256", "RELAY_JWT_SECRET": "ready-test-secret-of-32-bytes-at-least",
               "RELAY_MODULES": "tweettioc,cybercrime", "TWEETTIOC_URL": url,
               "TWEETTIOC_REFRESH_SECONDS": "1",
               "RELAY_STATE_DIR": tempfile.mkdtemp(prefix="relay-ready-state-")}
        relay = Relay(env)
        self.addCleanup(relay.stop)
        relay.start()
        nginx = Nginx(relay.upstream)
        self.addCleanup(nginx.stop)
        nginx.start()
        return relay, Client(nginx.port)

    def assert_watchdog(self, client):
        status, body, _ = client.get("/watchdog", {"Health-Check": "probe"})
        self.assertEqual((status, body), (200, {"data": "probe"}))

    def test_not_ready_before_the_feed_then_ready(self):
        fake = FakeTweettioc()
        fake.set_delay(3)  # the first download takes a while
        fake.start()
        self.addCleanup(fake.stop)
        _, client = self.start_stack(fake.url)
        status, body, _ = client.get("/ready")
        self.assertEqual(status, 503, body)
        self.assertEqual(set(body), {"code", "message"})
        self.assertEqual(body["code"], 503)
        self.assertIn("tweettioc", body["message"])
        self.assertIn("not loaded yet", body["message"])
        self.assert_watchdog(client)
        fake.set_delay(0)
        wait_for(lambda: client.get("/ready")[0] == 200, 15, interval=0.1,
                 what="GET /ready to answer 200")
        status, body, _ = client.get("/tweettioc/ready")
        self.assertEqual((status, body), (200, {"ready": True}))

    def test_upstream_down_keeps_it_unready_with_the_reason(self):
        _, client = self.start_stack("http://127.0.0.1:%d" % free_port())
        last = []

        def failed_once():
            status, body, _ = client.get("/ready")
            last[:] = [status, body]
            return status == 503 and "first download in progress" not in body["message"]
        wait_for(failed_once, 15, interval=0.1, what="a failed download in /ready")
        status, body = last
        self.assertEqual(body["code"], 503)
        self.assertIn("not loaded yet", body["message"])
        # The reason names the failure (connection refused), not a generic text.
        self.assertRegex(body["message"].lower(), r"connect|refused|unavailable")
        self.assert_watchdog(client)


if __name__ == "__main__":
    unittest.main()
