# e2e: the control socket (doc/control-protocol.md) and xmpp-cgi-send: handlers
# and local programs speak first.
#
# A private Prosody (its offline storage on, for the queue test, which restarts
# it) with three bridges:
#   - "choreography": cgi-examples/choreography/xmpp-cgi.conf made local by
#     choreo_demo.local_config() (routes b, e, f; A, C, D are alice, carol and
#     dave), driven end to end with real slixmpp clients;
#   - "ctl": routes for the other tests, [control] with max_stanza = 4k and the
#     default mode;
#   - "component": component mode (api.localhost), [control] with mode 0600.
# The tool under test is $XMPP_CGI_SEND (make check sets it), by default
# tools/xmpp-cgi-send.

import asyncio
import functools
import importlib.util
import os
import socket
import stat
import subprocess
import threading
import time
import unittest
import xml.etree.ElementTree as ET

import control_client as cc
import harness as h
from harness import Route, script

CHOREO_DIR = os.path.join(h.EXAMPLES, "choreography")
NS = "urn:xmpp-cgi:choreography"
CLIENT = "{jabber:client}"
BRIDGE = "bridge@localhost"
COMPONENT = "api.localhost"
CROWD = ["u%02d@localhost" % i for i in range(1, 51)]
USERS = [("bridge", "localhost"), ("alice", "localhost"), ("bob", "localhost"),
         ("carol", "localhost"), ("dave", "localhost"),
         ("eve", "other.localhost")] + [tuple(j.split("@")) for j in CROWD]


