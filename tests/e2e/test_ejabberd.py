# e2e: ejabberd as the second XMPP server (tests/e2e/ejabberd.py).
#
# Client mode: STARTTLS required, the harness CA as cafile, a SCRAM-only
# login (the ejabberd log names the mechanism), iqs answered with results
# and mapped errors, a message round trip, an untrusted CA refused.
# Component mode (XEP-0114): iqs on the component domain answered, errors
# mapped, and a wrong secret logged as the named stream error with
# ejabberd's text, the bridge reconnecting instead of exiting.

import os
import re
import unittest

import ejabberd as ej
import harness as h
from component import ComponentBridge
from harness import Route, script
from shared import body_text

NS_ECHO = "urn:xmpp-cgi:echo"
COMPONENT = ej.COMPONENT


def routes():
    st = script("status.sh")
    return [
        Route("echo", script("echo.sh")),
        Route("s404", st, env=["STATUS=404 Not Found", "BODY=no such thing"]),
        Route("s503", st, env=["STATUS=503 Busy", "BODY=come back later"]),
        Route("s403", st, env=["STATUS=403 Forbidden", "BODY=not you"]),
        Route("msgreply", st, message_replies="yes",
              env=["BODY=hello from ejabberd"]),
    ]


class Env:
    """One ejabberd, a client-mode and a component-mode bridge on it, and
    alice."""

    def __init__(self):
        self.server = ej.Ejabberd()
        self.server.start()
        self.bridge = h.Bridge(self.server, routes(), name="ej-client")
        self.bridge.start(timeout=30)
        self.component = ComponentBridge(self.server, routes(),
                                         name="ej-component",
                                         component=COMPONENT)
        self.component.start(timeout=30)
        self.alice = h.Client(self.server, "alice@localhost",
                              resource="ejabberd")

    def close(self):
        for what in ("alice", "component", "bridge"):
            x = getattr(self, what, None)
            if x is not None:
                (x.close if what == "alice" else x.stop)()
        self.server.close()


_env = {}


def setUpModule():
    why = ej.available()
    if why:
        raise unittest.SkipTest(why)
    try:
        _env["env"] = Env()
    except BaseException:
        env = _env.pop("env", None)
        if env:
            env.close()
        raise


def tearDownModule():
    env = _env.pop("env", None)
    if env:
        env.close()
    # Nothing of this module's ejabberd may survive it.
    assert not ej.running_nodes(), ej.running_nodes()


class EjabberdTest(unittest.TestCase):
    def setUp(self):
        self.env = _env["env"]
        self.alice = self.env.alice
        self.assertTrue(self.env.server.alive(), "ejabberd died:\n"
                        + h.tail(self.env.server.log))

    def assertResultFrom(self, r, frm):
        self.assertEqual((r.kind, r.type), ("iq", "result"), r.xml)
        self.assertEqual(r.frm, frm, r.xml)

    def assertError(self, r, cond, etype, text=None):
        """An iq error with `cond` of `etype` (and <text> `text` if given)."""
        self.assertEqual((r.kind, r.type), ("iq", "error"), r.xml)
        err = r.error()
        self.assertEqual(err[:2], (etype, cond), r.xml)
        if text is not None:
            self.assertEqual(err[2], text, r.xml)


