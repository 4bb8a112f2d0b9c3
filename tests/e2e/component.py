# Fixtures for the component-mode tests (test_component.py, test_http.py):
# a bridge configured as an XEP-0114 component, a private Prosody shared by
# both modules (its `Component "api.localhost"` is the harness's), a cgi-bin
# directory full of hostile names, a second bridge in client mode on the same
# Prosody, and helpers to drive slixmpp's own XEP plugins from the
# synchronous harness Client.
#
# Nothing here changes harness.py: ComponentBridge subclasses h.Bridge and
# only rewrites its [xmpp] section and its "online" test.

import asyncio
import atexit
import os
import shutil
import stat
import unittest

import harness as h
from harness import Route, example, script

COMPONENT = "api.localhost"

NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_PING = "urn:xmpp:ping"
NS_VERSION = "jabber:iq:version"
NS_SOAP = "http://jabber.org/protocol/soap"
NS_SOAP_FAULT = "http://jabber.org/protocol/soap#fault"
NS_SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
NS_HTTP = "urn:xmpp:http"
NS_SHIM = "http://jabber.org/protocol/shim"
NS_CALC = "urn:xmpp-cgi:calc"


class ComponentBridge(h.Bridge):
    """The bridge as the XEP-0114 component `component` of `prosody`."""

    def __init__(self, prosody, routes, name="component", component=COMPONENT,
                 secret=None, args=()):
        super().__init__(prosody, routes, name=name, args=args)
        self.component = component
        self.jid = component
        xmpp = ["[xmpp]", "mode = component", "component = %s" % component,
                "secret = %s" % (secret or prosody.component_secret),
                "host = 127.0.0.1", "port = %d" % prosody.component_port]
        with open(self.cfg, "w") as f:
            f.write("; Written by tests/e2e/component.py\n")
            f.write("\n".join(xmpp) + "\n\n")
            for r in self.routes:
                f.write(r.render() + "\n")
            f.write(h.DAEMON_SECTION)

    def online_line(self):
        return "xmpp-cgi: info: component %s: online as %s" % (
            self.component, self.component)

    def wait_online(self, timeout=20, since=0):
        """Wait for the component's `online as` line after offset `since`."""
        line = self.online_line()

        def online():
            if self.proc.poll() is not None:
                raise h.HarnessError("bridge exited with %s before the "
                                     "component was online:\n%s"
                                     % (self.proc.returncode, h.tail(self.log)))
            return line in self.read_log(since)
        if not h.wait_until(online, timeout, 0.1):
            raise h.HarnessError("component not online after %ss; log tail:\n%s"
                                 % (timeout, h.tail(self.log)))


# ---------------------------------------------------------------------------
# slixmpp plugins on a harness Client

def use_plugins(client, *names):
    """Register slixmpp plugins (xep_0030, xep_0199, ...) on a logged-in
    harness Client."""
    def reg():
        for n in names:
            client.xmpp.register_plugin(n)
    client._call(reg)


def call(client, fn, timeout=15):
    """Run fn() on the client's loop; fn returns an awaitable (a slixmpp
    Future or coroutine).  Returns its result, or the error iq when the
    answer was an iq error (slixmpp raises IqError for those)."""
    from slixmpp.exceptions import IqError

    async def run():
        try:
            return await fn()
        except IqError as e:
            return e.iq
    return asyncio.run_coroutine_threadsafe(run(), client.loop).result(timeout)


def stanza_error(iq):
    """(type, condition) of a slixmpp error iq."""
    return (iq["error"]["type"], iq["error"]["condition"])


# ---------------------------------------------------------------------------
# The cgi-bin directory: which names must run and which must not.

# The names cgi_dir must accept (and disco#items list); every other entry
# of the directory must answer item-not-found ("echo" is valid too, but the
# route of that name answers for it).
VALID_CGI = ("abs-alias", "alias", "envdump", "mark")


def make_cgi_bin(work):
    """Populate WORK/cgi-bin (and WORK/outside) and return the directory."""
    d = os.path.join(work, "cgi-bin")
    out = os.path.join(work, "outside")
    os.makedirs(d)
    os.makedirs(out)
    exe = stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH

    def copy(src, name, mode=exe, where=d):
        p = os.path.join(where, name)
        shutil.copyfile(src, p)
        os.chmod(p, mode)
        return p

    env_sh = example("env") or script("dump.sh")
    copy(env_sh, "envdump")                          # valid executable
    copy(script("marker.sh"), "mark")                # valid, writes MARKER
    copy(script("status.sh"), "echo")                # shadowed by [route "echo"]
    os.symlink("envdump", os.path.join(d, "alias"))  # link inside: accepted
    os.symlink(os.path.join(d, "envdump"), os.path.join(d, "abs-alias"))
    os.symlink("/bin/true", os.path.join(d, "out"))  # link out of the directory
    copy(env_sh, "tool", where=out)
    os.symlink("../outside/tool", os.path.join(d, "escape"))  # relative, out
    os.symlink(out, os.path.join(d, "outdir"))       # link to a directory
    os.symlink("/etc/passwd", os.path.join(d, "passwd"))
    os.symlink("missing", os.path.join(d, "dangling"))
    copy(env_sh, ".hidden")                          # dot file, executable
    copy(env_sh, "noexec", mode=0o644)               # not executable
    copy(env_sh, "with space")                       # not a route name
    copy(env_sh, "a:b")
    sub = os.path.join(d, "subdir")                  # a directory ...
    os.makedirs(sub)
    os.chmod(sub, 0o755)
    copy(env_sh, "inner", where=sub)                 # ... with a valid inside
    return d


