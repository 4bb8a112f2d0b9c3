# e2e: FastCGI routes on a private Prosody and bridge - answers through
# every real backend (php-fpm with cgi-examples/php, the libfcgi example
# fcgi-echo, fcgiwrap running the CGI examples, the multiplexing test
# responder), the request environment, every failure (backend down, killed,
# garbage, OVERLOADED, UNKNOWN_ROLE, too slow, too much output) and the pool
# (keep-alive, multiplexing, CANT_MPX_CONN, retry on a dead kept-alive
# connection, failover across three backends).
#
# Backends come from backends.py; each route has backends of its own unless
# said otherwise, so the counters of tests/fcgi-mpx-responder (-c) and of
# fcgi_scripted.py belong to one test.  php-fpm and fcgiwrap are Debian
# packages (scripts/install-deps.sh): without them their tests are skipped.

import os
import re
import signal
import time
import unittest
import xml.etree.ElementTree as ET

import backends as b
import harness as h
import shared
from harness import Route, script
from shared import body_text, env_vars

HELLO_PHP = os.path.join(b.PHP_EXAMPLES, "hello.php")
POOL_CONF = os.path.join(b.PHP_EXAMPLES, "php-fpm-pool.conf")
SOAP = "http://www.w3.org/2003/05/soap-envelope"
CALC = "urn:xmpp-cgi:calc"
MPX_NS = "urn:xmpp-cgi:fcgi"
SCRIPTED_NS = "urn:xmpp-cgi:fcgi-scripted"


