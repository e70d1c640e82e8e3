"""reference.py: a small Python model of tweettioc matching (docs/api.md#module-tweettioc).

Tests compute what the relay should answer from the feed the fake upstream
serves, never from hard-coded values:

* defanged forms are refanged (hxxp -> http, [.] and (.) -> ., [:] -> :,
  [at] -> @);
* hashes, domains, emails and IPs compare case-insensitively, URLs on their
  scheme and host only;
* matching is exact (never a substring);
* a URL observable without a scheme matches the http:// and https:// forms.
"""

import re
import urllib.parse

# observable type -> the feed list it is looked up in
OBSERVABLE_LISTS = {
    "ip": "ip", "ipv6": "ip", "domain": "domain", "url": "url",
    "md5": "md5", "sha1": "sha1", "sha256": "sha256", "email": "mail",
}
FEED_LISTS = ("ip", "md5", "sha1", "sha256", "mail", "domain", "url")
SUPPORTED_TYPES = tuple(OBSERVABLE_LISTS)

_HXXP = re.compile(r"hxxp", re.I)
_AT = re.compile(r"\[at\]", re.I)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", re.S)


def refang(value):
    value = _HXXP.sub("http", value)
    value = value.replace("[.]", ".").replace("(.)", ".").replace("[:]", ":")
    value = _AT.sub("@", value)
    return value.strip()


def normalize(list_name, value):
    """The comparison key of a feed value or observable value."""
    value = refang(value)
    if list_name != "url":
        return value.lower()
    m = _SCHEME.match(value)
    if not m:
        return value  # no scheme: only the host part would be case-folded
    return "%s://%s%s" % (m.group(1).lower(), m.group(2).lower(), m.group(3))


def url_candidates(value):
    """Keys a url observable matches: itself, or both schemes when it has none."""
    value = refang(value)
    if _SCHEME.match(value):
        return {normalize("url", value)}
    host, sep, rest = value.partition("/")
    bare = host.lower() + sep + rest
    return {"http://" + bare, "https://" + bare}


def ctim_type(list_name, value):
    if list_name == "mail":
        return "email"
    if list_name == "ip":
        return "ipv6" if ":" in value else "ip"
    return list_name


def valid_item(item):
    """Items the relay must index; anything else is skipped (docs/operations.md#the-tweettioc-feed)."""
    if not isinstance(item, dict) or not isinstance(item.get("tweet"), dict):
        return False
    ts = item["tweet"].get("timestamp")
    return isinstance(ts, (int, float)) and not isinstance(ts, bool)


class Tweet:
    def __init__(self, item):
        t = item["tweet"]
        self.item = item
        self.id = str(t.get("id"))
        self.user = t.get("user")
        self.text = t.get("tweet")
        self.link = t.get("link")
        self.timestamp = t["timestamp"]
        self.hashtags = [h for h in (t.get("hashtags") or []) if isinstance(h, str)]
        # list name -> set of normalised values
        self.iocs = {}
        for name in FEED_LISTS:
            values = item.get(name)
            if isinstance(values, list):
                self.iocs[name] = {normalize(name, v) for v in values if isinstance(v, str)}
            else:
                self.iocs[name] = set()

    def all_iocs(self):
        """{(list name, normalised value)} of every IOC the tweet lists."""
        return {(name, v) for name, values in self.iocs.items() for v in values}


class Reference:
    def __init__(self, feed):
        self.tweets = [Tweet(it) for it in feed if valid_item(it)]

    def keys(self, obs_type, value):
        """(list name, {normalised keys}) an observable is looked up with, or None."""
        name = OBSERVABLE_LISTS.get(obs_type.lower())
        if name is None:
            return None
        if name == "url":
            return name, frozenset(url_candidates(value))
        return name, frozenset({normalize(name, value)})

    def same_observable(self, obs_type, value, other_type, other_value):
        """True when two observables look up the same feed values."""
        a, b = self.keys(obs_type, value), self.keys(other_type, other_value)
        return bool(a and b and a[0] == b[0] and a[1] & b[1])

    def tweets_for(self, obs_type, value):
        """The tweets mentioning the observable, newest first."""
        found = self.keys(obs_type, value)
        if not found:
            return []
        name, keys = found
        hits = [t for t in self.tweets if t.iocs[name] & keys]
        hits.sort(key=lambda t: t.timestamp, reverse=True)
        return hits

    def other_iocs(self, tweet, obs_type, value):
        """{(list name, normalised value)} of the tweet's other IOCs."""
        name, keys = self.keys(obs_type, value)
        return {(n, v) for (n, v) in tweet.all_iocs() if not (n == name and v in keys)}

    def iocs_by_count(self, list_name):
        """[(value, number of tweets)] for one feed list, most mentioned first."""
        counts = {}
        for t in self.tweets:
            for v in t.iocs[list_name]:
                counts[v] = counts.get(v, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def all_values(self):
        return {v for t in self.tweets for (_, v) in t.all_iocs()}

    def top(self, list_name, min_tweets=1):
        """The most mentioned value of a list as an observable (type, value), or None."""
        for value, count in self.iocs_by_count(list_name):
            if count >= min_tweets:
                return ctim_type(list_name, value), value
        return None


def refer_id(kind, obs_type, value):
    return "ref-tweettioc-%s-%s-%s" % (kind, obs_type, urllib.parse.quote(value, safe=""))
