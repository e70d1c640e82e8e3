"""demo_threatfox_server.py: a local stand-in for the ThreatFox API, for `make demo`.

Serves tests/e2e/fake_threatfox.py's fake on 127.0.0.1:<port> with a few
records, so the demo never touches the internet. The demo's Auth-Key is
the fake's first valid key (printed with --key); any other key gets 401.

    python3 scripts/demo_threatfox_server.py --port 8099
    python3 scripts/demo_threatfox_server.py --key
"""

import argparse
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from fake_threatfox import FakeThreatFox, KEYS, record  # noqa: E402

# The values the demo's curl lines ask about.
DEMO_IP = "198.51.100.23"
DEMO_DOMAIN = "c2.demo.example"
DEMO_SHA256 = "5f1c2a9e0c0b4a3f9d8e7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int)
    ap.add_argument("--key", action="store_true", help="print the demo Auth-Key and exit")
    args = ap.parse_args()
    if args.key:
        print(KEYS[0])
        return 0
    if not args.port:
        ap.error("--port is required")
    fake = FakeThreatFox(port=args.port)
    fake.records(DEMO_IP, [record(DEMO_IP + ":443", rid=1400001, confidence=90,
                                  last_seen="2025-11-21 08:00:00 UTC"),
                           record(DEMO_IP + ":8080", rid=1400002, confidence=60,
                                  printable="Sliver", malware="win.sliver", alias=None)])
    fake.records(DEMO_DOMAIN, [record(DEMO_DOMAIN, ioc_type="domain", rid=1400003,
                                      printable="AsyncRAT", malware="win.asyncrat",
                                      alias="Async RAT", confidence=75)])
    fake.records(DEMO_SHA256, [record(DEMO_SHA256, ioc_type="sha256_hash", rid=1400004,
                                      threat_type="payload", threat_type_desc="Malware sample",
                                      printable="AsyncRAT", malware="win.asyncrat",
                                      alias="Async RAT", confidence=100)])
    fake.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
