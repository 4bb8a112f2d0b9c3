# e2e: component mode (XEP-0114) - addressing in both forms and PATH_INFO,
# the cgi-bin route and hostile names, the bridge's own answers (disco#info,
# disco#items, ping, version: slixmpp's xep_0030, xep_0199 and xep_0092
# plugins) in component and client mode, which never reach handlers, and
# the component surviving a Prosody restart.  Fixtures: component.py.

import os
import unittest

import component as c
import harness as h
from component import COMPONENT
from harness import Route, script
from shared import body_text, env_vars

NS_ECHO = "urn:xmpp-cgi:echo"
BASE_FEATURES = {c.NS_DISCO_INFO, c.NS_DISCO_ITEMS, c.NS_PING, c.NS_VERSION}
# Every route of the component bridge with the name disco#items gives it.
ROUTE_ITEMS = {"echo": "Echo service", "env": "env", "calc": "SOAP calculator",
               "http": "HTTP echo", "both": "both", "httpslow": "httpslow",
               "marked": "marked", "Upper": "Mixed case"}


tearDownModule = c.shutdown


class ComponentTest(c.EnvTest):
    def assertResultFrom(self, reply, frm):
        """reply (a harness Inbound or a slixmpp Iq) is a result from frm."""
        if isinstance(reply, h.Inbound):
            typ, got = reply.type, reply.frm
        else:
            typ, got = reply["type"], str(reply["from"])
        self.assertEqual(typ, "result", reply)
        self.assertEqual(got, frm, reply)

    def assertErrorFrom(self, reply, cond, etype, frm=None):
        self.assertEqual(reply.type, "error", reply.xml)
        err = reply.error()
        self.assertIsNotNone(err, reply.xml)
        self.assertEqual((err[1], err[0]), (cond, etype), reply.xml)
        if frm is not None:
            self.assertEqual(reply.frm, frm, reply.xml)

    # slixmpp plugin calls; each returns the result iq or the error iq
    def disco_info(self, jid, node=None):
        return c.call(self.alice, lambda: self.xmpp["xep_0030"].get_info(
            jid=jid, node=node, timeout=10))

    def disco_items(self, jid):
        return c.call(self.alice, lambda: self.xmpp["xep_0030"].get_items(
            jid=jid, timeout=10))

    def ping(self, jid):
        return c.call(self.alice, lambda: self.xmpp["xep_0199"].send_ping(
            jid, timeout=10))

    def version(self, jid):
        return c.call(self.alice, lambda: self.xmpp["xep_0092"].get_version(
            jid, timeout=10))

    def path_info(self, to):
        r = self.alice.query(to)
        self.assertResultFrom(r, to)
        return env_vars(body_text(r)).get("PATH_INFO")


