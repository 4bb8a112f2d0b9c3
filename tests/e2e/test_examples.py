# e2e: the example handlers in cgi-examples/ behind a real bridge (a second
# bridge on the shared Prosody, routes ex-*), and the sample configuration
# cgi-examples/xmpp-cgi.conf.example passing --check.

import os
import re
import unittest

import harness as h
import shared
from shared import body_text

SOAP = "http://www.w3.org/2003/05/soap-envelope"
CALC = "urn:xmpp-cgi:calc"
EXAMPLES = {"ex-echo": "echo", "ex-env": "env", "ex-hello": "hello",
            "ex-time": "time", "ex-calc": "soap-calc"}

def make_bridge(env):
    """The examples bridge, on the shared Prosody (None without examples)."""
    routes = []
    for name, stem in EXAMPLES.items():
        path = h.example(stem)
        if path:
            opts = {"message_replies": "yes"} if name == "ex-hello" else {}
            routes.append(h.Route(name, path, env=["GREETING=hi"], **opts))
    b = None
    if routes:
        b = h.Bridge(env.prosody, routes, name="examples")
        b.start()
    return b


bridge = shared.ModuleBridge(make_bridge, "examples bridge").get


class Examples(shared.BridgeTest):
    def setUp(self):
        super().setUp()
        self.examples = bridge()

    def need(self, route):
        if not h.example(EXAMPLES[route]):
            self.skipTest("cgi-examples/%s.* not there" % EXAMPLES[route])
        return "bridge@localhost/" + route

    def test_echo(self):
        to = self.need("ex-echo")
        self.assertPingEchoed(self.alice.query(to, shared.PING))

    def test_env(self):
        to = self.need("ex-env")
        r = self.alice.query(to)
        self.assertResult(r)
        lines = (body_text(r) or "").splitlines()
        for want in ("GATEWAY_INTERFACE=CGI/1.1", "PATH_INFO=/ex-env",
                     "REMOTE_USER=alice@localhost", "XMPP_STANZA=iq",
                     "GREETING=hi"):
            self.assertIn(want, lines, r.xml)
        self.assertNotIn("XMPP_CGI_CANARY=" + h.CANARY, lines)

    def test_hello_iq_and_message(self):
        to = self.need("ex-hello")
        r = self.alice.query(to)
        self.assertResult(r)
        self.assertEqual(body_text(r), "Hello, alice@localhost!")
        r = self.alice.chat(to, "hi there", "hello")
        self.assertIsNotNone(r, "no chat reply from hello")
        self.assertEqual(r.type, "chat", r.xml)
        self.assertEqual(body_text(r),
                         "Hello, alice@localhost! You said: hi there")

    def test_time(self):
        to = self.need("ex-time")
        r = self.alice.query(to, "<time xmlns='urn:xmpp:time'/>")
        self.assertResult(r)
        utc = r.el.find("{urn:xmpp:time}time/{urn:xmpp:time}utc")
        self.assertIsNotNone(utc, r.xml)
        self.assertRegex(utc.text, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def calc(self, op, a, b):
        to = self.need("ex-calc")
        return self.alice.query(
            to, "<env:Envelope xmlns:env='%s'><env:Body><%s xmlns='%s'>"
            "<a>%s</a><b>%s</b></%s></env:Body></env:Envelope>"
            % (SOAP, op, CALC, a, b, op), type="set")

    def test_calc(self):
        r = self.calc("add", "1.5", "2")
        self.assertResult(r)
        res = r.el.find("{%s}Envelope/{%s}Body/{%s}addResponse/{%s}result"
                        % (SOAP, SOAP, CALC, CALC))
        self.assertIsNotNone(res, r.xml)
        self.assertEqual(res.text, "3.5")

    def test_calc_fault_is_an_error(self):
        # XEP-0072 section 7: the Fault envelope travels in the iq error, with
        # undefined-condition and the fault code in the soap#fault namespace.
        r = self.calc("div", "1", "0")
        self.assertError(r, "undefined-condition", "modify")
        self.assertIn('<Sender xmlns="http://jabber.org/protocol/soap#fault"', r.xml)
        self.assertIn("http://www.w3.org/2003/05/soap-envelope", r.xml)
        self.assertIn("division by zero", r.xml)


class SampleConfig(unittest.TestCase):
    def test_sample_config_passes_check(self):
        src = os.path.join(h.EXAMPLES, "xmpp-cgi.conf.example")
        if not os.path.exists(src):
            self.fail("cgi-examples/xmpp-cgi.conf.example is missing")
        d = h.make_tempdir("xmpp-cgi-sample-")
        with open(src) as f:
            text = re.sub(r"/usr/local/lib/xmpp-cgi/examples", h.EXAMPLES,
                          f.read())
        cfg = os.path.join(d, "xmpp-cgi.conf")
        with open(cfg, "w") as f:
            f.write(text)
        r = h.run_bridge(["--check", "-c", cfg])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("is ok", r.stderr)


if __name__ == "__main__":
    unittest.main()
