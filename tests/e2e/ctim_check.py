"""ctim_check.py: a CTIM checker for what the relay sends, written from threatgrid/ctim.

The rules follow threatgrid/ctim's schemas (src/ctim/schemas/common.cljc,
sighting.cljc, judgement.cljc, verdict.cljc, indicator.cljc,
relationship.cljc, data_table.cljc, vocabularies.cljc): the required and the
allowed keys of each entity (CTIM's Plumatic schemas reject unknown keys),
the closed vocabularies, the string limits (ShortString 1024, MedString
2048, LongString/Markdown 5000, counted as Java counts: UTF-16 units), ids,
times and URIs. On top of CTIM it holds the relay to CONTRACT 4: ids are
transient:<type>-<uuid4> (an indicator's: <uuid5>, stable per family: docs/api.md,
"Ids that stay the same"), times are ISO-8601 UTC with milliseconds and Z,
and every URI is an absolute http(s) URI that parses strictly (RFC 3986,
at most 2,048 characters).

check_answer(path, body) returns a list of problems (empty when valid);
assert_valid_answer raises AssertionError. The harness calls it on every
answer of observe, deliberate, refer and tile-data.
"""

import re

SHORT, MED, LONG = 1024, 2048, 5000

# vocabularies.cljc
HIGH_MED_LOW = {"Info", "Low", "Medium", "High", "None", "Unknown"}
SEVERITY = HIGH_MED_LOW | {"Critical"}
TLP = {"red", "amber", "green", "white"}
DISPOSITIONS = {1: "Clean", 2: "Malicious", 3: "Suspicious", 4: "Common", 5: "Unknown"}
RELATIONSHIP_TYPES = {
    "attributed-to", "based-on", "derived-from", "detects", "duplicate-of", "element-of",
    "exploits", "indicates", "member-of", "mitigates", "related-to", "sighting-of",
    "subtechnique-of", "targets", "technique-of", "uses", "variant-of", "phase-of", "task-of"}
OBSERVABLE_TYPES = set((
    "acudid amp_computer_guid certificate_common_name certificate_issuer certificate_serial "
    "cisco_cm_id cisco_mid cisco_uc_id cortex_agent_id crowdstrike_id cvm_id cybereason_id "
    "darktrace_id device domain email email_messageid email_subject file_name file_path "
    "google_chromebook_id google_cloud_id hostname imei imsi intune_id ip ipv6 "
    "jamf_management_id mac_address md5 meraki_network_id meraki_node_sn meraki_org_id "
    "ms_machine_id mutex ngfw_id ngfw_name odns_identity odns_identity_label orbital_node_id "
    "pki_serial process_args process_hash process_name process_path process_uid "
    "process_username processor_id registry_key registry_name registry_path s1_agent_id "
    "secure_access_id serial_number service_now_id sha1 sha256 swc_device_id trend_micro_id "
    "url user user_agent").split())
INDICATOR_TYPES = {
    "Malicious E-mail", "IP Watchlist", "File Hash Watchlist", "Domain Watchlist",
    "URL Watchlist", "Malware Artifacts", "C2", "Anonymization", "Exfiltration",
    "Host Characteristics", "Compromised PKI Certificate", "Login Name", "IMEI Watchlist",
    "IMSI Watchlist", "Private Threat Feed"}
COLUMN_TYPES = {"observable", "string", "markdown", "integer", "number", "url"}

# common.cljc: base-entity-entries, describable and sourcable entries.
BASE_REQUIRED = {"id", "type", "schema_version"}
BASE_OPTIONAL = {"revision", "external_ids", "external_references", "timestamp", "language",
                 "tlp"}
DESCRIBABLE = {"title", "description", "short_description"}
SOURCABLE = {"source", "source_uri"}