class ClientMode(EjabberdTest):
    def to(self, route):
        return "bridge@localhost/" + route

    def test_routes_logged_in_with_scram_over_tls(self):
        # PLAIN is disabled on this server and passwords are stored as
        # SCRAM-SHA-256 hashes, so being online already means a SCRAM login;
        # ejabberd's log also names the mechanism and the TLS socket.
        log = self.env.server.read_log()
        names = [r.name for r in routes()]
        logins = re.findall(r"\(tls\|[^)]*\) Accepted c2s SCRAM-SHA-256 "
                            r"authentication for bridge@localhost ", log)
        self.assertGreaterEqual(len(logins), len(names), log)
        for route in names:
            self.assertRegex(log, r"\(tls\|[^)]*\) Opened c2s session for "
                             r"bridge@localhost/%s\n" % route)
        self.assertNotIn("PLAIN", log)

    def test_stream_management_is_on(self):
        # mod_stream_mgmt offers XEP-0198; every route enables it, resumable.
        log = self.env.bridge.read_log()
        for route in [r.name for r in routes()]:
            self.assertIn("route %s: stream management on, resumable" % route, log)
        r = self.alice.query(self.to("echo"))
        self.assertResultFrom(r, self.to("echo"))

    def test_large_stanzas_over_tls(self):
        # ejabberd sends up to 16 KiB per TLS record and libstrophe reads 4096 bytes
        # a call: once the socket is drained, the rest of a record sits decrypted in
        # OpenSSL where poll cannot see it, and must still reach the handler. Stream
        # management off: its <r/> after each stanza would wake the bridge anyway.
        bridge = h.Bridge(self.env.server, [Route("echo", script("echo.sh"))],
                          name="ej-nosm", jid="bob@localhost",
                          extra_xmpp={"stream_management": "no"})
        try:
            bridge.start(timeout=30)
            for size in (5000, 20000, 60000, 5000):
                r = self.alice.query("bob@localhost/echo", "<big xmlns='urn:e2e:big'>%s"
                                     "</big>" % ("x" * size), type="set", timeout=10)
                self.assertIsNotNone(r, "no answer to %d bytes" % size)
                self.assertResultFrom(r, "bob@localhost/echo")
                big = r.el.find("{%s}echo/{jabber:client}iq/{urn:e2e:big}big" % NS_ECHO)
                self.assertIsNotNone(big, r.xml[:300])
                self.assertEqual(big.text, "x" * size)
        finally:
            bridge.stop()

    def test_unknown_attributes_do_not_arrive(self):
        # ejabberd re-encodes the stanza: a data-* attribute the handler
        # would read (status.sh's data-status) is gone on the way.
        r = self.alice.query(self.to("s403"),
                             attrs={"data-status": "200 OK"})
        self.assertError(r, "forbidden", "auth", "not you")

    def test_iq_get_answered_with_result(self):
        r = self.alice.query(self.to("echo"), "<q xmlns='urn:e2e:ej'>é</q>")
        self.assertResultFrom(r, self.to("echo"))
        inner = r.el.find("{%s}echo/{%s}iq" % (NS_ECHO, h.NS_CLIENT))
        self.assertIsNotNone(inner, r.xml)
        self.assertEqual(inner.get("id"), r.id)
        self.assertEqual(inner.find("{urn:e2e:ej}q").text, "é")

    def test_iq_set_answered_with_result(self):
        r = self.alice.query(self.to("echo"), "<q xmlns='urn:e2e:ej'/>",
                             type="set")
        self.assertResultFrom(r, self.to("echo"))

    def test_status_codes_map_to_stanza_errors(self):
        self.assertError(self.alice.query(self.to("s404")),
                         "item-not-found", "cancel", "no such thing")
        self.assertError(self.alice.query(self.to("s503")),
                         "service-unavailable", "wait", "come back later")
        # (ejabberd re-encodes stanzas and drops unknown attributes, so the
        # data-* attributes status.sh can read never arrive: env only)
        self.assertError(self.alice.query(self.to("s403")),
                         "forbidden", "auth", "not you")

    def test_message_round_trip(self):
        r = self.alice.chat(self.to("msgreply"), "hi", "ejmsg")
        self.assertIsNotNone(r, "no chat reply:\n" + h.tail(
            self.env.bridge.log))
        self.assertEqual((r.kind, r.type), ("message", "chat"), r.xml)
        self.assertEqual(body_text(r), "hello from ejabberd", r.xml)
        self.assertEqual(r.el.get("to"), self.alice.jid)

    def test_untrusted_certificate_is_refused(self):
        # A cafile holding another CA: ejabberd's certificate must fail,
        # so TLS really is verified against the cafile.
        other = os.path.join(self.env.server.dir, "other-ca")
        os.makedirs(other)
        h.make_certs(other)
        b = h.Bridge(self.env.server, [Route("echo", script("echo.sh"))],
                     name="ej-untrusted")
        self.addCleanup(b.stop)
        b.edit_config(lambda cfg: cfg.replace(
            "cafile = " + self.env.server.ca,
            "cafile = " + os.path.join(other, "ca.pem")))
        b.launch()
        self.assertTrue(b.wait_log("certificate is not trusted", 20),
                        h.tail(b.log))
        self.assertTrue(b.wait_log("reconnecting in", 10), h.tail(b.log))
        # the disconnect names OpenSSL's reason, not a bare number
        self.assertIn("route echo: disconnected: TLS failure: certificate "
                      "verify failed", b.read_log())
        self.assertNotIn("online as", b.read_log())
        self.assertTrue(b.alive())


