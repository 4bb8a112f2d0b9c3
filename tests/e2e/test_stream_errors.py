# e2e: stream errors from Prosody are logged by name, with Prosody's text,
# in component and client mode (ejabberd's wrong secret: test_ejabberd.py),
# and a closed socket by its errno name.
# A private Prosody: these tests make it refuse, replace and shut down
# sessions.  Each log line must name the RFC 6120 condition, never just
# libstrophe's number.

import re
import unittest

import harness as h
from component import COMPONENT, ComponentBridge, start_prosody
from harness import Route, script

NUMBER = re.compile(r"stream error \d")


class ProsodyStreamErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prosody = h.Prosody()
        try:
            start_prosody(cls.prosody)
        except BaseException:
            cls.prosody.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.prosody.stop()

    def setUp(self):
        start_prosody(self.prosody)    # a test may have stopped it

    def component(self, name, **kw):
        b = ComponentBridge(self.prosody, [Route("echo", script("echo.sh"))],
                            name=name, **kw)
        self.addCleanup(b.stop)
        return b

    def assertNamed(self, bridge, since, pattern):
        """The bridge logs `pattern` (a regex) after offset `since`, and no
        stream error as a bare number."""
        ok = h.wait_until(lambda: re.search(pattern, bridge.read_log(since)),
                          20, 0.1)
        log = bridge.read_log(since)
        self.assertTrue(ok, "no %r in the log:\n%s" % (pattern, log))
        self.assertNotRegex(log, NUMBER)
        self.assertTrue(bridge.alive(), "bridge exited:\n" + log)

    def test_wrong_component_secret(self):
        b = self.component("ps-badsecret", secret="not-the-secret")
        b.launch()
        self.assertNamed(b, 0, r"component %s: disconnected: stream error "
                         r"not-authorized" % re.escape(COMPONENT))

    def test_second_component_gets_conflict(self):
        first = self.component("ps-first")
        first.start()
        second = self.component("ps-second")
        second.launch()
        self.assertNamed(second, 0, r"component %s: disconnected: stream "
                         r"error conflict" % re.escape(COMPONENT))
        self.assertNotIn("online as", second.read_log())

    def test_second_component_takes_over_when_the_first_stops(self):
        # Prosody's answer to several instances: a standby (xmpp-cgi(8),
        # SEVERAL INSTANCES).
        first = self.component("ps-active")
        first.start()
        second = self.component("ps-standby")
        second.launch()
        self.assertNamed(second, 0, r"stream error conflict")
        self.assertEqual(first.stop(), 0)
        second.wait_online(timeout=40)

    def test_replaced_client_session_gets_conflict_with_text(self):
        route = [Route("echo", script("echo.sh"))]
        first = h.Bridge(self.prosody, route, name="ps-replaced")
        self.addCleanup(first.stop)
        first.start()
        since = first.log_size()
        # The same full JID logs in again: Prosody closes the older stream
        # with <conflict/> and a text of its own.
        second = h.Bridge(self.prosody, route, name="ps-replacing")
        self.addCleanup(second.stop)
        second.launch()
        self.assertNamed(first, since, r"route echo: disconnected: stream "
                         r"error conflict: \"[^\"]+\"")
        second.stop()

    def test_shutdown_is_named_in_both_modes(self):
        client = h.Bridge(self.prosody, [Route("echo", script("echo.sh"))],
                          name="ps-shutdown-client")
        self.addCleanup(client.stop)
        client.start()
        comp = self.component("ps-shutdown-component")
        comp.start()
        c_since, k_since = client.log_size(), comp.log_size()
        self.prosody.stop()
        # Client streams get <system-shutdown/> with Prosody's text ...
        self.assertNamed(client, c_since,
                         r"route echo: disconnected: stream error "
                         r"system-shutdown: \"Received SIGTERM\"")
        # ... component streams are just closed: the socket error is named
        # (libstrophe reports the closed socket as ECONNRESET).
        self.assertNamed(comp, k_since,
                         r"component %s: disconnected: Connection reset by "
                         r"peer \(ECONNRESET\)" % re.escape(COMPONENT))

if __name__ == "__main__":
    unittest.main()