class Fixture(b.Backends):
    """Prosody, the backends, one bridge with every FastCGI route, alice."""

    def __init__(self):
        super().__init__()
        self.prosody = h.Prosody()
        self.prosody.start()
        self.dir = os.path.join(self.prosody.dir, "fcgi")
        self.pid_dir = os.path.join(self.dir, "pids")
        self.log_dir = os.path.join(self.dir, "slowlog")
        for d in (self.dir, self.pid_dir, self.log_dir):
            os.makedirs(d, exist_ok=True)
        routes = []
        routes += self.php_routes()
        routes += self.libfcgi_routes()
        routes += self.fcgiwrap_routes()
        routes += self.responder_routes()
        routes += self.scripted_routes()
        routes.append(Route("env-cgi", h.example("env"), env=["GREETING=hi"]))
        self.bridge = h.Bridge(self.prosody, routes, name="fastcgi")
        self.bridge.start(timeout=30)
        self.alice = h.Client(self.prosody, "alice@localhost",
                              resource="fcgi")

    def php_routes(self):
        with open(POOL_CONF) as f:
            pool = f.read()
        ok = b.PhpFpm.available()
        why = "php-fpm is not installed (apt-get install php-fpm)"
        # The sample pool as it is (ondemand, 8 workers) ...
        php = self.add("php", b.PhpFpm(self.dir, "php", pool), ok, why)
        # ... and with two static workers, fewer than the requests sent.
        small = self.add("php-small", b.PhpFpm(
            self.dir, "php-small", pool,
            {"pm": "static", "pm.max_children": 2}), ok, why)
        if not php:
            return []
        return [
            Route("php", fastcgi=php, script_filename=HELLO_PHP,
                  params=["APP_ENV=production"], message_replies="yes"),
            Route("env-fpm", fastcgi=php, script_filename=script("server.php"),
                  params=["APP_ENV=production"], env=["GREETING=hi"]),
            Route("php-partial", fastcgi=php,
                  script_filename=script("partial.php"), timeout=20,
                  params=["PID_DIR=" + self.pid_dir]),
            Route("php-burst", fastcgi=small, script_filename=HELLO_PHP,
                  timeout=4),
        ]

    def libfcgi_routes(self):
        ok, why = b.FcgiEcho.available(), "%s is not built" % b.ECHO_BIN
        fecho = self.add("fecho", b.FcgiEcho(self.dir, "fecho",
                                             log_stderr=True), ok, why, True)
        cold = self.add("fecho-cold", b.FcgiEcho(self.dir, "fecho-cold"),
                        ok, why, True)
        if not fecho:
            return []
        return [Route("fecho", fastcgi=fecho),
                Route("fecho-cold", fastcgi=cold, timeout=3)]

    def fcgiwrap_routes(self):
        ok = b.FcgiWrap.available()
        why = "fcgiwrap is not installed (apt-get install fcgiwrap)"
        # More workers than routes: each route keeps a connection open.
        wrap = self.add("wrap", b.FcgiWrap(self.dir, "wrap", children=8),
                        ok, why)
        small = self.add("wrap-small", b.FcgiWrap(self.dir, "wrap-small",
                                                  children=2), ok, why)
        if not wrap:
            return []
        return [
            Route("wrap-echo", fastcgi=wrap,
                  script_filename=h.example("echo")),
            Route("env-wrp", fastcgi=wrap, script_filename=h.example("env"),
                  env=["GREETING=hi"]),
            Route("wrap-calc", fastcgi=wrap,
                  script_filename=h.example("soap-calc")),
            Route("wrap-status", fastcgi=wrap,
                  script_filename=script("status.sh")),
            Route("wrap-big", fastcgi=wrap, script_filename=script("big.sh"),
                  max_output=1024, env=["SIZE=5000"]),
            Route("wrap-burst", fastcgi=small,
                  script_filename=script("slow.sh"), timeout=4,
                  env=["SLEEP=0.3", "LOG_DIR=" + self.log_dir]),
        ]

    def responder_routes(self):
        ok = b.Responder.available()
        why = "%s is not built (make tests/fcgi-mpx-responder)" \
            % b.RESPONDER_BIN
        routes = []

        def resp(key, route_opts=None, **opts):
            addr = self.add(key, b.Responder(self.dir, key, **opts), ok, why,
                            True)
            if addr:
                routes.append(Route(key, fastcgi=addr, **(route_opts or {})))
        resp("keep", stderr=True)
        resp("mpx", delay=500)
        resp("mpx-r4", delay=300, max_reqs=4)
        resp("nompx", no_mpx=True, delay=300)
        resp("garbage", garbage=True)
        resp("overload", overloaded=True)
        resp("slow-mpx", {"timeout": 1}, delay=3000)
        resp("slow-plain", {"timeout": 1}, no_mpx=True, delay=3000)
        resp("victim", {"timeout": 20}, delay=5000)
        pool = [self.add(k, b.Responder(self.dir, k, tcp=True, delay=300),
                         ok, why, True)
                for k in ("pool-a", "pool-b", "pool-c")]
        if all(pool):
            routes.append(Route("pool3", fastcgi=pool))
        # Nothing listens behind these two until a test starts it.
        self.down = b.Responder(self.dir, "down")
        self.down_port = h.free_port()
        routes.append(Route("down", fastcgi=self.down.address))
        routes.append(Route("down-tcp",
                            fastcgi="tcp:127.0.0.1:%d" % self.down_port))
        if not ok:
            self.broken["down"] = why
        return routes

    def scripted_routes(self):
        routes = []
        for key, mode, delay in (("cantmpx", "cantmpx", 300),
                                 ("role", "unknownrole", 0),
                                 ("dropkept", "dropkept", 0),
                                 ("serveonce", "serveonce", 0)):
            addr = self.add(key, b.Scripted(self.dir, key, mode, delay))
            routes.append(Route(key, fastcgi=addr))
        return routes

    def close(self):
        self.alice.close()
        self.bridge.stop()
        for be in self.be.values():
            be.stop()
        self.down.stop()
        self.prosody.stop()


_fixture = h.ModuleFixture(Fixture, "fixture")
fixture = _fixture.get
tearDownModule = _fixture.close


