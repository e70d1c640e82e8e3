"""test_module_types.py: deploy/securex/*.module_type.json are valid module types with a logo.

Validated against the module-type schema of CiscoSecurity/tr-05-module-maker
(copied to tests/schemas/module_type.schema.json, with its origin). Each
carries a `logo`: the project's own artwork (deploy/securex/logos/*.svg) as
a data URI, and the cybercrime module's title cannot be taken for Cisco's
hosted "CyberCrime Tracker" module. No relay needed.
"""

import base64
import glob
import json
import os
import unittest
import xml.etree.ElementTree as ET

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCHEMA = os.path.join(ROOT, "tests", "schemas", "module_type.schema.json")
MODULE_TYPES = sorted(glob.glob(os.path.join(ROOT, "deploy", "securex", "*.module_type.json")))
# The titles of Cisco's own hosted modules an org may also have.
CISCO_HOSTED_TITLES = {"CyberCrime Tracker"}
LOGO_PREFIX = "data:image/svg+xml;base64,"


class ModuleTypeTests(unittest.TestCase):
    def load(self, path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def test_module_types_validate_against_the_module_maker_schema(self):
        with open(SCHEMA, encoding="utf-8") as f:
            schema = json.load(f)
        self.assertEqual(len(MODULE_TYPES), 3, MODULE_TYPES)
        for path in MODULE_TYPES:
            with self.subTest(path=os.path.basename(path)):
                jsonschema.validate(self.load(path), schema)

    def test_each_has_the_projects_own_logo_as_a_data_uri(self):
        for path in MODULE_TYPES:
            with self.subTest(path=os.path.basename(path)):
                logo = self.load(path)["logo"]
                self.assertTrue(logo.startswith(LOGO_PREFIX), logo[:40])
                svg = base64.b64decode(logo[len(LOGO_PREFIX):], validate=True)
                name = os.path.basename(path).split(".")[0]
                with open(os.path.join(ROOT, "deploy", "securex", "logos", name + ".svg"),
                          "rb") as f:
                    self.assertEqual(svg, f.read())
                root = ET.fromstring(svg)
                self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
                self.assertLess(len(logo), 8192)

    def test_no_title_is_that_of_a_cisco_hosted_module(self):
        titles = set()
        for path in MODULE_TYPES:
            m = self.load(path)
            for key in ("title", "default_name"):
                self.assertNotIn(m[key], CISCO_HOSTED_TITLES, path)
            titles.add(m["title"])
        self.assertEqual(len(titles), len(MODULE_TYPES))


if __name__ == "__main__":
    unittest.main()
