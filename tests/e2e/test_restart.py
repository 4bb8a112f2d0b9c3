# e2e: lifecycle on a private Prosody (not the shared one) - the bridge
# reconnects after a Prosody restart, and SIGTERM shuts it down cleanly,
# killing running handlers.

import os
import unittest

import harness as h
from harness import Route, script

_fixture = {}


def prosody():
    """A private Prosody for this module, started once."""
    if "error" in _fixture:
        raise h.HarnessError("fixture failed earlier: %s" % _fixture["error"])
    if "prosody" not in _fixture:
        try:
            p = h.Prosody()
            p.start()
        except BaseException as e:
            _fixture["error"] = e
            raise
        _fixture["prosody"] = p
    p = _fixture["prosody"]
    p.start()       # no-op unless a test left it stopped
    return p


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.prosody = prosody()
        self.cleanups = []

    def tearDown(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception:
                pass

    def start_bridge(self, name, routes):
        b = h.Bridge(self.prosody, routes, name=name)
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

    def test_sigterm_exits_0_and_kills_running_handlers(self):
        pid_dir = os.path.join(self.prosody.dir, "sigterm-pids")
        os.makedirs(pid_dir, exist_ok=True)
        b = self.start_bridge("sigterm", [
            Route("sleepy", script("sleeper.sh"), timeout=60,
                  env=["PID_DIR=" + pid_dir, "SLEEP=50"])])
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
        proc = b.proc
        os.kill(proc.pid, 15)
        try:
            rc = proc.wait(10)
        except Exception:
            rc = None
        self.assertEqual(rc, 0, "exit status after SIGTERM:\n" + h.tail(b.log))
        self.assertTrue(h.wait_until(lambda: not h.pid_alive(pid)
                                     and not h.pid_alive(grandchild), 5),
                        "handler (%d) or its child (%d) survived shutdown"
                        % (pid, grandchild))

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
