# e2e: trust boundaries of issue 10 (holes 1-3): what a sender can put in a
# handler's environment, what a handler can do through the control socket,
# and the control socket's limits.
#
# A private Prosody with two bridges:
#   - "trust": started with a descriptor limit of 200 (ulimit -n in a wrapper)
#     and a [control] section with max_stanza = 4k and the default limits;
#     routes env (dumps its environment), a (sendas.sh: tries to send as route
#     b, then as itself), b (slow, 2 s), cgi (echo);
#   - "strict": [control] idle_timeout = 1, max_line = 256 and
#     tokenless_users = none, so only handlers, with their token, may send;
#     route a as above.
# Every test ends by checking that no route's stream went down meanwhile.
# The tool under test is $XMPP_CGI_SEND (make check sets it), by default
# tools/xmpp-cgi-send.

import os
import select
import time
import unittest

import control_client as cc
import harness as h
from harness import Route, script

BRIDGE = "bridge@localhost"
NOFILE = 200  # a quarter of it (50) is below the default max_connections


def sendas_route(name, work):
    return Route(name, script("sendas.sh"),
                 env=["SEND=" + cc.SEND, "AS_ROUTE=b", "TO=alice@localhost",
                      "DUMP_DIR=" + work])


class Fixture:
    def __init__(self):
        p = self.prosody = h.Prosody()
        p.start()
        self.work = os.path.join(p.dir, "work")
        os.makedirs(self.work, exist_ok=True)

        # The bridge under a low descriptor limit, as a service might run.
        wrapper = os.path.join(self.work, "lowfd.sh")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nulimit -n %d || exit 1\nexec %s \"$@\"\n"
                    % (NOFILE, h.BRIDGE_BIN))
        os.chmod(wrapper, 0o755)
        self.trust = h.Bridge(p, [
            Route("env", script("dump.sh"), env=["DUMP_DIR=" + self.work]),
            sendas_route("a", self.work),
            Route("b", script("slow.sh"),
                  env=["LOG_DIR=" + self.work, "SLEEP=2"]),
            Route("cgi", script("echo.sh")),
        ], name="trust", binary=wrapper)
        self.trust.socket = os.path.join(self.trust.dir, "control")
        with open(self.trust.cfg, "a") as f:
            f.write("[control]\nsocket = %s\nmax_stanza = 4k\n"
                    % self.trust.socket)
        self.trust.start()
        self.alice = h.Client(p, "alice@localhost", resource="trust")
        self.strict = None
        self.strict_error = None

    def strict_bridge(self):
        """The second bridge, started by the first test that needs it."""
        if self.strict_error:
            raise h.HarnessError("strict bridge failed earlier: %s"
                                 % self.strict_error)
        if self.strict is None:
            b = h.Bridge(self.prosody, [sendas_route("a", self.work)],
                         name="strict", jid="bob@localhost")
            b.socket = os.path.join(b.dir, "control")
            with open(b.cfg, "a") as f:
                f.write("[control]\nsocket = %s\nidle_timeout = 1\n"
                        "max_line = 256\ntokenless_users = none\n"
                        % b.socket)
            try:
                b.start()
            except BaseException as e:
                self.strict_error = e
                b.stop()
                raise
            self.strict = b
        return self.strict

    def bridges(self):
        return [b for b in (self.trust, self.strict) if b]

    def close(self):
        self.alice.close()
        for b in self.bridges():
            b.stop()
        self.prosody.stop()


_fixture = h.ModuleFixture(Fixture, "trust fixture")
fixture = _fixture.get
tearDownModule = _fixture.close


class TrustTest(cc.SendTest):
    def setUp(self):
        self.fx = fixture()
        self.since = {b: b.log_size() for b in self.fx.bridges()}

    def tearDown(self):
        # The streams stayed up: no route went down, nothing reconnected.
        for b, since in self.since.items():
            self.assertTrue(b.alive(), "the bridge died:\n" + h.tail(b.log))
            log = b.read_log(since)
            self.assertNotIn("disconnected", log, log)
            self.assertNotIn("reconnecting", log, log)

    def strict(self):
        b = self.fx.strict_bridge()
        self.since.setdefault(b, b.log_size())
        return b

    def send(self, *args, sock=None, env=None, stdin=None):
        return cc.run_send(args, sock=sock or self.fx.trust.socket,
                           stdin=stdin, env=env or {"PATH": "/usr/bin:/bin"})

    def messages(self, body, since):
        return [s for s in self.fx.alice.received(since)
                if s.kind == "message" and s.el.findtext(
                    "{jabber:client}body") == body]


