# e2e: SIGHUP reload (private Prosody) - 450 iqs from three slixmpp clients,
# each keeping a window of 12 iqs in flight, across three reloads:
# one adding a route, one removing a route while its handlers run and its
# queue is full, one with a broken file. Every iq is answered exactly once;
# the removed route's running and queued requests are answered with results;
# the new route answers; the broken file is refused with FILE:LINE in the log
# and the old routes keep answering on the connections they had. Also: a
# changed route keeps its connection and new requests see the new settings,
# a changed FastCGI route finishes on the shared backend and keeps its
# connection, a removed one closes only the backend no other route names, an
# [xmpp] or [daemon] change is refused, component mode adds and removes
# routes on its one connection.

import os
import re
import signal
import threading
import unittest
import urllib.request

import backends as be
import component
import harness as h
from harness import Route, script

_prosody = h.ModuleProsody()
prosody = _prosody.get  # a private Prosody for this module, started once


def write_config(bridge, routes, extra=""):
    """Rewrite the bridge's file with other routes, keeping [xmpp] (and the
    [daemon] section the harness writes after the routes)."""
    with open(bridge.cfg) as f:
        text = f.read()
    head = text[:text.index("[route ")]
    with open(bridge.cfg, "w") as f:
        f.write(head)
        for r in routes:
            f.write(r.render() + "\n")
        f.write(extra)
        f.write("\n" + h.DAEMON_SECTION)


class Load:
    """A client that keeps `window` iqs in flight to the routes in turn, as
    long as the test allows it more iqs (allow()); it records every id sent."""

    def __init__(self, client, routes, window):
        self.client = client
        self.routes = list(routes)
        self.window = window
        self.total = 0
        self.sent = []          # (id, route)
        self.stop_flag = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def answered(self):
        ids = {i for i, _ in self.sent}
        return {s.id for s in self.client.received() if s.id in ids}

    def _run(self):
        try:
            n = 0
            while not self.stop_flag.is_set():
                while len(self.sent) - len(self.answered()) < self.window \
                        and len(self.sent) < self.total:
                    route = self.routes[n % len(self.routes)]
                    n += 1
                    id, xml = self.client.iq("bridge@localhost/" + route,
                                             id=self.client.new_id("load"))
                    self.sent.append((id, route))
                    self.client.send_raw(xml)
                mark = self.client.mark()
                self.client.wait_for(lambda s: True, 2, since=mark)
        except Exception as e:  # reported by the test
            self.error = e

    def allow(self, n):
        self.total += n

    def stop(self):
        self.stop_flag.set()
        self.thread.join(30)


