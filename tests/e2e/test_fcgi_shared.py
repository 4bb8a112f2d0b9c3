# e2e: FastCGI backends shared by several routes, and the rest policy, on a
# private Prosody.
#
# Shared: five routes name one backend that has two workers, each worker
# serving one connection at a time and keeping it while the client keeps it:
# php-fpm (pm = static, pm.max_children = 2, its own pool file), `php-cgi -b`
# (PHP_FCGI_CHILDREN=2), fcgiwrap -c 2 (libfcgi) and Perl's FCGI with
# FCGI::ProcManager (2 workers, as Catalyst's FastCGI script runs); and five
# routes on fcgi-echo, a libfcgi program with one worker.  With a pool per
# route, the idle kept-alive connections of the first routes held the
# workers and the other routes timed out.  Every route must answer, one after
# the other in several orders and all at once, interleaved, and each answer
# must carry its own route's parameters (they travel per request, not per
# connection); two routes on one backend keep their own time limits.
#
# Rest policy (a second bridge, since `backend_rest` is a newer key): the
# only backend of a route never rests, so a backend stopped and started again
# serves the very next request (the test responder and php-fpm); with two
# backends a dead one is tried once, rests while the other serves, rests for
# the route's backend_rest (here longer than the test) and comes back for
# every route as soon as a connection to it succeeds; backend_rest = 0 rests
# nothing; the default rest ends by itself; requests queued behind a connect
# that times out are all answered service-unavailable when it does.
# Assertions are on which backend got which request (the responder's
# counters) and on the answers, never on elapsed time.

import os
import random
import re
import socket
import unittest

import backends as b
import harness as h
import shared
from harness import Route, example
from shared import body_text, env_vars

HELLO_PHP = os.path.join(b.PHP_EXAMPLES, "hello.php")
POOL_CONF = os.path.join(b.PHP_EXAMPLES, "php-fpm-pool.conf")
HELLO_NS = "urn:xmpp-cgi:hello"
N_ROUTES = 5


def text_lines(reply):
    return env_vars(body_text(reply))


