# e2e: real frameworks behind the bridge, each run the way its own
# documentation runs it behind a web server, with routes written from
# xmpp-cgi.conf(5) alone: Catalyst as CGI and as FastCGI (its own scripts,
# cgi-examples/catalyst), php-cgi (a route's `interpreter`, a cgi_dir's
# `assign`, and a #! line), php-fpm serving several routes, Go's net/http/cgi
# and net/http/fcgi (built here with `go build`, standard library only),
# Flask through wsgiref.handlers.CGIHandler, and CGI.pm.  The apps live in
# tests/e2e/apps/ (the Catalyst one is an example).
#
# Every app answers, under any route name, /ROUTE/greet/NAME (text naming
# the path it routed on), /ROUTE/xml (application/xml), /ROUTE/fail (500)
# and a 404 for anything else.  Each framework is checked for: the path it
# routed on, the body, text -> <body>, XML -> the raw payload, 404 ->
# item-not-found and 500 -> internal-server-error.
#
# One private Prosody with two components: api.localhost (a bridge whose
# routes use only long-standing keys) and php.localhost (a bridge with the
# interpreter routes), so that against an older binary each test fails for
# its own reason.  The frameworks are Debian packages installed by
# scripts/install-deps.sh; a missing one skips its tests with the package
# name.

import os
import shutil
import subprocess
import unittest

import backends as b
import component as c
import harness as h
import shared
from harness import Route

APPS = os.path.join(h.HERE, "apps")
CATALYST = os.path.join(h.EXAMPLES, "catalyst", "script")
GREETER_PHP = os.path.join(APPS, "greeter.php")
POOL_CONF = os.path.join(b.PHP_EXAMPLES, "php-fpm-pool.conf")
PHP_CGI = "/usr/bin/php-cgi"
API = c.COMPONENT
PHP_DOMAIN = "php.localhost"


