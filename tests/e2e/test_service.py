# e2e: the daemon as a service - the systemd unit passes `systemd-analyze verify` and
# keeps its sandbox (offline security analysis); the sd_notify protocol as a
# Type=notify service manager sees it (NOTIFY_SOCKET on a datagram socket the test
# listens on: READY=1 only once every route is online, or has failed once, with a
# STATUS line, STOPPING=1 on SIGTERM, RELOADING=1 then READY=1 on SIGHUP); log
# lines in the journal's format when JOURNAL_STREAM names stderr. systemd does
# not run as PID 1 here, so the unit is not started for real.

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import unittest

import harness as h
from harness import Route, script

UNIT_IN = os.path.join(h.REPO, "systemd", "xmpp-cgi.service.in")
_prosody = h.ModuleProsody()
prosody = _prosody.get  # a private Prosody, started with the module
setUpModule = prosody
tearDownModule = _prosody.stop


class Unit(unittest.TestCase):
    def unit(self):
        """The unit as make install writes it, with the built binary's directory."""
        d = h.make_tempdir("xmpp-cgi-unit-")
        with open(UNIT_IN) as f:
            text = f.read()
        text = text.replace("@bindir@", os.path.dirname(h.BRIDGE_BIN))
        text = text.replace("@sysconfdir@", d)
        self.assertNotRegex(text, r"@[a-z]+@")
        path = os.path.join(d, "xmpp-cgi.service")
        with open(path, "w") as f:
            f.write(text)
        return path, text

    def analyze(self, *args):
        if not shutil.which("systemd-analyze"):
            self.fail("systemd-analyze is missing (Debian package systemd; "
                      "scripts/install-deps.sh installs it)")
        return subprocess.run(["systemd-analyze", *args], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=60)

    def test_unit_verifies(self):
        path, text = self.unit()
        # man pages are checked by man/ and mandoc, not installed here
        r = self.analyze("verify", "--man=no", path)
        self.assertEqual(r.returncode, 0, r.stdout)
        # verify exits 0 on settings it ignores: none may be reported
        self.assertNotIn("xmpp-cgi.service", r.stdout, r.stdout)
        for line in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID",
                     "NoNewPrivileges=yes", "ProtectSystem=strict",
                     "ProtectHome=yes", "PrivateTmp=yes",
                     "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"):
            self.assertIn("\n%s\n" % line, text)
        # handlers may be JIT-using interpreters (PHP's PCRE JIT)
        self.assertNotIn("\nMemoryDenyWriteExecute=yes", text)

    def test_unit_catches_a_broken_setting(self):
        # the check above can fail: a misspelt setting is reported
        path, text = self.unit()
        with open(path, "w") as f:
            f.write(text.replace("Type=notify", "Type=notifyy"))
        r = self.analyze("verify", "--man=no", path)
        self.assertIn("xmpp-cgi.service", r.stdout)

    def test_unit_sandbox_exposure(self):
        path, _ = self.unit()
        r = self.analyze("security", "--offline=yes", path)
        m = re.search(r"Overall exposure level for xmpp-cgi.service: ([\d.]+)", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        self.assertLessEqual(float(m.group(1)), 3.0, r.stdout)

    def test_make_install_puts_unit_and_config(self):
        # make install into a scratch DESTDIR, in the tree the binary was built in
        top = os.path.dirname(os.path.dirname(h.BRIDGE_BIN))
        with open(os.path.join(top, "Makefile")) as f:
            mk = f.read()
        unitdir = re.search(r"^systemdsystemunitdir = (.*)$", mk, re.M)
        prefix = re.search(r"^prefix = (.*)$", mk, re.M).group(1)
        self.assertIsNotNone(unitdir, "configure found no systemdsystemunitdir")
        dest = h.make_tempdir("xmpp-cgi-destdir-")
        r = subprocess.run(["make", "-s", "-C", top, "install", "DESTDIR=" + dest],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout)
        unit = dest + unitdir.group(1) + "/xmpp-cgi.service"
        with open(unit) as f:
            text = f.read()
        self.assertIn("ExecStart=%s/bin/xmpp-cgi -c %s/etc/xmpp-cgi/xmpp-cgi.conf\n"
                      % (prefix, prefix), text)
        conf = dest + prefix + "/etc/xmpp-cgi/xmpp-cgi.conf"
        self.assertTrue(os.path.isfile(conf), conf)
        # a second install keeps the operator's configuration
        with open(conf, "a") as f:
            f.write("; edited\n")
        r = subprocess.run(["make", "-s", "-C", top, "install", "DESTDIR=" + dest],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout)
        with open(conf) as f:
            self.assertTrue(f.read().endswith("; edited\n"))


class Notify(unittest.TestCase):
    """The service manager's side of sd_notify, on a datagram socket."""

    def setUp(self):
        self.prosody = prosody()
        self.dir = h.make_tempdir("xmpp-cgi-notify-")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.addCleanup(self.sock.close)
        self.bridges = []

    def tearDown(self):
        for b in self.bridges:
            b.stop()

    def bridge(self, name, routes, port=None):
        b = h.Bridge(self.prosody, routes, name=name)
        if port:
            b.edit_config(lambda text: text.replace(
                "port = %d" % self.prosody.c2s_port, "port = %d" % port))
        env = b.env()
        env["NOTIFY_SOCKET"] = self.path
        b.env = lambda: env
        self.bridges.append(b)
        return b

    def receive(self, want, timeout=20):
        """Datagrams until one holds the line `want`; returns (that one, the
        bridge log at the moment it arrived, all received)."""
        got = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                msg = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            log = self.bridges[-1].read_log()
            got.append(msg)
            if want in msg.split("\n"):
                return msg, log, got
        self.fail("no %s within %ss; received %r; log:\n%s"
                  % (want, timeout, got, self.bridges[-1].read_log()))

    def test_ready_after_every_route_is_online_then_stopping(self):
        names = ["r1", "r2", "r3"]
        b = self.bridge("notify", [Route(n, script("echo.sh")) for n in names])
        b.launch()
        msg, log, got = self.receive("READY=1")
        self.assertEqual(len(got), 1, got)  # nothing before READY=1
        for n in names:
            self.assertIn("route %s: online as" % n, log)
        self.assertIn("STATUS=3 of 3 routes online", msg.split("\n"))
        self.assertIn("ready: 3 of 3 routes online", log)
        b.proc.send_signal(signal.SIGTERM)
        msg, _log, _ = self.receive("STOPPING=1")
        self.assertEqual(b.proc.wait(10), 0)

    def test_ready_when_the_server_is_down(self):
        # a server that is down must not hold up the boot: ready after one failure,
        # and the status says nothing is online
        b = self.bridge("down", [Route("echo", script("echo.sh"))], port=h.free_port())
        b.launch()
        msg, log, _ = self.receive("READY=1")
        self.assertIn("STATUS=0 of 1 route online", msg.split("\n"))
        self.assertIn("reconnecting in", log)
        self.assertNotIn("online as", log)

    def test_status_follows_the_connection(self):
        # after READY=1 each change updates STATUS: the server restarts, the
        # route goes offline, then comes back
        b = self.bridge("follow", [Route("echo", script("echo.sh"))])
        b.launch()
        msg, _log, _ = self.receive("READY=1")
        self.assertIn("STATUS=1 of 1 route online", msg.split("\n"))
        self.prosody.restart()
        msg, _log, got = self.receive("STATUS=0 of 1 route online", timeout=30)
        self.assertNotIn("READY=1", msg.split("\n"))  # sent once only
        msg, log, got = self.receive("STATUS=1 of 1 route online", timeout=60)
        self.assertEqual(log.count("route echo: online as"), 2, log)

    def test_reload_sends_reloading_then_ready(self):
        # SIGHUP: RELOADING=1 (with MONOTONIC_USEC) and then READY=1, as
        # sd_notify(3) asks; the route the reload adds counts in STATUS
        b = self.bridge("reload", [Route("r1", script("echo.sh"))])
        b.launch()
        self.receive("READY=1")
        with open(b.cfg) as f:
            text = f.read()
        i = text.index("[route ")
        with open(b.cfg, "w") as f:
            f.write(text[:i] + Route("r2", script("echo.sh")).render() + "\n" + text[i:])
        b.proc.send_signal(signal.SIGHUP)
        msg, log, _ = self.receive("RELOADING=1")
        self.assertRegex(msg, r"(^|\n)MONOTONIC_USEC=\d+(\n|$)")
        self.assertIn("reloaded", log)
        msg, _log, _ = self.receive("READY=1")
        self.assertNotIn("RELOADING=1", msg.split("\n"))
        self.assertRegex(msg, r"(^|\n)STATUS=[01] of 2 routes online(\n|$)")
        msg, log, _ = self.receive("STATUS=2 of 2 routes online")
        self.assertIn("route r2: online as", log)


class Journal(unittest.TestCase):
    """Log lines when stderr is the journal: a priority prefix, no repeated
    program name or time."""

    def run_bridge_with(self, name, journal_stream):
        p = prosody()
        b = h.Bridge(p, [Route("echo", script("echo.sh"))], name=name)
        open(b.log, "ab").close()
        st = os.stat(b.log)
        env = b.env()
        env["JOURNAL_STREAM"] = journal_stream(st)
        b.env = lambda: env
        self.addCleanup(b.stop)
        b.launch()
        return b

    def test_journal_format(self):
        b = self.run_bridge_with("journal", lambda st: "%d:%d" % (st.st_dev, st.st_ino))
        self.assertTrue(b.wait_log("<6>info: route echo: online as", 20), b.read_log())
        c = h.Client(prosody(), "alice@localhost")
        self.addCleanup(c.close)
        r = c.query("bridge@localhost/echo", "<q xmlns='urn:x'/>")
        self.assertEqual(r.type, "result")
        self.assertTrue(b.wait_log("status 200", 10), b.read_log())
        b.proc.send_signal(signal.SIGTERM)
        b.proc.wait(10)
        lines = b.read_log().splitlines()
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, r"^<[3467]>(error|warning|info|debug): ")
            self.assertNotIn("xmpp-cgi:", line)  # the journal names the program
            self.assertNotRegex(line, r"\d\d:\d\d:\d\d")  # and adds the time
        # one line per request: route, sender, status, latency
        self.assertTrue(any(re.match(r"<6>info: route echo: iq \S+ from alice@localhost: "
                                     r"status 200 \(\d+ ms\)$", l) for l in lines), lines)

    def test_warning_priority(self):
        b = self.run_bridge_with("journal-warn", lambda st: "%d:%d" % (st.st_dev, st.st_ino))
        with open(b.cfg) as f:
            text = f.read()
        b.stop()
        with open(b.cfg, "w") as f:
            f.write(re.sub(r"port = \d+", "port = %d" % h.free_port(), text))
        b.launch()
        self.assertTrue(b.wait_log("<4>warning: route echo: reconnecting in", 20),
                        b.read_log())

    def test_other_stream_keeps_the_plain_format(self):
        # JOURNAL_STREAM inherited from elsewhere (stderr is not that stream)
        b = self.run_bridge_with("notjournal", lambda st: "%d:%d" % (st.st_dev, st.st_ino + 1))
        self.assertTrue(b.wait_log("xmpp-cgi: info: route echo: online as", 20), b.read_log())
        self.assertNotIn("<6>", b.read_log())


if __name__ == "__main__":
    unittest.main()
