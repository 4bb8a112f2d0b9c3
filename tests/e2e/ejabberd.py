# A throwaway ejabberd (Debian's 23.01) for the e2e tests: the second XMPP
# server beside harness.Prosody, with the same attributes (dir, ca,
# c2s_port, component_port, component_secret), so harness.Bridge,
# component.ComponentBridge and harness.Client work against it unchanged.
#
# Everything lives in one temporary directory owned by the ejabberd user:
# ejabberd.yml, ejabberdctl.cfg (whose EJABBERD_CONFIG_PATH names that yml,
# or the system config would win), the Mnesia spool, the logs and the
# Erlang cookie (HOME).  Every listener binds 127.0.0.1.  The node runs in
# the foreground, as the ejabberd user (no su), in its own process group; it
# is stopped by pid, its whole process tree reaped, and harness.cleanup_all()
# kills the group on any exit, so even a failed run leaves nothing running.
# ERL_DIST_PORT gives the node a fixed distribution port on 127.0.0.1, so
# neither the node nor ejabberdctl starts epmd (which would listen on every
# address and outlive the node); if an epmd still appears that was not
# running before, it is stopped by its pid.  Users are registered with
# `ejabberdctl register` against this node only.
#
# By default logins are SCRAM only: passwords are stored as SCRAM-SHA-256
# hashes and PLAIN is disabled, so a route that comes online proved a SCRAM
# login.  scram_only=False keeps ejabberd's own defaults (plain storage,
# PLAIN offered beside SCRAM).

import grp
import os
import pwd
import shutil
import signal
import subprocess
import time

import harness as h

EJABBERDCTL = "/usr/sbin/ejabberdctl"
USER = "ejabberd"
DOMAIN = "localhost"
COMPONENT = "api.localhost"
USERS = [("bridge", DOMAIN), ("alice", DOMAIN), ("bob", DOMAIN)]

EJABBERD_YML = """\
# Written by tests/e2e/ejabberd.py; throwaway test server, loopback only.
loglevel: info
log_rotate_count: 0
hosts:
  - "{domain}"
certfiles:
  - "{dir}/server.pem"
  - "{dir}/server.key"
  - "{dir}/ca.pem"
acme:
  auto: false
listen:
  -
    port: {c2s_port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    access: c2s
    starttls_required: true
  -
    port: {component_port}
    ip: "127.0.0.1"
    module: ejabberd_service
    hosts:
      "{component}":
        password: "{component_secret}"
auth_method: internal
{auth}acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
modules:
  mod_disco: {{}}
  mod_ping: {{}}
  mod_roster: {{}}
  mod_stream_mgmt: {{}}
  mod_version: {{}}
{muc}"""

# Ejabberd(muc=True): mod_muc on conference.localhost (XEP-0045), for test_muc.py.
EJABBERD_MUC = """\
  mod_muc:
    host: "conference.{domain}"
    access_create: local
    history_size: 20
    default_room_options:
      persistent: true
"""

# Erlang's resolver: the hosts file, then the system's; localhost is 127.0.0.1.
INETRC = """\
{lookup,["file","native"]}.
{host,{127,0,0,1}, ["localhost"]}.
"""

# scram_only=True: hashed passwords, SCRAM-SHA-256 the only mechanism.
# Otherwise ejabberd's defaults: plain storage, SCRAM-SHA-* and PLAIN offered.
AUTH_SCRAM_ONLY = """\
auth_password_format: scram
auth_scram_hash: sha256
disable_sasl_mechanisms:
  - "PLAIN"
  - "DIGEST-MD5"
  - "X-OAUTH2"
"""
AUTH_DEFAULT = """\
disable_sasl_mechanisms:
  - "DIGEST-MD5"
  - "X-OAUTH2"
"""

EJABBERDCTL_CFG = """\
# Written by tests/e2e/ejabberd.py: this node only, loopback only, no epmd.
EJABBERD_CONFIG_PATH={dir}/ejabberd.yml
EJABBERD_PID_PATH={dir}/ejabberd.pid
CONTRIB_MODULES_CONF_DIR={dir}/modules.d
ERL_DIST_PORT={dist_port}
INET_DIST_INTERFACE=127.0.0.1
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
"""


