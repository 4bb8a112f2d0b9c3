# e2e: several bridge instances as one ejabberd component (issue 16).
#
# ejabberd 23.01 without domain_balancing spreads the stanzas for a component
# over every connection of it, one at random for each stanza.  Here two and
# three instances serve the component api.localhost under load from several
# senders (threads of slixmpp clients, each with one iq set out at a time).
# Every handler run appends its stanza id to one shared file, so a request
# run twice shows; every answer names the instance (its pid) that ran it.
# A sender sends a refused request again (a `wait` error: the instance is
# draining) under a new id, and never after a timeout, so "lost" means what
# it says.  Covered: the split; SIGTERM of one instance mid-load (nothing
# run twice, no answer lost; only an iq the server routes to the connection
# while it closes can go unanswered, and it never ran: see
# doc/several-instances.md); a rolling restart of all three; SIGKILL of one
# (what it held is lost, nothing more, and the others go on); an iq through
# each instance's control socket answered every time (ejabberd hands ~1/N
# of the answers to the instance that sent the iq); an iq result that
# answers nothing is logged; two instances on one socket path refused.

import os
import re
import signal
import socket
import threading
import time
import unittest
import urllib.request

import control_client as cc
import ejabberd as ej
import harness as h
from component import ComponentBridge, use_plugins
from harness import Route, script

COMPONENT = ej.COMPONENT
TO = "work@" + COMPONENT
NS = "urn:e2e:scale"
SENDERS = ["s1", "s2", "s3"]
THREADS_PER_SENDER = 3
MAX_CONCURRENCY = 3
MAX_QUEUE = 4
ANSWER_TIMEOUT = 30          # a request unanswered this long is lost
DRAIN_TIMEOUT = 20


class Instance(ComponentBridge):
    """One bridge instance: [instance] name, its own control socket."""

    def __init__(self, server, name, run_log, socket_path=None,
                 metrics_port=None):
        routes = [Route("work", script("scale.sh"),
                        max_concurrency=MAX_CONCURRENCY, max_queue=MAX_QUEUE,
                        env=["RUN_LOG=" + run_log, "SLEEP=0.1"])]
        super().__init__(server, routes, name="inst-" + name)
        self.name = name
        self.metrics_port = metrics_port
        self.socket = socket_path or os.path.join(self.dir, "control.sock")
        with open(self.cfg, "a") as f:
            f.write("\n[instance]\nname = %s\ndrain_timeout = %d\n\n"
                    "[control]\nsocket = %s\n"
                    % (name, DRAIN_TIMEOUT, self.socket))
            if metrics_port:
                f.write("\n[metrics]\nlisten = 127.0.0.1:%d\n" % metrics_port)

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except Exception:
            rc = None
        return rc


class Load:
    """Senders' threads sending iq sets to work@component until stopped.
    outcome[logical id] is ("result", bridge pid) or (what went wrong,)."""

    def __init__(self, clients):
        self.clients = clients
        self.outcome = {}
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.refused = 0
        self.threads = []
        self.answered_cond = threading.Condition(self.lock)

    def start(self):
        for c in self.clients:
            for t in range(THREADS_PER_SENDER):
                tag = "%s-t%d" % (c.bare.split("@")[0], t)
                th = threading.Thread(target=self._worker, args=(c, tag),
                                      daemon=True)
                th.start()
                self.threads.append(th)

    def _record(self, lid, what):
        with self.lock:
            self.outcome[lid] = what
            self.answered_cond.notify_all()

    def _worker(self, client, tag):
        n = 0
        while not self.stop_event.is_set():
            n += 1
            self._one(client, "%s-r%d" % (tag, n))

    def _one(self, client, lid):
        for attempt in range(200):
            id = "%s.a%d" % (lid, attempt)
            xml = ("<iq type='set' id='%s' to='%s'><job xmlns='%s'/></iq>"
                   % (id, TO, NS))
            try:
                r = client.request(xml, id, timeout=ANSWER_TIMEOUT)
            except h.HarnessError:
                self._record(lid, ("no answer",))
                return
            if r.type == "result":
                done = r.el.find("{%s}done" % NS)
                self._record(lid, ("result", int(done.get("by"))
                                   if done is not None else None))
                return
            err = r.error()
            if err[0] != "wait":
                self._record(lid, ("error %s %s" % err[:2],))
                return
            with self.lock:
                self.refused += 1
            time.sleep(0.05)
        self._record(lid, ("refused 200 times",))

    def answered(self):
        with self.lock:
            return sum(1 for v in self.outcome.values() if v[0] == "result")

    def wait_answered(self, n, timeout=60):
        """Until n more requests than now got their result."""
        target = self.answered() + n
        return h.wait_until(lambda: self.answered() >= target, timeout, 0.05)

    def finish(self):
        self.stop_event.set()
        for th in self.threads:
            th.join(ANSWER_TIMEOUT + 10)

    def lost(self):
        return sorted(k for k, v in self.outcome.items() if v[0] != "result")

    def by_pid(self):
        out = {}
        for v in self.outcome.values():
            if v[0] == "result":
                out[v[1]] = out.get(v[1], 0) + 1
        return out


