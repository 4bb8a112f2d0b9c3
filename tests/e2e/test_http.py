# e2e: HTTP over XMPP (XEP-0332) and SOAP over XMPP (XEP-0072) on the
# component bridge (and its client-mode twin) of component.py.
#
# GET/POST/PUT/DELETE with text bodies go through slixmpp's own xep_0332
# plugin (1.8.3: it sends <request> and gets <response>, carries <text>
# data only, and its Headers parser breaks on repeated header names); XML
# and base64 bodies, repeated and special request headers and malformed
# requests are raw stanzas with the <req>/<resp> names of the XEP.
# The handler is scripts/http.sh (an echo of the request as text, or of its
# body with a chosen Content-Type) and cgi-examples/env.sh.

import base64
import unittest
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import component as c
import harness as h
from component import COMPONENT, NS_HTTP, NS_SHIM
from shared import env_vars

HTTP = "http@" + COMPONENT


tearDownModule = c.shutdown


def parse_listing(text):
    """http.sh's text answer -> (dict of NAME=value lines, stdin)."""
    head, sep, stdin = (text or "").partition("\nstdin=")
    if not sep and text and text.startswith("stdin="):
        head, stdin = "", text[len("stdin="):]
    return env_vars(head), stdin


def req_xml(method, resource, headers=(), data=None, name="req",
            version="1.1"):
    """A raw XEP-0332 request element.  headers: (name, value) pairs; data:
    the inner XML of <data> (None: no <data>)."""
    hs = "".join("<header name=%s>%s</header>" % (quoteattr(n), escape(v))
                 for n, v in headers)
    attrs = ""
    if method is not None:
        attrs += " method=%s" % quoteattr(method)
    if resource is not None:
        attrs += " resource=%s" % quoteattr(resource)
    if version is not None:
        attrs += " version=%s" % quoteattr(version)
    body = "" if data is None else "<data>%s</data>" % data
    return "<%s xmlns='%s'%s><headers xmlns='%s'>%s</headers>%s</%s>" % (
        name, NS_HTTP, attrs, NS_SHIM, hs, body, name)


class Resp:
    """The <resp>/<response> of a raw reply."""

    def __init__(self, reply, name="resp"):
        self.reply = reply
        self.el = reply.el.find("{%s}%s" % (NS_HTTP, name))
        if self.el is None:
            raise AssertionError("no <%s xmlns='%s'> in %s"
                                 % (name, NS_HTTP, reply.xml))
        self.code = int(self.el.get("statusCode"))
        self.message = self.el.get("statusMessage")
        self.version = self.el.get("version")
        hs = self.el.find("{%s}headers" % NS_SHIM)
        self.headers = [(x.get("name"), x.text or "") for x in
                        (hs if hs is not None else [])]
        self.data = self.el.find("{%s}data" % NS_HTTP)

    def header(self, name):
        vals = [v for n, v in self.headers if n.lower() == name.lower()]
        return vals[0] if len(vals) == 1 else vals or None

    def body(self, kind):
        """The <data> child of that kind (text, xml, base64), or None."""
        if self.data is None:
            return None
        return self.data.find("{%s}%s" % (NS_HTTP, kind))


class HttpTest(c.EnvTest):
    def http(self, to, method, resource, headers=None, data=None, timeout=10):
        """slixmpp's xep_0332 send_request; the result or the error iq."""
        return c.call(self.alice, lambda: self.xmpp["xep_0332"].send_request(
            to=to, method=method, resource=resource, headers=headers or {},
            data=data, timeout=timeout), timeout + 5)

    def raw(self, to, method, resource, headers=(), data=None, **kw):
        r = self.alice.query(to, req_xml(method, resource, headers, data,
                                         **kw), type="set")
        self.assertEqual(r.frm, to, r.xml)
        return r

    def assertResponse(self, r, code=200, message="OK", frm=HTTP):
        """r is a slixmpp result iq holding <response> with that status."""
        self.assertEqual(r["type"], "result", r)
        self.assertEqual(str(r["from"]), frm, r)
        resp = r["http-resp"]
        self.assertEqual((resp["code"], resp["message"]), (code, message), r)
        self.assertEqual(r.xml.find("{%s}response" % NS_HTTP).get("version"),
                         "1.1", r)
        return resp

    def assertStanzaError(self, r, cond, etype):
        self.assertEqual(r.type, "error", r.xml)
        err = r.error()
        self.assertEqual((err[1], err[0]), (cond, etype), r.xml)


