#!/usr/bin/env python3
"""run.py: runs the end-to-end tests (tests/e2e/test_*.py) against $RELAY_BIN.

    RELAY_BIN=build/asan/securex-relay python3 tests/e2e/run.py [-k PATTERN]...

Prints unittest's verbose output, then one summary line
"N passed, M failed[, K skipped]"; exits 1 when anything failed.
"""

import argparse
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", dest="patterns", action="append", default=None,
                        help="only run tests whose name contains this substring")
    parser.add_argument("-f", "--failfast", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, HERE)
    relay = os.environ.get("RELAY_BIN")
    if not relay:
        print("run.py: RELAY_BIN is not set (make e2e sets it)", file=sys.stderr)
        return 2
    if not os.access(relay, os.X_OK):
        print("run.py: RELAY_BIN=%s is not an executable" % relay, file=sys.stderr)
        return 2
    os.environ["RELAY_BIN"] = os.path.abspath(relay)

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ["*%s*" % p for p in args.patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    runner = unittest.TextTestRunner(verbosity=2, failfast=args.failfast, stream=sys.stdout)
    result = runner.run(suite)

    # Count tests, not failure entries: a test with three failing subtests,
    # or failing in its body and in tearDown, is one failed test. Set-up and
    # clean-up errors of a class or module count as one failure each.
    def key(test):
        return getattr(test, "test_case", test).id()
    ran_bad, other_bad = set(), set()
    for test, _ in result.failures + result.errors:
        (ran_bad if isinstance(test, unittest.TestCase) else other_bad).add(key(test))
    ran_bad |= {key(t) for t in result.unexpectedSuccesses}
    skipped = len({key(t) for t, _ in result.skipped} - ran_bad)
    failed = len(ran_bad) + len(other_bad)
    passed = max(result.testsRun - len(ran_bad) - skipped - len(result.expectedFailures), 0)
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
