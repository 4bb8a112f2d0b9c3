# End-to-end fixtures for xmpp-cgi: a throwaway Prosody (CA, certificates,
# config, users), the xmpp-cgi bridge under test (config, start, log, stop),
# and a synchronous slixmpp client.  This module owns every process the e2e
# tests start and kills them all on exit, on exceptions and on SIGTERM.
#
# Run only with /usr/bin/python3 (Debian's python3-slixmpp).  Everything
# listens on 127.0.0.1; every file lives in one temporary directory per run
# (kept when XMPP_CGI_E2E_KEEP=1, for debugging).

import asyncio
import atexit
import collections
import copy
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCRIPTS = os.path.join(HERE, "scripts")
EXAMPLES = os.path.join(REPO, "cgi-examples")
BRIDGE_BIN = os.environ.get("XMPP_CGI_BIN",
                            os.path.join(REPO, "bridge", "xmpp-cgi"))

NS_CLIENT = "jabber:client"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
PASSWORD = "secret"
# Started as root, the bridge refuses to run handlers as root unless its file says so
# (bridge/daemon/privdrop.c): every configuration the tests write as root says so.
DAEMON_SECTION = "[daemon]\nuser = root\n\n" if os.geteuid() == 0 else ""
CANARY = "leak-me"
USERS = [("bridge", "localhost"), ("alice", "localhost"),
         ("bob", "localhost"), ("eve", "other.localhost")]


class HarnessError(Exception):
    pass


# ---------------------------------------------------------------------------
# Process bookkeeping: every long-lived child runs in its own process group
# (start_new_session) and is killed, group and all, when the run ends.

_children = []          # subprocess.Popen objects still to clean up
_children_lock = threading.Lock()


def spawn(argv, **kw):
    """Start a child in its own session and remember it for cleanup."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    proc = subprocess.Popen(argv, start_new_session=True, **kw)
    with _children_lock:
        _children.append(proc)
    return proc


def kill_group(proc, grace=5.0):
    """SIGTERM the child's process group, SIGKILL it after `grace` seconds.
    Returns the child's exit status."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    # Whatever is left in the group (handlers, grandchildren) goes now.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    rc = proc.wait()
    with _children_lock:
        if proc in _children:
            _children.remove(proc)
    return rc


def _become_subreaper():
    """Orphans of our children (handlers whose bridge died, their
    background jobs) are re-parented to this process, so cleanup_all() can
    find and kill them."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)          # PR_SET_CHILD_SUBREAPER
    except Exception:
        pass


def _orphans():
    """pids of our children that no Popen object tracks."""
    with _children_lock:
        known = {p.pid for p in _children}
    return [pid for pid in children(os.getpid()) if pid not in known]


def cleanup_all():
    with _children_lock:
        procs = list(_children)
    for proc in procs:
        try:
            kill_group(proc, grace=2.0)
        except Exception:
            pass
    for pid in _orphans():
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    for d in list(_tempdirs):
        if os.environ.get("XMPP_CGI_E2E_KEEP") == "1":
            sys.stderr.write("e2e: kept %s\n" % d)
        else:
            shutil.rmtree(d, ignore_errors=True)
        _tempdirs.remove(d)


def _on_sigterm(signum, frame):
    cleanup_all()
    os._exit(128 + signum)


atexit.register(cleanup_all)
_become_subreaper()
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGHUP, _on_sigterm)

_tempdirs = []


def make_tempdir(prefix="xmpp-cgi-e2e-"):
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    _tempdirs.append(d)
    return d


def free_port():
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(pred, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def tail(path, lines=40):
    try:
        with open(path, "r", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return "(%s)" % e


def pid_alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


Proc = collections.namedtuple("Proc", "pid comm state ppid pgrp")


def processes():
    """Every process in /proc now, as Proc (fields of /proc/PID/stat)."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                head, rest = f.read().rsplit(")", 1)
            fields = rest.split()
            out.append(Proc(int(p), head.split("(", 1)[1], fields[0],
                            int(fields[1]), int(fields[2])))
        except (OSError, IndexError, ValueError):
            continue
    return out


