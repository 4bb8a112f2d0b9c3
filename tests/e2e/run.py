#!/usr/bin/python3
# Runs the xmpp-cgi end-to-end tests (tests/e2e/test_*.py) with unittest and
# ends with exactly one line `N passed, N failed`, counting test methods; the
# exit status is 0 iff nothing failed.  A test that never ran because a
# class or module fixture failed counts as failed.
#
#   tests/e2e/run.py                       every module
#   tests/e2e/run.py test_iq               one module
#   tests/e2e/run.py test_iq.StatusClasses.test_404   one test
#   tests/e2e/run.py -q ...                less output
#
# Environment: XMPP_CGI_BIN (binary under test, default bridge/xmpp-cgi),
# XMPP_CGI_E2E_KEEP=1 (keep the temp dirs), XMPP_CGI_E2E_DEBUG=1 (slixmpp
# debug log), XMPP_CGI_E2E_TIMEOUT (whole-run limit in s, default 600).

import os
import sys

sys.dont_write_bytecode = True     # keep the source tree clean

HERE = os.path.dirname(os.path.abspath(__file__))

# slixmpp comes from Debian's python3-slixmpp: use /usr/bin/python3 even when
# another python3 comes first on PATH.
try:
    import slixmpp  # noqa: F401
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") \
            and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.stderr.write("run.py: slixmpp missing (apt install python3-slixmpp)\n")
    sys.exit(2)

import faulthandler  # noqa: E402
import signal  # noqa: E402
import unittest  # noqa: E402

sys.path.insert(0, HERE)
import harness  # noqa: E402


class CountingResult(unittest.TextTestResult):
    """Tracks the outcome of each test method (subtests fold into their
    method)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.outcome = {}       # test id -> "pass" | "fail" | "skip"

    def _set(self, test, what):
        tid = test.id()
        if self.outcome.get(tid) == "fail":
            return
        self.outcome[tid] = what

    def addSuccess(self, test):
        super().addSuccess(test)
        self._set(test, "pass")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, "fail")

    def addError(self, test, err):
        super().addError(test, err)
        if isinstance(test, unittest.TestCase):
            self._set(test, "fail")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.outcome[test.id()] = "fail"

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._set(test, "skip")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._set(test, "pass")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._set(test, "fail")


def all_ids(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from all_ids(t)
        else:
            yield t.id()


def load(names):
    loader = unittest.TestLoader()
    if not names:
        return loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    return loader.loadTestsFromNames(
        [n[:-3] if n.endswith(".py") else n for n in
         (os.path.basename(n) if n.endswith(".py") else n for n in names)])


def write_results(path, outcome, unrun):
    """One line per test method for tests/count-driver: the same counts as
    the final line."""
    if not path:
        return
    word = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}
    with open(path, "w") as f:
        for tid, what in outcome.items():
            f.write("%s %s\n" % (word[what], tid))
        for tid in unrun:
            f.write("FAIL %s\n" % tid)


def main(argv):
    verbosity = 2
    if argv and argv[0] == "-q":
        verbosity, argv = 1, argv[1:]
    os.chdir(HERE)

    limit = int(os.environ.get("XMPP_CGI_E2E_TIMEOUT", "600"))

    def on_alarm(signum, frame):
        sys.stderr.write("\nrun.py: e2e run exceeded %d s; stacks:\n" % limit)
        faulthandler.dump_traceback(all_threads=True)
        harness.cleanup_all()
        print("0 passed, 1 failed")
        sys.stdout.flush()
        os._exit(1)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit)

    suite = load(argv)
    ids = list(all_ids(suite))
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=verbosity,
                                     resultclass=CountingResult)
    result = runner.run(suite)
    signal.alarm(0)

    out = result.outcome
    never = [i for i in ids if i not in out and "_FailedTest" not in i
             and "ModuleImportFailure" not in i]
    loadfail = [i for i in ids if "_FailedTest" in i
                or "ModuleImportFailure" in i]
    passed = sum(1 for v in out.values() if v == "pass")
    failed = sum(1 for v in out.values() if v == "fail") + len(never) \
        + len([i for i in loadfail if i not in out])
    skipped = sum(1 for v in out.values() if v == "skip")
    if never:
        print("never ran (fixture failed), counted as failed:")
        for i in never:
            print("  " + i)
    if skipped:
        print("%d skipped" % skipped)
    write_results(os.environ.get("XMPP_CGI_TEST_RESULTS"), out, never + [
        i for i in loadfail if i not in out])
    sys.stdout.flush()
    harness.shutdown()
    print("%d passed, %d failed" % (passed, failed))
    sys.stdout.flush()
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