# ---------------------------------------------------------------------------
# The shared fixture

def component_routes(work, cgi_bin):
    def sub(name):
        p = os.path.join(work, name)
        os.makedirs(p, exist_ok=True)
        return p
    calc = example("soap-calc")
    return [
        Route("echo", script("echo.sh"), description="Echo service"),
        Route("env", example("env") or script("dump.sh"),
              env=["DUMP_DIR=" + sub("dump")]),
        Route("calc", calc, soap="yes", description="SOAP calculator"),
        Route("http", script("http.sh"), http="yes",
              description="HTTP echo"),
        Route("both", script("http.sh"), http="yes", soap="yes"),
        Route("httpslow", script("sleeper.sh"), http="yes", timeout=1,
              env=["PID_DIR=" + sub("httpslow"), "SLEEP=20"]),
        Route("marked", script("marker.sh"),
              env=["MARKER=" + os.path.join(work, "marker-component")]),
        Route("Upper", script("echo.sh"), description="Mixed case"),
        Route("*", cgi_dir=cgi_bin, timeout=5,
              env=["MARKER=" + os.path.join(work, "marker-cgi-bin")]),
    ]


def client_routes(work):
    return [
        Route("echo", script("echo.sh"), description="Echo service"),
        Route("calc", example("soap-calc"), soap="yes"),
        Route("http", script("http.sh"), http="yes"),
        Route("marked", script("marker.sh"),
              env=["MARKER=" + os.path.join(work, "marker-client")]),
    ]


def start_prosody(prosody, timeout=10):
    """Start prosody and wait for its component port too (Prosody.start
    waits for the client port only)."""
    prosody.start()
    if not h.wait_until(lambda: h.port_open(prosody.component_port), timeout):
        raise h.HarnessError("prosody did not open its component port %d"
                             % prosody.component_port)


class EnvTest(unittest.TestCase):
    """Base class: self.env (this process's Env), self.alice and her slixmpp
    session self.xmpp; the component bridge checked alive before each
    test."""

    def setUp(self):
        self.env = env()
        self.alice = self.env.alice
        self.xmpp = self.alice.xmpp
        self.assertTrue(self.env.bridge.alive(),
                        "bridge died:\n" + h.tail(self.env.bridge.log))


class Env:
    """A private Prosody, the component bridge, a client-mode bridge
    (bridge@localhost) and two clients: alice (with slixmpp's disco, ping,
    version and HTTP plugins) and eve@other.localhost."""

    PLUGINS = ("xep_0030", "xep_0199", "xep_0092", "xep_0131", "xep_0332")

    def __init__(self):
        self.prosody = h.Prosody()
        start_prosody(self.prosody)
        self.work = os.path.join(self.prosody.dir, "component-work")
        os.makedirs(self.work)
        self.cgi_bin = make_cgi_bin(self.work)
        self.bridge = ComponentBridge(
            self.prosody, component_routes(self.work, self.cgi_bin))
        self.bridge.start()
        self.client_bridge = h.Bridge(self.prosody, client_routes(self.work),
                                      name="clientmode")
        self.client_bridge.start()
        self.alice = h.Client(self.prosody, "alice@localhost",
                              resource="component")
        use_plugins(self.alice, *self.PLUGINS)
        self.eve = h.Client(self.prosody, "eve@other.localhost",
                            resource="component")

    def close(self):
        for c in ("alice", "eve"):
            cl = getattr(self, c, None)
            if cl:
                cl.close()
        for b in ("bridge", "client_bridge"):
            br = getattr(self, b, None)
            if br:
                br.stop()
        self.prosody.stop()


_fixture = {}


def env():
    """The Env of this process, built on first use; a failure to build it is
    re-raised at once for every later test."""
    if "env" in _fixture:
        return _fixture["env"]
    if "error" in _fixture:
        raise h.HarnessError("component fixture failed earlier: %s"
                             % _fixture["error"])
    try:
        e = Env()
    except BaseException as ex:
        _fixture["error"] = ex
        raise
    _fixture["env"] = e
    return e


def shutdown():
    """Stop this process's Env (each test module calls it when done)."""
    _fixture.pop("error", None)
    e = _fixture.pop("env", None)
    if e:
        try:
            e.close()
        except Exception:
            pass


atexit.register(shutdown)