def runs(run_log):
    """{logical id: number of handler runs}."""
    out = {}
    try:
        with open(run_log) as f:
            for line in f:
                sid = line.split()[0] if line.split() else ""
                lid = sid.rsplit(".a", 1)[0]
                out[lid] = out.get(lid, 0) + 1
    except OSError:
        pass
    return out


AFTER_CLOSE = re.compile(r"iq (\S+) from \S+ arrived after this end closed "
                         r"the stream: .*no answer can go out on it")


def after_close(text):
    """{logical id} of the iq sets a bridge read after it had sent its
    </stream:stream> (logged; no answer can go out on that stream)."""
    return {m.group(1).rsplit(".a", 1)[0] for m in AFTER_CLOSE.finditer(text)}


def run_where(run_log):
    """{logical id: set of the control sockets of the instances that ran
    it}, from the handler's XMPP_CGI_SOCKET: unlike the $PPID its shell reads
    when it starts, it still names the instance when that died just after
    the fork (the shell then sees the subreaper as its parent).  The socket
    is one an instance, and the same after a restart."""
    out = {}
    with open(run_log) as f:
        for line in f:
            parts = line.split()
            assert len(parts) == 3, "run log line without a socket: %r" % line
            out.setdefault(parts[0].rsplit(".a", 1)[0], set()).add(parts[2])
    return out


_env = {}


def setUpModule():
    why = ej.available()
    if why:
        raise unittest.SkipTest(why)
    users = list(ej.USERS) + [(s, ej.DOMAIN) for s in SENDERS]
    server = ej.Ejabberd(users=users)
    _env["server"] = server
    try:
        server.start()
        _env["clients"] = [h.Client(server, "%s@%s" % (s, ej.DOMAIN),
                                    resource="load") for s in SENDERS]
        alice = h.Client(server, "alice@localhost", resource="ping")
        use_plugins(alice, "xep_0199")
        _env["alice"] = alice
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    for c in _env.pop("clients", []):
        c.close()
    a = _env.pop("alice", None)
    if a:
        a.close()
    server = _env.pop("server", None)
    if server:
        server.close()
    assert not ej.running_nodes(), ej.running_nodes()


