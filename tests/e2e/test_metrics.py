# e2e: the [metrics] endpoint (private Prosody) - after real traffic (iqs,
# a message, 404s, a timeout, FastCGI requests to a live and a dead backend,
# a reload) the page passes `promtool check metrics` (Debian's prometheus
# package) and its counters moved by what was sent: requests by kind,
# answers by class, timeouts, the latency histogram, the backends' states and
# connections, the links' states, reloads. Only GET /metrics is served.

import os
import re
import shutil
import signal
import subprocess
import unittest
import urllib.error
import urllib.request

import backends as be
import harness as h
from harness import Route, script

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')


def parse(page):
    """{(name, frozenset(labels.items())): value} of every sample."""
    out = {}
    for line in page.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError("not a sample line: %r" % line)
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prosody = h.Prosody()
        cls.prosody.start()
        cls.work = os.path.join(cls.prosody.dir, "metrics")
        os.makedirs(cls.work, exist_ok=True)
        cls.backend = be.Responder(cls.work, "live").start()
        cls.port = h.free_port()
        cls.bridge = h.Bridge(cls.prosody, [
            Route("echo", script("echo.sh")),
            Route("nf", script("status.sh"), env=["STATUS=404 Not Found"]),
            Route("slow", script("sleeper.sh"), timeout=1,
                  env=["PID_DIR=" + cls.work, "SLEEP=30"]),
            Route("fcgi", fastcgi=cls.backend.address),
            Route("dead", fastcgi="unix:" + os.path.join(cls.work, "none.sock"))],
            name="metrics")
        with open(cls.bridge.cfg, "a") as f:
            f.write("[metrics]\nlisten = 127.0.0.1:%d\n" % cls.port)
        cls.bridge.start()

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()
        cls.backend.stop()
        cls.prosody.stop()

    def setUp(self):
        self.cleanups = []

    def tearDown(self):
        for fn in reversed(self.cleanups):
            fn()

    def fetch(self, path="/metrics", method="GET"):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path),
                                     method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()

    def scrape(self):
        status, ctype, page = self.fetch()
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), ctype)
        return page

    def promtool(self, page):
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=page,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, "promtool check metrics:\n%s%s\n%s"
                         % (r.stdout, r.stderr, page))

    def test_counters_move_with_traffic_and_pass_promtool(self):
        before = parse(self.scrape())
        alice = h.Client(self.prosody, "alice@localhost", resource="metrics")
        self.cleanups.append(alice.close)
        to = "bridge@localhost/"
        for _ in range(5):
            self.assertEqual(alice.query(to + "echo").type, "result")
        for _ in range(2):
            r = alice.query(to + "nf")
            self.assertEqual(r.error()[1], "item-not-found", r.xml)
        r = alice.query(to + "slow", timeout=20)
        self.assertEqual(r.error()[1], "remote-server-timeout", r.xml)
        for _ in range(3):
            self.assertEqual(alice.query(to + "fcgi").type, "result")
        r = alice.query(to + "dead")
        self.assertEqual(r.type, "error", r.xml)
        m = alice.mark()
        alice.send_raw("<message to='%secho' id='m1'><body>hi</body></message>"
                       % to)
        self.assertTrue(self.bridge.wait_log("route echo: message m1", 10),
                        h.tail(self.bridge.log))
        alice.wait_for(lambda s: False, 0.2, since=m)

        page = self.scrape()
        self.promtool(page)
        after = parse(page)

        def moved(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        self.assertEqual(moved("xmpp_cgi_requests_total", route="echo", kind="iq"), 5)
        self.assertEqual(moved("xmpp_cgi_requests_total", route="echo",
                               kind="message"), 1)
        self.assertEqual(moved("xmpp_cgi_answers_total", route="echo",
                               **{"class": "result"}), 5)
        self.assertEqual(moved("xmpp_cgi_answers_total", route="echo",
                               **{"class": "none"}), 1)
        self.assertEqual(moved("xmpp_cgi_answers_total", route="nf",
                               **{"class": "item-not-found"}), 2)
        self.assertEqual(moved("xmpp_cgi_answers_total", route="slow",
                               **{"class": "remote-server-timeout"}), 1)
        self.assertEqual(moved("xmpp_cgi_timeouts_total", route="slow"), 1)
        self.assertEqual(moved("xmpp_cgi_answers_total", route="fcgi",
                               **{"class": "result"}), 3)
        self.assertEqual(moved("xmpp_cgi_handler_duration_seconds_count",
                               route="echo"), 6)
        self.assertGreaterEqual(value(after, "xmpp_cgi_handler_duration_seconds_bucket",
                                      route="slow", le="+Inf"), 1)
        self.assertEqual(value(after, "xmpp_cgi_handler_duration_seconds_bucket",
                               route="slow", le="0.5"), 0,
                         "a handler killed after its 1 s timeout took under 0.5 s")
        self.assertEqual(value(after, "xmpp_cgi_in_flight", route="echo"), 0)
        self.assertEqual(value(after, "xmpp_cgi_queue_depth", route="echo"), 0)
        # backends are per address, shared by the routes naming it
        self.assertEqual(value(after, "xmpp_cgi_fastcgi_backend_state",
                               backend=self.backend.address, state="up"), 1)
        self.assertGreaterEqual(value(after, "xmpp_cgi_fastcgi_connections",
                                      backend=self.backend.address), 1)
        self.assertEqual(value(after, "xmpp_cgi_fastcgi_outstanding",
                               backend=self.backend.address), 0)
        self.assertEqual(value(after, "xmpp_cgi_fastcgi_waiting",
                               backend=self.backend.address), 0)
        dead = "unix:" + os.path.join(self.work, "none.sock")
        self.assertEqual(value(after, "xmpp_cgi_fastcgi_backend_state",
                               backend=dead, state="disabled"), 1)
        for route in ("echo", "nf", "slow", "fcgi", "dead"):
            self.assertEqual(value(after, "xmpp_cgi_link_state",
                                   link="route " + route, state="online"), 1)
            self.assertEqual(value(after, "xmpp_cgi_link_reconnects_total",
                                   link="route " + route), 0)

    def test_reload_counted(self):
        before = parse(self.scrape())
        since = self.bridge.log_size()
        os.kill(self.bridge.proc.pid, signal.SIGHUP)
        self.assertTrue(self.bridge.wait_log("reloaded", 10, since))
        after = parse(self.scrape())
        self.assertEqual(value(after, "xmpp_cgi_reloads_total", result="applied")
                         - value(before, "xmpp_cgi_reloads_total",
                                 result="applied"), 1)

    def test_only_get_metrics(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            self.fetch("/")
        self.assertEqual(cm.exception.code, 404)
        with self.assertRaises(urllib.error.HTTPError) as cm:
            self.fetch("/metrics", method="POST")
        self.assertEqual(cm.exception.code, 405)
        self.assertEqual(self.fetch("/metrics", method="HEAD")[0], 200)

    def test_listen_address_taken_is_an_error(self):
        b = h.Bridge(self.prosody, [Route("echo2", script("echo.sh"))],
                     name="metrics-taken")
        with open(b.cfg, "a") as f:
            f.write("[metrics]\nlisten = 127.0.0.1:%d\n" % self.port)
        b.launch()
        self.cleanups.append(b.stop)
        self.assertTrue(h.wait_until(lambda: not b.alive(), 10),
                        "the bridge ran without its metrics endpoint")
        self.assertEqual(b.proc.returncode, 1)
        self.assertIn("metrics: cannot listen on 127.0.0.1:%d" % self.port,
                      b.read_log())


if __name__ == "__main__":
    unittest.main()