class HttpPlugin(HttpTest):
    """Requests sent by slixmpp's own XEP-0332 plugin."""

    def test_get_with_query_and_headers(self):
        r = self.http(HTTP, "GET", "/items/7?x=1&y=%20z",
                      headers={"X-Token": "abc", "Accept": "text/plain"})
        resp = self.assertResponse(r)
        vals, stdin = parse_listing(resp["data"])
        self.assertEqual(vals["method"], "GET")
        self.assertEqual(vals["path"], "/http/items/7")
        self.assertEqual(vals["query"], "x=1&y=%20z")
        self.assertEqual(vals["length"], "0")
        self.assertEqual(vals["proto"], "HTTP/1.1")
        self.assertEqual(vals["HTTP_X_TOKEN"], "abc")
        self.assertEqual(stdin, "")

    def test_methods_with_text_bodies(self):
        cases = [
            ("POST", "a=1&b=2", "application/x-www-form-urlencoded"),
            ("PUT", "h\u00e9llo <w\u00f6rld> & more\nline 2",
             "text/plain; charset=utf-8"),
            ("DELETE", None, None),
            ("GET", None, None),
            ("POST", "{\"n\": 42}", "application/json"),
        ]
        for method, body, ctype in cases:
            with self.subTest(method=method, body=body):
                headers = {"Content-Type": ctype} if ctype else {}
                r = self.http(HTTP, method, "/thing", headers, body)
                resp = self.assertResponse(r)
                vals, stdin = parse_listing(resp["data"])
                self.assertEqual(vals["method"], method)
                self.assertEqual(vals["path"], "/http/thing")
                self.assertEqual(stdin, body or "")
                self.assertEqual(vals["length"],
                                 str(len((body or "").encode())))
                if ctype:
                    self.assertEqual(vals["ctype"], ctype)

    def test_text_body_without_content_type(self):
        r = self.http(HTTP, "POST", "/t", data="plain words")
        vals, stdin = parse_listing(self.assertResponse(r)["data"])
        self.assertEqual(stdin, "plain words")
        self.assertTrue(vals["ctype"].startswith("text/plain"), vals)

    def test_response_headers(self):
        r = self.http(HTTP, "GET", "/h")
        resp = self.assertResponse(r)
        hs = resp["headers"]
        self.assertEqual(hs.get("X-Answer"), "42", hs)
        self.assertEqual(hs.get("Cache-Control"), "no-store", hs)
        self.assertEqual(hs.get("Content-Type"), "text/plain; charset=utf-8",
                         hs)
        self.assertEqual(hs.get("Content-Length"),
                         str(len(resp["data"].encode())), hs)

    def test_404_is_a_response_not_a_stanza_error(self):
        r = self.http(HTTP, "GET", "/missing",
                      headers={"X-Status": "404 Not Found"})
        resp = self.assertResponse(r, 404, "Not Found")
        vals, _ = parse_listing(resp["data"])
        self.assertEqual(vals["path"], "/http/missing")
        self.assertEqual(resp["headers"].get("X-Answer"), "42")

    def test_other_statuses_are_responses(self):
        for status, code, msg in (("500 Oops", 500, "Oops"),
                                  ("403 Forbidden", 403, "Forbidden"),
                                  ("201 Created", 201, "Created"),
                                  ("302 Found", 302, "Found")):
            with self.subTest(status=status):
                r = self.http(HTTP, "POST", "/s", {"X-Status": status}, "x")
                self.assertResponse(r, code, msg)

    def test_handler_timeout_is_a_stanza_error(self):
        r = self.http("httpslow@" + COMPONENT, "GET", "/slow", timeout=15)
        self.assertEqual(r["type"], "error", r)
        self.assertEqual(c.stanza_error(r), ("wait", "remote-server-timeout"))
        self.assertEqual(str(r["from"]), "httpslow@" + COMPONENT)

    def test_both_address_forms_and_extra_path(self):
        for to, resource, path in (
                (COMPONENT + "/http", "/r", "/http/r"),
                ("http@%s/sub" % COMPONENT, "/r?q=1", "/http/sub/r"),
                ("%s/http/a/b" % COMPONENT, "/c", "/http/a/b/c"),
                (HTTP, "/", "/http/")):
            with self.subTest(to=to, resource=resource):
                r = self.http(to, "GET", resource)
                vals, _ = parse_listing(self.assertResponse(r, frm=to)["data"])
                self.assertEqual(vals["path"], path)

    def test_client_mode_bridge(self):
        to = "bridge@localhost/http"
        r = self.http(to, "PUT", "/x?y", {"X-Mode": "client"}, "body")
        vals, stdin = parse_listing(self.assertResponse(r, frm=to)["data"])
        self.assertEqual((vals["method"], vals["path"], vals["query"]),
                         ("PUT", "/http/x", "y"))
        self.assertEqual(vals["HTTP_X_MODE"], "client")
        self.assertEqual(stdin, "body")