class ScaleTest(unittest.TestCase):
    def setUp(self):
        self.server = _env["server"]
        self.assertTrue(self.server.alive(), "ejabberd died:\n"
                        + h.tail(self.server.log))
        self.run_log = os.path.join(self.server.dir, "runs-%s.log"
                                    % self._testMethodName)
        self.instances = []
        self.log_start = {}  # instance name: its log's size before this test
        self.load = None

    def tearDown(self):
        if self.load:
            self.load.finish()
        for i in self.instances:
            i.stop(grace=2)

    def start_instances(self, names, metrics=False):
        out = []
        for n in names:
            i = Instance(self.server, n, self.run_log,
                         metrics_port=h.free_port() if metrics else None)
            self.log_start[n] = i.log_size()
            self.instances.append(i)
            i.start(timeout=30)
            out.append(i)
        return out

    def start_load(self):
        self.load = Load(_env["clients"])
        self.load.start()
        return self.load

    def logs(self):
        return "\n".join("--- %s\n%s" % (i.name, h.tail(i.log, 15))
                         for i in self.instances)

    def assertSent(self, instance):
        """A message to alice through `instance`'s control socket is sent."""
        with cc.connect(instance.socket) as s:
            s.sendall(cc.request("message", "work", _env["alice"].jid, "hi"))
            self.assertEqual(s.makefile("rb").readline(), b"ok sent\n")

    def assertNothingLostOrRunTwice(self, load):
        lost = load.lost()
        self.assertEqual(lost, [], "lost: %s\n%s"
                         % ([(k, load.outcome[k]) for k in lost][:10],
                            self.logs()))
        twice = {k: n for k, n in runs(self.run_log).items() if n > 1}
        self.assertEqual(twice, {}, "run more than once")

    def assertLostOnlyInTheCloseWindow(self, load, closes):
        """After `closes` graceful stops: nothing the bridges accepted is lost
        or run twice.  What can go: an iq the server routed to a connection
        whose </stream:stream> was already on its way (ejabberd writes it on
        the closing stream, or drops it with the connection, and bounces
        nothing; doc/several-instances.md).  Such a request never ran, and
        at most the requests then in flight (one per sender thread) go in
        one close."""
        lost = load.lost()
        ran = runs(self.run_log)
        closing = set()
        for i in self.instances:
            closing |= after_close(i.read_log(self.log_start[i.name]))
        for k in lost:
            self.assertEqual(load.outcome[k], ("no answer",), k)
            self.assertFalse(k in ran, "%s got no answer but ran: an answer "
                             "was lost\n%s" % (k, self.logs()))
        self.assertLessEqual(len(lost), closes * len(load.threads),
                             "lost: %s\n%s" % (lost, self.logs()))
        # an iq a bridge read after its close got no answer from anywhere
        self.assertEqual(closing - set(lost), set(),
                         "logged as read after the close, yet answered")
        twice = {k: n for k, n in ran.items() if n > 1}
        self.assertEqual(twice, {}, "run more than once")
        return lost, closing

    def split(self, names):
        instances = self.start_instances(names)
        load = self.start_load()
        self.assertTrue(load.wait_answered(40 * len(names)),
                        "load stalled:\n" + self.logs())
        load.finish()
        pids = {i.proc.pid: i.name for i in instances}
        counts = {pids.get(p, p): n for p, n in load.by_pid().items()}
        print("\n  split over %d instances: %s" % (len(names), counts))
        self.assertEqual(set(counts), set(names), counts)
        total = sum(counts.values())
        for n in names:
            # random choice per stanza: each serves a fair share, far
            # from nothing (a dead slot would show as 0)
            self.assertGreater(counts[n], total / len(names) / 3, counts)
        self.assertNothingLostOrRunTwice(load)

    def test_two_instances_split_the_load(self):
        self.split(["a", "b"])

    def test_three_instances_split_the_load(self):
        self.split(["a", "b", "c"])

    def test_sigterm_mid_load_loses_nothing(self):
        a, b = self.start_instances(["a", "b"])
        load = self.start_load()
        self.assertTrue(load.wait_answered(40), "load stalled")
        since = a.log_size()
        a.signal(signal.SIGTERM)
        rc = a.wait_exit(DRAIN_TIMEOUT + 15)
        self.assertEqual(rc, 0, "exit after SIGTERM:\n" + h.tail(a.log))
        log = a.read_log(since)
        self.assertIn("instance a: signal 15: draining", log)
        self.assertIn("instance a: drained, closing the connection", log)
        self.assertNotIn("cut short", log)
        self.assertTrue(load.wait_answered(40), "b stalled:\n" + self.logs())
        load.finish()
        lost, closing = self.assertLostOnlyInTheCloseWindow(load, 1)
        print("\n  SIGTERM mid-load: %d answered, %d refused with wait and "
              "sent again, %d routed to the closing connection (%d of them "
              "read there after the close)" % (load.answered(), load.refused,
                                               len(lost), len(closing)))

    def test_rolling_restart_loses_nothing(self):
        instances = self.start_instances(["a", "b", "c"])
        load = self.start_load()
        self.assertTrue(load.wait_answered(30), "load stalled")
        for i in instances:
            old = i.proc.pid
            i.signal(signal.SIGTERM)
            self.assertEqual(i.wait_exit(DRAIN_TIMEOUT + 15), 0,
                             "exit after SIGTERM:\n" + h.tail(i.log))
            self.assertTrue(load.wait_answered(15), "stalled while %s was "
                            "down:\n%s" % (i.name, self.logs()))
            i.start(timeout=30)
            self.assertNotEqual(i.proc.pid, old)
            self.assertTrue(load.wait_answered(15), "stalled after %s came "
                            "back:\n%s" % (i.name, self.logs()))
        load.finish()
        pids = {i.proc.pid for i in instances}
        served = {p for p in load.by_pid() if p in pids}
        lost, closing = self.assertLostOnlyInTheCloseWindow(
            load, len(instances))
        print("\n  rolling restart: %d answered, %d refused with wait and "
              "sent again; restarted instances served: %d of 3; %d routed "
              "to a closing connection (%d of them read there after the "
              "close)" % (load.answered(), load.refused, len(served),
                          len(lost), len(closing)))

    def test_sigkill_loses_at_most_what_the_instance_held(self):
        a, b, c = self.start_instances(["a", "b", "c"])
        load = self.start_load()
        self.assertTrue(load.wait_answered(40), "load stalled")
        killed = a.proc.pid
        a.signal(signal.SIGKILL)
        a.wait_exit(10)
        self.assertTrue(load.wait_answered(60), "survivors stalled:\n"
                        + self.logs())
        load.finish()
        lost = load.lost()
        ran_on_a = {k for k, v in load.outcome.items()
                    if v[0] == "result" and v[1] == killed}
        where = run_where(self.run_log)
        names = {i.socket: i.name for i in (a, b, c)}
        print("\n  SIGKILL mid-load: %d answered (%d by the killed instance "
              "before it died), %d lost: %s" % (
                  load.answered(), len(ran_on_a), len(lost),
                  [(k, "ran on " + ", ".join(sorted(
                      names.get(p, p) for p in where[k])) if k in where
                    else "never ran") for k in lost]))
        # What a held: its running handlers and its queue (what the server
        # had written to its socket is queued or refused when read).  Every
        # lost request ran on a, or nowhere; none that a survivor ran.
        self.assertLessEqual(len(lost), MAX_CONCURRENCY + MAX_QUEUE)
        for k in lost:
            self.assertEqual(load.outcome[k], ("no answer",), k)
            self.assertTrue(where.get(k, set()) <= {a.socket},
                            "%s lost but ran on %s (a is %s)"
                            % (k, where.get(k), a.socket))
        twice = {k: n for k, n in runs(self.run_log).items() if n > 1}
        self.assertEqual(twice, {}, "run more than once")
        # the survivors went on after the kill
        after = load.by_pid()
        self.assertGreater(after.get(b.proc.pid, 0), 0)
        self.assertGreater(after.get(c.proc.pid, 0), 0)
        # the killed one left its socket file behind: a restart takes it
        self.assertTrue(os.path.exists(a.socket))
        a.start(timeout=30)
        self.assertSent(a)

    def test_control_socket_iq_answered_on_every_instance(self):
        instances = self.start_instances(["a", "b", "c"])
        alice = _env["alice"].jid
        payload = b"<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>"
        for i in instances:
            for n in range(8):
                with cc.connect(i.socket, timeout=20) as s:
                    s.sendall(cc.request("iq", "work", alice, payload, 15000))
                    line = s.makefile("rb").readline().decode()
                with self.subTest(instance=i.name, n=n):
                    self.assertTrue(line.startswith("result "),
                                    "%r\n%s" % (line, self.logs()))

    def test_iq_result_answering_nothing_is_logged(self):
        a, = self.start_instances(["a"])
        alice = _env["alice"]
        since = a.log_size()
        alice.send_raw("<iq type='result' id='stray-1' to='%s'/>" % TO)
        self.assertTrue(a.wait_log("iq stray-1 result from %s answers nothing"
                                   % alice.jid, 10, since),
                        h.tail(a.log))

    def test_version_and_metrics_name_instance_and_config(self):
        a, b = self.start_instances(["a", "b"], metrics=True)
        alice = _env["alice"]
        seen = {}
        # random balancing: ask until both instances answered
        for n in range(60):
            r = alice.query(COMPONENT, "<query xmlns='jabber:iq:version'/>")
            self.assertEqual(r.type, "result", r.xml)
            os_ = r.el.find("{jabber:iq:version}query/{jabber:iq:version}os")
            self.assertIsNotNone(os_, r.xml)
            seen[os_.text.split(",")[0]] = os_.text
            if len(seen) == 2:
                break
        self.assertEqual(set(seen), {"instance a", "instance b"}, seen)
        fps = {v.split("config ")[1] for v in seen.values()}
        self.assertEqual(len(fps), 1, seen)   # same config, same fingerprint
        fp = fps.pop()
        self.assertRegex(fp, r"^[0-9a-f]{16}$")
        for i in (a, b):
            self.assertIn("instance %s, config %s" % (i.name, fp), i.read_log())
            page = urllib.request.urlopen(
                "http://127.0.0.1:%d/metrics" % i.metrics_port,
                timeout=10).read().decode()
            self.assertRegex(page, r'(?m)^xmpp_cgi_instance_info\{name="%s",'
                             r'config="%s",version="[^"]+"\} 1$'
                             % (i.name, fp))

    def test_reload_shows_the_new_fingerprint_and_keeps_the_name(self):
        a, = self.start_instances(["a"])
        old = a.read_log().split("instance a, config ")[1].split()[0]
        since = a.log_size()
        with open(a.cfg) as f:
            text = f.read()
        with open(a.cfg, "w") as f:
            f.write(text.replace("SLEEP=0.1", "SLEEP=0.2"))
        a.signal(signal.SIGHUP)
        self.assertTrue(a.wait_log("reloaded", 10, since), h.tail(a.log))
        new = a.read_log(since).split("instance a, config ")[1].split()[0]
        self.assertNotEqual(new, old)
        # the name is in the ids of iqs in flight: changing it needs a restart
        since = a.log_size()
        with open(a.cfg, "w") as f:
            f.write(text.replace("name = a", "name = z"))
        a.signal(signal.SIGHUP)
        self.assertTrue(a.wait_log("reload refused: [instance] changed", 10,
                                   since), h.tail(a.log))

    def test_second_instance_on_one_socket_path_refuses(self):
        a, = self.start_instances(["a"])
        b = Instance(self.server, "b", self.run_log, socket_path=a.socket)
        self.instances.append(b)
        b.launch()
        rc = b.wait_exit(20)
        self.assertEqual(rc, 1, h.tail(b.log))
        self.assertIn("another process (another instance?) listens there",
                      b.read_log())
        # a's socket is still there and still a's
        self.assertSent(a)
        # a removes its own socket at exit
        self.assertEqual(a.stop(), 0)
        self.assertFalse(os.path.exists(a.socket))

    def test_socket_taken_over_is_left_to_its_new_owner(self):
        a, = self.start_instances(["a"])
        # someone else's socket now at a's path (as a second instance that
        # started after a stale check would have)
        os.unlink(a.socket)
        other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        other.bind(a.socket)
        other.listen(1)
        try:
            since = a.log_size()
            self.assertEqual(a.stop(), 0)
            self.assertTrue(os.path.exists(a.socket),
                            "a removed a socket not its own")
            self.assertIn("is no longer this instance's: left in place",
                          a.read_log(since))
        finally:
            other.close()
            os.unlink(a.socket)


if __name__ == "__main__":
    unittest.main()