def have_perl_module(module):
    return subprocess.run(["perl", "-M" + module, "-e", "1"],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def have_python_module(module):
    return subprocess.run(["/usr/bin/python3", "-c", "import " + module],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


class CatalystFcgi(b.Backend):
    """cgi-examples/catalyst/script/greeter_fastcgi.pl: Plack::Handler::FCGI
    with FCGI::ProcManager and two workers."""

    what = "catalyst fastcgi"

    def argv(self):
        return ["perl", os.path.join(CATALYST, "greeter_fastcgi.pl"),
                "--listen", self.sock, "--nproc", "2"]


class GoFcgi(b.Backend):
    """The Go greeter on net/http/fcgi."""

    what = "go fcgi"

    def __init__(self, workdir, name, binary):
        super().__init__(workdir, name)
        self.binary = binary

    def argv(self):
        return [self.binary, self.sock]


def go_build(work, out, main):
    """Builds apps/go/greeter.go + main into work/out; returns the path."""
    env = b.backend_env({"GOCACHE": os.path.join(work, "gocache"),
                         "GOPATH": os.path.join(work, "gopath"),
                         "GOFLAGS": "", "GOPROXY": "off",
                         "GO111MODULE": "on", "CGO_ENABLED": "0"})
    path = os.path.join(work, out)
    src = os.path.join(APPS, "go")
    r = subprocess.run(["go", "build", "-o", path, "greeter.go", main],
                       cwd=src, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=300)
    if r.returncode != 0:
        raise h.HarnessError("go build %s failed:\n%s"
                             % (main, r.stdout.decode(errors="replace")))
    return path


class Fixture:
    """Prosody with two components, the backends, two bridges, alice."""

    def __init__(self):
        self.skip = {}      # route -> reason (a package is missing)
        self.broken = {}    # route or bridge -> why it could not start
        self.be = []
        self.bridges = {}
        self.prosody = h.Prosody()
        with open(self.prosody.cfg, "a") as f:
            f.write('\nComponent "%s"\n    component_secret = "%s"\n'
                    % (PHP_DOMAIN, self.prosody.component_secret))
        c.start_prosody(self.prosody)
        self.dir = os.path.join(self.prosody.dir, "frameworks")
        os.makedirs(self.dir)
        self.start_bridge("api", lambda: c.ComponentBridge(
            self.prosody, self.api_routes(), name="frameworks-api"))
        self.start_bridge("php", lambda: c.ComponentBridge(
            self.prosody, self.php_routes(), name="frameworks-php",
            component=PHP_DOMAIN))
        self.alice = h.Client(self.prosody, "alice@localhost",
                              resource="frameworks")

    def start_bridge(self, key, make):
        try:
            br = make()
            self.bridges[key] = br
            br.start()
        except h.HarnessError as e:
            self.broken[key] = str(e)

    def backend(self, route, be):
        """Starts be for route; its address, or None (route marked broken)."""
        try:
            be.start(timeout=30)
        except h.HarnessError as e:
            self.broken[route] = str(e)
            return None
        self.be.append(be)
        return be.address

    def api_routes(self):
        routes = []
        perl_ok = have_perl_module("Catalyst") and \
            have_perl_module("Plack::Handler::CGI")
        if perl_ok:
            routes.append(Route("catcgi", os.path.join(CATALYST,
                                                       "greeter_cgi.pl")))
        else:
            self.skip["catcgi"] = "needs libcatalyst-perl libplack-perl"
        if perl_ok and have_perl_module("FCGI::ProcManager"):
            # five routes on one Catalyst backend with two workers
            addr = self.backend("catfcgi", CatalystFcgi(self.dir, "catfcgi"))
            for name in CATFCGI_ROUTES:
                if addr:
                    routes.append(Route(name, fastcgi=addr))
                else:
                    self.broken[name] = self.broken["catfcgi"]
        else:
            self.skip["catfcgi"] = ("needs libcatalyst-perl libplack-perl "
                                    "libfcgi-perl libfcgi-procmanager-perl")
        if shutil.which("go"):
            try:
                routes.append(Route("gocgi", go_build(self.dir, "greeter-cgi",
                                                      "cgi_main.go")))
                fcgi = go_build(self.dir, "greeter-fcgi", "fcgi_main.go")
                addr = self.backend("gofcgi", GoFcgi(self.dir, "gofcgi", fcgi))
                if addr:
                    routes.append(Route("gofcgi", fastcgi=addr))
            except h.HarnessError as e:
                self.broken["gocgi"] = self.broken["gofcgi"] = str(e)
        else:
            self.skip["gocgi"] = self.skip["gofcgi"] = "needs golang-go"
        if have_python_module("flask"):
            routes.append(Route("flask", os.path.join(APPS,
                                                      "flask_greeter.py")))
        else:
            self.skip["flask"] = "needs python3-flask"
        if have_perl_module("CGI"):
            routes.append(Route("cgipm", os.path.join(APPS,
                                                      "cgipm_greeter.pl")))
        else:
            self.skip["cgipm"] = "needs libcgi-pm-perl"
        if os.access(PHP_CGI, os.X_OK):
            # php-cgi through the script's own #! line: no new config key
            shebang = os.path.join(self.dir, "shebang.php")
            with open(GREETER_PHP) as src, open(shebang, "w") as dst:
                dst.write("#!%s\n" % PHP_CGI + src.read())
            os.chmod(shebang, 0o755)
            routes.append(Route("phpbang", shebang))
        else:
            self.skip["phpbang"] = "needs php-cgi"
        if b.PhpFpm.available():
            with open(POOL_CONF) as f:
                pool = f.read()
            # five routes on one php-fpm pool with two children
            addr = self.backend("fpm", b.PhpFpm(
                self.dir, "fpm", pool, {"pm": "static",
                                        "pm.max_children": 2}))
            for name in FPM_ROUTES:
                if addr:
                    routes.append(Route(name, fastcgi=addr,
                                        script_filename=GREETER_PHP))
                else:
                    self.broken[name] = self.broken["fpm"]
        else:
            for name in FPM_ROUTES:
                self.skip[name] = "needs php-fpm"
        return routes

    def php_routes(self):
        if not os.access(PHP_CGI, os.X_OK):
            self.skip["phpinterp"] = self.skip["greeter.php"] = \
                "needs php-cgi"
            return [Route("echo", h.script("echo.sh"))]
        # a cgi-bin with a PHP script that is not executable, beside a
        # shell script, as lighttpd's cgi.assign serves them
        cgi_bin = os.path.join(self.dir, "cgi-bin")
        os.makedirs(cgi_bin)
        shutil.copyfile(GREETER_PHP, os.path.join(cgi_bin, "greeter.php"))
        os.chmod(os.path.join(cgi_bin, "greeter.php"), 0o644)
        shutil.copyfile(GREETER_PHP, os.path.join(cgi_bin, "plain.txt"))
        os.chmod(os.path.join(cgi_bin, "plain.txt"), 0o644)
        return [Route("phpinterp", GREETER_PHP, interpreter=PHP_CGI),
                # the php-cgi example of cgi-examples/xmpp-cgi.conf.example
                Route("phphello", os.path.join(b.PHP_EXAMPLES, "hello.php"),
                      interpreter=PHP_CGI, env=["APP_ENV=example"]),
                Route("*", cgi_dir=cgi_bin,
                      assign=".php=%s" % PHP_CGI)]

    def close(self):
        self.alice.close()
        for br in self.bridges.values():
            br.stop()
        for be in self.be:
            be.stop()
        self.prosody.stop()


_fixture = h.ModuleFixture(Fixture, "fixture")
fixture = _fixture.get
tearDownModule = _fixture.close


CATFCGI_ROUTES = ["catfcgi"] + ["catfcgi%d" % i for i in range(2, 6)]
FPM_ROUTES = ["fpm%d" % i for i in range(1, 6)]


def more_routes_than_workers(test, routes, check):
    """Every route of `routes` (more routes than the backend has workers)
    answers: one at a time in several orders, then all at once, interleaved,
    then one at a time again (nothing left holding the workers)."""
    alice = test.fx.alice
    for r in routes:
        if r in test.fx.broken:
            test.fail(test.fx.broken[r])
    for order in (routes, routes[::-1], routes):
        for route in order:
            check(route, alice.query("%s@%s/greet/bob" % (route, API), "",
                                     timeout=30))
    sent = []
    for route in routes * 3:
        id, xml = alice.iq("%s@%s/greet/bob" % (route, API))
        sent.append((route, id))
        alice.send_raw(xml)
    for route, id in sent:
        r = alice.wait_for(lambda st, id=id: st.id == id, 30)
        test.assertIsNotNone(r, "no answer from %s; bridge log:\n%s"
                             % (route, h.tail(test.br.log)))
        check(route, r)
    for route in routes:
        check(route, alice.query("%s@%s/greet/bob" % (route, API), "",
                                 timeout=30))


class Framework:
    """The checks every framework must pass; a subclass names its route,
    its component and the bridge serving it."""

    route = None
    domain = API
    bridge = "api"
    xml_ns = None           # the namespace of the app's XML answer

    assertError = shared.BridgeTest.assertError
    assertResult = shared.BridgeTest.assertResult

    def setUp(self):
        self.fx = fixture()
        for k in (self.route, self.bridge):
            if k in self.fx.skip:
                self.skipTest(self.fx.skip[k])
            if k in self.fx.broken:
                self.fail(self.fx.broken[k])
        self.br = self.fx.bridges[self.bridge]
        self.assertTrue(self.br.alive(),
                        "bridge died:\n" + h.tail(self.br.log))

    def ask(self, sub, payload="<q xmlns='urn:e2e:fw'>hi</q>"):
        """An iq get to ROUTE@DOMAIN/SUB; the reply."""
        return self.fx.alice.query("%s@%s/%s" % (self.route, self.domain, sub),
                                   payload, timeout=30)

    def diag(self, reply):
        return "%s\nbridge log:\n%s" % (reply.xml, h.tail(self.br.log))

    def test_text_body_and_routed_path(self):
        r = self.ask("greet/alice")
        self.assertEqual(r.type, "result", self.diag(r))
        text = shared.body_text(r)
        self.assertIsNotNone(text, r.xml)
        self.assertTrue(text.startswith("Hello, alice! "), text)
        self.assertIn("path /%s/greet/alice" % self.route, text)
        return text

    def test_any_resource_reaches_the_app(self):
        """A resource with a space, a '%' and a non-ASCII letter: escaped in
        REQUEST_URI, decoded again by the framework."""
        r = self.ask("greet/zo\u00eb 100%")
        self.assertEqual(r.type, "result", self.diag(r))
        self.assertTrue((shared.body_text(r) or "").startswith(
            "Hello, zo\u00eb 100%! "), r.xml)

    def test_xml_is_the_payload(self):
        r = self.ask("xml")
        self.assertEqual(r.type, "result", self.diag(r))
        payload = r.payload()
        self.assertEqual(len(payload), 1, r.xml)
        el = payload[0]
        self.assertEqual(el.tag, "{%s}greeting" % self.xml_ns, r.xml)
        self.assertEqual(el.get("path"), "/%s/xml" % self.route)
        self.assertEqual(el.text, "hello")

    def test_404_is_item_not_found(self):
        r = self.ask("no/such/page")
        self.assertError(r, "item-not-found", "cancel")

    def test_500_is_internal_server_error(self):
        r = self.ask("fail")
        # the app's own 500, not a handler that failed to run
        self.assertError(r, "internal-server-error", "cancel",
                         "the greeter failed")


class CatalystCGI(Framework, unittest.TestCase):
    route = "catcgi"
    xml_ns = "urn:xmpp-cgi:catalyst"

    def test_text_body_and_routed_path(self):
        text = super().test_text_body_and_routed_path()
        self.assertIn("from alice@localhost", text)
        return text


class CatalystFastCGI(Framework, unittest.TestCase):
    # Plack::Handler::FCGI rebuilds PATH_INFO from REQUEST_URI
    route = "catfcgi"
    xml_ns = "urn:xmpp-cgi:catalyst"

    def test_http_over_xmpp(self):
        """An XEP-0332 GET: its resource, escapes and query included,
        reaches Catalyst through REQUEST_URI."""
        r = self.fx.alice.query(
            "%s@%s" % (self.route, self.domain),
            "<req xmlns='urn:xmpp:http' method='GET' version='1.1' "
            "resource='/greet/b%20ob?x=1'/>", type="set", timeout=30)
        self.assertEqual(r.type, "result", self.diag(r))
        resp = r.el.find("{urn:xmpp:http}resp")
        self.assertIsNotNone(resp, r.xml)
        self.assertEqual(resp.get("statusCode"), "200", r.xml)
        text = resp.find("{urn:xmpp:http}data/{urn:xmpp:http}text")
        self.assertIsNotNone(text, r.xml)
        self.assertIn("Hello, b ob! ", text.text)
        self.assertIn("path /catfcgi/greet/b%20ob, method GET", text.text)


    def test_more_routes_than_workers(self):
        """Five routes on the one Catalyst FastCGI backend of two workers:
        kept-alive connections of some routes never starve the others."""
        def check(route, r):
            self.assertEqual(r.type, "result", "%s: %s" % (route, self.diag(r)))
            self.assertIn("path /%s/greet/bob" % route,
                          shared.body_text(r) or "", r.xml)
        more_routes_than_workers(self, CATFCGI_ROUTES, check)


class GoCGI(Framework, unittest.TestCase):
    # net/http/cgi refuses a SERVER_PROTOCOL that is not HTTP/x.y
    route = "gocgi"
    xml_ns = "urn:xmpp-cgi:go"

    def test_text_body_and_routed_path(self):
        text = super().test_text_body_and_routed_path()
        self.assertIn("host %s, POST HTTP/1.1" % API, text)
        return text


class GoFastCGI(GoCGI):
    route = "gofcgi"


class Flask(Framework, unittest.TestCase):
    route = "flask"
    xml_ns = "urn:xmpp-cgi:flask"


class CGIpm(Framework, unittest.TestCase):
    route = "cgipm"
    xml_ns = "urn:xmpp-cgi:cgipm"


class PhpCgiShebang(Framework, unittest.TestCase):
    # php-cgi wants REDIRECT_STATUS (cgi.force_redirect)
    route = "phpbang"
    xml_ns = "urn:xmpp-cgi:php"

    def test_text_body_and_routed_path(self):
        text = super().test_text_body_and_routed_path()
        self.assertIn("sapi cgi-fcgi", text)
        return text


class PhpCgiInterpreter(PhpCgiShebang):
    # interpreter = /usr/bin/php-cgi: SCRIPT_FILENAME is the script
    route = "phpinterp"
    domain = PHP_DOMAIN
    bridge = "php"

    def test_text_body_and_routed_path(self):
        text = super().test_text_body_and_routed_path()
        self.assertIn("script greeter.php", text)
        return text


class PhpCgiDir(PhpCgiInterpreter):
    # a .php file of a cgi_dir, not executable, run by assign = .php=php-cgi
    route = "greeter.php"

    def test_disco_items_list_the_script(self):
        r = self.fx.alice.query(PHP_DOMAIN, "<query xmlns='%s'/>"
                                % c.NS_DISCO_ITEMS, timeout=30)
        self.assertEqual(r.type, "result", r.xml)
        jids = {i.get("jid") for i in r.el.iter("{%s}item" % c.NS_DISCO_ITEMS)}
        self.assertIn("greeter.php@" + PHP_DOMAIN, jids)
        self.assertNotIn("plain.txt@" + PHP_DOMAIN, jids)

    def test_only_assigned_or_executable_files_run(self):
        r = self.fx.alice.query("plain.txt@%s/greet/x" % PHP_DOMAIN, "",
                                timeout=30)
        self.assertError(r, "item-not-found", "cancel")


class PhpCgiExample(unittest.TestCase):
    """cgi-examples/php/hello.php run by php-cgi as the sample configuration
    shows it."""

    def test_hello(self):
        fx = fixture()
        if "php" in fx.broken:
            self.fail(fx.broken["php"])
        if "phpinterp" in fx.skip:
            self.skipTest(fx.skip["phpinterp"])
        r = fx.alice.query("phphello@%s" % PHP_DOMAIN, "<q xmlns='urn:x'/>",
                           timeout=30)
        self.assertEqual(r.type, "result", r.xml)
        hello = r.el.find("{urn:xmpp-cgi:hello}hello")
        self.assertIsNotNone(hello, r.xml)
        self.assertEqual(hello.get("env"), "example", r.xml)
        self.assertIn("Hello, alice@localhost!", hello.text or "", r.xml)


class PhpFpm(Framework, unittest.TestCase):
    route = "fpm1"
    xml_ns = "urn:xmpp-cgi:php"

    def test_text_body_and_routed_path(self):
        text = super().test_text_body_and_routed_path()
        self.assertIn("sapi fpm-fcgi", text)
        return text

    def test_several_routes_on_one_pool(self):
        """Five routes on one php-fpm pool of two children."""
        def check(route, r):
            self.assertEqual(r.type, "result", "%s: %s" % (route, self.diag(r)))
            self.assertIn("path /%s/greet/bob" % route,
                          shared.body_text(r) or "", r.xml)
        more_routes_than_workers(self, FPM_ROUTES, check)


if __name__ == "__main__":
    unittest.main()