class Addressing(ComponentTest):
    def test_route_at_component(self):
        r = self.alice.query("echo@" + COMPONENT)
        self.assertResultFrom(r, "echo@" + COMPONENT)
        echo = r.el.find("{%s}echo" % NS_ECHO)
        self.assertIsNotNone(echo, r.xml)
        # the handler sees the stanza as sent, as a client stanza
        inner = echo.find("{%s}iq" % h.NS_CLIENT)
        self.assertIsNotNone(inner, r.xml)
        self.assertEqual(inner.get("to"), "echo@" + COMPONENT)
        self.assertEqual(inner.get("id"), r.id)

    def test_an_iq_sent_again_runs_once(self):
        """XEP-0114 has no stream management, and still (xmpp-cgi(8): in every
        mode) an iq whose sender and id match one answered in the last 30 s
        is not started again and gets no second answer."""
        to = "echo@" + COMPONENT
        id, xml = self.alice.iq(to, type="set")
        first = self.alice.request(xml, id)
        self.assertResultFrom(first, to)
        since = self.env.bridge.log_size()
        self.alice.send_raw(xml)
        self.assertTrue(self.env.bridge.wait_log("iq %s from %s delivered again"
                                                 % (id, self.alice.jid),
                                                 15, since),
                        h.tail(self.env.bridge.log))
        # a request sent after it is answered; the repeated one never is
        self.assertResultFrom(self.alice.query(to), to)
        self.assertEqual(len(self.alice.replies(id)), 1,
                         [r.xml for r in self.alice.replies(id)])

    def test_component_slash_route(self):
        r = self.alice.query(COMPONENT + "/echo")
        self.assertResultFrom(r, COMPONENT + "/echo")
        self.assertIsNotNone(r.el.find("{%s}echo" % NS_ECHO), r.xml)

    def test_path_info_in_both_forms(self):
        for to, want in (("env@" + COMPONENT, "/env"),
                         (COMPONENT + "/env", "/env"),
                         ("env@%s/x" % COMPONENT, "/env/x"),
                         ("env@%s/x/y" % COMPONENT, "/env/x/y"),
                         ("%s/env/x/y" % COMPONENT, "/env/x/y")):
            with self.subTest(to=to):
                self.assertEqual(self.path_info(to), want)

    def test_handler_environment_in_component_mode(self):
        r = self.alice.query("env@%s/x" % COMPONENT)
        self.assertResultFrom(r, "env@%s/x" % COMPONENT)
        v = env_vars(body_text(r))
        self.assertEqual(v.get("SERVER_NAME"), COMPONENT, v)
        self.assertEqual(v.get("XMPP_ROUTE"), "env", v)
        self.assertEqual(v.get("REMOTE_USER"), "alice@localhost", v)

    def test_unknown_route_is_item_not_found(self):
        for to in ("nosuch@" + COMPONENT, COMPONENT + "/nosuch",
                   "nosuch@%s/x" % COMPONENT):
            with self.subTest(to=to):
                r = self.alice.query(to)
                self.assertErrorFrom(r, "item-not-found", "cancel", to)

    def test_component_itself_runs_no_handler(self):
        r = self.alice.query(COMPONENT, type="set")
        self.assertErrorFrom(r, "service-unavailable", "wait", COMPONENT)

    def test_default_allow_is_the_parent_domain(self):
        # api.localhost -> *@localhost: eve@other.localhost is refused
        r = self.env.eve.query("echo@" + COMPONENT)
        self.assertErrorFrom(r, "forbidden", "auth", "echo@" + COMPONENT)

    def test_mixed_case_route_reachable_at_its_listed_jid(self):
        # XMPP servers nodeprep the localpart: Upper@api.localhost arrives
        # as upper@api.localhost.  disco#items lists the route as
        # Upper@api.localhost, so that address must reach the route.
        items = self.disco_items(COMPONENT)["disco_items"]["items"]
        jids = [j for j, _, name in items if name == "Mixed case"]
        self.assertEqual(len(jids), 1, items)
        r = self.alice.query(jids[0])
        self.assertEqual(r.type, "result",
                         "the route listed as %s is unreachable there: %s"
                         % (jids[0], r.xml))
        self.assertIsNotNone(r.el.find("{%s}echo" % NS_ECHO), r.xml)