class Fixture(b.Backends):
    """Prosody and the backends; the bridges start on first use."""

    def __init__(self):
        super().__init__()
        self.bridges = {}
        self.prosody = h.Prosody()
        self.prosody.start()
        self.dir = os.path.join(self.prosody.dir, "fcgi-shared")
        os.makedirs(self.dir, exist_ok=True)
        self.alice = h.Client(self.prosody, "alice@localhost",
                              resource="fcgi-shared")

    def php_pool(self):
        with open(POOL_CONF) as f:
            return f.read()

    # -- five routes on each two-worker backend ----------------------------

    def shared_routes(self):
        routes = []
        fpm = self.add("fpm", b.PhpFpm(
            self.dir, "fpm", self.php_pool(),
            {"pm": "static", "pm.max_children": 2}),
            b.PhpFpm.available(),
            "php-fpm is not installed (apt-get install php-fpm)")
        pcgi = self.add("pcgi", b.PhpCgi(self.dir, "pcgi", children=2),
                        b.PhpCgi.available(),
                        "php-cgi is not installed (apt-get install php-cgi)")
        wrap = self.add("wrap", b.FcgiWrap(self.dir, "wrap", children=2),
                        b.FcgiWrap.available(),
                        "fcgiwrap is not installed (apt-get install fcgiwrap)")
        perl = self.add("perl", b.PerlProcManager(self.dir, "perl", 2),
                        b.PerlProcManager.available(),
                        "Perl FCGI / FCGI::ProcManager are not installed "
                        "(apt-get install libfcgi-perl "
                        "libfcgi-procmanager-perl)")
        echo = self.add("echo", b.FcgiEcho(self.dir, "echo"),
                        b.FcgiEcho.available(),
                        "%s is not built" % b.ECHO_BIN, True)
        # The test responder, told not to multiplex: it counts connections.
        resp = self.add("resp", b.Responder(self.dir, "resp", no_mpx=True),
                        b.Responder.available(),
                        "%s is not built (make tests/fcgi-mpx-responder)"
                        % b.RESPONDER_BIN, True)
        for i in range(1, N_ROUTES + 1):
            if fpm:
                routes.append(Route("fpm-%d" % i, fastcgi=fpm, timeout=10,
                                    script_filename=HELLO_PHP,
                                    params=["APP_ENV=fpm-%d" % i]))
            if pcgi:
                routes.append(Route("pcgi-%d" % i, fastcgi=pcgi, timeout=10,
                                    script_filename=HELLO_PHP,
                                    params=["APP_ENV=pcgi-%d" % i]))
            if wrap:
                routes.append(Route("wrap-%d" % i, fastcgi=wrap, timeout=10,
                                    script_filename=example("env"),
                                    params=["ROUTE_TAG=wrap-%d" % i]))
            if perl:
                routes.append(Route("perl-%d" % i, fastcgi=perl, timeout=10,
                                    params=["ROUTE_TAG=perl-%d" % i]))
            if echo:
                routes.append(Route("echo-%d" % i, fastcgi=echo, timeout=10))
            if resp:
                routes.append(Route("resp-%d" % i, fastcgi=resp, timeout=10))
        # One backend, two routes, two time limits: 2 s per answer.
        slow = self.add("slow", b.Responder(self.dir, "slow", delay=2000),
                        b.Responder.available(),
                        "%s is not built (make tests/fcgi-mpx-responder)"
                        % b.RESPONDER_BIN, True)
        if slow:
            routes.append(Route("slow-short", fastcgi=slow, timeout=1))
            routes.append(Route("slow-long", fastcgi=slow, timeout=15))
        return routes

    # -- rest policy --------------------------------------------------------

    def rest_routes(self):
        ok = b.Responder.available()
        why = "%s is not built (make tests/fcgi-mpx-responder)" \
            % b.RESPONDER_BIN

        def resp(key, **kw):
            return self.add(key, b.Responder(self.dir, key, **kw), ok, why,
                            True)
        only = resp("only")
        # 200 ms per answer: requests sent together are in hand together
        pair = [resp("pair-a", tcp=True, delay=200),
                resp("pair-b", tcp=True, delay=200)]
        eager = [resp("eager-a"), resp("eager-b")]
        dflt = [resp("default-a"), resp("default-b")]
        fpm = self.add("only-fpm", b.PhpFpm(
            self.dir, "only-fpm", self.php_pool(),
            {"pm": "static", "pm.max_children": 1}),
            b.PhpFpm.available(),
            "php-fpm is not installed (apt-get install php-fpm)")
        routes = []
        # A port whose accept queue is full: connects to it hang until the
        # bridge's connect_timeout (a backend that answers nothing).
        self.hole = socket.socket()
        self.hole.bind(("127.0.0.1", 0))
        self.hole.listen(0)
        self.hole_filler = socket.create_connection(self.hole.getsockname())
        routes.append(Route("hole", fastcgi="tcp:127.0.0.1:%d"
                            % self.hole.getsockname()[1],
                            connect_timeout=1, timeout=3))
        if only:
            routes.append(Route("only", fastcgi=only))
        if all(pair):
            # "pair-a" is the only backend of "alone-a" too: one backend,
            # two routes, two rest rules.
            routes.append(Route("pair", fastcgi=pair, backend_rest=600))
            routes.append(Route("alone-a", fastcgi=pair[0],
                                backend_rest=600))
        if all(eager):
            routes.append(Route("eager", fastcgi=eager, backend_rest=0))
        if all(dflt):
            routes.append(Route("default", fastcgi=dflt))
        if fpm:
            routes.append(Route("only-fpm", fastcgi=fpm,
                                script_filename=HELLO_PHP))
        return routes

    def bridge(self, name):
        if name not in self.bridges:
            routes = self.shared_routes() if name == "shared" \
                else self.rest_routes()
            if not routes:
                return None
            br = h.Bridge(self.prosody, routes, name=name)
            self.bridges[name] = br
            br.start(timeout=30)
        return self.bridges[name]

    def close(self):
        self.alice.close()
        for br in self.bridges.values():
            br.stop()
        for be in self.be.values():
            be.stop()
        for s in ("hole_filler", "hole"):
            if hasattr(self, s):
                getattr(self, s).close()
        self.prosody.stop()


_fixture = h.ModuleFixture(Fixture, "fixture")
_bridge_errors = {}     # "bridge-NAME" -> why that bridge failed to start
fixture = _fixture.get
tearDownModule = _fixture.close


class SharedTest(unittest.TestCase):
    BRIDGE = None
    assertError = shared.BridgeTest.assertError
    assertResult = shared.BridgeTest.assertResult

    def setUp(self):
        self.fx = fixture()
        self.alice = self.fx.alice
        key = "bridge-" + self.BRIDGE
        if key in _bridge_errors:
            raise h.HarnessError("bridge failed earlier: %s"
                                 % _bridge_errors[key])
        try:
            self.bridge = self.fx.bridge(self.BRIDGE)
        except BaseException as e:
            _bridge_errors[key] = e
            raise
        if self.bridge is None:
            self.skipTest("no backend for these tests is installed")
        self.assertTrue(self.bridge.alive(),
                        "bridge died:\n" + h.tail(self.bridge.log))
        self.since = self.bridge.log_size()

    def need(self, *keys):
        """The backends under these keys (one, or a list), or skip/fail."""
        found = self.fx.need(self, keys)
        return found[0] if len(keys) == 1 else found

    def to(self, route):
        return "bridge@localhost/" + route

    def q(self, route):
        return self.alice.query(self.to(route), timeout=20)

    def log(self):
        return self.bridge.read_log(self.since)

    def send_all(self, routes, timeout=25):
        """One iq to each of `routes` (repeats allowed), all sent before any
        reply is awaited; returns [(route, reply)] in the same order."""
        sent = []
        for route in routes:
            id, xml = self.alice.iq(self.to(route))
            sent.append((route, id))
            self.alice.send_raw(xml)
        out = []
        for route, id in sent:
            r = self.alice.wait_for(lambda s, id=id: s.id == id, timeout)
            self.assertIsNotNone(r, "no reply from %s within %ss; log:\n%s"
                                 % (route, timeout, self.log()[-3000:]))
            out.append((route, r))
        return out