def available():
    """Why ejabberd cannot run here, or None when it can."""
    if not os.access(EJABBERDCTL, os.X_OK):
        return "%s is missing (apt install ejabberd)" % EJABBERDCTL
    try:
        pwd.getpwnam(USER)
    except KeyError:
        return "there is no %s user (apt install ejabberd)" % USER
    if os.geteuid() != 0:
        return "the ejabberd fixture runs as root (it becomes %s)" % USER
    return None


def _procs():
    """(pid, ppid, pgrp, uid, comm, state) of every process."""
    out = []
    for p in h.processes():
        try:
            uid = os.stat("/proc/%d" % p.pid).st_uid
        except OSError:
            continue
        out.append((p.pid, p.ppid, p.pgrp, uid, p.comm, p.state))
    return out


def _epmd_pids(uid):
    """pids of the epmd daemons running as `uid`."""
    return {p[0] for p in _procs() if p[4] == "epmd" and p[3] == uid}


def _descendants(root):
    """pids of `root` and every process below it."""
    children = {}
    for pid, ppid, *_ in _procs():
        children.setdefault(ppid, []).append(pid)
    out, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in out:
            out.add(pid)
            todo.extend(children.get(pid, ()))
    return out


def _still_running(pids):
    """The pids of `pids` that still exist; reaps the zombies among them
    that were re-parented to this (subreaper) process."""
    left = set()
    procs = {p[0]: p for p in _procs()}
    for pid in pids:
        p = procs.get(pid)
        if p is None:
            continue
        if p[5] == "Z" and p[1] == os.getpid():
            try:
                os.waitpid(pid, os.WNOHANG)
                continue
            except ChildProcessError:
                pass
        left.add(pid)
    return left


def running_nodes():
    """pids of the Erlang VMs this process's Ejabberd nodes run."""
    mine = "xmppcgi%d_" % os.getpid()
    out = []
    for pid, _ppid, _pgrp, _uid, comm, state in _procs():
        if comm != "beam.smp" or state == "Z":
            continue
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if mine.encode() in f.read():
                    out.append(pid)
        except OSError:
            pass
    return out


def _reap_vm_helpers(timeout=5.0):
    """An Erlang VM's erl_child_setup leaves the VM's session and outlives
    it for a moment; once its VM (an ejabberdctl command) has exited it is
    re-parented to this process.  Wait for those and reap them."""
    me = os.getpid()
    h.wait_until(lambda: not _still_running(
        {p[0] for p in _procs()
         if p[1] == me and p[4] == "erl_child_setup"}), timeout, 0.05)


_seq = 0


