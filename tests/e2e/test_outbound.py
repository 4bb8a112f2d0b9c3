# e2e: nothing a handler, a sender or the config writes can kill the stream
# (issue 10, holes 5 to 9).  A bridge of its own ("outbound", routes ob-*,
# with a control socket) on the shared Prosody:
#   - a handler printing XML that libxml2 takes but servers refuse (unbound
#     prefix, "a:", attributes equal after namespace expansion, an XML 1.0
#     fifth-edition name character) gets internal-server-error, the route's
#     stream stays up (no reconnect in the log) and the next request answers;
#   - a reply that passes the body parser but not the final check in the
#     send path (129 levels under <iq>) still gets exactly one answer;
#   - a handler's xmpp: Location that is not a valid JID is not passed on;
#   - control `stanza` payloads with a comment or processing instruction, and
#     a TO with a control character, invalid UTF-8 or a fullwidth '@', are
#     refused (bad-xml / bad-to) and the stream stays up;
#   - a stanza 200 levels deep is refused with bad-request, and one 100,000
#     levels deep given to --once is answered with an error, without a crash;
#   - xml:lang inside an attribute value leaves the stdin document's real
#     xml:lang alone;
#   - a description in Latin-1 or with a control character fails --check with
#     FILE:LINE.

import os
import shutil
import socket
import tempfile
import unittest
import xml.etree.ElementTree as ET

import harness as h
import shared
from harness import Route, script

XML_NS = "{http://www.w3.org/XML/1998/namespace}"


def make_bridge(env):
    """The outbound bridge, on the shared Prosody."""
    dump = os.path.join(env.work, "ob-dump")
    os.makedirs(dump, exist_ok=True)
    b = h.Bridge(env.prosody, [
        Route("ob-xml", script("status.sh"),
              env=["CTYPE=application/xml"]),
        Route("ob-env", script("dump.sh"), env=["DUMP_DIR=" + dump]),
    ], name="outbound")
    b.dump = dump
    b.socket = os.path.join(b.dir, "control")
    with open(b.cfg, "a") as f:
        f.write("[control]\nsocket = %s\n" % b.socket)
    b.start()
    return b


_bridge = shared.ModuleBridge(make_bridge, "outbound bridge")
bridge = _bridge.get
tearDownModule = _bridge.close