class HttpRaw(HttpTest):
    """Raw <req> stanzas for what the plugin cannot send."""

    def test_req_is_answered_with_resp(self):
        r = self.raw(HTTP, "GET", "/plain")
        self.assertEqual(r.type, "result", r.xml)
        self.assertIsNone(r.el.find("{%s}response" % NS_HTTP), r.xml)
        resp = Resp(r)
        self.assertEqual((resp.code, resp.message, resp.version),
                         (200, "OK", "1.1"))
        self.assertEqual(resp.header("X-Answer"), "42")
        text = resp.body("text")
        self.assertIsNotNone(text, r.xml)
        self.assertEqual(parse_listing(text.text)[0]["path"], "/http/plain")

    def test_request_headers_become_cgi_variables(self):
        headers = [("X-Token", "abc"), ("X-Multi", "a"), ("X-Multi", "b"),
                   ("x-lower.case", "v"), ("User-Agent", "e2e/1.0"),
                   ("Content-Type", "text/csv"), ("Content-Length", "9999"),
                   ("Cookie", "a=1"), ("Cookie", "b=2"),
                   ("Proxy", "http://evil.invalid:1/"),
                   ("Accept", "  padded  ")]
        to = "env@%s/x" % COMPONENT
        r = self.raw(to, "PATCH", "/some/path?k=v&k2", headers,
                     "<text>abc</text>")
        self.assertEqual(r.type, "result", r.xml)
        v = env_vars(Resp(r).body("text").text)
        self.assertEqual(v.get("REQUEST_METHOD"), "PATCH", v)
        self.assertEqual(v.get("PATH_INFO"), "/env/x/some/path", v)
        self.assertEqual(v.get("QUERY_STRING"), "k=v&k2", v)
        self.assertEqual(v.get("SERVER_PROTOCOL"), "HTTP/1.1", v)
        self.assertEqual(v.get("CONTENT_TYPE"), "text/csv", v)
        self.assertEqual(v.get("CONTENT_LENGTH"), "3", v)
        self.assertEqual(v.get("HTTP_X_TOKEN"), "abc", v)
        self.assertEqual(v.get("HTTP_X_MULTI"), "a, b", v)
        self.assertEqual(v.get("HTTP_X_LOWER_CASE"), "v", v)
        self.assertEqual(v.get("HTTP_USER_AGENT"), "e2e/1.0", v)
        self.assertEqual(v.get("HTTP_COOKIE"), "a=1; b=2", v)
        self.assertEqual(v.get("HTTP_ACCEPT"), "padded", v)
        for absent in ("HTTP_PROXY", "HTTP_CONTENT_TYPE",
                       "HTTP_CONTENT_LENGTH"):
            self.assertNotIn(absent, v)

    def test_xml_body_both_ways(self):
        doc = ("<doc xmlns='urn:e2e:doc' a='1'><b>x &amp; y</b>"
               "<c xmlns='urn:e2e:other'/></doc>")
        # the handler sees the element serialized, typed application/xml
        r = self.raw(HTTP, "POST", "/xml", [], "<xml>%s</xml>" % doc)
        vals, stdin = parse_listing(Resp(r).body("text").text)
        self.assertEqual(vals["ctype"], "application/xml")
        self.assertEqual(vals["length"], str(len(stdin.encode())))
        got = ET.fromstring(stdin)
        self.assertEqual(got.tag, "{urn:e2e:doc}doc")
        self.assertEqual(got.find("{urn:e2e:doc}b").text, "x & y")
        self.assertIsNotNone(got.find("{urn:e2e:other}c"))
        # an application/xml answer comes back as <xml>
        r = self.raw(HTTP, "POST", "/xml",
                     [("X-Reply-Type", "application/xml")],
                     "<xml>%s</xml>" % doc)
        resp = Resp(r)
        self.assertEqual(resp.code, 200)
        self.assertEqual(resp.header("Content-Type"), "application/xml")
        x = resp.body("xml")
        self.assertIsNotNone(x, r.xml)
        back = list(x)
        self.assertEqual(len(back), 1, r.xml)
        self.assertEqual(back[0].tag, "{urn:e2e:doc}doc")
        self.assertEqual(back[0].get("a"), "1")
        self.assertEqual(back[0].find("{urn:e2e:doc}b").text, "x & y")
        self.assertIsNone(resp.body("text"))

    def test_base64_body_both_ways(self):
        blob = bytes(range(256)) * 2
        r = self.raw(HTTP, "PUT", "/blob",
                     [("X-Reply-Type", "application/octet-stream"),
                      ("Content-Type", "application/octet-stream")],
                     "<base64>%s</base64>"
                     % base64.b64encode(blob).decode())
        resp = Resp(r)
        self.assertEqual(resp.code, 200, r.xml)
        self.assertEqual(resp.header("Content-Type"),
                         "application/octet-stream")
        self.assertEqual(resp.header("Content-Length"), str(len(blob)))
        b64 = resp.body("base64")
        self.assertIsNotNone(b64, r.xml)
        self.assertEqual(base64.b64decode("".join(b64.text.split())), blob)
        # base64 without a Content-Type: no type is made up for it
        r = self.raw(HTTP, "PUT", "/blob", [],
                     "<base64>%s</base64>"
                     % base64.b64encode("caf\u00e9".encode()).decode())
        vals, stdin = parse_listing(Resp(r).body("text").text)
        self.assertEqual(vals["length"], "5")
        self.assertEqual(vals["ctype"], "")
        self.assertEqual(stdin, "caf\u00e9")

    def test_text_answer_that_is_not_text_goes_base64(self):
        # text/plain declared, bytes not UTF-8: the answer is still exact
        blob = b"\xff\xfe\x00text"
        r = self.raw(HTTP, "POST", "/bin",
                     [("X-Reply-Type", "text/plain")],
                     "<base64>%s</base64>" % base64.b64encode(blob).decode())
        b64 = Resp(r).body("base64")
        self.assertIsNotNone(b64, r.xml)
        self.assertEqual(base64.b64decode(b64.text), blob)

    def test_404_via_raw_req(self):
        r = self.raw(HTTP, "DELETE", "/gone", [("X-Status", "404 Not Found")])
        self.assertEqual(r.type, "result", r.xml)
        resp = Resp(r)
        self.assertEqual((resp.code, resp.message), (404, "Not Found"))
        self.assertEqual(resp.header("X-Answer"), "42")

    def test_malformed_requests_are_bad_request(self):
        cases = {
            "no method": (None, "/x", [], None),
            "method not a token": ("G T", "/x", [], None),
            "relative resource": ("GET", "x", [], None),
            "bad base64": ("POST", "/x", [], "<base64>!!!notbase64</base64>"),
            "two bodies": ("POST", "/x", [], "<text>a</text><text>b</text>"),
            "bad header name": ("GET", "/x", [("Bad Name", "v")], None),
            "two content types": ("POST", "/x", [("Content-Type", "a/b"),
                                                 ("Content-Type", "c/d")],
                                  "<text>x</text>"),
        }
        for what, (m, res, hs, data) in cases.items():
            with self.subTest(what=what):
                r = self.raw(HTTP, m, res, hs, data)
                self.assertStanzaError(r, "bad-request", "modify")

    def test_unsupported_data_transfer(self):
        r = self.raw(HTTP, "POST", "/x", [],
                     "<ibb sid='s1' xmlns='%s'/>" % NS_HTTP)
        self.assertEqual(r.type, "error", r.xml)
        self.assertEqual(r.error()[1], "feature-not-implemented", r.xml)

    def test_timeout_via_raw_req(self):
        to = COMPONENT + "/httpslow"
        r = self.raw(to, "GET", "/slow")
        self.assertStanzaError(r, "remote-server-timeout", "wait")