class CgiDir(ComponentTest):
    def test_valid_executable_runs(self):
        for to, want in (("envdump@" + COMPONENT, "/envdump"),
                         (COMPONENT + "/envdump", "/envdump"),
                         ("envdump@%s/a/b" % COMPONENT, "/envdump/a/b"),
                         ("%s/envdump/a/b" % COMPONENT, "/envdump/a/b")):
            with self.subTest(to=to):
                self.assertEqual(self.path_info(to), want)

    def test_symlinks_inside_the_directory_are_accepted(self):
        for name in ("alias", "abs-alias"):
            with self.subTest(name=name):
                self.assertEqual(self.path_info("%s@%s" % (name, COMPONENT)),
                                 "/" + name)

    def test_route_wins_over_executable_of_same_name(self):
        r = self.alice.query("echo@" + COMPONENT)
        self.assertResultFrom(r, "echo@" + COMPONENT)
        self.assertIsNotNone(r.el.find("{%s}echo" % NS_ECHO), r.xml)

    def test_hostile_names_are_item_not_found(self):
        d = COMPONENT
        hostile = [
            "..@" + d, d + "/..", d + "/../x", d + "/../cgi-bin/envdump",
            "%2e%2e@" + d, d + "/%2e%2e", d + "/%2e%2e/x", "%2e%2e%2fx@" + d,
            "." + "@" + d, d + "/.", d + "/./envdump",
            d + "//etc/passwd", d + "/etc/passwd", "passwd@" + d,
            d + "/%2fetc%2fpasswd", "%2fetc%2fpasswd@" + d,
            ".hidden@" + d, d + "/.hidden",               # dot file
            "out@" + d, d + "/out",                       # -> /bin/true
            "escape@" + d,                                # -> ../outside/tool
            "outdir@" + d, d + "/outdir/tool",            # -> a directory
            "dangling@" + d,                              # -> nothing
            "noexec@" + d, d + "/noexec",                 # mode 644
            "subdir@" + d, d + "/subdir", d + "/subdir/inner",
            d + "/with space", d + "/a:b",                # not route names
            "cgi-bin@" + d, d + "/cgi-bin/envdump",
            "tool@" + d, "inner@" + d,
        ]
        for to in hostile:
            with self.subTest(to=to):
                r = self.alice.query(to)
                self.assertErrorFrom(r, "item-not-found", "cancel", to)
        self.assertTrue(self.env.bridge.alive())

    def test_the_cgi_dir_section_is_not_a_name(self):
        # [route "*"] is the cgi-bin section, not a route called "*"
        for to in ("*@" + COMPONENT, COMPONENT + "/*",
                   "*@%s/envdump" % COMPONENT):
            with self.subTest(to=to):
                r = self.alice.query(to)
                self.assertErrorFrom(r, "item-not-found", "cancel", to)
            with self.subTest(to=to, query="disco#info"):
                r = self.alice.query(to, "<query xmlns='%s'/>"
                                     % c.NS_DISCO_INFO)
                self.assertErrorFrom(r, "item-not-found", "cancel", to)

    def items(self):
        r = self.alice.query(COMPONENT,
                             "<query xmlns='%s'/>" % c.NS_DISCO_ITEMS)
        self.assertResultFrom(r, COMPONENT)
        q = r.el.find("{%s}query" % c.NS_DISCO_ITEMS)
        return r, [(i.get("jid"), i.get("name")) for i in q]

    def test_disco_items_lists_exactly_the_valid_executables(self):
        r, items = self.items()
        want = {("%s@%s" % (n, COMPONENT), d) for n, d in ROUTE_ITEMS.items()}
        want |= {("%s@%s" % (n, COMPONENT), n) for n in c.VALID_CGI}
        self.assertLessEqual(want, set(items), r.xml)
        self.assertEqual({j for j, _ in items}, {j for j, _ in want}, r.xml)

    def test_disco_items_lists_each_address_once(self):
        # cgi-bin/echo is shadowed by [route "echo"]: echo@api.localhost
        # is one address and must be one item (the route's).
        r, items = self.items()
        jids = [j for j, _ in items]
        twice = sorted({j for j in jids if jids.count(j) > 1})
        self.assertEqual(twice, [], "listed more than once: %s" % r.xml)
        self.assertIn(("echo@" + COMPONENT, "Echo service"), items)


