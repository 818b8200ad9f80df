"""mtr_report.py on reports shaped like mysql-test-run's JUnit XML (--xml-report): only
passed auth_awsiam tests are counted, every test that did not pass is listed, whatever
its suite, and a report mysql-test-run never finished writing is an error.

    python3 -m unittest discover -s tools/inside -p 'test_*.py'
"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mtr_report  # noqa: E402

REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="auth_awsiam" tests="3">
    <testcase name="install" suitename="auth_awsiam" status="pass"/>
    <testcase name="login" suitename="auth_awsiam" status="pass"/>
    <testcase name="connectors" suitename="auth_awsiam" status="skipped"/>
  </testsuite>
  <testsuite name="report" tests="2">
    <testcase name="shutdown_report" suitename="report" status="pass"/>
    <testcase name="check_warnings" suitename="main" status="fail"/>
  </testsuite>
</testsuites>
"""


class Report(unittest.TestCase):
    def write(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False)
        self.addCleanup(os.unlink, f.name)
        f.write(text)
        f.close()
        return f.name

    def test_counts_only_passed_auth_awsiam_tests_and_lists_the_rest(self):
        passed, others = mtr_report.read(self.write(REPORT))
        self.assertEqual(passed, 2)
        self.assertEqual(others, ["auth_awsiam.connectors skipped", "main.check_warnings fail"])

    def test_an_unfinished_report_is_an_error(self):
        path = self.write(REPORT[:200])
        self.assertEqual(mtr_report.main(path), 1)
        self.assertEqual(mtr_report.main(path + ".missing"), 1)


if __name__ == "__main__":
    unittest.main()
