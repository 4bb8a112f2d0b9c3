# FastCGI backends for the end-to-end tests: the multiplexing test responder
# (tests/fcgi-mpx-responder), the libfcgi example (cgi-examples/fcgi-echo),
# php-fpm, `php-cgi -b`, fcgiwrap, a Perl FCGI::ProcManager application
# (fcgi_procmanager.pl) and the scripted misbehaving responder
# (fcgi_scripted.py).
#
# Each backend runs in its own process group through harness.spawn(), so
# harness.cleanup_all() kills it (children and all) with everything else;
# start() returns once its socket accepts connections.  Sockets and logs
# live in the directory the caller gives (a harness temp dir).  Loopback and
# unix sockets only.
#
# Binaries: FCGI_RESPONDER and FCGI_ECHO (set by `make check`) default to
# the build tree; PHP_FPM defaults to /usr/sbin/php-fpm8.2 (or any
# /usr/sbin/php-fpm*), PHP_CGI to /usr/bin/php-cgi, FCGIWRAP to
# /usr/sbin/fcgiwrap.

import glob
import grp
import os
import pwd
import re
import signal
import socket
import subprocess

import harness as h

RESPONDER_BIN = os.environ.get(
    "FCGI_RESPONDER", os.path.join(h.REPO, "tests", "fcgi-mpx-responder"))
ECHO_BIN = os.environ.get(
    "FCGI_ECHO", os.path.join(h.REPO, "cgi-examples", "fcgi-echo"))
SCRIPTED = os.path.join(h.HERE, "fcgi_scripted.py")
PROCMANAGER = os.path.join(h.HERE, "fcgi_procmanager.pl")
FCGIWRAP_BIN = os.environ.get("FCGIWRAP", "/usr/sbin/fcgiwrap")
PHP_CGI_BIN = os.environ.get("PHP_CGI", "/usr/bin/php-cgi")
PHP_EXAMPLES = os.path.join(h.EXAMPLES, "php")


def php_fpm_bin():
    """Path of php-fpm, or None."""
    if os.environ.get("PHP_FPM"):
        return os.environ["PHP_FPM"]
    for p in ["/usr/sbin/php-fpm8.2"] + sorted(glob.glob("/usr/sbin/php-fpm*"),
                                               reverse=True):
        if os.access(p, os.X_OK):
            return p
    return None