class FcgiTest(unittest.TestCase):
    assertError = shared.BridgeTest.assertError
    assertResult = shared.BridgeTest.assertResult
    assertPingEchoed = shared.BridgeTest.assertPingEchoed

    def setUp(self):
        self.fx = fixture()
        self.alice = self.fx.alice
        self.bridge = self.fx.bridge
        self.assertTrue(self.bridge.alive(),
                        "bridge died:\n" + h.tail(self.bridge.log))
        self.since = self.bridge.log_size()

    def need(self, *keys):
        return self.fx.need(self, keys)[0]

    def to(self, route):
        return "bridge@localhost/" + route

    def q(self, route, payload="", **kw):
        return self.alice.query(self.to(route), payload, **kw)

    def burst(self, route, n, payload="", timeout=15):
        """n iqs sent at once; their replies, in order."""
        ids = self.alice.send_iqs(self.to(route), n, payload)
        out = []
        for id in ids:
            r = self.alice.wait_for(lambda s, id=id: s.id == id, timeout)
            self.assertIsNotNone(r, "no reply to %s within %ss; log:\n%s"
                                 % (id, timeout, h.tail(self.bridge.log)))
            out.append(r)
        return out

    def log(self):
        return self.bridge.read_log(self.since)

    def assertLog(self, needle, timeout=5):
        """A log line containing `needle` (str) or matching it (pattern)
        was written since setUp; returns the line."""
        def find():
            for line in self.log().splitlines():
                if (needle.search(line) if hasattr(needle, "search")
                        else needle in line):
                    return line
            return None
        line = h.wait_until(find, timeout)
        self.assertIsNotNone(line, "not in the bridge log: %s\nlog:\n%s"
                             % (getattr(needle, "pattern", needle),
                                self.log()[-3000:]))
        return line

    def assertAllResults(self, replies):
        bad = [r.xml for r in replies if r.type != "result"]
        self.assertEqual(bad, [], "%d of %d failed; log:\n%s"
                         % (len(bad), len(replies), self.log()[-3000:]))

    def tag(self, route):
        """The bridge's log prefix for a call on route's only backend."""
        return "route %s [fastcgi %s]: " % (route, self.fx.be[route].address)


def text_lines(reply):
    return env_vars(body_text(reply))


# ---------------------------------------------------------------------------

class PhpFpm(FcgiTest):
    def test_hello_iq_answers_xml(self):
        self.need("php")
        r = self.q("php", "<hello xmlns='urn:e2e:x'/>")
        self.assertResult(r)
        el = r.el.find("{urn:xmpp-cgi:hello}hello")
        self.assertIsNotNone(el, r.xml)
        self.assertEqual(el.text, "Hello, alice@localhost!")
        self.assertEqual(el.get("env"), "production", "param APP_ENV")

    def test_hello_message_answers_text(self):
        self.need("php")
        to = self.to("php")
        r = self.alice.chat(to, "fish &amp; chips", "php")
        self.assertIsNotNone(r, "no chat reply from hello.php")
        self.assertEqual(r.type, "chat", r.xml)
        self.assertEqual(body_text(r),
                         "Hello, alice@localhost! You said: fish & chips")

    def test_error_log_reaches_bridge_log(self):
        self.need("php")
        r = self.q("php")
        self.assertResult(r)
        self.assertLog(re.compile(
            r"^xmpp-cgi: info: " + re.escape(self.tag("php")) +
            r"PHP message: hello\.php: iq from alice@localhost \(/php, "
            r"\d+ bytes\)$"))

    def test_script_filename_and_params_reach_php(self):
        self.need("php")
        r = self.q("env-fpm", attrs={"data-colour": "blue"})
        self.assertResult(r)
        env = text_lines(r)
        self.assertEqual(env.get("SCRIPT_FILENAME"), script("server.php"))
        self.assertEqual(env.get("APP_ENV"), "production")
        self.assertEqual(env.get("GREETING"), "hi", "env = is a param too")
        self.assertEqual(env.get("XMPP_STANZA_DATA_COLOUR"), "blue")
        self.assertEqual(env.get("STDIN_BYTES"), env.get("CONTENT_LENGTH"),
                         "php://input holds the whole stanza")

    def test_more_requests_than_workers(self):
        # Two static workers, five requests at once: php-fpm takes one
        # connection per worker, the others wait in its listen queue until
        # a worker is free.  Kept-alive idle connections must not hold the
        # workers while requests wait.
        self.need("php-small")
        replies = self.burst("php-burst", 5, timeout=10)
        self.assertAllResults(replies)