# ---------------------------------------------------------------------------

class MoreRoutesThanWorkers(SharedTest):
    """Five routes on one backend with two workers."""

    BRIDGE = "shared"

    def assertServed(self, route, r):
        self.assertEqual(r.type, "result", "%s: %s\nlog:\n%s"
                         % (route, r.xml, self.log()[-3000:]))
        if route.startswith(("wrap-", "perl-")):
            env = text_lines(r)
            self.assertEqual(env.get("PATH_INFO"), "/" + route, r.xml)
            self.assertEqual(env.get("ROUTE_TAG"), route, r.xml)
        elif route.startswith("echo-"):
            inner = r.el.find("{urn:xmpp-cgi:echo}echo/{jabber:client}iq")
            self.assertIsNotNone(inner, r.xml)
            self.assertEqual(inner.get("to"), self.to(route), r.xml)
        else:
            el = r.el.find("{%s}hello" % HELLO_NS)
            self.assertIsNotNone(el, r.xml)
            self.assertEqual(el.get("env"), route, "params of another route")
            self.assertEqual(el.text, "Hello, alice@localhost!")

    def routes(self, kind):
        return ["%s-%d" % (kind, i) for i in range(1, N_ROUTES + 1)]

    def in_turn(self, kind):
        self.need(kind)
        names = self.routes(kind)
        shuffled = names[:]
        random.Random(9).shuffle(shuffled)
        for order in (names, names[::-1], shuffled, names):
            for route in order:
                self.assertServed(route, self.q(route))

    def at_once(self, kind):
        self.need(kind)
        names = self.routes(kind)
        # interleaved: 1 2 3 4 5 1 2 3 4 5 ..., then in a shuffled order
        for routes in (names * 3, random.Random(3).sample(names * 2, 10)):
            for route, r in self.send_all(routes):
                self.assertServed(route, r)
        # and one at a time again: nothing is left holding the workers
        for route in names:
            self.assertServed(route, self.q(route))

    def test_php_fpm_in_turn(self):
        self.in_turn("fpm")

    def test_php_fpm_at_once(self):
        self.at_once("fpm")

    def test_php_cgi_in_turn(self):
        self.in_turn("pcgi")

    def test_php_cgi_at_once(self):
        self.at_once("pcgi")

    def test_fcgiwrap_in_turn(self):
        self.in_turn("wrap")

    def test_fcgiwrap_at_once(self):
        self.at_once("wrap")

    def test_perl_procmanager_in_turn(self):
        self.in_turn("perl")

    def test_perl_procmanager_at_once(self):
        self.at_once("perl")

    def test_one_worker_in_turn(self):
        self.in_turn("echo")

    def test_one_worker_at_once(self):
        self.at_once("echo")

    def test_one_kept_alive_connection_for_all_routes(self):
        # Five routes in turn, twice: one connection serves them all.
        be = self.need("resp")
        before = be.stats()
        for route in self.routes("resp") * 2:
            self.assertResult(self.q(route))
        after = be.stats()
        self.assertEqual(after["requests"] - before["requests"], 10)
        self.assertEqual(after["connections"], 1, after)


class PerRouteSettings(SharedTest):
    BRIDGE = "shared"

    def test_each_call_keeps_its_route_timeout(self):
        self.need("slow")
        for _ in range(2):
            got = dict(self.send_all(["slow-short", "slow-long"]))
            self.assertError(got["slow-short"], "remote-server-timeout",
                             "wait")
            self.assertResult(got["slow-long"])
        self.assertIn("route slow-short [fastcgi %s]: no answer within "
                      "1000 ms" % self.fx.be["slow"].address, self.log())
        self.assertNotIn("route slow-long [fastcgi", self.log())