def backend_env(extra=None):
    """A small, fixed environment for backend processes."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root",
           "LANG": "C.UTF-8"}
    env.update(extra or {})
    return env


def unix_accepts(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        try:
            s.connect(path)
            return True
        except OSError:
            return False


class Backend:
    """A FastCGI backend process.  `address` is its `fastcgi =` value."""

    what = "backend"

    def __init__(self, workdir, name):
        self.dir = workdir
        self.name = name
        self.sock = os.path.join(workdir, name + ".sock")
        self.log = os.path.join(workdir, name + ".log")
        self.address = "unix:" + self.sock
        self.proc = None

    # subclasses: argv(), and optionally env(), umask, ready()
    umask = 0o077

    def env(self):
        return backend_env()

    def ready(self):
        return unix_accepts(self.sock)

    def start(self, timeout=15):
        if self.alive():
            return self
        out = open(self.log, "ab")
        self.proc = h.spawn(self.argv(), stdout=out, stderr=subprocess.STDOUT,
                            cwd=self.dir, env=self.env(), umask=self.umask)
        out.close()
        ok = h.wait_until(lambda: self.proc.poll() is not None
                          or self.ready(), timeout)
        if not ok or self.proc.poll() is not None:
            rc = self.proc.poll()
            self.stop()
            raise h.HarnessError("%s %s did not come up (exit %s):\n%s"
                                 % (self.what, self.name, rc, self.diag()))
        return self

    def diag(self):
        return h.tail(self.log)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace=3.0):
        """SIGTERM the process group, SIGKILL after `grace`."""
        if self.proc:
            h.kill_group(self.proc, grace)
            self.proc = None

    def kill(self):
        """SIGKILL the whole process group at once (a crash: the socket
        file stays behind, nobody listens on it)."""
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            h.kill_group(self.proc, 0)
            self.proc = None


class Responder(Backend):
    """tests/fcgi-mpx-responder: multiplexes, counts connections, requests
    and requests in flight per connection in a stats file (-c)."""

    what = "fcgi-mpx-responder"

    def __init__(self, workdir, name, tcp=False, delay=0, no_mpx=False,
                 overloaded=False, garbage=False, stderr=False,
                 max_conns=None, max_reqs=None):
        super().__init__(workdir, name)
        self.tcp = tcp
        self.port = None
        self.stats_file = os.path.join(workdir, name + ".stats")
        self.opts = []
        if delay:
            self.opts += ["-d", str(delay)]
        if no_mpx:
            self.opts.append("-M")
        if overloaded:
            self.opts.append("-o")
        if garbage:
            self.opts.append("-g")
        if stderr:
            self.opts.append("-e")
        if max_conns is not None:
            self.opts += ["-n", str(max_conns)]
        if max_reqs is not None:
            self.opts += ["-r", str(max_reqs)]
        if tcp:
            self.address = None     # known once it listens

    @staticmethod
    def available():
        return os.access(RESPONDER_BIN, os.X_OK)

    def argv(self):
        if not self.available():
            raise h.HarnessError("%s is not built (make tests/fcgi-mpx-"
                                 "responder, or set FCGI_RESPONDER)"
                                 % RESPONDER_BIN)
        where = ["-p", str(self.port or 0)] if self.tcp else ["-s", self.sock]
        return [RESPONDER_BIN] + where + self.opts + ["-c", self.stats_file]

    def ready(self):
        # "listening PORT|PATH" comes after listen(2); probing the socket
        # instead would count as a connection in the stats.
        text = h.tail(self.log, 5)
        m = re.findall(r"^listening (\S+)$", text, re.M)
        if not m:
            return False
        if self.tcp:
            self.port = int(m[-1])
            self.address = "tcp:127.0.0.1:%d" % self.port
        return True

    def start(self, timeout=15):
        # a restart must not find the previous run's "listening" line
        if os.path.exists(self.log):
            os.truncate(self.log, 0)
        return super().start(timeout)

    def stats(self):
        """{"connections": N, "requests": N, "max_inflight_per_conn": N}"""
        out = {}
        try:
            with open(self.stats_file) as f:
                for line in f:
                    k, _, v = line.partition(" ")
                    out[k] = int(v)
        except (OSError, ValueError):
            pass
        return out


class FcgiEcho(Backend):
    """cgi-examples/fcgi-echo (libfcgi, one request at a time)."""

    what = "fcgi-echo"

    def __init__(self, workdir, name, log_stderr=False):
        super().__init__(workdir, name)
        self.log_stderr = log_stderr

    @staticmethod
    def available():
        return os.access(ECHO_BIN, os.X_OK)

    def argv(self):
        if not self.available():
            raise h.HarnessError("%s is not built (make, or set FCGI_ECHO)"
                                 % ECHO_BIN)
        return [ECHO_BIN, "-s", self.sock]

    def env(self):
        return backend_env({"FCGI_ECHO_LOG_STDERR": "1"}
                           if self.log_stderr else {})


class Scripted(Backend):
    """tests/e2e/fcgi_scripted.py: a responder that misbehaves in one
    chosen way (see its top comment); counts in a JSON stats file."""

    what = "fcgi_scripted.py"

    def __init__(self, workdir, name, mode, delay=0):
        super().__init__(workdir, name)
        self.mode = mode
        self.delay = delay
        self.stats_file = os.path.join(workdir, name + ".stats")

    def argv(self):
        return ["/usr/bin/python3", SCRIPTED, "-s", self.sock, "-m",
                self.mode, "-d", str(self.delay), "-c", self.stats_file]

    def ready(self):
        return "listening " in h.tail(self.log, 5)

    def stats(self):
        import json
        try:
            with open(self.stats_file) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}


class FcgiWrap(Backend):
    """fcgiwrap: runs the CGI program named by SCRIPT_FILENAME; -f sends
    the program's stderr back over FastCGI (FCGI_STDERR)."""

    what = "fcgiwrap"

    def __init__(self, workdir, name, children=4, stderr_over_fcgi=True):
        super().__init__(workdir, name)
        self.children = children
        self.stderr_over_fcgi = stderr_over_fcgi

    @staticmethod
    def available():
        return os.access(FCGIWRAP_BIN, os.X_OK)

    def argv(self):
        return [FCGIWRAP_BIN] + (["-f"] if self.stderr_over_fcgi else []) \
            + ["-c", str(self.children), "-s", "unix:" + self.sock]


class PhpCgi(Backend):
    """php-cgi as its own FastCGI server (`php-cgi -b SOCKET`), as nginx
    guides run it: PHP_FCGI_CHILDREN workers, forked by a master, accept on
    the one socket, each serving one connection at a time and keeping it
    while the client keeps it.  No php.ini (-n); cgi.force_redirect is off,
    since REDIRECT_STATUS is not what these tests are about."""

    what = "php-cgi"

    def __init__(self, workdir, name, children=2):
        super().__init__(workdir, name)
        self.children = children

    @staticmethod
    def available():
        return os.access(PHP_CGI_BIN, os.X_OK)

    def argv(self):
        return [PHP_CGI_BIN, "-n", "-d", "cgi.force_redirect=0", "-b",
                self.sock]

    def env(self):
        return backend_env({"PHP_FCGI_CHILDREN": str(self.children),
                            "PHP_FCGI_MAX_REQUESTS": "0"})