class LibFcgi(FcgiTest):
    def test_echo(self):
        self.need("fecho")
        self.assertPingEchoed(self.q("fecho", shared.PING))

    def test_soap_envelope(self):
        self.need("fecho")
        r = self.q("fecho", "<env:Envelope xmlns:env='%s'><env:Body>"
                   "<x xmlns='urn:e2e:x'/></env:Body></env:Envelope>" % SOAP,
                   type="set")
        self.assertResult(r)
        resp = r.el.find("{%s}Envelope/{%s}Body/{urn:xmpp-cgi:fcgi-echo}"
                         "echoResponse" % (SOAP, SOAP))
        self.assertIsNotNone(resp, r.xml)
        self.assertEqual(resp.find("{urn:xmpp-cgi:fcgi-echo}path").text,
                         "/fecho")
        self.assertGreater(
            int(resp.find("{urn:xmpp-cgi:fcgi-echo}length").text), 100)

    def test_large_stanza_both_ways(self):
        # 120 KB: several STDIN records out, several STDOUT records back.
        self.need("fecho")
        r = self.q("fecho", "<big xmlns='urn:e2e:big'>%s</big>"
                   % ("x" * 120000), timeout=20)
        self.assertResult(r)
        big = r.el.find("{urn:xmpp-cgi:echo}echo/{jabber:client}iq/"
                        "{urn:e2e:big}big")
        self.assertIsNotNone(big, r.xml[:300])
        self.assertEqual(big.text, "x" * 120000)

    def test_stderr_reaches_bridge_log(self):
        self.need("fecho")
        self.assertResult(self.q("fecho"))
        self.assertLog(re.compile(
            r"^xmpp-cgi: info: " + re.escape(self.tag("fecho")) +
            r"fcgi-echo: request \d+ POST /fecho, \d+ bytes$"))

    def test_concurrent_first_requests(self):
        # fcgi-echo serves one connection at a time and says so
        # (FCGI_MAX_CONNS 1) - but only once it has a request.  Three
        # requests at once, the first the backend ever sees: all answered
        # (a connection kept open after the first answer must not leave
        # the others waiting behind it).
        self.need("fecho-cold")
        replies = self.burst("fecho-cold", 3, timeout=10)
        self.assertAllResults(replies)


class FcgiWrap(FcgiTest):
    def test_echo_example(self):
        self.need("wrap")
        r = self.q("wrap-echo", "<ping xmlns='urn:e2e:x'/>")
        self.assertResult(r)
        inner = r.el.find("{urn:xmpp-cgi:echo}echo/{jabber:client}iq")
        self.assertIsNotNone(inner, r.xml)
        self.assertEqual(inner.get("id"), r.id)

    def test_soap_calc_example(self):
        self.need("wrap")
        r = self.q("wrap-calc",
                   "<env:Envelope xmlns:env='%s'><env:Body><mul xmlns='%s'>"
                   "<a>6</a><b>7</b></mul></env:Body></env:Envelope>"
                   % (SOAP, CALC), type="set")
        self.assertResult(r)
        res = r.el.find("{%s}Envelope/{%s}Body/{%s}mulResponse/{%s}result"
                        % (SOAP, SOAP, CALC, CALC))
        self.assertIsNotNone(res, r.xml)
        self.assertEqual(res.text, "42")

    def test_status_and_stderr(self):
        self.need("wrap")
        marker = "wrap-stderr-%d" % os.getpid()
        r = self.q("wrap-status", attrs={"data-status": "404 Not Found",
                                         "data-body": "no such thing",
                                         "data-stderr": marker})
        self.assertError(r, "item-not-found", "cancel", "no such thing")
        self.assertLog("xmpp-cgi: info: route wrap-status [fastcgi %s]: %s"
                       % (self.fx.be["wrap"].address, marker))

    def test_more_requests_than_workers(self):
        # fcgiwrap -c 2 (libfcgi: one connection per worker, FCGI_MAX_CONNS
        # 1 in its first answer), six 0.3 s scripts at once, the first
        # requests it sees: all answered, however the bridge spreads them.
        self.need("wrap-small")
        replies = self.burst("wrap-burst", 6, timeout=10)
        self.assertAllResults(replies)