class Reload(unittest.TestCase):
    def setUp(self):
        self.prosody = prosody()
        self.cleanups = []

    def tearDown(self):
        h.run_cleanups(self.cleanups)

    def start_bridge(self, name, routes, metrics_port=None):
        b = h.Bridge(self.prosody, routes, name=name)
        if metrics_port:
            # before the routes, so that write_config() keeps it
            with open(b.cfg) as f:
                text = f.read()
            i = text.index("[route ")
            with open(b.cfg, "w") as f:
                f.write(text[:i] + "[metrics]\nlisten = 127.0.0.1:%d\n\n"
                        % metrics_port + text[i:])
        self.cleanups.append(b.stop)
        b.start()
        return b

    def page(self, port):
        url = "http://127.0.0.1:%d/metrics" % port
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read().decode()

    def gauge(self, port, name, route):
        page = self.page(port)
        m = re.search(r'^%s\{route="%s"\} (\d+)$' % (name, route), page, re.M)
        return int(m.group(1)) if m else None

    def client(self, jid="alice@localhost", resource="reload"):
        c = h.Client(self.prosody, jid, resource=resource)
        self.cleanups.append(c.close)
        return c

    def hup(self, b, needle):
        since = b.log_size()
        os.kill(b.proc.pid, signal.SIGHUP)
        self.assertTrue(b.wait_log(needle, 15, since),
                        "no %r after SIGHUP:\n%s" % (needle, h.tail(b.log)))
        return since

    def test_three_reloads_under_load(self):
        work = os.path.join(self.prosody.dir, "reload-load")
        os.makedirs(work, exist_ok=True)
        # a and c take a fifth of a second, so the 450 iqs last through
        # every phase; b takes a second, so its requests are still running
        # and queued when it is removed.
        for d in ("a", "c"):
            os.makedirs(os.path.join(work, d), exist_ok=True)
        a = Route("a", script("slow.sh"), max_concurrency=8,
                  env=["LOG_DIR=" + os.path.join(work, "a"), "SLEEP=0.2"])
        b_route = Route("b", script("slow.sh"), max_concurrency=2,
                        env=["LOG_DIR=" + work, "SLEEP=1"])
        c = Route("c", script("slow.sh"), max_concurrency=8,
                  env=["LOG_DIR=" + os.path.join(work, "c"), "SLEEP=0.2"])
        port = h.free_port()
        b = self.start_bridge("reload-load", [a, b_route], metrics_port=port)
        clients = [self.client(resource="load%d" % i) for i in range(3)]
        loads = [Load(cl, ["a"], 12) for cl in clients]
        log_start = b.log_size()

        def progress(n):
            """Let every load send 30 more iqs and wait until n of them are
            answered: the reload that follows meets a full window."""
            base = [len(ld.answered()) for ld in loads]
            for ld in loads:
                ld.allow(30)
            ok = h.wait_until(lambda: all(len(ld.answered()) >= b0 + n
                                          for ld, b0 in zip(loads, base)),
                              60, 0.1)
            self.assertTrue(ok, "load stalled:\n" + h.tail(b.log))

        progress(10)
        # 1: add route c; it connects and answers, a keeps going.
        write_config(b, [a, b_route, c])
        self.hup(b, "reloaded")
        self.assertTrue(b.wait_log("route c: online as", 20, log_start),
                        h.tail(b.log))
        r = clients[0].query("bridge@localhost/c")
        self.assertEqual(r.type, "result", r.xml)
        for ld in loads:
            ld.routes.append("c")
        progress(10)

        # 2: remove route b while two of its handlers run and four wait.
        bob = self.client("bob@localhost", "bslow")
        m = bob.mark()
        b_ids = bob.send_iqs("bridge@localhost/b", 6, prefix="b")
        self.assertTrue(h.wait_until(
            lambda: self.gauge(port, "xmpp_cgi_in_flight", "b") == 2 and
            self.gauge(port, "xmpp_cgi_queue_depth", "b") == 4, 15),
            h.tail(b.log))
        write_config(b, [a, c])
        since = self.hup(b, "reloaded")
        self.assertIn("1 removed", b.read_log(since))
        self.assertEqual(self.gauge(port, "xmpp_cgi_route_draining", "b"), 1)
        self.assertTrue(b.wait_log("route b: drained", 30, since),
                        h.tail(b.log))
        for id in b_ids:
            r = bob.wait_for(lambda s, id=id: s.id == id, 30, since=m)
            self.assertIsNotNone(r, "b's request %s lost:\n%s"
                                 % (id, h.tail(b.log)))
            self.assertEqual(r.type, "result",
                             "b's request %s: %s" % (id, r.xml))
        self.assertTrue(b.wait_log("route b: removed from the configuration",
                                   10, since), h.tail(b.log))
        progress(10)

        # 3: a broken file is refused with FILE:LINE; a and c keep answering.
        write_config(b, [a, c], extra="[route \"d\"]\ncgi = %s\ntimeout = "
                     "soon\n" % script("echo.sh"))
        with open(b.cfg) as f:
            bad_line = f.read().splitlines().index("timeout = soon") + 1
        since = self.hup(b, "reload refused")
        self.assertIn("reload refused: %s:%d: " % (b.cfg, bad_line),
                      b.read_log(since))
        progress(10)
        r = clients[1].query("bridge@localhost/c")
        self.assertEqual(r.type, "result", r.xml)
        progress(10)

        for ld in loads:
            self.assertTrue(h.wait_until(
                lambda ld=ld: len(ld.sent) == ld.total, 60), h.tail(b.log))
            ld.stop()
        for ld in loads:
            self.assertIsNone(ld.error)
            ids = [i for i, _ in ld.sent]
            self.assertTrue(h.wait_until(
                lambda ld=ld: len(ld.answered()) == len(ids), 30),
                "unanswered: %s" % (set(ids) - ld.answered()))
            ld.client.wait_for(lambda s: False, 1.0)
            count = {}
            for s in ld.client.received():
                count[s.id] = count.get(s.id, 0) + 1
                if s.id in count and s.id.startswith("load"):
                    self.assertEqual(s.type, "result", s.xml)
            wrong = {i: count.get(i, 0) for i in ids if count.get(i, 0) != 1}
            self.assertEqual(wrong, {}, "iqs not answered exactly once")
        total = sum(len(ld.sent) for ld in loads)
        self.assertEqual(total, 450)
        # a kept its one connection through every reload
        self.assertEqual(b.read_log(log_start).count("route a: online as"), 0,
                         h.tail(b.log))
        self.assertNotIn("route a: disconnected", b.read_log(log_start))

    def test_changed_route_keeps_connection_new_settings(self):
        # A request running under the old settings finishes with them; the
        # next one, sent while it runs, already gets the new handler.
        work = os.path.join(self.prosody.dir, "reload-change")
        os.makedirs(work, exist_ok=True)
        marker = os.path.join(work, "marks")
        b = self.start_bridge("reload-change", [
            Route("a", script("slow.sh"), env=["LOG_DIR=" + work, "SLEEP=2"])])
        alice = self.client()
        m = alice.mark()
        id1, xml = alice.iq("bridge@localhost/a")
        alice.send_raw(xml)
        times = os.path.join(work, "times")
        self.assertTrue(h.wait_until(lambda: os.path.exists(times), 10),
                        h.tail(b.log))
        write_config(b, [Route("a", script("marker.sh"),
                               env=["MARKER=" + marker])])
        since = self.hup(b, "reloaded")
        self.assertIn("1 changed", b.read_log(since))
        r2 = alice.query("bridge@localhost/a")
        self.assertEqual(r2.type, "result", r2.xml)
        self.assertIn("marked", r2.xml)
        r1 = alice.wait_for(lambda s: s.id == id1, 15, since=m)
        self.assertIsNotNone(r1, h.tail(b.log))
        self.assertEqual(r1.type, "result", r1.xml)
        self.assertIn("done " + id1, r1.xml)
        self.assertTrue(b.wait_log("route a: drained", 10, since))
        self.assertNotIn("route a: online as", b.read_log(since))
        self.assertNotIn("disconnect", b.read_log(since))

    def test_component_mode_routes_change_on_one_connection(self):
        b = component.ComponentBridge(self.prosody, [
            Route("one", script("echo.sh")), Route("two", script("echo.sh"))],
            name="reload-component")
        self.cleanups.append(b.stop)
        b.start()
        alice = self.client()
        for route in ("one", "two"):
            r = alice.query("%s@%s" % (route, component.COMPONENT))
            self.assertEqual(r.type, "result", r.xml)
        write_config(b, [Route("one", script("echo.sh")),
                         Route("three", script("echo.sh"))])
        since = self.hup(b, "reloaded")
        self.assertIn("1 unchanged, 0 changed, 1 added, 1 removed",
                      b.read_log(since))
        r = alice.query("three@%s" % component.COMPONENT)
        self.assertEqual(r.type, "result", r.xml)
        r = alice.query("two@%s" % component.COMPONENT)
        self.assertEqual(r.type, "error", r.xml)
        self.assertEqual(r.error()[1], "item-not-found", r.xml)
        r = alice.query("one@%s" % component.COMPONENT)
        self.assertEqual(r.type, "result", r.xml)
        self.assertNotIn("online as", b.read_log(since))
        # [xmpp] changes need a restart in component mode too
        b.edit_config(lambda text: text.replace("host = 127.0.0.1",
                                                "host = ::1"))
        since = self.hup(b, "reload refused")
        self.assertIn("[xmpp] changed", b.read_log(since))
        r = alice.query("three@%s" % component.COMPONENT)
        self.assertEqual(r.type, "result", r.xml)

    def test_changed_fastcgi_route_shares_its_backend(self):
        # Backends belong to addresses: the changed route gets a route of its
        # own on the same backend. The old one answers the requests it holds,
        # then goes; the backend and its kept-alive connection stay.
        work = os.path.join(self.prosody.dir, "reload-fcgi")
        os.makedirs(work, exist_ok=True)
        backend = be.Responder(work, "resp", delay=1500).start()
        self.cleanups.append(backend.stop)
        f = Route("f", fastcgi=backend.address, params=["WHICH=old"])
        b = self.start_bridge("reload-fcgi", [f])
        alice = self.client()
        m = alice.mark()
        ids = alice.send_iqs("bridge@localhost/f", 3)
        self.assertTrue(h.wait_until(
            lambda: backend.stats().get("requests", 0) >= 3, 15),
            "the backend never got the requests:\n" + h.tail(b.log))
        write_config(b, [Route("f", fastcgi=backend.address,
                               params=["WHICH=new"])])
        since = self.hup(b, "reloaded")
        self.assertIn("1 changed", b.read_log(since))
        r = alice.query("bridge@localhost/f", timeout=20)
        self.assertEqual(r.type, "result", r.xml)
        for id in ids:
            r = alice.wait_for(lambda s, id=id: s.id == id, 20, since=m)
            self.assertIsNotNone(r, h.tail(b.log))
            self.assertEqual(r.type, "result", r.xml)
        self.assertTrue(b.wait_log("route f: drained", 10, since),
                        h.tail(b.log))
        opened = backend.stats().get("connections", 0)
        r = alice.query("bridge@localhost/f", timeout=20)
        self.assertEqual(r.type, "result", r.xml)
        self.assertNotIn("no route names it", b.read_log(since))
        self.assertEqual(backend.stats().get("connections", 0), opened,
                         "the drained route took the shared connection with it")

    def test_removed_fastcgi_route_releases_only_its_own_backend(self):
        # f1 and f2 share backend A, g alone names B. Removing f1 and g: A
        # stays (f2 names it) with its connection, B closes its connections
        # and leaves the metrics.
        work = os.path.join(self.prosody.dir, "reload-fcgi-rm")
        os.makedirs(work, exist_ok=True)
        a = be.Responder(work, "a").start()
        self.cleanups.append(a.stop)
        bb = be.Responder(work, "b").start()
        self.cleanups.append(bb.stop)
        port = h.free_port()
        b = self.start_bridge("reload-fcgi-rm", [
            Route("f1", fastcgi=a.address), Route("f2", fastcgi=a.address),
            Route("g", fastcgi=bb.address)], metrics_port=port)
        alice = self.client()
        for route in ("f1", "g"):
            r = alice.query("bridge@localhost/" + route, timeout=20)
            self.assertEqual(r.type, "result", r.xml)
        page = self.page(port)
        self.assertIn('xmpp_cgi_fastcgi_connections{backend="%s"} 1' % bb.address,
                      page)
        write_config(b, [Route("f2", fastcgi=a.address)])
        since = self.hup(b, "reloaded")
        self.assertTrue(b.wait_log("route g: drained", 10, since), h.tail(b.log))
        self.assertTrue(b.wait_log("fastcgi %s: no route names it any more"
                                   % bb.address, 10, since), h.tail(b.log))
        self.assertTrue(b.wait_log("route f1: drained", 10, since), h.tail(b.log))
        self.assertNotIn("fastcgi %s: no route names it" % a.address,
                         b.read_log(since))
        page = self.page(port)
        self.assertNotIn('backend="%s"' % bb.address, page)
        self.assertIn('xmpp_cgi_fastcgi_connections{backend="%s"} 1' % a.address,
                      page)
        opened = a.stats().get("connections", 0)
        r = alice.query("bridge@localhost/f2", timeout=20)
        self.assertEqual(r.type, "result", r.xml)
        self.assertEqual(a.stats().get("connections", 0), opened)

    def test_daemon_change_needs_restart(self):
        # [daemon] applies when the daemon starts (privilege drop): a reload
        # that changes it is refused as a whole
        b = self.start_bridge("reload-daemon", [Route("a", script("echo.sh"))])
        with open(b.cfg, "a") as f:  # the harness's [daemon] section, if any, is last
            f.write("group = root\n" if h.DAEMON_SECTION else "[daemon]\nuser = root\n")
        since = self.hup(b, "reload refused")
        self.assertIn("[daemon] changed", b.read_log(since))
        alice = self.client()
        r = alice.query("bridge@localhost/a")
        self.assertEqual(r.type, "result", r.xml)

    def test_xmpp_change_needs_restart(self):
        b = self.start_bridge("reload-xmpp", [Route("a", script("echo.sh"))])
        b.edit_config(lambda text: text.replace("tls = required",
                                                "tls = optional"))
        since = self.hup(b, "reload refused")
        self.assertIn("[xmpp] changed", b.read_log(since))
        alice = self.client()
        r = alice.query("bridge@localhost/a")
        self.assertEqual(r.type, "result", r.xml)


if __name__ == "__main__":
    unittest.main()