ENTITIES = {
    "sighting": (BASE_REQUIRED | {"observed_time", "confidence", "count"},
                 BASE_OPTIONAL | DESCRIBABLE | SOURCABLE | {
                     "internal", "severity", "resolution", "data", "sensor",
                     "sensor_coordinates", "targets", "observables", "relations", "context",
                     "activity_interval", "detection_interval", "modification_interval"}),
    "judgement": (BASE_REQUIRED | {"source", "observable", "disposition", "disposition_name",
                                   "priority", "confidence", "severity", "valid_time"},
                  BASE_OPTIONAL | {"source_uri", "reason", "reason_uri"}),
    # verdict.cljc: no id, no schema_version.
    "verdict": ({"type", "disposition", "observable", "valid_time"},
                {"judgement_id", "disposition_name"}),
    "indicator": (BASE_REQUIRED | {"valid_time", "producer"},
                  BASE_OPTIONAL | DESCRIBABLE | SOURCABLE | {
                      "severity", "negate", "indicator_type", "tags",
                      "composite_indicator_expression", "likely_impact", "confidence",
                      "kill_chain_phases", "test_mechanisms", "specification"}),
    "relationship": (BASE_REQUIRED | {"relationship_type", "source_ref", "target_ref"},
                     BASE_OPTIONAL | DESCRIBABLE | SOURCABLE),
}
LIST_TYPES = {"sightings": "sighting", "judgements": "judgement", "verdicts": "verdict",
              "indicators": "indicator", "relationships": "relationship"}

SCHEMA_VERSION = "1.3.7"
TRANSIENT_ID = re.compile(r"^transient:([a-z][-a-z]*)-[0-9a-f]{8}-[0-9a-f]{4}-([45])[0-9a-f]{3}"
                          r"-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3}Z$")

# RFC 3986, restricted as CONTRACT 4 says: absolute http(s), a DNS host or
# an IP literal, optional port, path / query / fragment of pchars.
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
URI = re.compile(r"^[Hh][Tt][Tt][Pp][Ss]?://(?:[A-Za-z0-9\-.]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?"
                 r"(?:/" + _PCHAR + r"*)*(?:\?(?:" + _PCHAR + r"|[/?])*)?"
                 r"(?:#(?:" + _PCHAR + r"|[/?])*)?$")


def utf16_len(s):
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def uri_ok(s):
    return isinstance(s, str) and len(s) <= 2048 and URI.match(s) is not None