class Responder(FcgiTest):
    def test_answer(self):
        self.need("keep")
        r = self.q("keep")
        self.assertResult(r)
        el = r.el.find("{%s}fcgi-echo" % MPX_NS)
        self.assertIsNotNone(el, r.xml)
        self.assertEqual(el.find("{%s}path" % MPX_NS).text, "/keep")
        self.assertGreater(int(el.find("{%s}len" % MPX_NS).text), 50)

    def test_stderr_reaches_bridge_log(self):
        self.need("keep")
        self.assertResult(self.q("keep"))
        self.assertLog(re.compile(
            r"^xmpp-cgi: info: " + re.escape(self.tag("keep")) +
            r"fcgi-mpx-responder: connection \d+ request \d+ stdin \d+ "
            r"bytes$"))


class Environment(FcgiTest):
    # The same stanza to a CGI route (env.sh), to fcgiwrap running env.sh
    # and to php-fpm dumping $_SERVER.  The route names have one length, so
    # even CONTENT_LENGTH agrees.
    SAME_EXCEPT = {"PATH_INFO", "REQUEST_URI", "DOCUMENT_URI", "XMPP_ROUTE",
                   "XMPP_STANZA_TO"}
    SHELL_ONLY = {"PWD", "SHLVL", "_", "OLDPWD"}

    def dump(self, route, id):
        r = self.alice.request(self.alice.iq(
            self.to(route), "<q xmlns='urn:e2e:env'/>", id=id,
            attrs={"data-colour": "blue", "xml:lang": "en"})[1], id)
        self.assertResult(r)
        return text_lines(r)

    def test_same_variables_as_cgi(self):
        self.need("wrap", "php")
        id = self.alice.new_id("envcmp")
        cgi = self.dump("env-cgi", id)
        wrap = self.dump("env-wrp", id)
        fpm = self.dump("env-fpm", id)
        self.assertEqual(cgi.get("REMOTE_USER"), "alice@localhost")
        for name, env in (("fcgiwrap", wrap), ("php-fpm", fpm)):
            route = "/env-" + {"fcgiwrap": "wrp", "php-fpm": "fpm"}[name]
            with self.subTest(backend=name):
                self.assertEqual(env.get("PATH_INFO"), route)
                self.assertEqual(env.get("REQUEST_URI"), route)
                self.assertEqual(env.get("XMPP_ROUTE"), route[1:])
                self.assertEqual(env.get("XMPP_STANZA_TO"),
                                 "bridge@localhost" + route)
                for k, v in sorted(cgi.items()):
                    if k in self.SAME_EXCEPT or k in self.SHELL_ONLY:
                        continue
                    if k in ("SCRIPT_FILENAME", "DOCUMENT_ROOT") \
                            and name == "php-fpm":
                        continue
                    self.assertEqual(env.get(k), v, "%s differs" % k)
                self.assertNotIn("XMPP_CGI_CANARY", env)
        for k in ("REMOTE_USER", "AUTH_TYPE", "REMOTE_ADDR", "XMPP_STANZA",
                  "XMPP_STANZA_ID", "XMPP_STANZA_TYPE", "XMPP_STANZA_FROM",
                  "XMPP_STANZA_DATA_COLOUR", "XMPP_STANZA_XML_LANG",
                  "GATEWAY_INTERFACE", "SERVER_PROTOCOL", "CONTENT_LENGTH",
                  "GREETING"):
            self.assertIn(k, cgi)
        self.assertEqual(cgi["XMPP_STANZA_ID"], id)
        self.assertEqual(fpm.get("SCRIPT_FILENAME"), script("server.php"))


