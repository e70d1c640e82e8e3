#!/usr/bin/env python3
"""seeds.py: writes the hand-made seed inputs of fuzz/corpus/<target>/seed-*.

    python3 fuzz/seeds.py

Run once when a target is added or a seed changes; the files are committed
next to the inputs the fuzzers found (those are named by their SHA-1, as
libFuzzer writes them). The HS256 tokens are signed with fuzz_jwt.c's
test-only secret; the JWKS key is generated here and thrown away.
"""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "tweettioc-feed-200.json")
JWT_SECRET = b"fuzz-test-secret"


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    elif not isinstance(data, (bytes, bytearray)):
        data = json.dumps(data).encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def observables():
    t = "fuzz_observables"
    write(t, "one-ip", [{"type": "ip", "value": "1.2.3.4"}])
    write(t, "every-type", [
        {"type": "ip", "value": "1.2.3.4"}, {"type": "IPv6", "value": "2001:DB8::1"},
        {"type": "domain", "value": "EVIL.example.com"},
        {"type": "url", "value": "https://evil.example.com/Path/x.exe"},
        {"type": "url", "value": "evil.example.com/Path/x.exe"},
        {"type": "md5", "value": "0C62A0D991DC53EF70A56F15AE2234D8"},
        {"type": "sha1", "value": "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"},
        {"type": "sha256",
         "value": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
        {"type": "email", "value": "bad@evil.example.com"},
        {"type": "file_name", "value": "x.exe"}])
    write(t, "duplicates", [{"type": "ip", "value": "1.2.3.4"}, {"type": "IP", "value": "1.2.3.4"},
                            {"type": "ip", "value": "1.2.3.4", "extra": 1}])
    write(t, "bad-items", [1, "x", None, [], {}, {"type": ""}, {"type": 1, "value": "a"},
                           {"type": "ip", "value": ""}, {"type": "ip", "value": None},
                           {"type": "ip"}, {"value": "1.2.3.4"}] + [7] * 12)
    write(t, "not-an-array", {"type": "ip", "value": "1.2.3.4"})
    write(t, "empty-array", "[]")
    write(t, "whitespace", " \t\r\n[ ]\n ")
    write(t, "trailing", '[{"type":"ip","value":"1.2.3.4"}] x')
    write(t, "deep", "[" * 1100 + "]" * 1100)
    write(t, "invalid-utf8", b'[{"type":"ip","value":"\xff\xfe"}]')
    write(t, "nul-escape", '[{"type":"ip","value":"1.2.3.4\\u0000x"}]')
    write(t, "surrogates", '[{"type":"domain","value":"\\ud800\\udc00\\ud800"}]')
    write(t, "defanged", [{"type": "url", "value": "hxxps://evil[.]example[.]com/Path/x.exe"},
                          {"type": "email", "value": "bad[at]evil[.]example.com"}])
    write(t, "long-value", [{"type": "url", "value": "http://a/" + "%41" * 2000}])
    write(t, "numbers", "[1e309, -0, 18446744073709551616, 0.0000001]")


def tiles_params():
    t = "fuzz_tiles_params"
    tiles = ["tweettioc-recent", "tweettioc-summary", "tweettioc-ioc-types",
             "tweettioc-activity", "tweettioc-top-accounts", "tweettioc-top-hashtags",
             "twitter_ioc_hunter"]
    for tile in tiles:
        write(t, tile + "-24h", {"tile_id": tile, "period": "last_24_hours"})
        write(t, tile + "-7d", {"tile_id": tile, "period": "last_7_days"})
    write(t, "no-period", {"tile_id": "tweettioc-summary"})
    write(t, "unknown-tile", {"tile_id": "nope", "period": "last_7_days"})
    write(t, "bad-period", {"tile_id": "tweettioc-recent", "period": "last_century"})
    write(t, "types", {"tile_id": 1, "period": []})
    write(t, "empty", {"tile_id": "", "period": ""})
    write(t, "array", ["tile_id"])
    write(t, "nul", '{"tile_id":"tweettioc-recent\\u0000x"}')


def feed():
    t = "fuzz_feed"
    with open(FIXTURE) as f:
        items = json.load(f)
    write(t, "fixture-3", items[:3])
    write(t, "fixture-1", items[7:8])
    write(t, "shapes", [
        {"ip": ["1.2.3.4"]}, "x", 1, None, [],
        {"tweet": {"id": "1", "user": "u", "tweet": "t", "link": "l", "timestamp": "1"}},
        {"tweet": {"id": {}, "user": "u", "tweet": "t", "link": "l", "timestamp": 1}},
        {"tweet": {"id": 1.5e30, "user": "u", "tweet": "t", "link": "l", "timestamp": 1}},
        {"ip": "1.2.3.4", "url": [1, None, "", "hxxp://a[.]b/c"],
         "tweet": {"id": 7, "user": "u", "tweet": "t|x\n", "link": "l", "timestamp": 1.5,
                   "hashtags": ["#", "##a", 3, "b|c", "x" * 300]}}])
    write(t, "every-list", [{
        "ip": ["1[.]2[.]3[.]4", "2001:DB8::1", "::ffff:1.2.3.4"], "md5": ["0C62A0D991DC53EF70A56F15AE2234D8"],
        "sha1": ["a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"],
        "sha256": ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
        "mail": ["bad[at]evil[.]example.com"], "domain": ["Evil(.)Example.com."],
        "url": ["hXXps://evil[.]example[.]com[:]8443/Path?q=1", "evil.example.com"],
        "tweet": {"id": "99", "user": "alice", "tweet": "**bold** | [link](x)",
                  "hashtags": ["emotet"], "link": "https://twitter.com/a/status/99",
                  "timestamp": 1763254094}}])
    write(t, "timestamps", [
        {"ip": ["1.1.1.1"], "tweet": {"id": str(i), "user": "u%d" % (i % 3), "tweet": "t",
                                      "link": "l", "timestamp": ts}}
        for i, ts in enumerate([0, 1e11, 1e11 + 1, -1, 86400 * 365 * 50, 1763254094.999, 1e-300])])
    # Repeated ids and times in the future (issue 18), as fixtures/ has them.
    for name in ("repeated-ids", "future"):
        with open(os.path.join(HERE, "..", "fixtures", "tweettioc-feed-%s.json" % name), "rb") as f:
            write(t, name, f.read())
    write(t, "empty", "[]")
    write(t, "object", "{}")
    write(t, "truncated", '[{"ip": ["1.2.3.4"], "tweet": {"id": "1", "user": "x",')
    write(t, "invalid-utf8", b'[{"ip":["\xc0\x80"],"tweet":{"id":"1","user":"\xff","tweet":"t",'
                             b'"link":"l","timestamp":1}}]')
    write(t, "nul-escape", '[{"domain":["a\\u0000b.com"],"tweet":{"id":"1","user":"u\\u0000v",'
                           '"tweet":"t\\u0000","link":"l","timestamp":1}}]')
    # Where an item ends: brackets and escaped quotes inside strings, strings
    # and scalars as items, and an item of tiny strings (skipped unread
    # once over the item size limit).
    write(t, "scan-strings", '[{"ip":["1.2.3.4"],"tweet":{"id":"1","user":"u",'
                             '"tweet":"a\\"]},[{\\\\","link":"l","timestamp":1}},'
                             '"]\\"",12,-1.5e3,true,null,[[]],{"a":{"b":[1,"}"]}}]')
    write(t, "tiny-strings", '[{"ip":["2.2.2.2"' + ',"a"' * 400 + '],"tweet":{"id":"2",'
                             '"user":"u","tweet":"t","link":"l","timestamp":2}},'
                             '{"ip":["3.3.3.3"],"tweet":{"id":"3","user":"u","tweet":"t",'
                             '"link":"l","timestamp":3}}]')


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt():
    t = "fuzz_jwt"

    def token(header, payload, secret=JWT_SECRET, sig=None):
        si = "%s.%s" % (b64url(json.dumps(header).encode()), b64url(json.dumps(payload).encode()))
        if sig is None:
            sig = hmac.new(secret, si.encode(), hashlib.sha256).digest()
        return si + "." + b64url(sig)

    payload = {"jwks_host": "visibility.amp.cisco.com", "aud": "https://relay.example/tweettioc",
               "exp": 1900000000, "nbf": 1600000000, "CTR_ENTITIES_LIMIT": "10"}
    write(t, "hs256-valid", token({"alg": "HS256", "typ": "JWT"}, payload))
    write(t, "rs256", token({"alg": "RS256", "kid": "k1"}, payload, sig=b"\x01" * 256))
    write(t, "none", token({"alg": "none"}, payload, sig=b""))
    write(t, "crit", token({"alg": "HS256", "crit": ["b64"]}, payload))
    write(t, "aud-array", token({"alg": "HS256"}, dict(payload, aud=["x", "HTTPS://RELAY.EXAMPLE/"])))
    write(t, "aud-bad", token({"alg": "HS256"}, dict(payload, aud=[1]), secret=b"other"))
    write(t, "times-bad", token({"alg": "HS256"}, {"exp": "soon", "nbf": 1e400 if False else 1e300}))
    write(t, "limit-int", token({"alg": "HS256"}, {"CTR_ENTITIES_LIMIT": 5}))
    write(t, "kid-number", token({"alg": "RS256", "kid": 5}, payload))
    write(t, "four-parts", "a.b.c.d")
    write(t, "bad-b64", "eyJ!.eyJ.AAAA")
    write(t, "padded", "eyJhbGciOiJIUzI1NiJ9.e30=.AA")
    write(t, "nul-in-json", b64url(b'{"alg":"HS256"}\x00') + "." + b64url(b"{}") + ".AA")
    # Issue 18: \u0000 (json.dumps writes "\x00" so) cut the C strings cJSON hands out.
    write(t, "aud-nul", token({"alg": "HS256"},
                              dict(payload, aud="https://relay.example/tweettioc\x00.evil")))
    write(t, "jwks-host-nul", token({"alg": "HS256"},
                                    dict(payload, jwks_host="visibility.amp.cisco.com\x00.evil")))
    write(t, "kid-nul", token({"alg": "RS256", "kid": "k1\x00x"}, payload, sig=b"\x01" * 256))
    write(t, "iss-control", token({"alg": "HS256"}, dict(payload, iss="a\x1b[0m\x85")))
    write(t, "escaped-backslash-u0000", token({"alg": "HS256"}, dict(payload, sub="\\u0000")))


def jwks():
    t = "fuzz_jwks"
    with tempfile.TemporaryDirectory() as d:
        key = os.path.join(d, "k.pem")
        subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        mod = subprocess.run(["openssl", "rsa", "-in", key, "-noout", "-modulus"], check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    n = bytes.fromhex(mod.decode().strip().split("=", 1)[1])
    jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1", "n": b64url(n), "e": "AQAB"}
    write(t, "one-key", {"keys": [jwk]})
    write(t, "mixed", {"keys": [jwk, dict(jwk, kid="k1"), dict(jwk, kid="k2", use="enc"),
                                dict(jwk, kid="k3", alg="HS256"), dict(jwk, kid="k4", kty="EC"),
                                dict(jwk, kid="k5", n="AQAB"), dict(jwk, kid="k6", e="AA"),
                                dict(jwk, kid="", n="x"), {"kid": "k7"}, 1, None]})
    write(t, "small-modulus", {"keys": [dict(jwk, n=b64url(n[:64]))]})
    write(t, "no-keys", {"key": []})
    write(t, "keys-object", {"keys": {}})
    write(t, "trailing", json.dumps({"keys": []}) + " \n x")


def cybercrime():
    t = "fuzz_cybercrime"
    write(t, "malicious", {"success": True, "message": "Malicious: Pony"})
    write(t, "malicious-bare", {"success": True, "message": "Malicious"})
    write(t, "maliciousness", {"success": True, "message": "Maliciousness"})
    write(t, "not-found", {"success": False, "message": "Not found"})
    write(t, "no-message", {"success": True})
    write(t, "message-number", {"message": 1})
    write(t, "array", [{"message": "Malicious: x"}])
    write(t, "long", {"message": "Malicious: " + "\u00e9" * 600})
    write(t, "long-utf8", '{"message":"Malicious: ' + "\u20ac" * 300 + '"}')
    write(t, "nul", '{"message":"Malicious: a\\u0000b"}')
    write(t, "invalid-utf8", b'{"message":"Malicious: \xff\xfe"}')
    write(t, "trailing", '{"message":"Malicious: x"} {}')
    write(t, "html", "<html><body>502 Bad Gateway</body></html>")
    write(t, "empty", "")


def markdown():
    """Issue 18: text GFM renderers link with no Markdown syntax. Each case
    twice: as is (the target's budget, 1 + size % 300, cuts it) and padded
    with spaces so that it is written whole."""
    t = "fuzz_markdown"
    cases = {
        "www-userinfo-ipv4": "Check www.-a@2130706433/login now",
        "www-cyrillic": "www.\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444/login",
        "mailto-odd-domain": "mailto:a@b.-c",
        "xmpp": "xmpp:a@b.-c/r xmpp:a@b.co",
        "www-after-delimiters": "(www.-a) *www.-b* _www.-c_ ~www.-d~ WWW.-e wWw.-f",
        "www-line-start": "www.x.y",
        "email-bare": "a@b.co a@.bc x.y@z-w.q_r",
        "malicious-reason": "Malicious: www.-a@2130706433/login",
        "ipv4-integer": "http://2130706433/ https://0x7f000001/ www.017700000001.-x",
        "soft-hyphen-scheme": "http:\u00ad//2130706433/ www\u200b.x",
        "cut-after-www": "abc www.@@",  # budget 11: cut right after "www"
        "pipe-in-code": "www.-a@2130706433|x",
    }
    for name, text in cases.items():
        write(t, name, text)
        write(t, name + "-uncut", text + " " * (2 * len(text.encode())))


def snapshot_bytes(tweets, version=1, last_success=1764633600.0):
    """A feed snapshot as snapshot.h lays it out (little-endian x86-64)."""
    import struct

    def s(text):
        b = text.encode() if isinstance(text, str) else text
        return struct.pack("<I", len(b)) + b + b"\0"
    payload = b""
    for t in tweets:
        payload += struct.pack("<d", t["timestamp"]) + s(t["id"]) + s(t["user"])
        payload += s(t["text"]) + s(t["link"]) + struct.pack("<H", len(t["hashtags"]))
        payload += b"".join(s(h) for h in t["hashtags"])
        payload += struct.pack("<H", len(t["iocs"]))
        payload += b"".join(struct.pack("<B", k) + s(v) for k, v in t["iocs"])
    header = b"SXRFEED\n" + struct.pack("<IIdQQQQQ", version, 0x01020304, last_success,
                                         len(tweets), len(payload), len(payload), 0, 0)
    return header + hashlib.sha256(payload + header).digest() + payload


def snapshot():
    t = "fuzz_snapshot"
    kinds = ["ip", "md5", "sha1", "sha256", "mail", "domain", "url"]
    tweets = []
    with open(FIXTURE) as f:
        for item in json.load(f)[:4]:
            tw = item["tweet"]
            tweets.append({"timestamp": tw["timestamp"], "id": str(tw["id"]), "user": tw["user"],
                           "text": tw["tweet"], "link": tw["link"],
                           "hashtags": [h.lstrip("#") for h in tw.get("hashtags", []) if h.lstrip("#")],
                           "iocs": [(kinds.index(k), v) for k in kinds for v in item.get(k, [])]})
    tweets.sort(key=lambda x: -x["timestamp"])
    good = snapshot_bytes(tweets)
    write(t, "fixture-4", good)
    write(t, "empty-feed", snapshot_bytes([]))
    write(t, "truncated", good[:len(good) // 2])
    write(t, "version-2", snapshot_bytes(tweets, version=2))
    write(t, "bad-kind", snapshot_bytes([dict(tweets[0], iocs=[(9, "1.2.3.4")])]))
    write(t, "invalid-utf8", snapshot_bytes([dict(tweets[0], text=b"\xff\xfe")]))
    write(t, "duplicate-id", snapshot_bytes([tweets[0], tweets[0]]))
    write(t, "repeated-id-edited", snapshot_bytes(
        [tweets[0], dict(tweets[0], text="edited", iocs=[(0, "198.51.100.7")])]))
    # Times in the future (issue 18): refused as a whole.
    write(t, "future-refresh", snapshot_bytes(tweets, last_success=4102444800.0))
    write(t, "future-tweet", snapshot_bytes([dict(tweets[0], timestamp=4102444800.0)] + tweets[1:]))


if __name__ == "__main__":
    snapshot()
    observables()
    tiles_params()
    feed()
    jwt()
    jwks()
    cybercrime()
    markdown()