class PerlProcManager(Backend):
    """tests/e2e/fcgi_procmanager.pl: Perl's FCGI with FCGI::ProcManager,
    `workers` processes on one socket (Debian: libfcgi-perl,
    libfcgi-procmanager-perl)."""

    what = "fcgi_procmanager.pl"

    def __init__(self, workdir, name, workers=2):
        super().__init__(workdir, name)
        self.workers = workers

    @staticmethod
    def available():
        return subprocess.run(
            ["/usr/bin/perl", "-MFCGI", "-MFCGI::ProcManager", "-e", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

    def argv(self):
        return ["/usr/bin/perl", PROCMANAGER, self.sock, str(self.workers)]

    def ready(self):
        # the manager's own lines follow "listening"
        return "listening " in h.tail(self.log, 100)


PHP_FPM_CONF = """\
; Written by tests/e2e/backends.py: a throwaway php-fpm master.
[global]
pid = {dir}/{name}.pid
error_log = {dir}/{name}-fpm.log
log_level = notice
daemonize = no
include = {pool}
"""


class PhpFpm(Backend):
    """php-fpm in the foreground (-F) with its own php-fpm.conf and one
    pool.  `pool_conf` is the pool's text; its `listen`, `user`, `group`,
    `listen.owner`, `listen.group` and `listen.mode` lines are replaced so
    that the pool listens on this backend's socket, mode 0600, as the
    current user (the tests run as root: -R).  `overrides` sets further
    keys, e.g. {"pm.max_children": 2}.  No php.ini (-n): the system's does
    not matter."""

    what = "php-fpm"

    def __init__(self, workdir, name, pool_conf, overrides=None):
        super().__init__(workdir, name)
        self.conf = os.path.join(workdir, name + "-fpm.conf")
        self.pool = os.path.join(workdir, name + "-pool.conf")
        self.fpm_log = os.path.join(workdir, name + "-fpm.log")
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        subst = {"listen": self.sock, "user": user, "group": group,
                 "listen.owner": user, "listen.group": group,
                 "listen.mode": "0600"}

        def fix(m):
            return "%s = %s" % (m.group(1), subst[m.group(1)])
        pool = re.sub(r"^(listen|user|group|listen\.owner|listen\.group|"
                      r"listen\.mode)[ \t]*=.*$", fix, pool_conf, flags=re.M)
        for k, v in (overrides or {}).items():
            pool, n = re.subn(r"^%s[ \t]*=.*$" % re.escape(k),
                              "%s = %s" % (k, v), pool, flags=re.M)
            if not n:
                pool += "%s = %s\n" % (k, v)
        with open(self.pool, "w") as f:
            f.write("; pool for the e2e tests, rewritten by backends.py\n")
            f.write(pool)
        with open(self.conf, "w") as f:
            f.write(PHP_FPM_CONF.format(dir=workdir, name=name,
                                        pool=self.pool))

    @staticmethod
    def available():
        return php_fpm_bin() is not None

    def argv(self):
        binary = php_fpm_bin()
        if not binary:
            raise h.HarnessError("php-fpm is not installed "
                                 "(apt-get install php-fpm)")
        args = [binary, "-F", "-n", "-y", self.conf]
        if os.getuid() == 0:
            args.append("-R")
        return args

    def diag(self):
        return h.tail(self.log) + h.tail(self.fpm_log)

    def workers(self):
        """pids of the pool's worker processes (children of the master)."""
        if not self.alive():
            return []
        return h.children(self.proc.pid)


class Backends:
    """A test module's fixture of FastCGI backends: `be`, those it started,
    by key; `skip`, key -> why not (a package is missing: the tests that
    need it skip); `broken`, key -> why not (our own binary is not built:
    they fail)."""

    def __init__(self):
        self.be = {}
        self.skip = {}
        self.broken = {}

    def add(self, key, backend, available=True, missing=None, ours=False):
        """Start `backend` under `key`; returns its address or None."""
        if not available:
            (self.broken if ours else self.skip)[key] = missing
            return None
        self.be[key] = backend.start()
        return backend.address

    def need(self, test, keys):
        """The backends under `keys` for `test`, which skips or fails
        unless they all run."""
        for k in keys:
            if k in self.skip:
                test.skipTest(self.skip[k])
            if k in self.broken:
                test.fail(self.broken[k])
        return [self.be.get(k) for k in keys]
