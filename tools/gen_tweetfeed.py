#!/usr/bin/env python3
"""gen_tweetfeed.py: writes synthetic TweetFeed rows (JSON) for tests, the demo and benchmarks.

The output has TweetFeed's /v1/week shape: a JSON array of rows, one IOC
each, {"date": "YYYY-MM-DD HH:MM:SS" (UTC), "user", "type" (url, domain,
ip, sha256, md5), "value", "tags", "tweet" (the tweet's x.com or
twitter.com link)}. A tweet lists one to six IOCs, so several rows share
its status id; some IOCs recur across tweets as popular ones do. Newest
rows come first, as the upstream lists them. The same --seed always gives
the same bytes.

  tools/gen_tweetfeed.py --tweets 500 --end 1764806400 > week.json
  tools/gen_tweetfeed.py --rows 10000 --seed 2 > capped.json
"""
import argparse
import hashlib
import json
import random
import sys
import time

ACCOUNTS = ["abuse_ch", "malwrhunterteam", "Cryptolaemus1", "JAMESWT_MHT", "pr0xylife",
            "executemalware", "phishunt_io", "ffforward", "reecdeep", "0xToxin",
            "Racco42", "sicehice", "drb_ra", "James_inthe_box", "1ZRR4H", "ecarlesi"]
TAGS = ["#malware", "#phishing", "#emotet", "#qakbot", "#cobaltstrike", "#opendir", "#IOC",
        "#threatintel", "#AgentTesla", "#AsyncRAT", "#c2", "#ransomware", "#icedid"]
WORDS = ["secure", "login", "update", "account", "verify", "cdn", "mail", "office",
         "docs", "cloud", "pay", "support", "files", "portal", "auth", "service"]
TLDS = ["com", "net", "org", "ru", "xyz", "top", "info", "site", "club", "de"]
PATHS = ["/gate.php", "/index.html", "/wp-admin/x.php", "/invoice.zip", "/bin.sh",
         "/download/file.exe", "/update.ps1"]
TYPES = ["url", "domain", "ip", "sha256", "md5"]


def new_ioc(rnd, kind):
    if kind == "ip":
        return "%d.%d.%d.%d" % (rnd.randint(1, 223), rnd.randint(0, 255),
                                rnd.randint(0, 255), rnd.randint(1, 254))
    if kind in ("md5", "sha256"):
        return hashlib.new(kind, rnd.getrandbits(64).to_bytes(8, "big")).hexdigest()
    host = "%s-%s%d.%s" % (rnd.choice(WORDS), rnd.choice(WORDS), rnd.randint(0, 9999),
                           rnd.choice(TLDS))
    if kind == "domain":
        return host
    return "%s://%s%s" % (rnd.choice(["http", "https"]), host, rnd.choice(PATHS))


def stamp(epoch):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def rows(tweets=None, max_rows=None, days=7, end=1764806400, seed=1):
    """The rows, newest first, as a list of dicts."""
    rnd = random.Random(seed)
    popular = [(k, new_ioc(rnd, k)) for k in TYPES for _ in range(4)]
    out = []
    span = days * 86400
    n = 0
    while (tweets is None or n < tweets) and (max_rows is None or len(out) < max_rows):
        user = rnd.choice(ACCOUNTS)
        status = str(1860000000000000000 + rnd.getrandbits(48))
        host = rnd.choice(["x.com", "twitter.com"])
        link = "https://%s/%s/status/%s" % (host, user, status)
        when = end - int(span * n / max(tweets or max_rows or 1, 1))
        tags = rnd.sample(TAGS, rnd.randint(0, 3))
        iocs = []
        for _ in range(rnd.randint(1, 6)):
            if rnd.random() < 0.1:
                iocs.append(rnd.choice(popular))
            else:
                k = rnd.choice(TYPES)
                iocs.append((k, new_ioc(rnd, k)))
        for i, (k, v) in enumerate(iocs):
            if max_rows is not None and len(out) >= max_rows:
                break
            row = {"date": stamp(when - i), "user": "@" + user if rnd.random() < 0.5 else user,
                   "type": k, "value": v, "tweet": link}
            if tags or rnd.random() < 0.8:
                row["tags"] = tags
            out.append(row)
        n += 1
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tweets", type=int, help="number of tweets")
    p.add_argument("--rows", type=int, help="stop once this many rows are written")
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--end", type=int, default=1764806400, help="newest row, epoch seconds")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if not a.tweets and not a.rows:
        a.tweets = 500
    json.dump(rows(a.tweets, a.rows, a.days, a.end, a.seed), sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