class ComponentMode(EjabberdTest):
    def test_iq_on_the_component_domain(self):
        for to in ("echo@" + COMPONENT, COMPONENT + "/echo"):
            with self.subTest(to=to):
                r = self.alice.query(to, "<q xmlns='urn:e2e:ej'/>")
                self.assertResultFrom(r, to)
                inner = r.el.find("{%s}echo/{%s}iq" % (NS_ECHO, h.NS_CLIENT))
                self.assertIsNotNone(inner, r.xml)
                self.assertEqual(inner.get("to"), to)

    def test_component_errors_are_mapped(self):
        self.assertError(self.alice.query("s404@" + COMPONENT),
                         "item-not-found", "cancel", "no such thing")
        self.assertError(self.alice.query("nosuchroute@" + COMPONENT),
                         "item-not-found", "cancel")

    def test_second_component_connection_is_accepted(self):
        # Unlike Prosody (conflict), ejabberd takes a second connection of
        # the component and shares the domain's traffic between them.
        b = ComponentBridge(self.env.server, routes(), name="ej-second",
                            component=COMPONENT)
        self.addCleanup(b.stop)
        b.start(timeout=30)
        for _ in range(6):
            r = self.alice.query("echo@" + COMPONENT)
            self.assertResultFrom(r, "echo@" + COMPONENT)
        self.assertNotIn("disconnected", b.read_log())
        self.assertNotIn("disconnected", self.env.component.read_log())

    def test_wrong_secret_logs_the_named_stream_error(self):
        b = ComponentBridge(self.env.server, [Route("echo",
                                                    script("echo.sh"))],
                            name="ej-badsecret", component=COMPONENT,
                            secret="not-the-secret")
        self.addCleanup(b.stop)
        b.launch()
        self.assertTrue(b.wait_log("reconnecting in", 20), h.tail(b.log))
        log = b.read_log()
        self.assertRegex(log, r"xmpp-cgi: warning: component %s: "
                         r"disconnected: stream error not-authorized"
                         % re.escape(COMPONENT))
        self.assertNotRegex(log, r"stream error \d")
        self.assertNotIn("online as", log)
        self.assertTrue(b.alive(), "bridge exited on a refused handshake")
        # the first bridge was never disturbed
        r = self.alice.query("echo@" + COMPONENT)
        self.assertResultFrom(r, "echo@" + COMPONENT)


class DefaultPasswordFormat(unittest.TestCase):
    """ejabberd's defaults (plain storage, PLAIN offered too): the bridge
    still picks SCRAM."""

    def test_bridge_prefers_scram_to_plain(self):
        server = ej.Ejabberd(users=[("bridge", ej.DOMAIN)], scram_only=False)
        self.addCleanup(server.close)
        server.start()
        b = h.Bridge(server, [Route("echo", script("echo.sh"))],
                     name="ej-default")
        self.addCleanup(b.stop)
        b.start(timeout=30)
        ok = h.wait_until(lambda: "Opened c2s session for bridge@localhost/"
                          "echo" in server.read_log(), 10)
        log = server.read_log()
        self.assertTrue(ok, log)
        self.assertRegex(log, r"\(tls\|[^)]*\) Accepted c2s SCRAM-SHA-"
                         r"(1|256|512) authentication for bridge@localhost ")
        self.assertNotIn("Accepted c2s PLAIN", log)


if __name__ == "__main__":
    unittest.main()