def children(ppid):
    """pids of the children of `ppid`."""
    return [p.pid for p in processes() if p.ppid == ppid]


def zombie_children(ppid):
    """pids of the zombie children of `ppid`."""
    return [p.pid for p in processes() if p.ppid == ppid and p.state == "Z"]


def run_cleanups(fns):
    """For a test's tearDown: call fns, the last first, ignoring errors."""
    for fn in reversed(fns):
        try:
            fn()
        except Exception:
            pass


class ModuleFixture:
    """A test module's expensive fixture, built by `make()` on first use and
    kept for the module's other tests.  If building fails, every later use
    fails at once with that first cause instead of trying again."""

    def __init__(self, make, what="fixture"):
        self.make = make
        self.what = what
        self.value = None
        self.error = None

    def get(self):
        if self.error is not None:
            raise HarnessError("%s failed earlier: %s"
                               % (self.what, self.error))
        if self.value is None:
            try:
                self.value = self.make()
            except BaseException as e:
                self.error = e
                raise
        return self.value

    def close(self):
        """Close the fixture if it was built (for tearDownModule)."""
        v, self.value = self.value, None
        if v is not None:
            v.close()


class ModuleProsody(ModuleFixture):
    """A test module's own Prosody (Prosody(**kw)), made on first use and started
    again if a test stopped it. prepare(p), if given, may edit p.cfg before the
    first start. Use: `_prosody = h.ModuleProsody(muc=True)`, then
    `_prosody.get()` in each test and `_prosody.stop()` in tearDownModule."""

    def __init__(self, prepare=None, **kw):
        def make():
            p = Prosody(**kw)
            if prepare:
                prepare(p)
            p.start()
            return p
        super().__init__(make, "Prosody")

    def get(self):
        p = super().get()
        p.start()
        return p

    def stop(self):
        if self.value is not None:
            self.value.stop()


# ---------------------------------------------------------------------------
# Certificates (openssl CLI): one CA, one server certificate whose SANs cover
# every domain of the test server.

def _openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    if r.returncode != 0:
        raise HarnessError("openssl %s failed:\n%s"
                           % (" ".join(args), r.stdout.decode(errors="replace")))


def make_certs(d, names=("localhost", "other.localhost", "api.localhost")):
    """Write ca.pem, ca.key, server.pem, server.key into `d`."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "3", "-subj", "/CN=xmpp-cgi e2e test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-addext", "subjectKeyIdentifier=hash", cwd=d)
    _openssl("req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=%s" % names[0], cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth,clientAuth\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid\n"
                "subjectAltName=%s\n"
                % ",".join("DNS:" + n for n in names))
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem",
             "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
             "-days", "3", "-extfile", "server.ext", cwd=d)
    for k in ("ca.key", "server.key"):
        os.chmod(os.path.join(d, k), 0o600)


# ---------------------------------------------------------------------------
# Prosody

PROSODY_CFG = """\
-- Written by tests/e2e/harness.py; throwaway test server, loopback only.
run_as_root = true
daemonize = false
pidfile = "{dir}/prosody.pid"
data_path = "{dir}/data"
log = {{ {{ levels = {{ min = "{loglevel}" }}, to = "file", filename = "{dir}/prosody.log" }} }}

interfaces = {{ "127.0.0.1" }}
local_interfaces = {{ "127.0.0.1" }}
c2s_interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {c2s_port} }}
c2s_direct_tls_ports = {{ }}
legacy_ssl_ports = {{ }}
s2s_ports = {{ }}
s2s_direct_tls_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
component_interfaces = {{ "127.0.0.1" }}
component_ports = {{ {component_port} }}

modules_enabled = {{ "roster", "saslauth", "tls", "disco", "ping", "posix"{modules} }}
modules_disabled = {{ "s2s", "s2s_auth_certs", "offline" }}

c2s_require_encryption = true
allow_registration = false
authentication = "internal_plain"
storage = "internal"
certificates = "{dir}"
ssl = {{ certificate = "{dir}/server.pem", key = "{dir}/server.key" }}

VirtualHost "localhost"
    ssl = {{ certificate = "{dir}/server.pem", key = "{dir}/server.key" }}

