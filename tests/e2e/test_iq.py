# e2e: iq get/set through the bridge - handler responses of every status
# class and body type turned into iq result / iq error (doc/design-notes.md section 1).

import unittest

from shared import BridgeTest, body_text

NS_ECHO = "urn:xmpp-cgi:echo"

# HTTP status -> (condition, type), doc/design-notes.md section 1.
TABLE = {
    400: ("bad-request", "modify"), 411: ("bad-request", "modify"),
    422: ("bad-request", "modify"), 401: ("not-authorized", "auth"),
    402: ("forbidden", "auth"), 403: ("forbidden", "auth"),
    451: ("forbidden", "auth"), 404: ("item-not-found", "cancel"),
    405: ("not-allowed", "cancel"), 406: ("not-acceptable", "modify"),
    407: ("registration-required", "auth"),
    408: ("remote-server-timeout", "wait"),
    504: ("remote-server-timeout", "wait"),
    409: ("conflict", "cancel"), 412: ("conflict", "cancel"),
    410: ("gone", "cancel"), 413: ("resource-constraint", "modify"),
    414: ("resource-constraint", "modify"),
    431: ("resource-constraint", "modify"),
    415: ("feature-not-implemented", "cancel"),
    501: ("feature-not-implemented", "cancel"),
    423: ("resource-constraint", "wait"), 429: ("resource-constraint", "wait"),
    507: ("resource-constraint", "wait"),
    500: ("internal-server-error", "cancel"),
    502: ("service-unavailable", "wait"), 503: ("service-unavailable", "wait"),
    418: ("bad-request", "modify"),            # other 4xx
    499: ("bad-request", "modify"),
    599: ("undefined-condition", "cancel"),    # other 5xx
    520: ("undefined-condition", "cancel"),
}


class Echo(BridgeTest):
    def test_iq_get_echo_returns_xml_payload(self):
        r = self.alice.query(self.to("echo"), "<ping xmlns='urn:e2e:x'>é€</ping>")
        self.assertResult(r)
        self.assertEqual(r.frm, self.to("echo"))
        self.assertEqual(r.el.get("to"), self.alice.jid)
        payload = r.payload()
        self.assertEqual(len(payload), 1, r.xml)
        echo = payload[0]
        self.assertEqual(echo.tag, "{%s}echo" % NS_ECHO, r.xml)
        # The echoed request stanza is the iq alice sent, in jabber:client.
        inner = list(echo)
        self.assertEqual(len(inner), 1, r.xml)
        self.assertEqual(inner[0].tag, "{jabber:client}iq", r.xml)
        self.assertEqual(inner[0].get("id"), r.id)
        ping = inner[0].find("{urn:e2e:x}ping")
        self.assertIsNotNone(ping, r.xml)
        self.assertEqual(ping.text, "é€")

    def test_iq_set_echo(self):
        r = self.alice.query(self.to("echo"), "<q xmlns='urn:e2e:x'/>",
                             type="set")
        self.assertResult(r)
        self.assertEqual(r.payload()[0].tag, "{%s}echo" % NS_ECHO)

    def test_two_clients_each_get_their_own_reply(self):
        ia, xa = self.alice.iq(self.to("echo"), "<a xmlns='urn:e2e:x'/>")
        ib, xb = self.bob.iq(self.to("echo"), "<b xmlns='urn:e2e:x'/>")
        ma, mb = self.alice.mark(), self.bob.mark()
        self.alice.send_raw(xa)
        self.bob.send_raw(xb)
        ra = self.alice.wait_for(lambda s: s.id == ia, 15, since=ma)
        rb = self.bob.wait_for(lambda s: s.id == ib, 15, since=mb)
        self.assertIsNotNone(ra)
        self.assertIsNotNone(rb)
        self.assertIn("{urn:e2e:x}a", [e.tag for e in ra.el.iter()])
        self.assertIn("{urn:e2e:x}b", [e.tag for e in rb.el.iter()])
        self.assertNotIn("{urn:e2e:x}b", [e.tag for e in ra.el.iter()])


class StatusClasses(BridgeTest):
    def test_200_text_body(self):
        r = self.alice.query(self.to("s200text"))
        self.assertResult(r)
        self.assertEqual(body_text(r), "plain <text> & more", r.xml)

    def test_200_empty_body_gives_empty_result(self):
        r = self.alice.query(self.to("s200empty"))
        self.assertResult(r)
        self.assertEqual(list(r.el), [], r.xml)

    def test_404(self):
        r = self.alice.query(self.to("s404"))
        self.assertError(r, "item-not-found", "cancel", text="no such thing")

    def test_404_error_is_addressed_back(self):
        r = self.alice.query(self.to("s404"))
        self.assertEqual(r.frm, self.to("s404"))
        self.assertEqual(r.el.get("to"), self.alice.jid)

    def test_403(self):
        err = self.assertError(self.alice.query(self.to("s403")),
                               "forbidden", "auth")
        self.assertIsNone(err[2], "empty body must give no <text>")

    def test_500(self):
        self.assertError(self.alice.query(self.to("s500")),
                         "internal-server-error", "cancel", text="it broke")

    def test_503(self):
        self.assertError(self.alice.query(self.to("s503")),
                         "service-unavailable", "wait")

    def test_302_xmpp_location_is_redirect(self):
        err = self.assertError(self.alice.query(self.to("s302")),
                               "redirect", "modify")
        self.assertEqual((err[3].text or "").strip(),
                         "xmpp:other@localhost/x")

    def test_301_xmpp_location_is_gone(self):
        err = self.assertError(self.alice.query(self.to("s301")),
                               "gone", "cancel")
        self.assertEqual((err[3].text or "").strip(), "xmpp:moved@localhost")

    def test_other_3xx_is_undefined_condition(self):
        self.assertError(self.alice.query(self.to("s300")),
                         "undefined-condition", "cancel")