class Failures(FcgiTest):
    def test_backend_down_at_start_then_back(self):
        # The only backend of a route never rests: once it listens, the
        # next request is answered.
        self.need("down")
        fx = self.fx
        self.assertError(self.q("down"), "service-unavailable", "wait")
        self.assertError(self.q("down-tcp"), "service-unavailable", "wait")
        self.assertLog("xmpp-cgi: warning: fastcgi unix:%s: cannot connect: "
                       "no such file or directory" % fx.down.sock)
        self.assertLog("xmpp-cgi: warning: fastcgi tcp:127.0.0.1:%d: cannot "
                       "connect: connection refused" % fx.down_port)
        self.assertError(self.q("down"), "service-unavailable", "wait")
        fx.down.start()
        self.assertResult(self.q("down"))
        self.assertEqual(fx.down.stats().get("connections"), 1)
        self.assertLog("xmpp-cgi: info: fastcgi unix:%s: connected again "
                       "after 2 failed attempts" % fx.down.sock)

    def test_killed_before_any_byte(self):
        victim = self.need("victim")
        id, xml = self.alice.iq(self.to("victim"))
        self.alice.send_raw(xml)
        self.assertTrue(h.wait_until(
            lambda: victim.stats().get("requests", 0) >= 1, 10),
            "the request never reached the responder")
        addr = victim.address
        victim.kill()
        r = self.alice.wait_for(lambda s: s.id == id, 10)
        self.assertIsNotNone(r, "no answer after the backend died")
        self.assertError(r, "internal-server-error", "cancel")
        self.assertLog("route victim [fastcgi %s]: the backend closed the "
                       "connection without answering" % addr)
        # Its socket is still there, nobody listens: refused, disabled.
        self.assertError(self.q("victim"), "service-unavailable", "wait")
        self.assertLog("xmpp-cgi: warning: fastcgi %s: cannot connect: "
                       "connection refused" % addr)

    def test_killed_mid_answer(self):
        # A php-fpm worker dies after the header and a first line went out.
        self.need("php")
        id, xml = self.alice.iq(self.to("php-partial"))
        self.alice.send_raw(xml)
        pidfile = os.path.join(self.fx.pid_dir, id + ".pid")
        self.assertTrue(h.wait_until(lambda: os.path.exists(pidfile), 10),
                        "partial.php never ran:\n" + self.log())
        with open(pidfile) as f:
            os.kill(int(f.read()), signal.SIGKILL)
        r = self.alice.wait_for(lambda s: s.id == id, 10)
        self.assertIsNotNone(r, "no answer after the worker died")
        self.assertError(r, "internal-server-error", "cancel")
        self.assertLog("route php-partial [fastcgi %s]: the backend closed "
                       "the connection mid-answer" % self.fx.be["php"].address)
        self.assertResult(self.q("php"))    # php-fpm carries on

    def test_garbage_is_a_protocol_error(self):
        be = self.need("garbage")
        self.assertError(self.q("garbage"), "internal-server-error", "cancel")
        self.assertLog("xmpp-cgi: warning: fastcgi %s: protocol error: "
                       % be.address)
        self.assertTrue(self.bridge.alive())

    def test_overloaded_rests_one_second(self):
        be = self.need("overload")
        self.assertError(self.q("overload"), "resource-constraint", "wait")
        self.assertLog("xmpp-cgi: warning: fastcgi %s: overloaded; resting "
                       "1000 ms" % be.address)
        sent = be.stats()["requests"]
        t = time.monotonic()
        # Resting: answered at once, nothing reaches the backend.
        self.assertError(self.q("overload"), "resource-constraint", "wait")
        self.assertLess(time.monotonic() - t, 0.9, "not answered at once")
        self.assertEqual(be.stats()["requests"], sent)
        time.sleep(1.2)
        self.assertError(self.q("overload"), "resource-constraint", "wait")
        self.assertEqual(be.stats()["requests"], sent + 1)

    def test_unknown_role(self):
        self.need("role")
        self.assertError(self.q("role"), "internal-server-error", "cancel")
        self.assertLog("route role [fastcgi %s]: request refused (protocol "
                       "status 3: unknown role)" % self.fx.be["role"].address)

    def test_slower_than_timeout(self):
        # A multiplexed connection survives a timeout (ABORT_REQUEST); a
        # plain one is closed.  Both routes have timeout = 1, the
        # backends answer after 3 s.
        mpx, plain = self.need("slow-mpx"), self.need("slow-plain")
        for _ in range(2):
            t = time.monotonic()
            ids = {}
            for route in ("slow-mpx", "slow-plain"):
                id, xml = self.alice.iq(self.to(route))
                ids[route] = id
                self.alice.send_raw(xml)
            for route, id in ids.items():
                r = self.alice.wait_for(lambda s, id=id: s.id == id, 10)
                self.assertIsNotNone(r, "no answer from " + route)
                self.assertError(r, "remote-server-timeout", "wait")
            self.assertGreater(time.monotonic() - t, 0.9)
            self.assertLess(time.monotonic() - t, 2.9)
        self.assertLog("route slow-mpx [fastcgi %s]: no answer within "
                       "1000 ms" % mpx.address)
        self.assertEqual(mpx.stats()["connections"], 1, mpx.stats())
        self.assertEqual(plain.stats()["connections"], 2, plain.stats())
        self.assertTrue(self.bridge.alive())

    def test_output_over_max_output(self):
        self.need("wrap")
        self.assertError(self.q("wrap-big"), "resource-constraint", "modify")