class SenderAttributes(TrustTest):
    """Hole 1: attributes a sender adds never shadow XMPP_STANZA_FROM & co."""

    def dumped_env(self, id):
        path = os.path.join(self.fx.work, id + ".env")
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            return dict(kv.decode().split("=", 1)
                        for kv in f.read().split(b"\0") if kv)

    def test_forged_from_type_id_refused(self):
        a = self.fx.alice
        id = a.new_id("forge")
        r = a.request("<iq type='get' id='%s' to='%s/env' "
                      "FROM='admin@localhost/evil' TYPE='set' ID='%s-x'>"
                      "<q xmlns='urn:e2e:q'/></iq>" % (id, BRIDGE, id))
        env = self.dumped_env(id) or self.dumped_env(id + "-x")
        self.assertIsNone(env, "the handler ran with a forged environment: "
                          "XMPP_STANZA_FROM=%r" % (env or {}).get(
                              "XMPP_STANZA_FROM"))
        self.assertEqual(r.type, "error", r.xml)
        err = r.error()
        self.assertEqual(err[1], "bad-request", r.xml)
        self.assertIn("variable the bridge sets", err[2] or "", r.xml)

    def test_each_forged_name_refused(self):
        a = self.fx.alice
        for attr in ("From", "xml-lang", "To", "tYPE", "Id"):
            with self.subTest(attr=attr):
                id = a.new_id("forge1")
                r = a.request("<iq type='get' id='%s' to='%s/env' %s='x'>"
                              "<q xmlns='urn:e2e:q'/></iq>"
                              % (id, BRIDGE, attr))
                self.assertEqual((r.type, r.error()[1]),
                                 ("error", "bad-request"), r.xml)
                self.assertIsNone(self.dumped_env(id))

    def test_namespaced_attributes_do_not_replace_real_ones(self):
        # libstrophe drops attribute namespaces: without the bridge's guard, a
        # sender's f:from could replace the from the server set (the route's
        # allow check and REMOTE_USER with it), and f:id the iq's id. eve may
        # not use the route (default allow: *@localhost): she must be refused,
        # under her own id, however the server orders the attributes.
        eve = h.Client(self.fx.prosody, "eve@other.localhost", resource="ns")
        try:
            for i, prefix in enumerate(("f", "g", "ns1", "a", "zz", "x")):
                with self.subTest(prefix=prefix):
                    id = eve.new_id("nsattr")
                    m = eve.mark()
                    eve.send_raw(
                        "<iq type='get' id='%s' to='%s/env' xmlns:%s='urn:x%d' "
                        "%s:from='alice@localhost/evil' %s:id='%s-x' "
                        "%s:type='set'><q xmlns='urn:e2e:q'/></iq>"
                        % (id, BRIDGE, prefix, i, prefix, prefix, id, prefix))
                    got = eve.wait_for(lambda s: s.kind == "iq", 10, since=m)
                    self.assertIsNotNone(got, "no answer under eve's id %s" % id)
                    self.assertEqual((got.id, got.type, got.error()[1]),
                                     (id, "error", "forbidden"), got.xml)
                    self.assertIsNone(self.dumped_env(id + "-x"),
                                      "the handler ran for eve as alice")
        finally:
            eve.close()

    def test_once_namespaced_attributes_dropped(self):
        # The same through --once, where the attribute order is the one given:
        # a later f:from, f:id and f:type never replace the real ones.
        id = h.Client.new_id("once")
        r = h.run_bridge(["-c", self.fx.trust.cfg, "--once", "env"],
                         stdin="<iq type='get' id='%s' from='alice@localhost/pc' "
                         "to='%s/env' xmlns:f='urn:x' f:from='admin@localhost/x' "
                         "f:id='%s-x' f:type='set' xml:lang='de'>"
                         "<q xmlns='urn:e2e:q'/></iq>" % (id, BRIDGE, id))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('id="%s"' % id, r.stdout)
        env = self.dumped_env(id)
        self.assertIsNotNone(env, r.stdout + r.stderr)
        self.assertEqual((env["REMOTE_USER"], env["XMPP_STANZA_FROM"],
                          env["XMPP_STANZA_TYPE"], env["XMPP_STANZA_XML_LANG"]),
                         ("alice@localhost", "alice@localhost/pc", "get", "de"))
        self.assertIn("a stanza attribute in namespace urn:x dropped", r.stderr)

    def test_real_attributes_and_harmless_extras(self):
        a = self.fx.alice
        id = a.new_id("real")
        r = a.request("<iq type='get' id='%s' to='%s/env' from_2='x' "
                      "data-x='1'><q xmlns='urn:e2e:q'/></iq>" % (id, BRIDGE))
        self.assertEqual(r.type, "result", r.xml)
        env = self.dumped_env(id)
        self.assertIsNotNone(env)
        self.assertEqual(env["XMPP_STANZA_FROM"], a.jid)
        self.assertEqual(env["XMPP_STANZA_ID"], id)
        self.assertEqual(env["XMPP_STANZA_TYPE"], "get")
        self.assertEqual(env["XMPP_STANZA_FROM_2"], "x")
        self.assertEqual(env["XMPP_STANZA_DATA_X"], "1")
        self.assertEqual(env["REMOTE_USER"], "alice@localhost")
        self.assertEqual(len(env["XMPP_CGI_TOKEN"]), 32)


