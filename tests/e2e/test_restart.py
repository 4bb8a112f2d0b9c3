# e2e: lifecycle on a private Prosody (not the shared one) - the bridge
# reconnects after a Prosody restart; SIGTERM drains it (a running handler
# finishes and is answered, new stanzas get a wait error), drain_timeout
# bounds that, and a second SIGTERM stops it at once, killing running
# handlers.

import os
import unittest

import harness as h
from harness import Route, script


_prosody = h.ModuleProsody()
prosody = _prosody.get  # a private Prosody, started again if a test stopped it


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.prosody = prosody()
        self.cleanups = []

    def tearDown(self):
        h.run_cleanups(self.cleanups)

    def start_bridge(self, name, routes, extra=""):
        b = h.Bridge(self.prosody, routes, name=name)
        if extra:
            with open(b.cfg, "a") as f:
                f.write(extra)
        self.cleanups.append(b.stop)
        b.start()
        return b

    def client(self, jid="alice@localhost"):
        c = h.Client(self.prosody, jid, resource="restart")
        self.cleanups.append(c.close)
        return c

    def test_bridge_reconnects_after_prosody_restart(self):
        b = self.start_bridge("restart", [Route("echo", script("echo.sh")),
                                          Route("echo2", script("echo.sh"))])
        alice = self.client()
        r = alice.query("bridge@localhost/echo")
        self.assertEqual(r.type, "result", r.xml)
        alice.close()

        since = b.log_size()
        self.prosody.stop()
        self.assertTrue(b.wait_log("route echo: disconnected", 15, since),
                        "no disconnect logged:\n" + h.tail(b.log))
        # The spec's example puts both on one line; accept two lines too.
        self.assertRegex(b.read_log(since),
                         r"xmpp-cgi: warning: route echo: (disconnected.*; )?"
                         r"reconnecting in \d+ ms")
        self.assertTrue(b.alive(), "bridge exited when Prosody went away")

        since = b.log_size()
        self.prosody.start()
        b.wait_online(timeout=60, since=since)
        alice = self.client()
        for route in ("echo", "echo2"):
            r = alice.query("bridge@localhost/" + route)
            self.assertEqual(r.type, "result", r.xml)

    def start_sleeper(self, name, sleep, extra=""):
        """A bridge whose route `sleepy` runs sleeper.sh for `sleep` s, and
        one iq on it whose handler has started: (bridge, alice, iq id,
        handler pid, grandchild pid)."""
        pid_dir = os.path.join(self.prosody.dir, name + "-pids")
        os.makedirs(pid_dir, exist_ok=True)
        b = self.start_bridge(name, [
            Route("sleepy", script("sleeper.sh"), timeout=60,
                  env=["PID_DIR=" + pid_dir, "SLEEP=%s" % sleep])], extra)
        alice = self.client()
        id, xml = alice.iq("bridge@localhost/sleepy")
        alice.send_raw(xml)
        pidfile = os.path.join(pid_dir, id + ".grandchild")
        self.assertTrue(h.wait_until(lambda: os.path.exists(pidfile), 10),
                        "handler never started:\n" + h.tail(b.log))
        with open(os.path.join(pid_dir, id + ".pid")) as f:
            pid = int(f.read())
        with open(pidfile) as f:
            grandchild = int(f.read())
        return b, alice, id, pid, grandchild

    def wait_exit(self, proc, timeout=10):
        try:
            return proc.wait(timeout)
        except Exception:
            return None

    def test_sigterm_lets_the_running_handler_finish(self):
        log_dir = os.path.join(self.prosody.dir, "drain-times")
        os.makedirs(log_dir, exist_ok=True)
        b = self.start_bridge("drain", [
            Route("slow", script("slow.sh"), timeout=60,
                  env=["LOG_DIR=" + log_dir, "SLEEP=3"])])
        alice = self.client()
        id, xml = alice.iq("bridge@localhost/slow")
        alice.send_raw(xml)
        times = os.path.join(log_dir, "times")
        self.assertTrue(h.wait_until(
            lambda: os.path.exists(times) and "start" in open(times).read(),
            10), "handler never started:\n" + h.tail(b.log))
        since = b.log_size()
        proc = b.proc
        os.kill(proc.pid, 15)
        self.assertTrue(b.wait_log("draining 1 request", 10, since),
                        h.tail(b.log))
        # a stanza that arrives now is refused, with a wait error
        r = alice.query("bridge@localhost/slow")
        self.assertEqual(r.error()[:3], ("wait", "service-unavailable",
                                         "the bridge is shutting down; "
                                         "send again"), r.xml)
        # the running one finishes and is answered; then the bridge exits
        got = alice.wait_for(lambda s: s.id == id, 20)
        self.assertIsNotNone(got, "no answer:\n" + h.tail(b.log))
        self.assertEqual(got.type, "result", got.xml)
        self.assertIn("done " + id, got.xml)
        self.assertEqual(self.wait_exit(proc, 20), 0,
                         "exit status after SIGTERM:\n" + h.tail(b.log))
        self.assertIn("drained, closing the connection", b.read_log(since))
        self.assertNotIn("cut short", b.read_log(since))

    def test_second_sigterm_kills_running_handlers(self):
        b, alice, id, pid, grandchild = self.start_sleeper("sigterm", 50)
        since = b.log_size()
        proc = b.proc
        os.kill(proc.pid, 15)
        self.assertTrue(b.wait_log("draining 1 request", 10, since),
                        h.tail(b.log))
        self.assertTrue(b.alive(), "exited while a handler ran")
        os.kill(proc.pid, 15)
        rc = self.wait_exit(proc)
        self.assertEqual(rc, 0, "exit status after SIGTERM:\n" + h.tail(b.log))
        self.assertTrue(h.wait_until(lambda: not h.pid_alive(pid)
                                     and not h.pid_alive(grandchild), 5),
                        "handler (%d) or its child (%d) survived shutdown"
                        % (pid, grandchild))
        self.assertIn("signal 15 again: stopping now, 1 request cut short",
                      b.read_log(since))
        got = alice.wait_for(lambda s: s.id == id, 10)
        self.assertIsNotNone(got, "running request not answered")
        self.assertEqual(got.error()[:2], ("wait", "service-unavailable"),
                         got.xml)

    def test_drain_timeout_bounds_the_wait(self):
        b, alice, id, pid, grandchild = self.start_sleeper(
            "draintimeout", 50, "\n[instance]\ndrain_timeout = 1\n")
        since = b.log_size()
        proc = b.proc
        os.kill(proc.pid, 15)
        rc = self.wait_exit(proc, 15)
        self.assertEqual(rc, 0, "exit status after SIGTERM:\n" + h.tail(b.log))
        self.assertIn("drain_timeout (1 s) reached: 1 request cut short",
                      b.read_log(since))
        self.assertTrue(h.wait_until(lambda: not h.pid_alive(pid)
                                     and not h.pid_alive(grandchild), 5),
                        "handler (%d) or its child (%d) survived shutdown"
                        % (pid, grandchild))
        got = alice.wait_for(lambda s: s.id == id, 10)
        self.assertIsNotNone(got, "running request not answered")
        self.assertEqual(got.error()[:2], ("wait", "service-unavailable"),
                         got.xml)

    def test_sigint_exits_0(self):
        b = self.start_bridge("sigint", [Route("int", script("echo.sh"))])
        proc = b.proc
        os.kill(proc.pid, 2)
        try:
            rc = proc.wait(10)
        except Exception:
            rc = None
        self.assertEqual(rc, 0, "exit status after SIGINT:\n" + h.tail(b.log))

    def test_two_bridges_do_not_share_handlers(self):
        # A second bridge on the same account with other routes: both work.
        self.start_bridge("first", [Route("one", script("echo.sh"))])
        self.start_bridge("second", [Route("two", script("echo.sh"))])
        alice = self.client()
        for route in ("one", "two"):
            r = alice.query("bridge@localhost/" + route)
            self.assertEqual(r.type, "result", r.xml)


if __name__ == "__main__":
    unittest.main()