VirtualHost "other.localhost"
    ssl = {{ certificate = "{dir}/server.pem", key = "{dir}/server.key" }}

Component "api.localhost"
    component_secret = "{component_secret}"
"""

# Prosody(muc=True) adds a MUC service (XEP-0045) and the test-only module that makes an
# occupant vanish silently (tests/e2e/prosody/mod_e2e_muc_ghost.lua). Rooms are
# persistent by default so that they outlive a Prosody restart, and a destroyed room
# leaves no tombstone, so that it can be made again at once.
PROSODY_MUC_GLOBAL = 'plugin_paths = {{ "{plugins}" }}\n'
PROSODY_MUC_CFG = """
Component "conference.localhost" "muc"
    modules_enabled = {{ "e2e_muc_ghost" }}
    muc_room_default_persistent = true
    muc_tombstones = false
    ssl = {{ certificate = "{dir}/server.pem", key = "{dir}/server.key" }}
"""
MUC_DOMAIN = "conference.localhost"


class Prosody:
    """A Prosody instance in its own directory.  start(), stop() and
    restart() keep the ports and the data (users) across restarts."""

    def __init__(self, workdir=None, users=USERS, password=PASSWORD,
                 muc=False, modules=()):
        """modules: more Prosody modules to enable (e.g. "adhoc", which
        clients such as profanity look for before they list commands)."""
        self.dir = workdir or make_tempdir("xmpp-cgi-prosody-")
        self.c2s_port = free_port()
        self.component_port = free_port()
        self.component_secret = "component-secret"
        self.cfg = os.path.join(self.dir, "prosody.cfg.lua")
        self.log = os.path.join(self.dir, "prosody.log")
        self.ca = os.path.join(self.dir, "ca.pem")
        self.out = os.path.join(self.dir, "prosody.stdout")
        self.proc = None
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        make_certs(self.dir)
        with open(self.cfg, "w") as f:
            if muc:
                f.write(PROSODY_MUC_GLOBAL.format(
                    plugins=os.path.join(HERE, "prosody")))
            f.write(PROSODY_CFG.format(
                dir=self.dir, c2s_port=self.c2s_port,
                component_port=self.component_port,
                component_secret=self.component_secret,
                modules="".join(', "%s"' % m for m in modules),
                loglevel=os.environ.get("XMPP_CGI_E2E_PROSODY_LOG", "info")))
            if muc:
                f.write(PROSODY_MUC_CFG.format(dir=self.dir))
        for user, host in users:
            self.register(user, host, password)

    def register(self, user, host, password):
        r = subprocess.run(["prosodyctl", "--config", self.cfg, "register",
                            user, host, password],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60,
                           start_new_session=True)
        if r.returncode != 0:
            raise HarnessError("prosodyctl register %s@%s failed (%d):\n%s"
                               % (user, host, r.returncode,
                                  r.stdout.decode(errors="replace")))

    def start(self, timeout=20):
        if self.proc and self.proc.poll() is None:
            return
        out = open(self.out, "ab")
        self.proc = spawn(["prosody", "--config", self.cfg],
                          stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)
        out.close()
        ok = wait_until(lambda: self.proc.poll() is not None
                        or port_open(self.c2s_port), timeout)
        if not ok or self.proc.poll() is not None:
            log = tail(self.log) + tail(self.out)
            self.stop()
            raise HarnessError("prosody did not open port %d:\n%s"
                               % (self.c2s_port, log))

    def stop(self):
        if self.proc:
            kill_group(self.proc)
            self.proc = None
        wait_until(lambda: not port_open(self.c2s_port), 5)

    def restart(self):
        self.stop()
        self.start()


# ---------------------------------------------------------------------------
# The bridge

class Route:
    """One [route "NAME"] section.  `cgi` is the handler, or None for a
    FastCGI route; `fastcgi` lists backend addresses (one `fastcgi =` line
    each: unix:/path or tcp:127.0.0.1:PORT); `options` holds further keys in
    order (script_filename, timeout, ...); `env` and `params` are lists of
    "NAME=value" strings (one `env =` / `param =` line each)."""

    def __init__(self, name, cgi=None, env=(), fastcgi=(), params=(),
                 **options):
        self.name = name
        self.cgi = cgi
        self.fastcgi = [fastcgi] if isinstance(fastcgi, str) \
            else list(fastcgi)
        self.env = list(env)
        self.params = list(params)
        self.options = options

    def render(self):
        lines = ['[route "%s"]' % self.name]
        if self.cgi:
            lines.append("cgi = %s" % self.cgi)
        for a in self.fastcgi:
            lines.append("fastcgi = %s" % a)
        for k, v in self.options.items():
            lines.append("%s = %s" % (k, v))
        for e in self.env:
            lines.append("env = %s" % e)
        for p in self.params:
            lines.append("param = %s" % p)
        return "\n".join(lines) + "\n"


def script(name):
    """Path of a test script in tests/e2e/scripts/."""
    return os.path.join(SCRIPTS, name)


def example(stem):
    """Path of cgi-examples/STEM.* (any extension), or None."""
    if not os.path.isdir(EXAMPLES):
        return None
    for f in sorted(os.listdir(EXAMPLES)):
        p = os.path.join(EXAMPLES, f)
        if (f == stem or f.startswith(stem + ".")) and os.path.isfile(p) \
                and os.access(p, os.X_OK):
            return p
    return None


class Bridge:
    """The xmpp-cgi daemon, configured for a Prosody instance."""

    def __init__(self, prosody, routes, name="bridge", jid="bridge@localhost",
                 password=PASSWORD, extra_xmpp=None, binary=None, args=()):
        self.prosody = prosody
        self.routes = list(routes)
        self.binary = binary or BRIDGE_BIN
        self.dir = os.path.join(prosody.dir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.cfg = os.path.join(self.dir, "xmpp-cgi.conf")
        self.log = os.path.join(self.dir, "xmpp-cgi.log")
        self.args = list(args)
        self.proc = None
        self.jid = jid
        xmpp = ["[xmpp]", "jid = %s" % jid, "password = %s" % password,
                "host = 127.0.0.1", "port = %d" % prosody.c2s_port,
                "tls = required", "cafile = %s" % prosody.ca]
        for k, v in (extra_xmpp or {}).items():
            xmpp.append("%s = %s" % (k, v))
        with open(self.cfg, "w") as f:
            f.write("; Written by tests/e2e/harness.py\n")
            f.write("\n".join(xmpp) + "\n\n")
            for r in self.routes:
                f.write(r.render() + "\n")
            f.write(DAEMON_SECTION)

    def edit_config(self, change):
        """Rewrite the configuration file as change(its text)."""
        with open(self.cfg) as f:
            text = f.read()
        with open(self.cfg, "w") as f:
            f.write(change(text))

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if k in ("PATH", "HOME", "LANG", "USER", "TERM", "LC_ALL",
                        "SHELL")}
        # Variables a handler must NOT see (the tests look for them).
        for k, v in (("HOME", "/root"), ("USER", "root"), ("LANG", "C.UTF-8"),
                     ("TERM", "dumb"), ("SHELL", "/bin/sh")):
            env.setdefault(k, v)
        env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        env["XMPP_CGI_CANARY"] = CANARY
        env["HTTP_PROXY"] = "http://canary.invalid:1/"
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        return env

    def start(self, timeout=20):
        self.launch()
        self.wait_online(timeout, since=self._log_start)

    def launch(self):
        """Start the daemon without waiting for its routes to come online."""
        if not os.access(self.binary, os.X_OK):
            raise HarnessError("bridge binary %s is missing (build it, or "
                               "set XMPP_CGI_BIN)" % self.binary)
        self._log_start = os.path.getsize(self.log) \
            if os.path.exists(self.log) else 0
        err = open(self.log, "ab")
        self.proc = spawn([self.binary, "-c", self.cfg] + self.args,
                          stdout=err, stderr=subprocess.STDOUT,
                          cwd=self.dir, env=self.env())
        err.close()

    def wait_online(self, timeout=20, since=0):
        """Wait for `route NAME: online as` of every route, written after
        byte offset `since` of the log."""
        want = {r.name for r in self.routes}

        def online():
            text = self.read_log(since)
            missing = {n for n in want
                       if "route %s: online as" % n not in text}
            if self.proc.poll() is not None:
                raise HarnessError("bridge exited with %s before every route "
                                   "was online:\n%s"
                                   % (self.proc.returncode, tail(self.log)))
            return not missing
        if not wait_until(online, timeout, 0.1):
            text = self.read_log(since)
            missing = sorted(n for n in want
                             if "route %s: online as" % n not in text)
            raise HarnessError("routes not online after %ss: %s\nlog tail:\n%s"
                               % (timeout, ", ".join(missing), tail(self.log)))

    def read_log(self, since=0):
        try:
            with open(self.log, "rb") as f:
                f.seek(since)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    def wait_log(self, needle, timeout=10, since=0):
        """Wait until `needle` appears in the log after offset `since`;
        returns True or False."""
        return bool(wait_until(lambda: needle in self.read_log(since),
                               timeout, 0.05))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace=5.0):
        """SIGTERM, then SIGKILL after `grace`.  Returns the exit status."""
        if not self.proc:
            return None
        rc = kill_group(self.proc, grace)
        self.proc = None
        return rc

    def run(self, args, stdin=None, timeout=30, env=None):
        """Run the binary once (e.g. --check, --once) and return
        CompletedProcess with text stdout/stderr."""
        return run_bridge([*args], stdin=stdin, timeout=timeout,
                          env=env or self.env(), binary=self.binary,
                          cwd=self.dir)


def version():
    """The package version from configure.ac's AC_INIT, or None."""
    import re
    try:
        with open(os.path.join(REPO, "configure.ac")) as f:
            m = re.search(r"AC_INIT\(\[xmpp-cgi\],\s*\[([^\]]+)\]", f.read())
    except OSError:
        return None
    return m.group(1) if m else None


