#!/usr/bin/env python3
"""gen_feed.py: writes a synthetic Twitter IOC Hunter feed (JSON) for benchmarks and tests.

The output has the upstream's shape: a JSON array of items with the IOC
lists ip, md5, sha1, sha256, mail, domain, url and a "tweet" object
{id, user, tweet, hashtags, link, timestamp}. IOC values appear defanged in
the tweet text, and some IOCs recur across tweets as popular ones do.
The same --seed always gives the same bytes.

  tools/gen_feed.py --iocs 100000 --seed 3 > feed.json
  tools/gen_feed.py --tweets 2000 --end 1763856000 > feed.json

--hostile writes, about --bytes long, one of the shapes a hostile upstream
(or anyone on a plain-HTTP path) can send to blow up the relay's memory
(`make bench`, the relay process's memory):
  big-item   one item whose "ip" list is --bytes of tiny strings ("a","a",...),
             between two ordinary items: parsed whole, each 4-byte string
             is a cJSON node of ~100 bytes
  tiny-iocs  tweets of 1,024 distinct short domains each (~9 bytes of JSON
             per IOC): the parsed copy and its index take ~12x the bytes
"""
import argparse
import hashlib
import json
import random
import sys

ACCOUNTS = ["abuse_ch", "malwrhunterteam", "Cryptolaemus1", "JAMESWT_MHT", "pr0xylife",
            "executemalware", "phishunt_io", "ffforward", "reecdeep", "0xToxin",
            "Racco42", "sicehice", "drb_ra", "James_inthe_box", "1ZRR4H", "ecarlesi"]
TAGS = ["malware", "phishing", "emotet", "qakbot", "cobaltstrike", "opendir", "IOC",
        "threatintel", "AgentTesla", "AsyncRAT", "c2", "ransomware", "icedid", "redline"]
WORDS = ["secure", "login", "update", "account", "verify", "cdn", "mail", "office",
         "docs", "cloud", "pay", "support", "files", "portal", "auth", "service"]
TLDS = ["com", "net", "org", "ru", "xyz", "top", "info", "site", "club", "de"]
PATHS = ["/gate.php", "/index.html", "/wp-admin/x.php", "/invoice.zip", "/bin.sh",
         "/download/file.exe", "/update.ps1", "/images/a.jpg"]


def new_ioc(rnd, kind):
    if kind == "ip":
        return "%d.%d.%d.%d" % (rnd.randint(1, 223), rnd.randint(0, 255),
                                rnd.randint(0, 255), rnd.randint(1, 254))
    if kind in ("md5", "sha1", "sha256"):
        return hashlib.new(kind, rnd.getrandbits(64).to_bytes(8, "big")).hexdigest()
    host = "%s-%s%d.%s" % (rnd.choice(WORDS), rnd.choice(WORDS), rnd.randint(0, 9999),
                           rnd.choice(TLDS))
    if kind == "domain":
        return host
    if kind == "mail":
        return "%s%d@%s" % (rnd.choice(WORDS), rnd.randint(1, 99), host)
    return "%s://%s%s" % (rnd.choice(["http", "https"]), host, rnd.choice(PATHS))


def defang(value):
    return value.replace("http", "hxxp").replace(".", "[.]").replace("@", "[at]")


def ordinary_item(n, ts, iocs):
    tid = 1690000000000000000 + n  # not an id of the ordinary feeds above
    item = {"tweet": {"id": str(tid), "user": "hostile", "tweet": "t%d" % n, "hashtags": [],
                      "link": "https://twitter.com/hostile/status/%d" % tid,
                      "timestamp": int(ts)}}
    item.update(iocs)
    return json.dumps(item, separators=(",", ":"))


def base36(i):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        i, r = divmod(i, 36)
        out = digits[r] + out
        if not i:
            return out


def hostile(shape, size, end, out):
    if shape == "big-item":
        first = ordinary_item(0, end, {"ip": ["1.1.1.1"]})
        last = ordinary_item(2, end - 2, {"ip": ["3.3.3.3"]})
        head, tail = ordinary_item(1, end - 1, {"ip": ["@"]}).split('"@"')
        n = max(1, (size - len(first) - len(last) - len(head) - len(tail)) // 4)
        out.write("[%s,%s%s%s,%s]\n" % (first, head, ",".join(['"a"'] * n), tail, last))
        return
    written, n, ioc = 1, 0, 0
    out.write("[")
    while written < size:
        values = [base36(ioc + j) + ".io" for j in range(1024)]
        ioc += 1024
        text = ("," if n else "") + ordinary_item(n, end - n, {"domain": values})
        out.write(text)
        written += len(text)
        n += 1
    out.write("]\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tweets", type=int, help="number of tweets")
    p.add_argument("--iocs", type=int, help="stop once this many IOC mentions are written")
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--end", type=int, default=1763856000, help="newest tweet, epoch seconds")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--hostile", choices=["big-item", "tiny-iocs"])
    p.add_argument("--bytes", type=int, default=8400000, help="size of a --hostile feed")
    a = p.parse_args()
    if a.hostile:
        hostile(a.hostile, a.bytes, a.end, sys.stdout)
        return
    if not a.tweets and not a.iocs:
        a.tweets = 2000
    rnd = random.Random(a.seed)
    seen = {k: [] for k in ("ip", "md5", "sha1", "sha256", "mail", "domain", "url")}
    out = sys.stdout
    out.write("[")
    mentions, n = 0, 0
    ts = float(a.end)
    step = a.days * 86400.0 / max(1, a.tweets or a.iocs // 3)
    while (a.tweets and n < a.tweets) or (not a.tweets and mentions < a.iocs):
        item = {k: [] for k in seen}
        for kind in rnd.sample(list(seen), rnd.randint(1, 3)):
            for _ in range(rnd.choice([1, 1, 2, 3])):
                pool = seen[kind]
                value = rnd.choice(pool) if pool and rnd.random() < 0.2 else new_ioc(rnd, kind)
                if len(pool) < 5000:
                    pool.append(value)
                if value not in item[kind]:
                    item[kind].append(value)
                    mentions += 1
        user = rnd.choice(ACCOUNTS)
        tags = rnd.sample(TAGS, rnd.randint(0, 3))
        tid = 1590000000000000000 + n
        text = " ".join([rnd.choice(["New", "Active", "Fresh", "Possible"])] +
                        ["#" + t for t in tags] +
                        [defang(v) for k in item for v in item[k]])
        item["tweet"] = {"id": str(tid), "user": user, "tweet": text, "hashtags": tags,
                         "link": "https://twitter.com/%s/status/%d" % (user, tid),
                         "timestamp": int(ts)}
        out.write(("," if n else "") + json.dumps(item, separators=(",", ":")))
        n += 1
        ts -= rnd.random() * 2 * step
    out.write("]\n")


if __name__ == "__main__":
    main()