class Disco(ComponentTest):
    def test_info_on_the_component(self):
        r = self.disco_info(COMPONENT)
        self.assertResultFrom(r, COMPONENT)
        info = r["disco_info"]
        self.assertEqual(set(info["identities"]),
                         {("component", "generic", None, "xmpp-cgi")})
        self.assertEqual(set(info["features"]), BASE_FEATURES)

    def test_items_on_the_component(self):
        r = self.disco_items(COMPONENT)
        self.assertResultFrom(r, COMPONENT)
        items = {(j, name) for j, node, name in r["disco_items"]["items"]}
        for route, name in ROUTE_ITEMS.items():
            self.assertIn(("%s@%s" % (route, COMPONENT), name), items)
        for name in c.VALID_CGI:
            self.assertIn(("%s@%s" % (name, COMPONENT), name), items)

    def test_info_on_routes(self):
        cases = {
            "both": ({("automation", "soap", None, "both")},
                     {c.NS_SOAP, c.NS_HTTP}),
            "calc": ({("automation", "soap", None, "SOAP calculator")},
                     {c.NS_SOAP}),
            "http": ({("component", "generic", None, "HTTP echo")},
                     {c.NS_HTTP}),
            "echo": ({("component", "generic", None, "Echo service")}, set()),
            "envdump": ({("component", "generic", None, "envdump")}, set()),
        }
        for route, (ids, extra) in cases.items():
            for jid in ("%s@%s" % (route, COMPONENT),
                        "%s/%s" % (COMPONENT, route),
                        "%s@%s/extra" % (route, COMPONENT)):
                with self.subTest(jid=jid):
                    r = self.disco_info(jid)
                    self.assertResultFrom(r, jid)
                    self.assertEqual(set(r["disco_info"]["identities"]), ids)
                    self.assertEqual(set(r["disco_info"]["features"]),
                                     BASE_FEATURES | extra)

    def test_route_has_no_items(self):
        r = self.disco_items("calc@" + COMPONENT)
        self.assertResultFrom(r, "calc@" + COMPONENT)
        self.assertEqual(list(r["disco_items"]["items"]), [])

    def test_unknown_node_is_item_not_found(self):
        r = self.disco_info(COMPONENT, node="no-such-node")
        self.assertEqual(r["type"], "error", r)
        self.assertEqual(c.stanza_error(r), ("cancel", "item-not-found"))

    def test_info_on_unknown_or_hostile_name(self):
        for jid in ("nosuch@" + COMPONENT, "noexec@" + COMPONENT,
                    "..@" + COMPONENT, "out@" + COMPONENT):
            with self.subTest(jid=jid):
                r = self.disco_info(jid)
                self.assertEqual(r["type"], "error", r)
                self.assertEqual(c.stanza_error(r), ("cancel", "item-not-found"))

    def test_ping(self):
        for jid in (COMPONENT, "echo@" + COMPONENT, COMPONENT + "/echo",
                    "echo@%s/x" % COMPONENT, "envdump@" + COMPONENT):
            with self.subTest(jid=jid):
                r = self.ping(jid)
                self.assertResultFrom(r, jid)
        r = self.ping("nosuch@" + COMPONENT)
        self.assertEqual(r["type"], "error", r)
        self.assertEqual(c.stanza_error(r), ("cancel", "item-not-found"))

    def test_version(self):
        for jid in (COMPONENT, "calc@" + COMPONENT, COMPONENT + "/calc",
                    "alias@" + COMPONENT):
            with self.subTest(jid=jid):
                r = self.version(jid)
                self.assertResultFrom(r, jid)
                v = r["software_version"]
                self.assertEqual(v["name"], "xmpp-cgi")
                self.assertEqual(v["version"], h.version() or v["version"])
                self.assertTrue(v["version"])

    def test_service_queries_never_reach_handlers(self):
        marker = os.path.join(self.env.work, "marker-component")
        cgi_marker = os.path.join(self.env.work, "marker-cgi-bin")
        jids = ("marked@" + COMPONENT, COMPONENT + "/marked",
                "marked@%s/extra/path" % COMPONENT, "mark@" + COMPONENT,
                "%s/mark/x" % COMPONENT)
        for jid in jids:
            with self.subTest(jid=jid):
                for what, r in (("info", self.disco_info(jid)),
                                ("items", self.disco_items(jid)),
                                ("ping", self.ping(jid)),
                                ("version", self.version(jid))):
                    self.assertEqual(r["type"], "result", (what, r))
                # raw: a disco#info get with an unknown child too
                r = self.alice.query(
                    jid, "<query xmlns='%s'/>" % c.NS_DISCO_INFO)
                self.assertResultFrom(r, jid)
        self.assertFalse(os.path.exists(marker),
                         "a service query reached the route's handler")
        self.assertFalse(os.path.exists(cgi_marker),
                         "a service query reached a cgi-bin handler")
        # the control: an ordinary iq does run them and leaves the marks
        for jid, path in (("marked@" + COMPONENT, marker),
                          ("mark@" + COMPONENT, cgi_marker)):
            r = self.alice.query(jid)
            self.assertResultFrom(r, jid)
            with open(path) as f:
                self.assertEqual(f.read(), r.id + "\n")


