"""test_module_types.py: `securex-relay module-type` prints valid module types, and deploy/securex/ is its output.

Validated against the module-type schema of CiscoSecurity/tr-05-module-maker
(copied to tests/schemas/module_type.schema.json, with its origin): the
output of every module compiled into the binary (one per folder under
src/modules/), for every region. deploy/securex/<module>.module_type.json
must be byte for byte what the command prints for the placeholder URL
(`make module-types` writes them), so the committed files cannot drift from
the binary. Each carries a `logo`: the project's own artwork
(deploy/securex/logos/<module>.svg) as a data URI, and the cybercrime
module's title cannot be taken for Cisco's hosted "CyberCrime Tracker"
module. The binary is run as a command; no relay, no nginx.
"""

import base64
import glob
import json
import os
import subprocess
import unittest
import xml.etree.ElementTree as ET

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCHEMA = os.path.join(ROOT, "tests", "schemas", "module_type.schema.json")
DEPLOY = os.path.join(ROOT, "deploy", "securex")
MODULES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "src", "modules", "*"))
                 if os.path.isdir(p))
# What the Makefile's module-types target passes.
PLACEHOLDER_URL = "https://relay.example.com"
REGIONS = {"us": "visibility.amp.cisco.com", "eu": "visibility.eu.amp.cisco.com",
           "apjc": "visibility.apjc.amp.cisco.com"}
# The titles of Cisco's own hosted modules an org may also have.
CISCO_HOSTED_TITLES = {"CyberCrime Tracker"}
LOGO_PREFIX = "data:image/svg+xml;base64,"


def module_type_text(module, url=PLACEHOLDER_URL, region=None):
    args = [os.environ["RELAY_BIN"], "module-type", module, "--url", url]
    if region:
        args += ["--region", region]
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0 or r.stderr:
        raise AssertionError("%s: exit %d: %s" % (" ".join(args[1:]), r.returncode,
                                                  r.stderr.decode()))
    return r.stdout.decode()


class ModuleTypeTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = {m: module_type_text(m) for m in MODULES}
        cls.types = {m: json.loads(text) for m, text in cls.out.items()}

    def test_every_modules_output_validates_against_the_module_maker_schema(self):
        with open(SCHEMA, encoding="utf-8") as f:
            schema = json.load(f)
        self.assertGreaterEqual(len(MODULES), 2, MODULES)
        for m in MODULES:
            for region in REGIONS:
                with self.subTest(module=m, region=region):
                    jsonschema.validate(json.loads(module_type_text(m, region=region)), schema)

    def test_deploy_files_are_the_commands_output(self):
        on_disk = sorted(os.path.basename(p).split(".")[0]
                         for p in glob.glob(os.path.join(DEPLOY, "*.module_type.json")))
        self.assertEqual(on_disk, MODULES, "run `make module-types`")
        for m in MODULES:
            with self.subTest(module=m):
                with open(os.path.join(DEPLOY, m + ".module_type.json"), encoding="utf-8") as f:
                    self.assertEqual(f.read(), self.out[m],
                                     "deploy/securex/%s.module_type.json differs from "
                                     "`securex-relay module-type %s --url %s`: run "
                                     "`make module-types`" % (m, m, PLACEHOLDER_URL))

    def test_url_audience_and_jwks_host_are_this_deployments(self):
        for m in MODULES:
            for region, host in REGIONS.items():
                with self.subTest(module=m, region=region):
                    url = "https://relay.example.org/base"
                    props = json.loads(module_type_text(m, url + "/", region))["properties"]
                    self.assertEqual(props["url"], "%s/%s" % (url, m))
                    self.assertEqual(props["configuration-token-audience"], props["url"])
                    self.assertEqual(props["auth-type"], "configuration-token")
                    self.assertEqual(props["configuration-token-alg"], "RS256")
                    self.assertEqual(props["custom_jwks_host"], host)
        # Without --region: us.
        self.assertEqual(self.types[MODULES[0]]["properties"]["custom_jwks_host"], REGIONS["us"])

    def test_capabilities_match_the_supported_apis(self):
        apis_of = {"health": ["health"], "deliberate": ["deliberate/observables"],
                   "observe": ["observe/observables"], "refer": ["refer/observables"],
                   "tiles": ["tiles", "tiles/tile", "tiles/tile-data"]}
        for m, t in self.types.items():
            with self.subTest(module=m):
                caps = [c["id"] for c in t["capabilities"]]
                self.assertEqual(t["properties"]["supported-apis"],
                                 [a for c in caps for a in apis_of[c]])
        self.assertIn("tiles", [c["id"] for c in self.types["tweettioc"]["capabilities"]])
        self.assertNotIn("tiles", [c["id"] for c in self.types["cybercrime"]["capabilities"]])

    def test_every_module_offers_the_entities_limit(self):
        for m, t in self.types.items():
            with self.subTest(module=m):
                last = t["configuration_spec"][-1]
                self.assertEqual((last["key"], last["type"], last["required"]),
                                 ("custom_CTR_ENTITIES_LIMIT", "integer", False))

    def test_each_has_the_projects_own_logo_as_a_data_uri(self):
        for m, t in self.types.items():
            with self.subTest(module=m):
                logo = t["logo"]
                self.assertTrue(logo.startswith(LOGO_PREFIX), logo[:40])
                svg = base64.b64decode(logo[len(LOGO_PREFIX):], validate=True)
                with open(os.path.join(DEPLOY, "logos", m + ".svg"), "rb") as f:
                    self.assertEqual(svg, f.read())
                root = ET.fromstring(svg)
                self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
                self.assertLess(len(logo), 8192)

    def test_no_title_is_that_of_a_cisco_hosted_module(self):
        titles = set()
        for m, t in self.types.items():
            for key in ("title", "default_name"):
                self.assertNotIn(t[key], CISCO_HOSTED_TITLES, m)
            titles.add(t["title"])
        self.assertEqual(len(titles), len(MODULES))

    def test_external_references_are_absolute_links(self):
        for m, t in self.types.items():
            with self.subTest(module=m):
                self.assertTrue(t["external_references"])
                for ref in t["external_references"]:
                    self.assertRegex(ref["link"], r"^https?://[a-z0-9.-]+/")


if __name__ == "__main__":
    unittest.main()