class Pool(FcgiTest):
    def test_keep_alive_reuses_one_connection(self):
        be = self.need("keep")
        before = be.stats()
        for _ in range(10):
            self.assertResult(self.q("keep"))
        after = be.stats()
        self.assertEqual(after["requests"] - before["requests"], 10)
        self.assertLessEqual(after["connections"], 1, after)

    def test_multiplexing_on_one_connection(self):
        be = self.need("mpx")
        # The first answer tells the bridge that the backend multiplexes.
        self.assertResult(self.q("mpx"))
        t = time.monotonic()
        replies = self.burst("mpx", 20)
        elapsed = time.monotonic() - t
        self.assertAllResults(replies)
        st = be.stats()
        self.assertEqual(st["connections"], 1, st)
        self.assertGreater(st["max_inflight_per_conn"], 1, st)
        self.assertGreaterEqual(st["max_inflight_per_conn"], 10, st)
        self.assertLess(elapsed, 3.0, "20 x 0.5 s took %.1f s" % elapsed)
        reqs = {r.el.find("{%s}fcgi-echo/{%s}req" % (MPX_NS, MPX_NS)).text
                for r in replies}
        self.assertEqual(len(reqs), 20, "request ids on the connection")

    def test_max_reqs_bounds_requests_in_flight(self):
        # FCGI_MAX_REQS is "the maximum number of concurrent requests this
        # application will accept" (FastCGI 1.0, 4.1): the responder says
        # 4 and answers OVERLOADED beyond 4 in flight on all its
        # connections together.  Ten at once: the other six must wait in
        # the bridge, not go out on more connections.
        be = self.need("mpx-r4")
        self.assertResult(self.q("mpx-r4"))
        replies = self.burst("mpx-r4", 10)
        self.assertAllResults(replies)
        self.assertLessEqual(be.stats()["max_inflight_per_conn"], 4)

    def test_no_multiplexing_when_backend_says_no(self):
        be = self.need("nompx")
        self.assertResult(self.q("nompx"))
        replies = self.burst("nompx", 5)
        self.assertAllResults(replies)
        st = be.stats()
        self.assertEqual(st["max_inflight_per_conn"], 1, st)
        self.assertEqual(st["requests"], 6, st)
        self.assertNotIn("refused multiplexing", self.log())

    def test_cant_mpx_conn_is_sent_again_alone(self):
        # fcgi_scripted.py -m cantmpx says FCGI_MPXS_CONNS=1, then refuses
        # a second request on a connection with CANT_MPX_CONN.
        be = self.need("cantmpx")
        self.assertResult(self.q("cantmpx"))
        replies = self.burst("cantmpx", 4)
        self.assertAllResults(replies)
        self.assertGreaterEqual(be.stats()["refused_mpx"], 1, be.stats())
        self.assertLog("xmpp-cgi: warning: fastcgi %s: refused multiplexing; "
                       "not multiplexing any more" % be.address)
        self.assertAllResults(self.burst("cantmpx", 3))

    def test_dead_kept_alive_connection_is_retried(self):
        # fcgi_scripted.py -m dropkept closes a connection, without a byte,
        # when a second request comes on it: the bridge sends the request
        # again on a fresh connection; the sender sees nothing of it.
        be = self.need("dropkept")
        r1, r2 = self.q("dropkept"), self.q("dropkept")
        self.assertResult(r1)
        self.assertResult(r2)
        conns = [r.el.find("{%s}scripted" % SCRIPTED_NS).get("conn")
                 for r in (r1, r2)]
        self.assertEqual(conns, ["1", "2"])
        st = be.stats()
        self.assertEqual((st["connections"], st["begins"], st["dropped"]),
                         (2, 3, 1), st)

    def test_retried_only_once(self):
        # fcgi_scripted.py -m serveonce answers one request, then drops
        # every connection that brings another: one retry, then an error.
        be = self.need("serveonce")
        self.assertResult(self.q("serveonce"))
        self.assertError(self.q("serveonce"), "internal-server-error",
                         "cancel")
        st = be.stats()
        self.assertEqual((st["connections"], st["begins"]), (2, 3), st)
        self.assertLog("route serveonce [fastcgi %s]: the backend closed the "
                       "connection without answering" % be.address)

    def test_failover_across_three_backends(self):
        self.need("pool-a")
        a, bb, c = (self.fx.be[k] for k in ("pool-a", "pool-b", "pool-c"))

        def total():
            return sum(x.stats().get("requests", 0) for x in (a, bb, c))
        start = total()
        self.assertAllResults(self.burst("pool3", 9))
        # least outstanding requests first: 3 each
        self.assertEqual([x.stats()["requests"] for x in (a, bb, c)],
                         [3, 3, 3])
        bb.kill()           # SIGKILL while idle: its port refuses now
        time.sleep(0.2)
        self.assertAllResults(self.burst("pool3", 12))
        c.kill()
        time.sleep(0.2)
        self.assertAllResults(self.burst("pool3", 6))
        self.assertEqual(total() - start, 27)
        self.assertLog("xmpp-cgi: warning: fastcgi %s: cannot connect: "
                       "connection refused" % bb.address)
        self.assertLog("xmpp-cgi: warning: fastcgi %s: cannot connect: "
                       "connection refused" % c.address)