class OwnRouteOnly(TrustTest):
    """Hole 2: a handler sends only as its own route, while its request runs;
    nobody sends iq results or errors through the socket."""

    def run_sendas(self, bridge):
        a = self.fx.alice
        id = a.new_id("sendas")
        m = a.mark()
        r = a.request("<iq type='get' id='%s' to='%s/a'><q xmlns='urn:e2e:q'/>"
                      "</iq>" % (id, bridge.jid), timeout=30)
        self.assertEqual(r.type, "result", r.xml)
        return id, m, r

    def check_sendas(self, bridge):
        a = self.fx.alice
        id, m, r = self.run_sendas(bridge)
        self.assertIn("other=6 own=0", r.xml,
                      "route a's handler could send as route b")
        own = a.wait_for(lambda s: s.kind == "message" and s.el.findtext(
            "{jabber:client}body") == "as-a " + id, 10, since=m)
        self.assertIsNotNone(own, "the handler's own message never came")
        self.assertEqual(own.frm, bridge.jid + "/a")
        with open(os.path.join(self.fx.work, id + ".other.err")) as f:
            self.assertIn("forbidden", f.read())
        self.assertEqual(self.messages("as-b " + id, m), [])
        self.assertTrue(bridge.wait_log("a handler of route a tried to send "
                                        "as route b", 5, self.since[bridge]))
        return id

    def test_handler_cannot_send_as_another_route(self):
        self.check_sendas(self.fx.trust)

    def test_token_ends_with_its_request(self):
        id = self.check_sendas(self.fx.trust)
        with open(os.path.join(self.fx.work, id + ".token")) as f:
            token = f.read()
        self.assertEqual(len(token), 32, token)
        with cc.connect(self.fx.trust.socket) as s:
            s.sendall(b"token " + token.encode() + b"\n")
            self.assertRegex(cc.read_line(s) or "", "^fail bad-token ")
            self.assertIsNone(cc.read_line(s), "not closed")
        r = self.send("--to", "alice@localhost", "-m", "late",
                      env={"PATH": "/usr/bin:/bin", "XMPP_CGI_TOKEN": token})
        self.assertExit(r, 6)
        self.assertIn("bad-token", r.stderr)

    def test_strict_socket_needs_a_token(self):
        # tokenless_users = none: a local program without a token is refused,
        # a handler with its token sends as its own route only.
        strict = self.strict()
        r = self.send("--from-route", "a", "--to", "alice@localhost", "-m",
                      "x", sock=strict.socket)
        self.assertExit(r, 6)
        self.assertIn("tokenless_users", r.stderr)
        self.check_sendas(strict)

    def test_iq_result_through_the_socket_refused(self):
        # alice asks route b (2 s); a local program tries to answer in b's
        # place with b's address and alice's id.  alice gets one answer.
        a = self.fx.alice
        id = a.new_id("pending")
        m = a.mark()
        a.send_raw("<iq type='get' id='%s' to='%s/b'><q xmlns='urn:e2e:q'/>"
                   "</iq>" % (id, BRIDGE))
        for type in ("result", "error"):
            with self.subTest(type=type):
                r = self.send("--from-route", "b", "--to", a.jid, "--stanza",
                              "-", stdin="<iq type='%s' id='%s'><forged "
                              "xmlns='urn:e2e:forged'/></iq>" % (type, id))
                self.assertExit(r, 6)
                self.assertIn("only the bridge answers iqs", r.stderr)
        got = a.wait_for(lambda s: s.id == id, 20, since=m)
        self.assertIsNotNone(got, "route b never answered")
        time.sleep(0.5)
        answers = a.replies(id)
        self.assertEqual(len(answers), 1, answers)
        self.assertEqual(answers[0].type, "result", answers[0].xml)
        self.assertNotIn("forged", answers[0].xml)

    def test_iq_requests_still_go(self):
        r = self.send("--from-route", "cgi", "--to", BRIDGE + "/cgi", "--iq",
                      "-", "--wait", "--timeout", "10",
                      stdin="<iq type='get' id='q-1'><q xmlns='urn:e2e:q'/>"
                      "</iq>")
        self.assertExit(r, 0)
        self.assertIn("type=\"result\"", r.stdout)