class StatusTable(BridgeTest):
    """Every row of the table through one route, status from data-status."""

    def send_all(self, cases):
        """cases: {id-suffix: attrs}; returns {suffix: reply}."""
        ids = {}
        m = self.alice.mark()
        for key, attrs in cases.items():
            id, xml = self.alice.iq(self.to("status"), attrs=attrs)
            ids[key] = id
            self.alice.send_raw(xml)
        out = {}
        for key, id in ids.items():
            r = self.alice.wait_for(lambda s: s.id == id, 20, since=m)
            self.assertIsNotNone(r, "no reply for %s" % (cases[key],))
            out[key] = r
        return out

    def test_error_table(self):
        replies = self.send_all({c: {"data-status": "%d Whatever" % c}
                                 for c in TABLE})
        for code, (cond, etype) in sorted(TABLE.items()):
            with self.subTest(status=code):
                self.assertError(replies[code], cond, etype)

    def test_2xx_statuses_are_results(self):
        replies = self.send_all({
            "200": {"data-status": "200 OK", "data-body": "x"},
            "201": {"data-status": "201 Created", "data-body": "x"},
            "204": {"data-status": "204 No Content"},
            "none": {"data-status": "none", "data-body": "x"},
        })
        for k, r in replies.items():
            with self.subTest(status=k):
                self.assertResult(r)
        self.assertEqual(list(replies["204"].el), [])
        self.assertEqual(body_text(replies["none"]), "x")

    def test_3xx(self):
        xmpp = "xmpp:elsewhere@localhost"
        cases = {
            "301": {"data-status": "301 M", "data-location": xmpp},
            "308": {"data-status": "308 M", "data-location": xmpp},
            "302": {"data-status": "302 F", "data-location": xmpp},
            "303": {"data-status": "303 S", "data-location": xmpp},
            "307": {"data-status": "307 T", "data-location": xmpp},
            # Location without Status means 302.
            "loc": {"data-status": "none", "data-location": xmpp},
            "300": {"data-status": "300 C", "data-location": xmpp},
            "302-http": {"data-status": "302 F",
                         "data-location": "http://example.org/"},
            "302-none": {"data-status": "302 F"},
        }
        want = {"301": ("gone", "cancel"), "308": ("gone", "cancel"),
                "302": ("redirect", "modify"), "303": ("redirect", "modify"),
                "307": ("redirect", "modify"), "loc": ("redirect", "modify"),
                "300": ("undefined-condition", "cancel"),
                "302-http": ("undefined-condition", "cancel"),
                "302-none": ("undefined-condition", "cancel")}
        replies = self.send_all(cases)
        for k, (cond, etype) in want.items():
            with self.subTest(case=k):
                err = self.assertError(replies[k], cond, etype)
                if cond in ("gone", "redirect"):
                    self.assertEqual((err[3].text or "").strip(), xmpp)

    def test_error_text_is_trimmed_and_escaped(self):
        r = self.send_all({"t": {"data-status": "404 N",
                                 "data-body": "  <gone> & 'away'\n\n"}})["t"]
        self.assertError(r, "item-not-found", "cancel",
                         text="<gone> & 'away'")


class Bodies(BridgeTest):
    def query(self, **attrs):
        return self.alice.query(self.to("status"), attrs=attrs)

    def test_xml_content_types_are_embedded(self):
        body = "<r xmlns='urn:e2e:r'><v>1</v></r>"
        for ct in ("application/xml", "text/xml", "application/soap+xml",
                   "application/xml; charset=utf-8"):
            with self.subTest(content_type=ct):
                r = self.query(**{"data-ctype": ct, "data-body": body})
                self.assertResult(r)
                p = r.payload()
                self.assertEqual([e.tag for e in p], ["{urn:e2e:r}r"], r.xml)
                self.assertEqual(p[0].find("{urn:e2e:r}v").text, "1")

    def test_xml_declaration_in_body_is_dropped(self):
        r = self.query(**{"data-ctype": "application/xml", "data-body":
                          "<?xml version='1.0' encoding='UTF-8'?>\n"
                          "<r xmlns='urn:e2e:r'/>"})
        self.assertResult(r)
        self.assertEqual([e.tag for e in r.payload()], ["{urn:e2e:r}r"], r.xml)

    def test_non_xml_body_is_escaped_text(self):
        text = "a <b> & 'c' \"d\" é"
        r = self.query(**{"data-ctype": "application/json", "data-body": text})
        self.assertResult(r)
        self.assertEqual(body_text(r), text, r.xml)

    def test_crlf_headers(self):
        r = self.query(**{"data-crlf": "1", "data-status": "404 N",
                          "data-body": "crlf"})
        self.assertError(r, "item-not-found", "cancel", text="crlf")
        r = self.query(**{"data-crlf": "1", "data-body": "ok"})
        self.assertResult(r)
        self.assertEqual(body_text(r), "ok")

    def test_mixed_line_endings(self):
        r = self.query(**{"data-crlf": "mixed", "data-status": "404 N",
                          "data-body": "mixed"})
        self.assertError(r, "item-not-found", "cancel", text="mixed")

    def test_nph_status_line_is_tolerated(self):
        r = self.query(**{"data-nph": "1", "data-status": "404 Not Found",
                          "data-body": "nph"})
        self.assertError(r, "item-not-found", "cancel", text="nph")
        r = self.query(**{"data-nph": "1", "data-status": "200 OK",
                          "data-body": "nph ok"})
        self.assertResult(r)
        self.assertEqual(body_text(r), "nph ok")


if __name__ == "__main__":
    unittest.main()