class _Checker:
    def __init__(self):
        self.problems = []

    def bad(self, where, what):
        self.problems.append("%s: %s" % (where, what))

    def string(self, where, v, limit=None, required=True):
        if not isinstance(v, str):
            self.bad(where, "not a string: %r" % (v,))
            return False
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            self.bad(where, "not valid Unicode (lone surrogate)")
            return False
        if required and v == "":
            self.bad(where, "empty")
        if limit is not None and utf16_len(v) > limit:
            self.bad(where, "%d UTF-16 units, more than %d" % (utf16_len(v), limit))
        return True

    def uri(self, where, v):
        if not uri_ok(v):
            self.bad(where, "not a strict absolute http(s) URI: %r" % (v if not isinstance(
                v, str) else v[:200],))

    def time(self, where, v):
        m = TIME.match(v) if isinstance(v, str) else None
        if not m:
            self.bad(where, "not an ISO-8601 UTC time with ms and Z: %r" % (v,))
            return None
        if not 1970 <= int(m.group(1)) <= 2525:
            self.bad(where, "outside 1970..2525: %r" % v)
        return v

    def enum(self, where, v, values):
        if v not in values:
            self.bad(where, "%r is not one of CTIM's values" % (v,))

    def keys(self, where, obj, required, allowed):
        if not isinstance(obj, dict):
            self.bad(where, "not an object")
            return False
        for k in required - set(obj):
            self.bad(where, "missing required key %s" % k)
        for k in set(obj) - required - allowed:
            self.bad(where, "key %s is not in CTIM's schema" % k)
        return True

    def observable(self, where, o):
        if self.keys(where, o, {"type", "value"}, set()):
            self.enum(where + ".type", o.get("type"), OBSERVABLE_TYPES)
            self.string(where + ".value", o.get("value"))

    def time_range(self, where, t, start_required):
        req = {"start_time"} if start_required else set()
        if not self.keys(where, t, req, {"start_time", "end_time"}):
            return
        a = self.time(where + ".start_time", t["start_time"]) if "start_time" in t else None
        b = self.time(where + ".end_time", t["end_time"]) if "end_time" in t else None
        if a and b and a > b:
            self.bad(where, "starts after it ends")

    def ref(self, where, v):
        if not self.string(where, v, 2048):
            return
        if not TRANSIENT_ID.match(v):
            self.bad(where, "not transient:<type>-<uuid4 or 5>: %r" % v)
        elif TRANSIENT_ID.match(v).group(2) == "5" and TRANSIENT_ID.match(v).group(1) != "indicator":
            self.bad(where, "a stable (uuid5) id for what is not an indicator: %r" % v)

    def base(self, where, e, kind):
        if "id" in e:
            self.ref(where + ".id", e["id"])
            m = TRANSIENT_ID.match(e["id"]) if isinstance(e["id"], str) else None
            if m and m.group(1) != kind:
                self.bad(where + ".id", "names %s, not %s" % (m.group(1), kind))
        if "schema_version" in e and e["schema_version"] != SCHEMA_VERSION:
            self.bad(where, "schema_version %r" % e["schema_version"])
        if "tlp" in e:
            self.enum(where + ".tlp", e["tlp"], TLP)
        for k, limit in (("title", SHORT), ("description", LONG), ("short_description", MED),
                         ("source", MED), ("language", SHORT)):
            if k in e:
                self.string("%s.%s" % (where, k), e[k], limit)
        for k in ("source_uri", "reason_uri"):
            if k in e:
                self.uri("%s.%s" % (where, k), e[k])
        if "external_ids" in e:
            ids = e["external_ids"]
            if not isinstance(ids, list):
                self.bad(where + ".external_ids", "not a list")
            else:
                for i, x in enumerate(ids):
                    self.string("%s.external_ids[%d]" % (where, i), x)
        if "timestamp" in e:
            self.time(where + ".timestamp", e["timestamp"])

    def disposition(self, where, e):
        d = e.get("disposition")
        if d not in DISPOSITIONS or isinstance(d, bool):
            self.bad(where, "disposition %r" % (d,))
        elif "disposition_name" in e and e["disposition_name"] != DISPOSITIONS[d]:
            self.bad(where, "disposition %r is not %r" % (d, e["disposition_name"]))

    def data_table(self, where, t):
        if not self.keys(where, t, {"columns", "rows"}, {"row_count"}):
            return
        cols = t["columns"]
        if not isinstance(cols, list) or not cols:
            self.bad(where, "columns: not a non-empty list")
            return
        for i, c in enumerate(cols):
            cw = "%s.columns[%d]" % (where, i)
            if self.keys(cw, c, {"name", "type"}, {"description", "required",
                                                     "short_description"}):
                self.string(cw + ".name", c["name"])
                self.enum(cw + ".type", c["type"], COLUMN_TYPES)
        rows = t["rows"]
        if not isinstance(rows, list):
            self.bad(where, "rows: not a list")
            return
        for r, row in enumerate(rows):
            rw = "%s.rows[%d]" % (where, r)
            if not isinstance(row, list) or len(row) != len(cols):
                self.bad(rw, "has %s cells for %d columns" % (
                    len(row) if isinstance(row, list) else "no", len(cols)))
                continue
            for c, cell in zip(cols, row):
                cw = "%s[%s]" % (rw, c.get("name"))
                if c.get("type") in ("string", "markdown"):
                    self.string(cw, cell, LONG, required=False)
                elif c.get("type") == "url":
                    self.uri(cw, cell)

    def entity(self, where, e, kind):
        if not isinstance(e, dict):
            self.bad(where, "not an object")
            return
        required, allowed = ENTITIES[kind]
        if not self.keys(where, e, required, allowed):
            return
        if e.get("type") != kind:
            self.bad(where, "type %r in the %s list" % (e.get("type"), kind))
        self.base(where, e, kind)
        if kind in ("sighting", "judgement", "indicator") and "confidence" in e:
            self.enum(where + ".confidence", e["confidence"], HIGH_MED_LOW)
        if "severity" in e:
            self.enum(where + ".severity", e["severity"], SEVERITY)
        if kind == "sighting":
            self.time_range(where + ".observed_time", e.get("observed_time"), True)
            if not isinstance(e.get("count"), int) or e["count"] < 0:
                self.bad(where, "count %r" % (e.get("count"),))
            if "internal" in e and not isinstance(e["internal"], bool):
                self.bad(where, "internal is not a boolean")
            for i, o in enumerate(e.get("observables", [])):
                self.observable("%s.observables[%d]" % (where, i), o)
            for i, r in enumerate(e.get("relations", [])):
                rw = "%s.relations[%d]" % (where, i)
                if self.keys(rw, r, {"origin", "relation", "source", "related"},
                             {"origin_uri", "relation_info"}):
                    self.string(rw + ".origin", r["origin"])
                    self.string(rw + ".relation", r["relation"])
                    self.observable(rw + ".source", r["source"])
                    self.observable(rw + ".related", r["related"])
                    if "origin_uri" in r:
                        self.uri(rw + ".origin_uri", r["origin_uri"])
            if "data" in e:
                self.data_table(where + ".data", e["data"])
        elif kind in ("judgement", "verdict"):
            self.observable(where + ".observable", e.get("observable"))
            self.disposition(where, e)
            self.time_range(where + ".valid_time", e.get("valid_time"), False)
            if kind == "judgement":
                p = e.get("priority")
                if not isinstance(p, int) or isinstance(p, bool) or not 0 <= p <= 100:
                    self.bad(where, "priority %r" % (p,))
                if "reason" in e:
                    self.string(where + ".reason", e["reason"], SHORT)
            elif "judgement_id" in e:
                self.ref(where + ".judgement_id", e["judgement_id"])
        elif kind == "indicator":
            self.time_range(where + ".valid_time", e.get("valid_time"), False)
            self.string(where + ".producer", e.get("producer"), SHORT)
            for i, t in enumerate(e.get("tags", [])):
                self.string("%s.tags[%d]" % (where, i), t, SHORT)
            for i, t in enumerate(e.get("indicator_type", [])):
                self.enum("%s.indicator_type[%d]" % (where, i), t, INDICATOR_TYPES)
        elif kind == "relationship":
            self.enum(where + ".relationship_type", e.get("relationship_type"),
                      RELATIONSHIP_TYPES)
            self.ref(where + ".source_ref", e.get("source_ref"))
            self.ref(where + ".target_ref", e.get("target_ref"))

    def refer(self, where, r):
        if not self.keys(where, r, {"id", "title", "description", "url", "categories"}, set()):
            return
        self.string(where + ".id", r["id"], MED)
        self.string(where + ".title", r["title"], SHORT)
        self.string(where + ".description", r["description"], LONG)
        self.uri(where + ".url", r["url"])
        cats = r["categories"]
        if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
            self.bad(where + ".categories", "not a list of strings")

    def tile_data(self, where, d):
        if not isinstance(d, dict):
            self.bad(where, "not an object")
            return
        for k in ("valid_time", "observed_time"):
            if k in d:
                self.time_range("%s.%s" % (where, k), d[k], True)

        def links(node, w):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k in ("link_uri", "url"):
                        self.uri("%s.%s" % (w, k), v)
                    else:
                        links(v, "%s.%s" % (w, k))
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    links(v, "%s[%d]" % (w, i))
            elif isinstance(node, str):
                self.string(w, node, required=False)
        links(d, where)

    def answer(self, path, body):
        if not isinstance(body, dict) or "data" not in body:
            return
        data = body["data"]
        if path.endswith("/refer/observables"):
            if not isinstance(data, list):
                self.bad("data", "refer data is not a list")
                return
            for i, r in enumerate(data):
                self.refer("data[%d]" % i, r)
            return
        if path.endswith("/tiles/tile-data"):
            self.tile_data("data", data)
            return
        if not isinstance(data, dict):
            self.bad("data", "not an object")
            return
        allowed = set(LIST_TYPES) if path.endswith("/observe/observables") else {"verdicts"}
        for key, docs in data.items():
            if key not in allowed:
                self.bad("data", "unexpected list %s" % key)
                continue
            if not self.keys("data." + key, docs, {"count", "docs"}, set()):
                continue
            if docs["count"] != len(docs["docs"]):
                self.bad("data." + key, "count %r for %d docs" % (docs["count"],
                                                                  len(docs["docs"])))
            for i, e in enumerate(docs["docs"]):
                self.entity("data.%s[%d]" % (key, i), e, LIST_TYPES[key])
        # Every reference points at an entity of this answer.
        ids = {e.get("id") for docs in data.values() if isinstance(docs, dict)
               for e in docs.get("docs", []) if isinstance(e, dict)}
        for e in data.get("relationships", {}).get("docs", []):
            for k in ("source_ref", "target_ref"):
                if e.get(k) not in ids:
                    self.bad("relationship", "%s %r is not in the answer" % (k, e.get(k)))


CHECKED = ("/observe/observables", "/deliberate/observables", "/refer/observables",
           "/tiles/tile-data")


def check_answer(path, body):
    """Problems with the CTIM in one answer of `path` (a relay path)."""
    c = _Checker()
    if any(path.split("?")[0].rstrip("/").endswith(p) for p in CHECKED):
        c.answer(path.split("?")[0].rstrip("/"), body)
    return c.problems


def assert_valid_answer(path, body):
    problems = check_answer(path, body)
    if problems:
        raise AssertionError("CTIM check of %s failed:\n  %s" % (
            path, "\n  ".join(problems[:30])))