class RestPolicy(SharedTest):
    BRIDGE = "rest"

    def requests(self, key):
        return self.fx.be[key].stats().get("requests", 0)

    def test_only_backend_serves_as_soon_as_it_is_back(self):
        be = self.need("only")
        self.assertEqual(self.q("only").type, "result")
        be.stop()
        for _ in range(3):
            self.assertError(self.q("only"), "service-unavailable", "wait")
        # several at once: those queued behind the failed connect are
        # answered too, not left to time out
        for _, r in self.send_all(["only"] * 5):
            self.assertError(r, "service-unavailable", "wait")
        be.start()
        # The very next request: no rest keeps the route failing.
        r = self.q("only")
        self.assertEqual(r.type, "result",
                         "%s\nlog:\n%s" % (r.xml, self.log()))
        self.assertEqual(self.requests("only"), 1)
        warnings = re.findall(r"warning: fastcgi unix:%s: cannot connect"
                              % re.escape(be.sock), self.log())
        self.assertEqual(len(warnings), 1, "one warning per outage:\n"
                         + self.log())
        self.assertRegex(self.log(), r"info: fastcgi unix:%s: connected again "
                         r"after \d+ failed attempts" % re.escape(be.sock))

    def test_requests_queued_behind_a_connect_that_times_out(self):
        # Five at once; the backend never accepts.  They wait for the first
        # connection, and when it times out (1 s) all are answered
        # service-unavailable, rather than each trying in turn (and the
        # last ones running into the route's 3 s timeout).
        for _, r in self.send_all(["hole"] * 5):
            self.assertError(r, "service-unavailable", "wait")
        self.assertIn("cannot connect: timed out", self.log())

    def test_only_php_fpm_restarted(self):
        fpm = self.need("only-fpm")
        self.assertEqual(self.q("only-fpm").type, "result")
        fpm.stop()
        self.assertError(self.q("only-fpm"), "service-unavailable", "wait")
        fpm.start()
        r = self.q("only-fpm")
        self.assertEqual(r.type, "result",
                         "%s\nlog:\n%s" % (r.xml, self.log()))
        el = r.el.find("{%s}hello" % HELLO_NS)
        self.assertIsNotNone(el, r.xml)

    def test_dead_backend_rests_while_the_other_serves(self):
        a, bb = self.need("pair-a", "pair-b")
        self.assertTrue(all(r.type == "result"
                            for _, r in self.send_all(["pair"] * 4)))
        self.assertGreater(self.requests("pair-a"), 0)
        self.assertGreater(self.requests("pair-b"), 0)
        a.kill()        # its port refuses connections now
        served_b = self.requests("pair-b")
        for _ in range(2):
            for route, r in self.send_all(["pair"] * 3):
                self.assertEqual(r.type, "result", r.xml)
        self.assertEqual(self.requests("pair-b"), served_b + 6)
        warnings = re.findall(r"warning: fastcgi %s: cannot connect: "
                              r"connection refused" % re.escape(a.address),
                              self.log())
        self.assertEqual(len(warnings), 1, self.log())
        # Back, but resting for "pair" (backend_rest = 600): nothing goes
        # there, though it has fewer requests in hand.
        a.start()
        for _ in range(4):
            self.assertEqual(self.q("pair").type, "result")
        self.assertEqual(self.requests("pair-a"), 0)
        self.assertEqual(self.requests("pair-b"), served_b + 10)
        # "alone-a" has it alone: never rested there, served at once ...
        r = self.q("alone-a")
        self.assertEqual(r.type, "result", "%s\n%s" % (r.xml, self.log()))
        self.assertEqual(self.requests("pair-a"), 1)
        # ... and once a connection to it worked, it is back for "pair" too.
        self.assertIn("fastcgi %s: connected again" % a.address, self.log())
        self.assertEqual(self.q("pair").type, "result")
        self.assertEqual(self.requests("pair-a"), 2)

    def test_backend_rest_zero(self):
        a, bb = self.need("eager-a", "eager-b")
        self.assertEqual(self.q("eager").type, "result")
        a.kill()
        before = self.requests("eager-b")
        self.assertEqual(self.q("eager").type, "result")    # moved to b
        self.assertEqual(self.requests("eager-b"), before + 1)
        a.start()
        self.assertEqual(self.q("eager").type, "result")
        self.assertEqual(self.requests("eager-a"), 1, "not rested at all")

    def test_default_rest_ends(self):
        a, bb = self.need("default-a", "default-b")
        self.assertEqual(self.q("default").type, "result")
        a.kill()
        self.assertEqual(self.q("default").type, "result")
        a.start()
        # The rest is short by default; it ends without any other route
        # reaching the backend.  (A bounded wait, not a measured time.)
        got = h.wait_until(lambda: self.q("default").type == "result"
                           and self.requests("default-a") > 0, 15, 0.2)
        self.assertTrue(got, "default-a never used again:\n" + self.log())


if __name__ == "__main__":
    unittest.main()