class Cli(FcgiTest):
    def test_once_through_fastcgi(self):
        self.need("fecho")
        r = self.bridge.run(["-c", self.bridge.cfg, "--once", "fecho"],
                            stdin="<iq type='get' id='o1' from='alice@"
                            "localhost/x' to='bridge@localhost/fecho'>"
                            "<ping xmlns='urn:e2e'/></iq>")
        self.assertEqual(r.returncode, 0, r.stderr)
        el = ET.fromstring(r.stdout)
        self.assertEqual(el.get("type"), "result", r.stdout)
        self.assertIsNotNone(el.find("{urn:xmpp-cgi:echo}echo"), r.stdout)

    def test_sample_config_fastcgi_block_passes_check(self):
        src = os.path.join(h.EXAMPLES, "xmpp-cgi.conf.example")
        with open(src) as f:
            text = f.read()
        start = text.index("; ---- FastCGI routes")
        end = text.index("; ---- end of FastCGI routes")
        block = re.sub(r"^;(\[route |[a-z_]+ = )", r"\1",
                       text[start:end], flags=re.M)
        self.assertIn('[route "php"]', block)
        d = h.make_tempdir("xmpp-cgi-sample-fcgi-")
        cfg = os.path.join(d, "xmpp-cgi.conf")
        with open(cfg, "w") as f:
            f.write(re.sub(r"/usr/local/lib/xmpp-cgi/examples", h.EXAMPLES,
                           text[:start] + block + text[end:]))
        r = h.run_bridge(["--check", "-c", cfg], binary=self.bridge.binary)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("is ok", r.stderr)
        self.assertTrue(os.path.exists(HELLO_PHP))


if __name__ == "__main__":
    unittest.main()