def run_bridge(args, stdin=None, timeout=30, env=None, binary=None, cwd=None):
    binary = binary or BRIDGE_BIN
    if not os.access(binary, os.X_OK):
        raise HarnessError("bridge binary %s is missing" % binary)
    return subprocess.run([binary] + list(args), input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, env=env, cwd=cwd,
                          start_new_session=True, text=True)


# ---------------------------------------------------------------------------
# A synchronous slixmpp client.  Each Client owns an asyncio loop running in
# a daemon thread; public methods block the calling thread.

logging.getLogger("slixmpp").setLevel(
    logging.DEBUG if os.environ.get("XMPP_CGI_E2E_DEBUG") else logging.CRITICAL)


def _strip_ns(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


class Inbound:
    """A received stanza: `.el` (ElementTree element), `.xml` (string)."""

    def __init__(self, el):
        self.el = el
        try:
            from slixmpp.xmlstream import tostring
            self.xml = tostring(el, xmlns="", top_level=True)
        except ImportError:
            self.xml = ET.tostring(el, encoding="unicode")
        self.time = time.monotonic()

    kind = property(lambda self: _strip_ns(self.el.tag))
    type = property(lambda self: self.el.get("type"))
    id = property(lambda self: self.el.get("id"))
    frm = property(lambda self: self.el.get("from"))

    def error(self):
        """(type, condition, text, condition element) of an error stanza,
        or None."""
        err = self.el.find("{%s}error" % NS_CLIENT)
        if err is None:
            return None
        cond, text, cel = None, None, None
        for c in err:
            if c.tag == "{%s}text" % NS_STANZAS:
                text = c.text or ""
            elif c.tag.startswith("{%s}" % NS_STANZAS):
                cond, cel = _strip_ns(c.tag), c
        return (err.get("type"), cond, text, cel)

    def payload(self):
        """Child elements of the stanza other than <error>."""
        return [c for c in self.el if c.tag != "{%s}error" % NS_CLIENT]

    def __repr__(self):
        return "<Inbound %s>" % self.xml


class Client:
    """A real slixmpp ClientXMPP session, logged in and ready."""

    def __init__(self, prosody, jid, password=PASSWORD, resource="e2e",
                 timeout=20, presence=True):
        import slixmpp  # only here: the module loads without slixmpp too

        self.jid = "%s/%s" % (jid, resource)
        self.bare = jid
        self.inbound = []
        self.cond = threading.Condition()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run_loop,
                                       name="xmpp-" + jid, daemon=True)
        self.thread.start()
        self._ready = threading.Event()
        self._failed = None

        def make():
            x = slixmpp.ClientXMPP(self.jid, password)
            x.loop = self.loop
            x.ca_certs = prosody.ca
            x.add_filter("in", self._on_in)
            x.add_event_handler("session_start", self._on_session)
            x.add_event_handler("failed_auth", lambda _:
                                self._fail("authentication failed"))
            x.add_event_handler("connection_failed", lambda e:
                                self._fail("connection failed: %s" % e))
            x.add_event_handler("ssl_invalid_chain", lambda e:
                                self._fail("TLS certificate rejected: %s" % e))
            x.add_event_handler("disconnected", self._on_disconnected)
            x.connect(("127.0.0.1", prosody.c2s_port), force_starttls=True)
            return x
        self._presence = presence
        self.xmpp = self._call(make)
        if not self._ready.wait(timeout) or self._failed:
            why = self._failed or "no session after %ss" % timeout
            self.close()
            raise HarnessError("client %s: %s" % (self.jid, why))

    def _run_loop(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def _call(self, fn, *args):
        """Run fn(*args) on the loop thread and return its result."""
        async def wrap():
            return fn(*args)
        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result(30)

    def _fail(self, why):
        self._failed = self._failed or why
        self._ready.set()

    def _on_session(self, _event):
        if self._presence:
            self.xmpp.send_presence()
        self._ready.set()

    def _on_disconnected(self, _event):
        if not self._ready.is_set():
            self._fail("disconnected during login")

    def _on_in(self, stanza):
        el = copy.deepcopy(stanza.xml)
        if _strip_ns(el.tag) in ("iq", "message", "presence"):
            with self.cond:
                self.inbound.append(Inbound(el))
                self.cond.notify_all()
        return stanza

    # -- sending ----------------------------------------------------------

    _counter = 0
    _counter_lock = threading.Lock()

    @classmethod
    def new_id(cls, prefix="e2e"):
        with cls._counter_lock:
            cls._counter += 1
            return "%s-%d-%d" % (prefix, os.getpid(), cls._counter)

    def send_raw(self, xml):
        """Send a raw stanza (string).  It must parse as XML; a stanza
        without xmlns gets jabber:client from the stream."""
        ET.fromstring(xml)
        self.loop.call_soon_threadsafe(self.xmpp.send_raw, xml)

    def iq(self, to, payload="", type="get", id=None, attrs=None):
        """Build an iq stanza string; returns (id, xml)."""
        id = id or self.new_id("iq")
        if not payload and type in ("get", "set"):
            # An iq get/set needs exactly one child (RFC 6120 8.2.3).
            payload = "<query xmlns='urn:e2e:q'/>"
        extra = "".join(" %s=%s" % (k, _quoteattr(v))
                        for k, v in (attrs or {}).items())
        return id, "<iq type=%s id=%s to=%s%s>%s</iq>" % (
            _quoteattr(type), _quoteattr(id), _quoteattr(to), extra, payload)

    def chat(self, to, body, id_prefix="chat", timeout=15):
        """Send a chat message to `to` whose <body/> holds `body` (XML text)
        and wait for the first stanza from `to` after it; returns it, or
        None after `timeout` s."""
        since = self.mark()
        self.send_raw("<message to=%s id=%s type='chat'><body>%s</body>"
                      "</message>" % (_quoteattr(to),
                                      _quoteattr(self.new_id(id_prefix)),
                                      body))
        return self.wait_for(lambda s: s.frm == to, timeout, since=since)

    def send_iqs(self, to, n, payload="", prefix="iq"):
        """Send n iq gets to `to` at once, without waiting for answers;
        returns their ids, in order."""
        ids = []
        for _ in range(n):
            id, xml = self.iq(to, payload, id=self.new_id(prefix))
            ids.append(id)
            self.send_raw(xml)
        return ids

    def request(self, xml, id=None, timeout=15):
        """Send a raw stanza and wait for the first inbound stanza with the
        same id; returns an Inbound or raises HarnessError."""
        if id is None:
            id = ET.fromstring(xml).get("id")
        since = len(self.inbound)
        self.send_raw(xml)
        got = self.wait_for(lambda s: s.id == id, timeout, since=since)
        if got is None:
            raise HarnessError("no reply to id %s after %ss (sent %s)"
                               % (id, timeout, xml))
        return got

    def query(self, to, payload="", type="get", attrs=None, timeout=15):
        """iq round trip: returns the reply as Inbound."""
        id, xml = self.iq(to, payload, type, attrs=attrs)
        return self.request(xml, id, timeout)

    # -- receiving --------------------------------------------------------

    def wait_for(self, pred, timeout=10, since=0):
        """First inbound stanza (index >= since) matching pred, or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for s in self.inbound[since:]:
                    if pred(s):
                        return s
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def replies(self, id):
        with self.cond:
            return [s for s in self.inbound if s.id == id]

    def received(self, since=0):
        with self.cond:
            return list(self.inbound[since:])

    def mark(self):
        """Index for `since=` arguments: stanzas received from now on."""
        with self.cond:
            return len(self.inbound)

    def connected(self):
        return self._call(lambda: self.xmpp.transport is not None)

    def close(self):
        if self.loop.is_closed():
            return
        stop_loop(self.loop, self.thread, self._disconnect
                  if getattr(self, "xmpp", None) is not None else None)

    async def _disconnect(self):
        x = self.xmpp
        if x.transport is None:
            return
        try:
            await asyncio.wait_for(x.disconnect(wait=0.5), 3)
        except Exception:
            x.abort()


async def _cancel_other_tasks():
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def stop_loop(loop, thread, first=None, timeout=5):
    """Stop the asyncio `loop` that runs forever in `thread`: run the
    coroutine first() on it if given, then cancel its other tasks (each
    step bounded by `timeout` s, its failure ignored), stop it, and close it
    once the thread has ended."""
    for step in ([first] if first else []) + [_cancel_other_tasks]:
        try:
            asyncio.run_coroutine_threadsafe(step(), loop).result(timeout)
        except Exception:
            pass
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    if not thread.is_alive():
        loop.close()


def pretty(text):
    """Indented XML for people (demo output, failure messages)."""
    from xml.dom import minidom
    try:
        out = minidom.parseString(text).toprettyxml(indent="  ")
    except Exception:
        return text
    return "\n".join(l for l in out.splitlines()[1:] if l.strip())


def _quoteattr(v):
    from xml.sax.saxutils import quoteattr
    return quoteattr(str(v))


# ---------------------------------------------------------------------------
# A shared environment for the test modules: one Prosody, one bridge with
# every route of ROUTES, three clients.  Built on first use; a failure is
# remembered and re-raised at once for every later test.

class Env:
    def __init__(self, routes):
        self.prosody = Prosody()
        self.prosody.start()
        self.work = os.path.join(self.prosody.dir, "work")
        os.makedirs(self.work, exist_ok=True)
        self.bridge = Bridge(self.prosody, routes(self.work))
        self.bridge.start()
        self.alice = Client(self.prosody, "alice@localhost")
        self.bob = Client(self.prosody, "bob@localhost")
        self.eve = Client(self.prosody, "eve@other.localhost")

    def route_jid(self, name):
        return "%s/%s" % (self.bridge.jid, name)

    def close(self):
        for c in ("alice", "bob", "eve"):
            cl = getattr(self, c, None)
            if cl:
                cl.close()
        self.bridge.stop()
        self.prosody.stop()


_shared = {}


def shutdown():
    """Close the shared environment (clients first), then kill whatever
    is left."""
    env = _shared.pop("env", None)
    if env:
        try:
            env.close()
        except Exception:
            pass
    cleanup_all()


def shared_env(routes):
    """The process-wide Env built with routes(workdir) -> [Route]."""
    if "env" in _shared:
        return _shared["env"]
    if "error" in _shared:
        raise HarnessError("shared environment failed earlier: %s"
                           % _shared["error"])
    try:
        env = Env(routes)
    except BaseException as e:
        _shared["error"] = e
        raise
    _shared["env"] = env
    atexit.register(env.close)
    return env