class ClientMode(ComponentTest):
    """The same answers from a client-mode bridge, on each route's full JID."""

    JID = "bridge@localhost"

    def test_disco_info_on_routes(self):
        r = self.disco_info(self.JID + "/calc")
        self.assertResultFrom(r, self.JID + "/calc")
        self.assertEqual(set(r["disco_info"]["identities"]),
                         {("automation", "soap", None, "calc")})
        self.assertEqual(set(r["disco_info"]["features"]),
                         BASE_FEATURES | {c.NS_SOAP})
        r = self.disco_info(self.JID + "/http")
        self.assertResultFrom(r, self.JID + "/http")
        self.assertEqual(set(r["disco_info"]["identities"]),
                         {("component", "generic", None, "http")})
        self.assertEqual(set(r["disco_info"]["features"]),
                         BASE_FEATURES | {c.NS_HTTP})
        r = self.disco_info(self.JID + "/echo")
        self.assertEqual(set(r["disco_info"]["identities"]),
                         {("component", "generic", None, "Echo service")})
        self.assertEqual(set(r["disco_info"]["features"]), BASE_FEATURES)

    def test_disco_items_list_the_routes(self):
        r = self.disco_items(self.JID + "/echo")
        self.assertResultFrom(r, self.JID + "/echo")
        items = {j: name for j, node, name in r["disco_items"]["items"]}
        self.assertEqual(items, {
            self.JID + "/echo": "Echo service", self.JID + "/calc": "calc",
            self.JID + "/http": "http", self.JID + "/marked": "marked"})

    def test_ping_and_version(self):
        for route in ("echo", "calc"):
            jid = "%s/%s" % (self.JID, route)
            with self.subTest(jid=jid):
                r = self.ping(jid)
                self.assertResultFrom(r, jid)
                r = self.version(jid)
                self.assertResultFrom(r, jid)
                self.assertEqual(r["software_version"]["name"], "xmpp-cgi")

    def test_service_queries_never_reach_handlers(self):
        marker = os.path.join(self.env.work, "marker-client")
        jid = self.JID + "/marked"
        for what, r in (("info", self.disco_info(jid)),
                        ("items", self.disco_items(jid)),
                        ("ping", self.ping(jid)),
                        ("version", self.version(jid))):
            self.assertEqual(r["type"], "result", (what, r))
        self.assertFalse(os.path.exists(marker),
                         "a service query reached the route's handler")
        r = self.alice.query(jid)
        self.assertResultFrom(r, jid)
        with open(marker) as f:
            self.assertEqual(f.read(), r.id + "\n")


class Restart(unittest.TestCase):
    """The component on a Prosody of its own, restarted under it."""

    def setUp(self):
        self.cleanups = []

    def tearDown(self):
        h.run_cleanups(self.cleanups)

    def test_component_survives_prosody_restart(self):
        p = h.Prosody(users=[("alice", "localhost")])
        self.cleanups.append(p.stop)
        c.start_prosody(p)
        b = c.ComponentBridge(p, [Route("echo", script("echo.sh"))],
                              name="component-restart")
        self.cleanups.append(b.stop)
        b.start()
        alice = h.Client(p, "alice@localhost", resource="restart")
        self.cleanups.append(alice.close)
        r = alice.query("echo@" + COMPONENT)
        self.assertEqual(r.type, "result", r.xml)
        alice.close()

        since = b.log_size()
        p.stop()
        self.assertTrue(b.wait_log("reconnecting in", 15, since),
                        "no reconnect logged:\n" + h.tail(b.log))
        self.assertRegex(b.read_log(since),
                         r"xmpp-cgi: warning: component %s: .*reconnecting in"
                         r" \d+ ms" % COMPONENT.replace(".", r"\."))
        self.assertTrue(b.alive(), "bridge exited when Prosody went away")

        since = b.log_size()
        p.start()
        b.wait_online(timeout=30, since=since)
        alice = h.Client(p, "alice@localhost", resource="restart2")
        self.cleanups.append(alice.close)
        for to in ("echo@" + COMPONENT, COMPONENT + "/echo"):
            r = alice.query(to)
            self.assertEqual(r.type, "result", r.xml)
            self.assertEqual(r.frm, to, r.xml)
        r = alice.query(COMPONENT, "<ping xmlns='%s'/>" % c.NS_PING)
        self.assertEqual(r.type, "result", r.xml)


if __name__ == "__main__":
    unittest.main()