class Outbound(shared.BridgeTest):
    def setUp(self):
        super().setUp()
        self.ob = bridge()
        self.assertTrue(self.ob.alive(),
                        "outbound bridge died:\n" + h.tail(self.ob.log))
        self.since = self.ob.log_size()

    def to(self, route):
        return "bridge@localhost/" + route

    def assertStreamUp(self):
        """No reconnect since the test began, and the ob-xml route still
        answers a good request."""
        r = self.alice.query(self.to("ob-xml"),
                             attrs={"data-body": "<ok xmlns='urn:e2e:ok'/>"})
        self.assertResult(r)
        self.assertIsNotNone(r.el.find("{urn:e2e:ok}ok"), r.xml)
        log = self.ob.read_log(self.since)
        self.assertNotIn("reconnecting", log)
        self.assertNotIn("stream error", log.lower())
        self.assertTrue(self.ob.alive())

    # -- hole 5: handler XML that servers refuse --------------------------

    def check_handler_xml(self, body):
        r = self.alice.query(self.to("ob-xml"), attrs={"data-body": body},
                             timeout=10)
        self.assertError(r, "internal-server-error", "cancel")
        self.assertIn("namespace" if ":" in body else "well-formed",
                      r.error()[2] or "", r.xml)
        self.assertStreamUp()

    def test_unbound_prefix(self):
        self.check_handler_xml("<a:b/>")

    def test_empty_local_name(self):
        self.check_handler_xml("<a:/>")

    def test_attributes_equal_after_expansion(self):
        self.check_handler_xml(
            "<a xmlns:p='urn:u' xmlns:q='urn:u' p:x='1' q:x='2'/>")

    def test_fifth_edition_name_character(self):
        self.check_handler_xml("<a\u2070/>")

    def test_reply_failing_only_the_final_check(self):
        # 128 levels pass the body parser; under <iq> they are 129: the check
        # in the send path refuses the result, and the iq still gets one answer.
        depth = 128
        id, xml = self.alice.iq(self.to("ob-xml"), attrs={
            "data-body": "<a>" * depth + "</a>" * depth})
        r = self.alice.request(xml, id, timeout=10)
        after = self.alice.mark()
        self.assertError(r, "internal-server-error", "cancel",
                         "the reply was not XML a server accepts")
        self.assertTrue(self.ob.wait_log("stanza not sent", 5, self.since))
        self.assertNoReply(self.alice, [id], wait=1, since=after)
        self.assertEqual(len(self.alice.replies(id)), 1)
        self.assertStreamUp()

    def test_location_that_is_not_a_jid(self):
        r = self.alice.query(self.to("ob-xml"), attrs={
            "data-status": "302 Found", "data-ctype": "none",
            "data-location": "xmpp:bob\uff20evil.localhost"})
        self.assertError(r, "undefined-condition", "cancel")
        self.assertNotIn("\uff20", r.xml)
        self.assertStreamUp()

    # -- hole 9: depth ----------------------------------------------------

    def test_deep_stanza_refused(self):
        depth = 200
        id, xml = self.alice.iq(self.to("ob-xml"),
                                "<a>" * depth + "</a>" * depth)
        r = self.alice.request(xml, id, timeout=10)
        self.assertError(r, "bad-request", "modify")
        self.assertIn("deeper", r.error()[2] or "", r.xml)
        self.assertStreamUp()

    # -- hole 8: xml:lang -------------------------------------------------

    def test_xml_lang_in_attribute_value(self):
        id = h.Client.new_id("lang")
        xml = ("<iq type='get' id='%s' to='%s' xml:lang='de' "
               "data-note='a xml:lang b'><q xmlns='urn:e2e:q'/></iq>"
               % (id, self.to("ob-env")))
        self.assertResult(self.alice.request(xml, id))
        base = os.path.join(self.ob.dump, id)
        self.wait_file(base + ".stdin")
        with open(base + ".stdin", "rb") as f:
            root = ET.fromstring(f.read())
        with open(base + ".env", "rb") as f:
            env = dict(i.decode().partition("=")[::2]
                       for i in f.read().split(b"\0") if i)
        self.assertEqual(root.get(XML_NS + "lang"), "de", ET.tostring(root))
        self.assertEqual(env.get("XMPP_STANZA_XML_LANG"), "de")
        self.assertEqual(root.get("data-note"), "a xml:lang b")

    # -- hole 6: the control socket ---------------------------------------

    def control(self, line, payload):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.ob.socket)
        try:
            s.sendall(line + b" %d\n" % len(payload) + payload)
            buf = b""
            while not buf.endswith(b"\n"):
                c = s.recv(1)
                if not c:
                    break
                buf += c
            return buf.decode(errors="replace").strip()
        finally:
            s.close()

    def check_control_refused(self, line, payload, code):
        got = self.control(line, payload)
        self.assertTrue(got.startswith("fail %s " % code), got)
        self.assertTrue(self.ob.wait_log("control: route ob-xml: stanza "
                                         "refused (%s)" % code, 5, self.since))
        self.assertStreamUp()
        # a good stanza still goes out on the same route
        since = self.alice.mark()
        body = h.Client.new_id("after")
        got = self.control(b"message ob-xml alice@localhost",
                           body.encode())
        self.assertEqual(got, "ok sent")
        self.assertIsNotNone(self.alice.wait_for(
            lambda s: s.kind == "message" and body in s.xml, 10, since))

    def test_control_comment_refused(self):
        self.check_control_refused(
            b"stanza ob-xml alice@localhost",
            b"<message><!-- hi --><body>x</body></message>", "bad-xml")

    def test_control_processing_instruction_refused(self):
        self.check_control_refused(
            b"stanza ob-xml alice@localhost",
            b"<message><?pi x?><body>x</body></message>", "bad-xml")

    def test_control_unbound_prefix_refused(self):
        self.check_control_refused(
            b"stanza ob-xml alice@localhost",
            b"<message><x:body>x</x:body></message>", "bad-xml")

    def test_control_to_with_control_character(self):
        self.check_control_refused(b"message ob-xml alice@local\x01host",
                                   b"hi", "bad-to")

    def test_control_to_with_invalid_utf8(self):
        self.check_control_refused(b"message ob-xml alice@localhost/\xff",
                                   b"hi", "bad-to")

    def test_control_to_rewritten_by_nfkc(self):
        # U+FF20 FULLWIDTH COMMERCIAL AT: NFKC makes it "@"
        self.check_control_refused(
            b"message ob-xml eve\xef\xbc\xa0localhost", b"hi", "bad-to")


class WithoutServer(unittest.TestCase):
    """--check and --once: no Prosody needed."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="xmpp-cgi-outbound-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, extra):
        path = os.path.join(self.dir, "x.conf")
        with open(path, "wb") as f:
            f.write(b"[xmpp]\njid = bridge@localhost\npassword = pw\n\n"
                    b"[route \"echo\"]\ncgi = " + script("echo.sh").encode()
                    + b"\n" + extra + b"\n" + h.DAEMON_SECTION.encode())
        return path

    def run_bridge(self, args, stdin=None):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        return h.run_bridge(args, stdin=stdin, env=env, timeout=60)

    def check_description(self, value):
        cfg = self.write(b"description = " + value + b"\n")
        r = self.run_bridge(["--check", "-c", cfg])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("xmpp-cgi: %s:7: description has" % cfg, r.stderr)

    def test_description_in_latin1(self):
        self.check_description(b"Caf\xe9 service")

    def test_description_with_control_character(self):
        self.check_description(b"bell\x07 service")

    def test_description_in_utf8_is_fine(self):
        cfg = self.write(b"description = Caf\xc3\xa9 service\n")
        r = self.run_bridge(["--check", "-c", cfg])
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_once_100000_levels_deep(self):
        depth = 100000
        stanza = ("<iq type='get' id='deep' from='alice@localhost/x' "
                  "to='bridge@localhost/echo'>" + "<a>" * depth
                  + "</a>" * depth + "</iq>")
        r = self.run_bridge(["-c", self.write(b""), "--once", "echo"],
                            stdin=stanza)
        self.assertEqual(r.returncode, 0, "exit %d: %s"
                         % (r.returncode, r.stderr[-2000:]))
        el = ET.fromstring(r.stdout)
        self.assertEqual((el.tag, el.get("type"), el.get("id")),
                         ("iq", "error", "deep"), r.stdout)
        cond = el.find("error/{urn:ietf:params:xml:ns:xmpp-stanzas}"
                       "bad-request")
        self.assertIsNotNone(cond, r.stdout)


if __name__ == "__main__":
    unittest.main()
