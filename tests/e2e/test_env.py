# e2e: what a handler receives - the CGI/1.1 environment (built from
# scratch, no leaks), stdin as a standalone XML document, only fds 0-2, a
# clean signal mask and default dispositions.

import os
import unittest
import xml.etree.ElementTree as ET

import harness as h
from shared import BridgeTest

BASE_NAMES = {
    "PATH", "GATEWAY_INTERFACE", "SERVER_PROTOCOL", "SERVER_SOFTWARE",
    "SERVER_NAME", "SERVER_PORT", "REQUEST_METHOD", "CONTENT_TYPE",
    "CONTENT_LENGTH", "PATH_INFO", "SCRIPT_NAME", "SCRIPT_FILENAME",
    "QUERY_STRING", "REMOTE_USER", "AUTH_TYPE", "REMOTE_ADDR", "XMPP_STANZA",
    "XMPP_ROUTE",
    # what web servers add and frameworks rely on
    "REQUEST_URI", "DOCUMENT_URI", "DOCUMENT_ROOT", "HTTP_HOST",
    "REQUEST_SCHEME", "REDIRECT_STATUS",
}
ROUTE_ENV = {"DUMP_DIR", "GREETING", "EMPTY_ONE"}
XML_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class Environment(BridgeTest):
    def dump(self, xml, id):
        """Send `xml` to the env route and return (env dict, stdin bytes,
        base path of the dump files)."""
        base = os.path.join(self.env.work, "dump", id)
        if xml.startswith("<iq"):
            self.assertResult(self.alice.request(xml, id))
        else:
            self.alice.send_raw(xml)
        self.wait_file(base + ".stdin")
        with open(base + ".env", "rb") as f:
            raw = f.read()
        env = {}
        for item in raw.split(b"\0"):
            if item:
                k, _, v = item.decode().partition("=")
                self.assertNotIn(k, env, "variable %s twice" % k)
                env[k] = v
        with open(base + ".stdin", "rb") as f:
            stdin = f.read()
        return env, stdin, base

    def iq_env(self, attrs=None, payload="<q xmlns='urn:e2e:q'>é€ &amp; x</q>"):
        id, xml = self.alice.iq(self.to("env"), payload, attrs=attrs)
        env, stdin, base = self.dump(xml, id)
        return id, env, stdin, base

    def test_cgi_variables(self):
        id, env, stdin, _ = self.iq_env(
            {"data-x": "ex", "xml:lang": "de"})
        expect = {
            "GATEWAY_INTERFACE": "CGI/1.1",
            # an HTTP version, as frameworks demand; XMPP_STANZA says XMPP
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": "POST",
            "CONTENT_TYPE": "application/xml",
            "CONTENT_LENGTH": str(len(stdin)),
            "PATH_INFO": "/env",
            "SCRIPT_NAME": "",
            "SCRIPT_FILENAME": h.script("dump.sh"),
            "QUERY_STRING": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": str(self.env.prosody.c2s_port),
            "REMOTE_USER": "alice@localhost",
            "AUTH_TYPE": "XMPP",
            "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_URI": "/env",
            "DOCUMENT_URI": "/env",
            "DOCUMENT_ROOT": os.path.dirname(h.script("dump.sh")),
            "HTTP_HOST": "localhost",
            "REQUEST_SCHEME": "http",
            "REDIRECT_STATUS": "200",
            "XMPP_STANZA": "iq",
            "XMPP_ROUTE": "env",
            "XMPP_STANZA_ID": id,
            "XMPP_STANZA_TYPE": "get",
            "XMPP_STANZA_FROM": self.alice.jid,
            "XMPP_STANZA_TO": self.to("env"),
            "XMPP_STANZA_DATA_X": "ex",
            "XMPP_STANZA_XML_LANG": "de",
            "GREETING": "hello world",
            "EMPTY_ONE": "",
        }
        for k, v in expect.items():
            with self.subTest(variable=k):
                self.assertIn(k, env)
                self.assertEqual(env[k], v)
        v = h.version() or r"\S+"
        self.assertRegex(env.get("SERVER_SOFTWARE", ""), r"^xmpp-cgi/%s$" % v)
        self.assertEqual(env.get("PATH"), self.env.bridge.env()["PATH"])

    def test_one_variable_per_stanza_attribute(self):
        _, env, stdin, _ = self.iq_env({"data-x": "1", "Odd.Name": "2"})
        root = ET.fromstring(stdin)
        want = {}
        for name, value in root.attrib.items():
            name = name.replace("{http://www.w3.org/XML/1998/namespace}",
                                "xml:")
            mapped = "XMPP_STANZA_" + "".join(
                c if c.isascii() and c.isalnum() else "_" for c in name.upper())
            want[mapped] = value
        got = {k: v for k, v in env.items() if k.startswith("XMPP_STANZA_")}
        self.assertEqual(got, want)

    def test_nothing_leaks_from_the_daemon(self):
        _, env, _, _ = self.iq_env()
        for k in ("XMPP_CGI_CANARY", "HOME", "USER", "LANG", "TERM",
                  "HTTP_PROXY", "PWD", "SHELL"):
            with self.subTest(variable=k):
                self.assertNotIn(k, env)
        self.assertNotIn(h.CANARY, "".join(env.values()))
        extra = {k for k in env if k not in BASE_NAMES | ROUTE_ENV
                 and not k.startswith("XMPP_STANZA_")}
        self.assertEqual(extra, set(), "unexpected variables")

    def test_stdin_is_a_standalone_xml_document(self):
        id, env, stdin, _ = self.iq_env()
        self.assertTrue(stdin.startswith(XML_DECL), stdin[:80])
        self.assertEqual(int(env["CONTENT_LENGTH"]), len(stdin))
        root = ET.fromstring(stdin)
        self.assertEqual(root.tag, "{jabber:client}iq")
        self.assertEqual(root.get("id"), id)
        self.assertEqual(root.get("from"), self.alice.jid)
        q = root.find("{urn:e2e:q}q")
        self.assertIsNotNone(q, stdin)
        self.assertEqual(q.text, "é€ & x")

    def test_attribute_name_collisions(self):
        # data-x < data_x in byte order: data-x gets the plain name.
        _, env, _, _ = self.iq_env({"data-x": "dash", "data_x": "underscore"})
        self.assertEqual(env.get("XMPP_STANZA_DATA_X"), "dash")
        self.assertEqual(env.get("XMPP_STANZA_DATA_X_2"), "underscore")

    def test_message_variables(self):
        id = self.alice.new_id("msg")
        env, stdin, _ = self.dump(
            "<message to='%s' id='%s' type='chat'><body>hé</body></message>"
            % (self.to("env"), id), id)
        self.assertEqual(env.get("XMPP_STANZA"), "message")
        self.assertEqual(env.get("XMPP_STANZA_TYPE"), "chat")
        self.assertEqual(env.get("REMOTE_USER"), "alice@localhost")
        self.assertEqual(int(env["CONTENT_LENGTH"]), len(stdin))
        root = ET.fromstring(stdin)
        self.assertEqual(root.tag, "{jabber:client}message")
        self.assertEqual(root.find("{jabber:client}body").text, "hé")

    def test_presence_variables(self):
        id = self.alice.new_id("pres")
        env, stdin, _ = self.dump("<presence to='%s' id='%s'/>"
                                  % (self.to("env"), id), id)
        self.assertEqual(env.get("XMPP_STANZA"), "presence")
        self.assertNotIn("XMPP_STANZA_TYPE", env)
        self.assertEqual(ET.fromstring(stdin).tag, "{jabber:client}presence")

    def test_only_fds_0_1_2_are_open(self):
        _, _, _, base = self.iq_env()
        fds = set()
        with open(base + ".fds") as f:
            for line in f:
                if " -> " not in line:
                    continue
                name, target = line.split(" -> ", 1)
                if target.startswith("/proc/"):
                    continue          # ls's own directory handle
                fds.add((int(name.split()[-1]), target.strip()))
        self.assertEqual({fd for fd, _ in fds}, {0, 1, 2},
                         "open descriptors: %s" % sorted(fds))

    def test_clean_signal_mask_and_dispositions(self):
        _, _, _, base = self.iq_env()
        with open(base + ".status") as f:
            st = dict(l.split(":", 1) for l in f if ":" in l)
        self.assertEqual(int(st["SigBlk"].strip(), 16), 0, "blocked signals")
        self.assertEqual(int(st["SigIgn"].strip(), 16), 0, "ignored signals")


if __name__ == "__main__":
    unittest.main()