CALC = "calc@" + COMPONENT


def soap(op, a, b):
    return ("<env:Envelope xmlns:env='%s'><env:Body>"
            "<%s xmlns='%s'><a>%s</a><b>%s</b></%s>"
            "</env:Body></env:Envelope>"
            % (c.NS_SOAP_ENV, op, c.NS_CALC, a, b, op))


class Soap(HttpTest):
    """XEP-0072: the iq payload is the Envelope."""

    def test_success(self):
        for to in (CALC, COMPONENT + "/calc", "bridge@localhost/calc"):
            with self.subTest(to=to):
                r = self.alice.query(to, soap("mul", 6, 7), type="set")
                self.assertEqual(r.type, "result", r.xml)
                self.assertEqual(r.frm, to, r.xml)
                env = r.el.find("{%s}Envelope" % c.NS_SOAP_ENV)
                self.assertIsNotNone(env, r.xml)
                res = env.find("{%s}Body/{%s}mulResponse/{%s}result"
                               % (c.NS_SOAP_ENV, c.NS_CALC, c.NS_CALC))
                self.assertIsNotNone(res, r.xml)
                self.assertEqual(res.text, "42")

    def test_fault(self):
        for to in (CALC, "bridge@localhost/calc"):
            with self.subTest(to=to):
                r = self.alice.query(to, soap("div", 1, 0), type="set")
                self.assertEqual(r.type, "error", r.xml)
                self.assertEqual(r.frm, to, r.xml)
                env = r.el.find("{%s}Envelope" % c.NS_SOAP_ENV)
                self.assertIsNotNone(env, "no Envelope in " + r.xml)
                fault = env.find("{%s}Body/{%s}Fault"
                                 % (c.NS_SOAP_ENV, c.NS_SOAP_ENV))
                self.assertIsNotNone(fault, r.xml)
                etype, cond, text, _ = r.error()
                self.assertEqual((cond, etype), ("undefined-condition",
                                                 "modify"), r.xml)
                self.assertIn("division by zero", text or "", r.xml)
                err = r.el.find("{%s}error" % h.NS_CLIENT)
                app = err.find("{%s}Sender" % c.NS_SOAP_FAULT)
                self.assertIsNotNone(app, "no soap#fault Sender in " + r.xml)

    def test_disco_advertises_soap(self):
        r = c.call(self.alice, lambda: self.xmpp["xep_0030"].get_info(
            jid=CALC, timeout=10))
        self.assertIn(c.NS_SOAP, r["disco_info"]["features"])
        self.assertIn(("automation", "soap", None, "SOAP calculator"),
                      r["disco_info"]["identities"])


if __name__ == "__main__":
    unittest.main()