class Ejabberd:
    """An ejabberd node in its own directory.  start() and stop() keep the
    ports and the spool (users) across restarts."""

    def __init__(self, users=USERS, password=h.PASSWORD, domain=DOMAIN,
                 component=COMPONENT, scram_only=True, muc=False):
        global _seq
        why = available()
        if why:
            raise h.HarnessError("ejabberd: " + why)
        _seq += 1
        self.dir = h.make_tempdir("xmpp-cgi-ejabberd-")
        self.node = "xmppcgi%d_%d@localhost" % (os.getpid(), _seq)
        self.domain = domain
        self.component = component
        self.c2s_port = h.free_port()
        self.component_port = h.free_port()
        self.dist_port = h.free_port()
        self.component_secret = "ejabberd-component-secret"
        self.cfg = os.path.join(self.dir, "ejabberd.yml")
        self.ctl_cfg = os.path.join(self.dir, "ejabberdctl.cfg")
        self.spool = os.path.join(self.dir, "db")
        self.logs = os.path.join(self.dir, "log")
        self.log = os.path.join(self.logs, "ejabberd.log")
        self.out = os.path.join(self.dir, "ejabberd.stdout")
        self.ca = os.path.join(self.dir, "ca.pem")
        self.proc = None
        self.uid = pwd.getpwnam(USER).pw_uid
        self._epmd_before = set()
        self._users = list(users)
        self._password = password
        self._registered = False
        for d in (self.spool, self.logs, os.path.join(self.dir, "modules.d")):
            os.makedirs(d, exist_ok=True)
        h.make_certs(self.dir)
        with open(self.cfg, "w") as f:
            f.write(EJABBERD_YML.format(
                dir=self.dir, domain=domain, component=component,
                c2s_port=self.c2s_port, component_port=self.component_port,
                component_secret=self.component_secret,
                auth=AUTH_SCRAM_ONLY if scram_only else AUTH_DEFAULT,
                muc=EJABBERD_MUC.format(domain=domain) if muc else ""))
        with open(os.path.join(self.dir, "inetrc"), "w") as f:
            f.write(INETRC)
        with open(self.ctl_cfg, "w") as f:
            f.write(EJABBERDCTL_CFG.format(dir=self.dir,
                                           dist_port=self.dist_port))
        self._chown()

    def _chown(self):
        uid = pwd.getpwnam(USER).pw_uid
        gid = grp.getgrnam(USER).gr_gid
        for root, dirs, files in os.walk(self.dir):
            for n in [root] + [os.path.join(root, x) for x in dirs + files]:
                os.chown(n, uid, gid)
        os.chmod(self.dir, 0o755)   # bridges' own directories live here too

    def _argv(self, *cmd):
        return [EJABBERDCTL, "--config-dir", self.dir, "--config", self.cfg,
                "--ctl-config", self.ctl_cfg, "--spool", self.spool,
                "--logs", self.logs, "--node", self.node] + list(cmd)

    def _env(self):
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.dir,
                "LANG": "C.UTF-8", "USER": USER, "LOGNAME": USER}

    def ctl(self, *cmd, timeout=60):
        """Run one ejabberdctl command against this node, as the ejabberd
        user; returns CompletedProcess with text stdout (and stderr)."""
        proc = h.spawn(self._argv(*cmd), user=USER, group=USER,
                       extra_groups=[], env=self._env(), cwd=self.dir,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
            return subprocess.CompletedProcess(proc.args, proc.returncode,
                                               out)
        except subprocess.TimeoutExpired:
            raise h.HarnessError("ejabberdctl %s: no answer in %ss"
                                 % (" ".join(cmd), timeout))
        finally:
            h.kill_group(proc, grace=0)
            _reap_vm_helpers()

    def register(self, user, host, password, timeout=60):
        """`ejabberdctl register`, retried while the node finishes booting
        (its listeners open a little before its commands answer)."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.ctl("register", user, host, password)
            if r.returncode == 0:
                return
            if time.monotonic() >= deadline or not self.alive():
                raise h.HarnessError("ejabberdctl register %s@%s failed "
                                     "(%d):\n%s" % (user, host, r.returncode,
                                                    r.stdout))
            time.sleep(0.5)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=60):
        if self.alive():
            return
        self._epmd_before = _epmd_pids(self.uid)
        out = open(self.out, "ab")
        self.proc = h.spawn(self._argv("foreground"), user=USER, group=USER,
                            extra_groups=[], env=self._env(), cwd=self.dir,
                            stdout=out, stderr=subprocess.STDOUT)
        out.close()
        try:
            ok = h.wait_until(lambda: not self.alive()
                              or (h.port_open(self.c2s_port)
                                  and h.port_open(self.component_port)),
                              timeout, 0.2)
            if not ok or not self.alive():
                why = ("exited with %s" % self.proc.returncode
                       if not self.alive() else "did not open ports %d and %d "
                       "within %ss" % (self.c2s_port, self.component_port,
                                       timeout))
                raise h.HarnessError("ejabberd %s:\n%s%s"
                                     % (why, h.tail(self.log),
                                        h.tail(self.out)))
            if not self._registered:
                for user, host in self._users:
                    self.register(user, host, self._password)
                self._registered = True
        except BaseException:
            self.stop()
            raise

    def stop(self, grace=15.0):
        """SIGTERM to the node's process group (the Erlang VM stops
        cleanly on it), SIGKILL to whatever is left of its process tree
        after `grace` seconds, every process of that tree reaped."""
        if self.proc:
            # The VM's helper (erl_child_setup) runs in a group of its
            # own: track the whole tree, not just the process group.
            tree = _descendants(self.proc.pid)
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            h.wait_until(lambda: self.proc.poll() is not None
                         and not _still_running(tree), grace, 0.1)
            h.kill_group(self.proc, grace=0)
            for pid in _still_running(tree):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            h.wait_until(lambda: not _still_running(tree), 5, 0.05)
            self.proc = None
        # Nothing here starts epmd (ERL_DIST_PORT); one that appeared for
        # the ejabberd user while this node ran would be ours.
        for pid in _epmd_pids(self.uid) - self._epmd_before:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        h.wait_until(lambda: not h.port_open(self.c2s_port), 10)

    def restart(self):
        self.stop()
        self.start()

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        self.stop()
        if os.environ.get("XMPP_CGI_E2E_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
