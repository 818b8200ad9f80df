#!/usr/bin/env python3
"""Reads the JUnit XML report of mysql-test-run (--xml-report=FILE) for
tools/inside/checks.sh: prints the number of auth_awsiam tests that passed, then one line
per test of any suite that did not (SUITE.TEST STATUS: failed, skipped, disabled,
unstable). mysql-test-run reports its own checks as tests of other suites
(shutdown_report): they fail the run when they fail, and are not counted when they pass.
Exits 1 when the report is missing or unreadable (mysql-test-run stopped before writing
it)."""

import sys
import xml.etree.ElementTree as ET

SUITE = "auth_awsiam"


def read(path):
    """(auth_awsiam tests passed, ["SUITE.TEST STATUS" of every test that did not pass])."""
    root = ET.parse(path).getroot()
    passed = 0
    others = []
    for case in root.iter("testcase"):
        status = case.get("status")
        if status == "pass":
            passed += case.get("suitename") == SUITE
        else:
            others.append(f"{case.get('suitename')}.{case.get('name')} {status}")
    return passed, others


def main(path):
    try:
        passed, others = read(path)
    except (OSError, ET.ParseError) as e:
        print(f"mtr_report: cannot read {path}: {e}", file=sys.stderr)
        return 1
    print(passed)
    for line in others:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