class Limits(TrustTest):
    """Hole 3: connections, idleness and sizes are bounded."""

    def test_idle_connections_do_not_starve_handlers(self):
        fx = self.fx
        socks, busy = [], 0
        try:
            for _ in range(300):
                socks.append(cc.connect(fx.trust.socket))
            # The bridge still runs handlers: a CGI route answers.
            r = fx.alice.request("<iq type='get' id='%s' to='%s/cgi'>"
                                 "<q xmlns='urn:e2e:q'/></iq>"
                                 % (fx.alice.new_id("starve"), BRIDGE),
                                 timeout=30)
            self.assertEqual(r.type, "result", r.xml)
            # The connections over the limit were told so and closed.
            poll = select.poll()
            for s in socks:
                poll.register(s, select.POLLIN)
            by_fd = {s.fileno(): s for s in socks}
            for fd, _ in poll.poll(5000):
                line = cc.read_line(by_fd[fd])
                if line and line.startswith("fail busy "):
                    busy += 1
        finally:
            for s in socks:
                s.close()
        held = NOFILE // 4
        self.assertGreaterEqual(busy, 300 - held)
        log = fx.trust.read_log(self.since[fx.trust])
        self.assertIn("connections open (max_connections): refusing new ones",
                      log)
        self.assertIn("max_connections 64 lowered to %d" % held,
                      fx.trust.read_log())
        # Once they are gone, a new connection is served again.
        self.assertTrue(h.wait_until(lambda: "accepting connections again"
                                     in fx.trust.read_log(self.since[fx.trust]),
                                     10))
        r = self.send("--from-route", "cgi", "--to", "alice@localhost", "-m",
                      "after")
        self.assertExit(r, 0)

    def test_idle_timeout_closes(self):
        strict = self.strict()
        with cc.connect(strict.socket) as idle, \
                cc.connect(strict.socket) as partial:
            partial.sendall(b"message a alice@loc")
            for s in (idle, partial):
                self.assertRegex(cc.read_line(s) or "",
                                 r"^fail idle no request for 1 s")
                self.assertIsNone(cc.read_line(s), "not closed")
        self.assertTrue(strict.wait_log("idle connection", 5,
                                        self.since[strict]))

    def test_oversize_payload_refused(self):
        fx = self.fx
        m = fx.alice.mark()
        big = "<message><body>" + "y" * 100000 + "</body></message>"
        with cc.connect(fx.trust.socket) as s:
            s.sendall(cc.request("stanza", "cgi", "alice@localhost", big)
                      + cc.request("message", "cgi", "alice@localhost", "fits"))
            self.assertRegex(cc.read_line(s) or "",
                             r"^fail too-large the payload is over 4096 bytes")
            self.assertEqual(cc.read_line(s), "ok sent")
        self.assertIsNotNone(fx.alice.wait_for(
            lambda st: st.kind == "message" and st.el.findtext(
                "{jabber:client}body") == "fits", 10, since=m))
        self.assertTrue(fx.trust.wait_log(
            "route cgi: a payload of %d bytes refused (max_stanza 4096)"
            % len(big),
            5, self.since[fx.trust]), fx.trust.read_log(self.since[fx.trust]))

    def test_oversize_line_refused(self):
        fx = self.fx
        for sock, limit in ((fx.trust.socket, 1024),
                            (self.strict().socket, 256)):
            with self.subTest(limit=limit), cc.connect(sock) as s:
                s.sendall(b"message a " + b"x" * (limit + 10))
                self.assertEqual(cc.read_line(s), "fail bad-request request line "
                                 "over %d bytes (max_line)" % limit)
                self.assertIsNone(cc.read_line(s), "not closed")
        self.assertTrue(fx.trust.wait_log("request line over 1024 bytes", 5,
                                          self.since[fx.trust]))


if __name__ == "__main__":
    unittest.main()
