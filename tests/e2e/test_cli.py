# e2e: the command line without a server - --check on good and bad
# configurations (exit 1 and FILE:LINE: on errors), --once ROUTE with a
# stanza on stdin, --help and --version.

import os
import re
import shutil
import tempfile
import unittest
import xml.etree.ElementTree as ET

import harness as h

ECHO = h.script("echo.sh")
FAIL = h.script("fail.sh")
DUMP = h.script("dump.sh")

GOOD = """\
[xmpp]
jid = bridge@localhost
password = secret
host = 127.0.0.1
port = 5222
tls = required

[route "echo"]
cgi = {echo}
timeout = 5
max_concurrency = 4
max_queue = 8
max_output = 65536
message_replies = no
allow = alice@localhost, *@localhost
env = GREETING=hello

[route "fail"]
cgi = {fail}

[route "env"]
cgi = {dump}
env = DUMP_DIR={dir}
"""


class Cli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="xmpp-cgi-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, text, name="x.conf"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text.format(echo=ECHO, fail=FAIL, dump=DUMP, dir=self.dir))
            f.write("\n" + h.DAEMON_SECTION)
        return path

    def run_bridge(self, args, stdin=None):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "XMPP_CGI_CANARY": h.CANARY}
        return h.run_bridge(args, stdin=stdin, env=env, timeout=30)

    # -- --check ----------------------------------------------------------

    def test_check_good_config(self):
        cfg = self.write(GOOD)
        r = self.run_bridge(["--check", "-c", cfg])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("xmpp-cgi: configuration %s is ok" % cfg, r.stderr)

    def check_bad(self, text, lines, reason=None):
        """--check fails with exit 1 and `xmpp-cgi: FILE:LINE:` naming one
        of `lines` (None: any line)."""
        cfg = self.write(text)
        r = self.run_bridge(["--check", "-c", cfg])
        self.assertEqual(r.returncode, 1, "stderr: %r" % r.stderr)
        m = re.search(r"xmpp-cgi: %s:(\d+): (.+)" % re.escape(cfg), r.stderr)
        self.assertIsNotNone(m, "no 'xmpp-cgi: FILE:LINE: reason' in %r"
                             % r.stderr)
        if lines is not None:
            self.assertIn(int(m.group(1)), lines, r.stderr)
        if reason:
            self.assertRegex(m.group(2).lower(), reason)
        return r

    # Line numbers below count in GOOD: line 9 is the first route's cgi.
    def test_unknown_key(self):
        self.check_bad(GOOD.replace("timeout = 5\n",
                                    "timeout = 5\nfrobnicate = yes\n"), [11])

    def test_unknown_key_in_xmpp_section(self):
        self.check_bad(GOOD.replace("tls = required\n",
                                    "tls = required\nbogus = 1\n"), [7])

    def test_missing_script(self):
        self.check_bad(GOOD.replace("{echo}", "/nonexistent/echo.sh", 1), [9])

    def test_script_not_executable(self):
        path = os.path.join(self.dir, "plain.sh")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(path, 0o644)
        self.check_bad(GOOD.replace("{echo}", path, 1), [9])

    def test_script_is_a_directory(self):
        self.check_bad(GOOD.replace("{echo}", self.dir, 1), [9])

    def test_duplicate_route(self):
        text = GOOD + '\n[route "echo"]\ncgi = {echo}\n'
        n = text.count("\n", 0, text.rindex('[route "echo"]')) + 1
        self.check_bad(text, [n, n + 1])

    def test_bad_number(self):
        self.check_bad(GOOD.replace("timeout = 5", "timeout = abc"), [10])

    def test_negative_number(self):
        self.check_bad(GOOD.replace("max_queue = 8", "max_queue = -1"), [12])

    def test_bad_boolean(self):
        self.check_bad(GOOD.replace("message_replies = no",
                                    "message_replies = perhaps"), [14])

    def test_bad_tls_mode(self):
        self.check_bad(GOOD.replace("tls = required", "tls = sometimes"), [6])

    def test_bad_port(self):
        self.check_bad(GOOD.replace("port = 5222", "port = 99999"), [5])

    def test_bad_route_name(self):
        self.check_bad(GOOD.replace('[route "fail"]', '[route "no/slash"]'),
                       [18, 19])

    def test_bad_env_line(self):
        self.check_bad(GOOD.replace("env = GREETING=hello",
                                    "env = NO_EQUALS_SIGN"), [16])

    def test_unknown_section(self):
        self.check_bad(GOOD + "\n[frobnicate]\nx = 1\n", None)

    def test_route_without_cgi(self):
        self.check_bad(GOOD + '\n[route "nocgi"]\ntimeout = 3\n', None)

    def test_missing_config_file(self):
        r = self.run_bridge(["--check", "-c", os.path.join(self.dir, "nope")])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("nope", r.stderr)

    # -- --once -----------------------------------------------------------

    def once(self, route, stanza):
        cfg = self.write(GOOD)
        r = self.run_bridge(["-c", cfg, "--once", route], stdin=stanza)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def test_once_echo_prints_the_reply(self):
        r = self.once("echo", "<iq type='get' id='o1' from='alice@localhost/x'"
                      " to='bridge@localhost/echo'><ping xmlns='urn:e2e'/>"
                      "</iq>")
        el = ET.fromstring(r.stdout)
        self.assertEqual(el.tag.split("}")[-1], "iq", r.stdout)
        self.assertEqual(el.get("type"), "result", r.stdout)
        self.assertEqual(el.get("id"), "o1")
        self.assertEqual(el.get("to"), "alice@localhost/x")
        echo = el.find("{urn:xmpp-cgi:echo}echo")
        self.assertIsNotNone(echo, r.stdout)
        self.assertIsNotNone(echo.find(".//{urn:e2e}ping"), r.stdout)

    def test_once_failure_prints_error(self):
        r = self.once("fail", "<iq type='set' id='o2' from='a@localhost/x' "
                      "to='bridge@localhost/fail'><q xmlns='urn:e2e'/></iq>")
        el = ET.fromstring(r.stdout)
        self.assertEqual(el.get("type"), "error", r.stdout)
        err = [c for c in el if c.tag.split("}")[-1] == "error"]
        self.assertEqual(len(err), 1, r.stdout)
        conds = [c.tag for c in err[0]]
        self.assertIn("{urn:ietf:params:xml:ns:xmpp-stanzas}"
                      "internal-server-error", conds)

    def test_once_message_success_prints_nothing(self):
        r = self.once("echo", "<message id='o3' from='alice@localhost/x' "
                      "to='bridge@localhost/echo'><body>x</body></message>")
        self.assertEqual(r.stdout.strip(), "")

    def test_once_environment(self):
        self.once("env", "<iq type='get' id='o4' from='alice@localhost/x' "
                  "to='bridge@localhost/env'/>")
        with open(os.path.join(self.dir, "o4.env"), "rb") as f:
            env = dict(i.decode().partition("=")[::2]
                       for i in f.read().split(b"\0") if i)
        self.assertEqual(env.get("REMOTE_USER"), "alice@localhost")
        self.assertEqual(env.get("REMOTE_ADDR"), "127.0.0.1")
        self.assertEqual(env.get("PATH_INFO"), "/env")
        self.assertNotIn("XMPP_CGI_CANARY", env)

    # -- --help, --version ------------------------------------------------

    def test_help(self):
        r = self.run_bridge(["--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        for opt in ("--check", "--once", "--version", "-c"):
            self.assertIn(opt, r.stdout)

    def test_version(self):
        r = self.run_bridge(["--version"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("xmpp-cgi", r.stdout)
        v = h.version()
        if v:
            self.assertIn(v, r.stdout)

    def test_unknown_option_fails(self):
        r = self.run_bridge(["--no-such-option"])
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    unittest.main()