def load_choreo_demo():
    spec = importlib.util.spec_from_file_location(
        "choreo_demo", os.path.join(CHOREO_DIR, "choreo_demo.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def body_of(s):
    b = s.el.find(CLIENT + "body")
    return None if b is None else (b.text or "")


# ---------------------------------------------------------------------------
# Many light clients in one asyncio loop (the 50-recipient broadcast).

class Crowd:
    """slixmpp sessions for `jids` (resource "crowd"), all in one loop
    thread; records every message each one receives."""

    def __init__(self, prosody, jids, timeout=60):
        import slixmpp
        self.jids = list(jids)
        self.got = {j: [] for j in self.jids}
        self.ready = set()
        self.failed = {}
        self.cond = threading.Condition()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever,
                                       name="crowd", daemon=True)
        self.thread.start()

        async def make():
            xs = []
            for j in self.jids:
                x = slixmpp.ClientXMPP(j + "/crowd", h.PASSWORD)
                x.loop = self.loop
                x.ca_certs = prosody.ca
                x.add_event_handler("session_start",
                                    functools.partial(self._on_session, j, x))
                x.add_event_handler("message",
                                    functools.partial(self._on_message, j))
                x.add_event_handler("failed_auth", functools.partial(
                    self._on_fail, j, "authentication failed"))
                x.add_event_handler("connection_failed", functools.partial(
                    self._on_fail, j, "connection failed"))
                x.connect(("127.0.0.1", prosody.c2s_port), force_starttls=True)
                xs.append(x)
            return xs
        self.xs = asyncio.run_coroutine_threadsafe(make(), self.loop).result(30)
        with self.cond:
            self.cond.wait_for(lambda: len(self.ready) + len(self.failed)
                               == len(self.jids), timeout)
        if len(self.ready) != len(self.jids):
            missing = sorted(set(self.jids) - self.ready)
            self.close()
            raise h.HarnessError("crowd: %d of %d not logged in: %s %s"
                                 % (len(missing), len(self.jids), missing[:5],
                                    self.failed))

    def _on_session(self, jid, x, _event):
        x.send_presence()
        with self.cond:
            self.ready.add(jid)
            self.cond.notify_all()

    def _on_fail(self, jid, why, _event):
        with self.cond:
            self.failed[jid] = why
            self.cond.notify_all()

    def _on_message(self, jid, msg):
        with self.cond:
            self.got[jid].append((msg["from"].full, msg["id"], msg["body"]))
            self.cond.notify_all()

    def wait(self, pred, timeout):
        """Wait until pred(got) is true; returns it."""
        with self.cond:
            return self.cond.wait_for(lambda: pred(self.got), timeout)

    def close(self):
        async def bye():
            await asyncio.gather(*(x.disconnect(wait=0.2) for x in self.xs
                                   if x.transport is not None),
                                 return_exceptions=True)
        h.stop_loop(self.loop, self.thread, bye, timeout=10)


# ---------------------------------------------------------------------------
# The module's fixture

class Fixture:
    def __init__(self):
        self.demo = load_choreo_demo()
        p = self.prosody = h.Prosody(users=USERS)
        # Offline storage: a message queued while Prosody was down reaches its
        # recipient whichever of the two (bridge, recipient) logs in first.
        with open(p.cfg) as f:
            text = f.read()
        on = text.replace('"s2s_auth_certs", "offline" }', '"s2s_auth_certs" }')
        if on == text:
            raise h.HarnessError("cannot switch on mod_offline in %s" % p.cfg)
        with open(p.cfg, "w") as f:
            f.write(on)
        p.start()
        self.work = os.path.join(p.dir, "work")
        for sub in ("dump", "slow"):
            os.makedirs(os.path.join(self.work, sub), exist_ok=True)

        self.choreo = self.demo.start_bridge(p, send=cc.SEND)

        self.ctl = h.Bridge(p, [
            Route("echo", script("echo.sh")),
            Route("fail", script("fail.sh")),
            Route("env", script("dump.sh"),
                  env=["DUMP_DIR=" + os.path.join(self.work, "dump")]),
            Route("slow", script("slow.sh"),
                  env=["LOG_DIR=" + os.path.join(self.work, "slow"),
                       "SLEEP=2"]),
            Route("cron", script("echo.sh")),
            Route("flood", script("echo.sh")),
            Route("open", script("echo.sh"), allow="*"),
            Route("limited", script("echo.sh"),
                  send_allow="alice@localhost, *@other.localhost"),
        ], name="ctl")
        self.ctl.socket = os.path.join(self.ctl.dir, "control")
        with open(self.ctl.cfg, "a") as f:
            f.write("[control]\nsocket = %s\nmax_stanza = 4k\n"
                    % self.ctl.socket)
        self.ctl.start()

        self.comp = h.Bridge(p, [Route("comp", script("echo.sh"))],
                             name="component")
        self.comp.socket = os.path.join(self.comp.dir, "control")
        with open(self.comp.cfg, "w") as f:
            f.write("[xmpp]\nmode = component\ncomponent = %s\nsecret = %s\n"
                    "host = 127.0.0.1\nport = %d\n\n%s\n"
                    "[control]\nsocket = %s\nmode = 0600\n"
                    % (COMPONENT, p.component_secret, p.component_port,
                       Route("comp", script("echo.sh")).render(),
                       self.comp.socket))
            f.write(h.DAEMON_SECTION)
        self.comp.launch()
        self.wait_component(0)
        self.login()

    def wait_component(self, since):
        line = "component %s: online as %s" % (COMPONENT, COMPONENT)
        if not self.comp.wait_log(line, 20, since):
            raise h.HarnessError("component bridge not online:\n%s"
                                 % h.tail(self.comp.log))

    def login(self):
        self.a = h.Client(self.prosody, "alice@localhost", resource="ui")
        self.demo.acknowledge_done(self.a)
        self.c = h.Client(self.prosody, "carol@localhost")
        self.d = h.Client(self.prosody, "dave@localhost")
        self.eve = h.Client(self.prosody, "eve@other.localhost")

    def logout(self):
        for c in ("a", "c", "d", "eve"):
            cl = getattr(self, c, None)
            if cl:
                cl.close()
                setattr(self, c, None)

    def bridges(self):
        return (self.choreo, self.ctl, self.comp)

    def restore(self, since):
        """After a Prosody restart: Prosody up, every bridge online again
        (log offsets `since`), the clients logged in."""
        self.prosody.start()
        self.choreo.wait_online(30, since[0])
        self.ctl.wait_online(30, since[1])
        self.wait_component(since[2])
        if self.a is None:
            self.login()

    def close(self):
        self.logout()
        for b in (self.choreo, self.ctl, self.comp):
            b.stop()
        self.prosody.stop()


_fixture = h.ModuleFixture(Fixture, "control fixture")
fixture = _fixture.get
tearDownModule = _fixture.close


class ControlTest(cc.SendTest):
    def setUp(self):
        self.fx = fixture()
        for b in (self.fx.choreo, self.fx.ctl, self.fx.comp):
            self.assertTrue(b.alive(), "a bridge died:\n" + h.tail(b.log))

    def send(self, *args, stdin=None, sock=None, env=None, timeout=60):
        """Run xmpp-cgi-send with `-s SOCK` (default: the ctl bridge's)."""
        sock = self.fx.ctl.socket if sock is None else sock
        return cc.run_send(args, sock=sock, stdin=stdin, env=env,
                           timeout=timeout)

    def nonce(self, prefix):
        return h.Client.new_id(prefix)

    def wait_body(self, client, body, since=0, timeout=10):
        got = client.wait_for(lambda s: s.kind == "message"
                              and body_of(s) == body, timeout, since=since)
        self.assertIsNotNone(got, "%s never got %r; got %r"
                             % (client.jid, body, client.received(since)))
        return got


# ---------------------------------------------------------------------------

class Choreography(ControlTest):
    """cgi-examples/choreography end to end: A --req--> b --broadcast--> C, D,
    e; e --req--> f --req--> A, with the ids and order of its README."""

    def start(self, op):
        fx = self.fx
        marks = {c: c.mark() for c in (fx.a, fx.c, fx.d)}
        since = fx.choreo.log_size()
        fx.a.send_raw("<iq type='set' id='%s' to='%s/b'><start xmlns='%s'/>"
                      "</iq>" % (op, BRIDGE, NS))
        return marks, since

    def check(self, op, marks, since):
        fx, a = self.fx, self.fx.a
        # A: the result X from b, then the iq set X.done from f.
        done = a.wait_for(lambda s: s.id == op + ".done", 20, since=marks[a])
        self.assertIsNotNone(done, "A never got %s.done; log:\n%s"
                             % (op, fx.choreo.read_log(since)))
        res = a.wait_for(lambda s: s.id == op, 1, since=marks[a])
        self.assertIsNotNone(res, "A's request %s was never answered" % op)
        self.assertEqual((res.kind, res.type, res.frm),
                         ("iq", "result", BRIDGE + "/b"), res.xml)
        acc = res.el.find("{%s}accepted" % NS)
        self.assertIsNotNone(acc, res.xml)
        self.assertEqual((acc.get("op"), acc.get("notified")), (op, "3"))
        self.assertEqual((done.kind, done.type, done.frm),
                         ("iq", "set", BRIDGE + "/f"), done.xml)
        self.assertEqual(done.el.find("{%s}done" % NS).get("op"), op,
                         done.xml)
        seen = [s.id for s in a.received(marks[a]) if s.id in (op, op + ".done")]
        self.assertEqual(seen, [op, op + ".done"], "order at A")
        # C and D: the broadcast X.broadcast from b, naming A as the origin.
        for cl in (fx.c, fx.d):
            m = cl.wait_for(lambda s: s.id == op + ".broadcast", 10,
                            since=marks[cl])
            self.assertIsNotNone(m, "%s never got the broadcast" % cl.jid)
            self.assertEqual((m.kind, m.type, m.frm),
                             ("message", "normal", BRIDGE + "/b"), m.xml)
            bc = m.el.find("{%s}broadcast" % NS)
            self.assertIsNotNone(bc, m.xml)
            self.assertEqual((bc.get("op"), bc.get("origin")), (op, a.jid))
            self.assertEqual(body_of(m), "operation %s started by %s"
                             % (op, a.jid))
            self.assertEqual(len([s for s in cl.received(marks[cl])
                                  if s.id == op + ".broadcast"]), 1)
        # e got it too, asked f, and f's answer came back to e as X.step.
        want = ["b: op %s from %s: broadcasting to 3 recipients" % (op, a.jid),
                "e: op %s: broadcast from %s/b (origin %s)" % (op, BRIDGE, a.jid),
                "f: op %s: told A (%s) with %s.done" % (op, a.jid, op),
                "e: op %s: f answered result, id %s.step, step done" % (op, op)]
        status = "route e: message %s.broadcast from %s: status 204" \
            % (op, BRIDGE)
        self.assertTrue(fx.choreo.wait_log(status, 10, since),
                        fx.choreo.read_log(since))
        log = fx.choreo.read_log(since)
        pos = [log.find(w) for w in want]
        self.assertNotIn(-1, pos, log)
        self.assertEqual(pos, sorted(pos), "handler order:\n" + log)

    def test_one_operation(self):
        op = self.nonce("op")
        self.check(op, *self.start(op))

    def test_two_operations_at_once_stay_apart(self):
        ops = [self.nonce("op"), self.nonce("op")]
        started = [self.start(op) for op in ops]
        for op, (marks, since) in zip(ops, started):
            self.check(op, marks, since)

    def test_b_refuses_a_bad_operation_id(self):
        r = self.fx.a.request("<iq type='set' id='bad id!' to='%s/b'>"
                              "<start xmlns='%s'/></iq>" % (BRIDGE, NS))
        self.assertEqual(r.type, "error", r.xml)
        self.assertEqual(r.error()[1], "bad-request", r.xml)

    def test_only_a_may_start(self):
        # b: allow = alice@localhost; carol is refused before any broadcast.
        m = self.fx.d.mark()
        r = self.fx.c.request("<iq type='set' id='%s' to='%s/b'>"
                              "<start xmlns='%s'/></iq>"
                              % (self.nonce("op"), BRIDGE, NS))
        self.assertEqual((r.type, r.error()[1]), ("error", "forbidden"), r.xml)
        self.assertIsNone(self.fx.d.wait_for(lambda s: s.kind == "message",
                                             1, since=m))


class Send(ControlTest):
    def test_cron_script_outside_any_handler(self):
        # A cron job: a shell script, a clean environment, the socket given
        # with -s, one call for a chat message and one for a normal one.
        body = self.nonce("cron")
        job = os.path.join(self.fx.work, "cron-job.sh")
        with open(job, "w") as f:
            f.write("#!/bin/sh\nset -e\n"
                    "\"$SEND\" -s \"$SOCK\" --from-route cron "
                    "--to alice@localhost --message \"$BODY\"\n"
                    "\"$SEND\" -s \"$SOCK\" -r cron -t alice@localhost "
                    "--type normal -m \"$BODY normal\"\n")
        os.chmod(job, 0o755)
        m = self.fx.a.mark()
        r = subprocess.run([job], env={"PATH": "/usr/bin:/bin", "SEND": cc.SEND,
                                       "SOCK": self.fx.ctl.socket,
                                       "BODY": body},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30)
        self.assertExit(r, 0)
        self.assertEqual((r.stdout, r.stderr), ("", ""))
        chat = self.wait_body(self.fx.a, body, m)
        self.assertEqual((chat.type, chat.frm), ("chat", BRIDGE + "/cron"))
        normal = self.wait_body(self.fx.a, body + " normal", m)
        self.assertEqual((normal.type, normal.frm),
                         ("normal", BRIDGE + "/cron"))

    def test_socket_from_environment(self):
        body = self.nonce("envsock")
        m = self.fx.a.mark()
        r = self.send("--from-route", "cron", "--to", "alice@localhost",
                      "-m", body, sock="",
                      env={"PATH": "/usr/bin:/bin",
                           "XMPP_CGI_SOCKET": self.fx.ctl.socket})
        self.assertExit(r, 0)
        self.wait_body(self.fx.a, body, m)

    def test_stanza_from_is_the_routes(self):
        # The caller's from and to are replaced; the rest goes as written.
        id = self.nonce("st")
        m = self.fx.a.mark()
        r = self.send("--from-route", "cron", "--to", "alice@localhost",
                      "--stanza", "-",
                      stdin="<message xmlns='jabber:client' from='eve@other"
                      ".localhost' to='bob@localhost' type='headline' id='%s'>"
                      "<subject>s</subject><x xmlns='urn:e2e:x'>payload</x>"
                      "</message>" % id)
        self.assertExit(r, 0)
        got = self.fx.a.wait_for(lambda s: s.id == id, 10, since=m)
        self.assertIsNotNone(got)
        self.assertEqual((got.frm, got.type), (BRIDGE + "/cron", "headline"))
        self.assertEqual(got.el.find("{urn:e2e:x}x").text, "payload")

    def test_iq_wait_result(self):
        r = self.send("--from-route", "cron", "--to", BRIDGE + "/echo",
                      "--iq", "-", "--wait", "--timeout", "10",
                      stdin="<iq type='get' id='mine-1'>"
                      "<q xmlns='urn:e2e:q'>hi</q></iq>")
        self.assertExit(r, 0)
        el = ET.fromstring(r.stdout)
        self.assertEqual((el.tag, el.get("type"), el.get("id"), el.get("from")),
                         ("iq", "result", "mine-1", BRIDGE + "/echo"))
        inner = el.find("{urn:xmpp-cgi:echo}echo/%siq" % CLIENT)
        self.assertIsNotNone(inner, r.stdout)
        self.assertEqual(inner.get("from"), BRIDGE + "/cron")
        self.assertTrue(inner.get("id").startswith("xc-"), r.stdout)
        self.assertEqual(inner.find("{urn:e2e:q}q").text, "hi")

    def test_iq_wait_error(self):
        # The fail route's handler exits 1: internal-server-error, exit 8,
        # the error stanza on stdout.
        r = self.send("--from-route", "cron", "--to", BRIDGE + "/fail",
                      "--iq", "-", "--wait", "--timeout", "10",
                      stdin="<iq type='set' id='mine-2'>"
                      "<q xmlns='urn:e2e:q'/></iq>")
        self.assertExit(r, 8)
        el = ET.fromstring(r.stdout)
        self.assertEqual((el.get("type"), el.get("id"), el.get("from")),
                         ("error", "mine-2", BRIDGE + "/fail"))
        self.assertIsNotNone(el.find(
            "error/{%s}internal-server-error" % h.NS_STANZAS), r.stdout)

    def test_iq_wait_timeout(self):
        t0 = time.monotonic()
        r = self.send("--from-route", "cron", "--to", BRIDGE + "/slow",
                      "--iq", "-", "--wait", "--timeout", "0.5",
                      stdin="<iq type='get'><q xmlns='urn:e2e:q'/></iq>")
        self.assertExit(r, 7)
        self.assertLess(time.monotonic() - t0, 1.9)
        self.assertIn("timeout", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_iq_without_wait_is_sent_as_is(self):
        id = self.nonce("nowait")
        m = self.fx.a.mark()
        r = self.send("--from-route", "cron", "--to", self.fx.a.jid,
                      "--iq", "-", stdin="<iq type='set' id='%s'>"
                      "<done xmlns='%s' op='x'/></iq>" % (id, NS))
        self.assertExit(r, 0)
        self.assertEqual(r.stdout, "")
        got = self.fx.a.wait_for(lambda s: s.id == id, 10, since=m)
        self.assertIsNotNone(got)
        self.assertEqual((got.kind, got.type, got.frm),
                         ("iq", "set", BRIDGE + "/cron"))

    def test_handlers_get_the_socket(self):
        id = self.nonce("env")
        r = self.fx.a.request("<iq type='get' id='%s' to='%s/env'>"
                              "<q xmlns='urn:e2e:q'/></iq>" % (id, BRIDGE))
        self.assertEqual(r.type, "result", r.xml)
        path = os.path.join(self.fx.work, "dump", id + ".env")
        with open(path, "rb") as f:
            env = dict(kv.decode().split("=", 1)
                       for kv in f.read().split(b"\0") if kv)
        self.assertEqual(env.get("XMPP_CGI_SOCKET"), self.fx.ctl.socket)
        self.assertIn("PATH", env)

    def test_socket_mode(self):
        st = os.stat(self.fx.ctl.socket)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
        st = os.stat(self.fx.comp.socket)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        st = os.stat(self.fx.choreo.socket)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)

    def test_broadcast_to_50(self):
        crowd = Crowd(self.fx.prosody, CROWD)
        try:
            body = self.nonce("fifty")
            args = ["--from-route", "cron", "-m", body]
            for j in CROWD:
                args += ["--to", j]
            r = self.send(*args)
            self.assertExit(r, 0)
            self.assertEqual(r.stderr, "")

            def all_got(got):
                return all(any(b == body for _, _, b in got[j]) for j in CROWD)
            crowd.wait(all_got, 20)
            missing = [j for j in CROWD
                       if not any(b == body for _, _, b in crowd.got[j])]
            self.assertEqual(missing, [], "never got the broadcast")
            time.sleep(0.3)
            for j in CROWD:
                mine = [(f, b) for f, _, b in crowd.got[j] if b == body]
                self.assertEqual(mine, [(BRIDGE + "/cron", body)], j)
        finally:
            crowd.close()

    def test_send_allow(self):
        # limited: send_allow = alice@localhost, *@other.localhost.  A refused
        # recipient among allowed ones: exit 6, the others still get theirs.
        body = self.nonce("allow")
        ma, me = self.fx.a.mark(), self.fx.eve.mark()
        r = self.send("--from-route", "limited", "--to", "alice@localhost",
                      "--to", "bob@localhost", "--to", "eve@other.localhost",
                      "-m", body)
        self.assertExit(r, 6)
        self.assertIn("bob@localhost: forbidden", r.stderr)
        self.assertNotIn("alice", r.stderr)
        self.wait_body(self.fx.a, body, ma)
        self.wait_body(self.fx.eve, body, me)
        self.assertIn("control: route limited may not send to bob@localhost",
                      self.fx.ctl.read_log())

    def test_answer_must_come_from_the_recipient(self):
        # Bug check: an iq --wait must take its answer only from the JID it
        # was sent to.  The bridge's ids are xc-1, xc-2, ...: anyone who can
        # reach the route (eve, on a domain the route's ACL refuses) could
        # otherwise answer in the recipient's place.
        logdir = os.path.join(self.fx.work, "slow")
        times = os.path.join(logdir, "times")
        before = open(times).read() if os.path.exists(times) else ""
        victim = os.path.join(self.fx.work, "victim.xml")
        with open(victim, "w") as f:
            f.write("<iq type='get' id='victim'><q xmlns='urn:e2e:q'/></iq>")
        p = subprocess.Popen([cc.SEND, "-s", self.fx.ctl.socket, "--from-route",
                              "echo", "--to", BRIDGE + "/slow", "--iq", victim,
                              "--wait", "--timeout", "10"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            def started():
                if not os.path.exists(times):
                    return None
                for line in open(times).read()[len(before):].splitlines():
                    if line.split()[1:2] == ["start"]:
                        return line.split()[0]
                return None
            xc = h.wait_until(started, 10)
            self.assertTrue(xc and xc.startswith("xc-"), xc)
            self.fx.eve.send_raw("<iq type='result' id='%s' to='%s/echo'>"
                                 "<forged xmlns='urn:e2e:forged'/></iq>"
                                 % (xc, BRIDGE))
            out, err = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertNotIn("forged", out,
                         "the bridge took eve's forged answer for the iq to "
                         "%s/slow" % BRIDGE)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn('from="%s/slow"' % BRIDGE, out)


class BadRequests(ControlTest):
    def test_unknown_route(self):
        r = self.send("--from-route", "nosuch", "--to", "alice@localhost",
                      "-m", "x")
        self.assertExit(r, 3)
        self.assertIn("unknown-route", r.stderr)

    def test_star_route_is_not_a_sender(self):
        r = self.send("--from-route", "*", "--to", "alice@localhost",
                      "-m", "x", sock=self.fx.choreo.socket)
        self.assertExit(r, 3)

    def test_malformed_xml(self):
        for payload, what in (("<message><body>x</body>", "--stanza"),
                              ("<foo/>", "--stanza"),
                              ("<iq type='result'/>", "--iq"),
                              ("<message/>", "--iq"),
                              ("<!DOCTYPE m [<!ENTITY e 'x'>]><message/>",
                               "--stanza"),
                              ("<message xmlns='urn:other'/>", "--stanza")):
            with self.subTest(payload=payload):
                args = ["--from-route", "cron", "--to", "alice@localhost",
                        what, "-"]
                if what == "--iq":
                    args.append("--wait")
                r = self.send(*args, stdin=payload)
                self.assertExit(r, 4)
                self.assertIn("bad-xml", r.stderr)

    def test_bad_to(self):
        r = self.send("--from-route", "cron", "--to", "@localhost", "-m", "x")
        self.assertExit(r, 4)
        self.assertIn("bad-to", r.stderr)

    def test_missing_to_is_usage(self):
        r = self.send("--from-route", "cron", "-m", "x")
        self.assertExit(r, 1)
        self.assertIn("--help", r.stderr)
        for args in (["--to", "alice@localhost", "-m", "x"],
                     ["--from-route", "cron", "--to", "alice@localhost"],
                     ["--from-route", "cron", "--to", "alice@localhost",
                      "-m", "x", "--wait"],
                     ["--from-route", "cron", "--to", "alice@localhost",
                      "-m", "x", "--type", "headline"]):
            with self.subTest(args=args):
                self.assertExit(self.send(*args), 1)

    def test_too_large(self):
        # max_stanza = 4k on this bridge: 4096 bytes pass, 4097 do not.
        def stanza(n):
            head, tail = "<message><body>", "</body></message>"
            return head + "x" * (n - len(head) - len(tail)) + tail
        self.assertExit(self.send("--from-route", "cron", "--to",
                                  "nobody@localhost", "--stanza", "-",
                                  stdin=stanza(4096)), 0)
        r = self.send("--from-route", "cron", "--to", "alice@localhost",
                      "--stanza", "-", stdin=stanza(4097))
        self.assertExit(r, 4)
        self.assertIn("too-large", r.stderr)

    def test_forbidden(self):
        r = self.send("--from-route", "limited", "--to", "bob@localhost",
                      "-m", "x")
        self.assertExit(r, 6)
        self.assertIn("forbidden", r.stderr)

    def test_no_socket(self):
        r = self.send("--from-route", "cron", "--to", "alice@localhost",
                      "-m", "x", sock=os.path.join(self.fx.work, "missing"))
        self.assertExit(r, 2)
        self.assertIn("No such file", r.stderr)
        r = self.send("--from-route", "cron", "--to", "alice@localhost",
                      "-m", "x", sock="", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 1)

    def test_bridge_not_running(self):
        # A socket file nobody listens on (left by a bridge that died).
        path = os.path.join(self.fx.work, "stale.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.close()
        try:
            r = self.send("--from-route", "cron", "--to", "alice@localhost",
                          "-m", "x", sock=path)
        finally:
            os.unlink(path)
        self.assertExit(r, 2)
        self.assertIn("Connection refused", r.stderr)


class Protocol(ControlTest):
    """The wire protocol without the tool."""

    def test_garbage_line_closes_the_connection(self):
        for garbage in (b"hello\n", b"message cron alice@localhost -3\n",
                        b"shout cron alice@localhost 1\nx",
                        b"message cron alice@localhost 1 500\nx",
                        b"x" * 1100):
            with self.subTest(garbage=garbage[:40]):
                with cc.connect(self.fx.ctl.socket) as s:
                    s.sendall(garbage)
                    line = cc.read_line(s)
                    self.assertTrue(line and line.startswith(
                        "fail bad-request "), line)
                    self.assertEqual(s.recv(100), b"", "not closed")
        self.assertTrue(self.fx.ctl.alive())

    def test_valid_request_after_refused_ones(self):
        body = self.nonce("after")
        m = self.fx.a.mark()
        with cc.connect(self.fx.ctl.socket) as s:
            # Pipelined: each request gets its own answer line, in order.
            s.sendall(cc.request("message", "nosuch", "alice@localhost", "x")
                      + cc.request("message", "limited", "bob@localhost", "x")
                      + cc.request("stanza", "cron", "alice@localhost", "<a")
                      + cc.request("stanza", "cron", "alice@localhost",
                                   "<message><body>" + "y" * 5000
                                   + "</body></message>")
                      + cc.request("message", "cron", "@x", "x")
                      + cc.request("message", "cron", "alice@localhost", body))
            answers = [cc.read_line(s) for _ in range(6)]
            self.assertEqual([a.split(" ")[:2] for a in answers],
                             [["fail", "unknown-route"], ["fail", "forbidden"],
                              ["fail", "bad-xml"], ["fail", "too-large"],
                              ["fail", "bad-to"], ["ok", "sent"]], answers)
        self.wait_body(self.fx.a, body, m)

    def test_iq_answer_framing(self):
        with cc.connect(self.fx.ctl.socket) as s:
            s.sendall(cc.request("iq", "cron", BRIDGE + "/echo",
                                 "<iq type='get' id='raw-1'><q xmlns='urn:e2e:q'"
                                 "/></iq>", 5000)
                      + cc.request("iq", "cron", BRIDGE + "/fail",
                                   "<iq type='get'><q xmlns='urn:e2e:q'/></iq>"))
            head = cc.read_line(s)
            self.assertRegex(head, r"^result \d+$")
            el = ET.fromstring(cc.read_exact(s, int(head.split()[1])))
            self.assertEqual((el.get("id"), el.get("type")), ("raw-1", "result"))
            head = cc.read_line(s)
            self.assertRegex(head, r"^error \d+$")
            el = ET.fromstring(cc.read_exact(s, int(head.split()[1])))
            self.assertEqual(el.get("type"), "error")
            self.assertIsNone(el.get("id"))


class Component(ControlTest):
    def test_from_is_route_at_component(self):
        body = self.nonce("comp")
        m = self.fx.a.mark()
        r = self.send("--from-route", "comp", "--to", "alice@localhost",
                      "-m", body, sock=self.fx.comp.socket)
        self.assertExit(r, 0)
        got = self.wait_body(self.fx.a, body, m)
        self.assertEqual(got.frm, "comp@" + COMPONENT)

    def test_iq_wait_from_component(self):
        r = self.send("--from-route", "comp", "--to", BRIDGE + "/open",
                      "--iq", "-", "--wait", "--timeout", "10",
                      sock=self.fx.comp.socket,
                      stdin="<iq type='get' id='c-1'><q xmlns='urn:e2e:q'/>"
                      "</iq>")
        self.assertExit(r, 0)
        el = ET.fromstring(r.stdout)
        self.assertEqual((el.get("id"), el.get("to"), el.get("from")),
                         ("c-1", "comp@" + COMPONENT, BRIDGE + "/open"))


class NeverOnline(ControlTest):
    """A bridge whose server never answers (nothing listens on its port)."""

    def start_offline_bridge(self, name):
        b = h.Bridge(self.fx.prosody, [Route("cron", script("echo.sh"))],
                     name=name)
        b.socket = os.path.join(b.dir, "control")
        b.edit_config(lambda text: text.replace(
            "port = %d" % self.fx.prosody.c2s_port, "port = %d" % h.free_port())
            + "[control]\nsocket = %s\n" % b.socket)
        b.launch()
        self.addCleanup(b.stop)
        self.assertTrue(b.wait_log("control socket listening", 10), b.read_log())
        return b

    def test_queued_stanzas_lost_at_shutdown_are_logged(self):
        # Bug check: the caller heard "queued ... sent on reconnect"; when the
        # bridge stops first, the stanza is gone, and the log must say so.
        b = self.start_offline_bridge("offline-lost")
        r = self.send("--from-route", "cron", "--to", "alice@localhost",
                      "-m", "never", sock=b.socket)
        self.assertExit(r, 0)
        self.assertIn("queued", r.stderr)
        since = b.log_size()
        self.assertEqual(b.stop(), 0)
        log = b.read_log(since)
        self.assertRegex(log, r"route cron\b.*\b(dropp|discard|lost|not sent)",
                         "the queued stanza vanished without a word:\n" + log)

    def test_iq_wait_while_offline_times_out(self):
        b = self.start_offline_bridge("offline-iq")
        r = self.send("--from-route", "cron", "--to", BRIDGE + "/echo",
                      "--iq", "-", "--wait", "--timeout", "0.5", sock=b.socket,
                      stdin="<iq type='get'><q xmlns='urn:e2e:q'/></iq>")
        self.assertExit(r, 7)


class Queue(ControlTest):
    """Prosody stops: stanzas queue (bounded) and go out on reconnect."""

    def test_queue_across_prosody_restart(self):
        fx = self.fx
        body = self.nonce("queued")
        fx.logout()
        since = [b.log_size() for b in fx.bridges()]
        fx.prosody.stop()
        try:
            for route in ("cron", "flood"):
                self.assertTrue(fx.ctl.wait_log("route %s: disconnected" % route,
                                                10, since[1]),
                                fx.ctl.read_log(since[1]))
            r = self.send("--from-route", "cron", "--to", "alice@localhost",
                          "-m", body)
            self.assertExit(r, 0)
            self.assertIn("queued", r.stderr)
            # The bound: 1024 stanzas wait; the next one is refused.
            with cc.connect(fx.ctl.socket) as s:
                s.sendall(b"".join(cc.request("message", "flood",
                                              "nobody@localhost", "q%d" % i)
                                   for i in range(1024)))
                answers = [cc.read_line(s) for _ in range(1024)]
                self.assertEqual(set(answers), {"ok queued"})
                s.sendall(cc.request("message", "flood", "nobody@localhost", "x"))
                self.assertRegex(cc.read_line(s), r"^fail offline ")
            r = self.send("--from-route", "flood", "--to", "nobody@localhost",
                          "-m", "x")
            self.assertExit(r, 5)
            self.assertIn("offline", r.stderr)
            fx.prosody.start()
            fx.ctl.wait_online(30, since[1])
            # alice logs in after the bridge is back: the message went out on
            # reconnect and waited in her offline storage.
            a = h.Client(fx.prosody, "alice@localhost", resource="queue")
            try:
                got = a.wait_for(lambda s: s.kind == "message"
                                 and body_of(s) == body, 20)
                self.assertIsNotNone(got, "the queued message never arrived; "
                                     "log:\n" + fx.ctl.read_log(since[1]))
                self.assertEqual(got.frm, BRIDGE + "/cron")
            finally:
                a.close()
        finally:
            fx.restore(since)
        # Back to normal: a plain send is "sent" again.
        r = self.send("--from-route", "cron", "--to", "alice@localhost",
                      "-m", "x")
        self.assertExit(r, 0)
        self.assertEqual(r.stderr, "")


if __name__ == "__main__":
    unittest.main()
