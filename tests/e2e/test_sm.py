# e2e: no lost answers across a lost connection (XEP-0198 stream management).
#
# A private Prosody with mod_smacks (short hibernation, acks asked often). The bridge
# reaches it through a TCP proxy on loopback that the test controls; the requesters
# connect to Prosody directly. Under 2000 iq at a window of 32 (four slixmpp clients,
# eight in flight each), mid-load, the proxy
#   - cuts the connection (RST on both sides, SO_LINGER 0),
#   - stalls it for longer than both ack timeouts (the bridge's ack_timeout = 2 and
#     Prosody's smacks_max_ack_delay = 1), then cuts it,
#   - cuts it three times in a row, each time right after the bridge came back.
# Each case counts the answers: lost (none), duplicated (more than one) and bounced (an
# error instead of the handler's result), prints the counts and wants 0, 0, 0; the
# handler logs its XMPP_STANZA_ID, and no id may appear twice. Then messages from
# xmpp-cgi-send while the connection freezes and is cut, and a Prosody restart, where resumption is impossible
# and the bridge's log must account for every unacknowledged answer.
#
# XMPP_CGI_SM_BASELINE=/path/to/old/xmpp-cgi runs the same cases against a build
# without stream management (the keys it does not know are left out), to show the
# losses the cases catch.

import collections
import os
import queue
import re
import select
import socket
import struct
import subprocess
import threading
import time
import unittest

import control_client as cc
import harness as h
from harness import Route, script

BASELINE = os.environ.get("XMPP_CGI_SM_BASELINE")

SMACKS = """\
smacks_hibernation_time = 30
smacks_max_unacked_stanzas = 4
smacks_max_ack_delay = 1
"""

TOTAL = 2000
WINDOW = 32
CLIENTS = 4
GIVE_UP = 25.0    # an answer not here after this long is lost
DEADLINE = 120.0  # the whole load, bounded


class Proxy:
    """A TCP relay 127.0.0.1:port -> 127.0.0.1:target, one thread. cut() resets
    every relayed connection (SO_LINGER 0 on both sides); stall(s) stops relaying
    the current connections for s seconds and then resets them."""

    def __init__(self, target):
        self.target = target
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.pairs = []          # [bridge side, server side, stalled until]
        self.accepted = 0
        self.actions = queue.SimpleQueue()
        self.done = False
        self.thread = threading.Thread(target=self._loop, daemon=True,
                                       name="sm-proxy")
        self.thread.start()

    def _reset(self, pair):
        for s in pair[:2]:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
            except OSError:
                pass
            s.close()
        self.pairs.remove(pair)

    def _close(self, pair):
        for s in pair[:2]:
            s.close()
        self.pairs.remove(pair)

    def _loop(self):
        while not self.done:
            while True:
                try:
                    self.actions.get_nowait()()
                except queue.Empty:
                    break
            now = time.monotonic()
            for p in list(self.pairs):
                if p[2] is not None and now >= p[2]:
                    self._reset(p)
            socks = [self.lsock] + [s for p in self.pairs if p[2] is None
                                    for s in p[:2]]
            try:
                ready, _, _ = select.select(socks, [], [], 0.02)
            except (OSError, ValueError):
                continue
            for s in ready:
                if s is self.lsock:
                    c, _ = s.accept()
                    try:
                        t = socket.create_connection(("127.0.0.1", self.target))
                    except OSError:    # the server is down: refuse too
                        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     struct.pack("ii", 1, 0))
                        c.close()
                        continue
                    for x in (c, t):
                        x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self.pairs.append([c, t, None])
                    self.accepted += 1
                    continue
                pair = next((p for p in self.pairs if s in p[:2]), None)
                if pair is None or pair[2] is not None:
                    continue
                peer = pair[1] if s is pair[0] else pair[0]
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self._close(pair)
                    continue
                try:
                    peer.sendall(data)
                except OSError:
                    self._reset(pair)

    def _do(self, fn):
        ev = threading.Event()

        def act():
            fn()
            ev.set()
        self.actions.put(act)
        ev.wait(5)

    def cut(self):
        self._do(lambda: [self._reset(p) for p in list(self.pairs)])

    def stall(self, seconds):
        until = time.monotonic() + seconds

        def act():
            for p in self.pairs:
                p[2] = until
        self._do(act)

    def close(self):
        self.cut()
        self.done = True
        self.thread.join(5)
        self.lsock.close()


def _with_smacks(p):
    with open(p.cfg) as f:
        text = f.read()
    text = text.replace('"ping", "posix" }', '"ping", "posix", "smacks" }')
    text = text.replace("modules_disabled", SMACKS + "modules_disabled", 1)
    with open(p.cfg, "w") as f:
        f.write(text)


_prosody = h.ModuleProsody(prepare=_with_smacks)
prosody = _prosody.get  # a private Prosody with stream management, started once


def body_of(s):
    for c in s.el:
        if c.tag.endswith("}body") or c.tag == "body":
            return c.text
    return None


class StreamManagement(unittest.TestCase):
    def setUp(self):
        self.prosody = prosody()
        self.cleanups = []
        self.proxy = Proxy(self.prosody.c2s_port)
        self.cleanups.append(self.proxy.close)
        self.work = h.make_tempdir("xmpp-cgi-sm-")
        self.id_log = os.path.join(self.work, "ids")
        open(self.id_log, "w").close()
        extra = {} if BASELINE else {"ack_timeout": 2, "resend_max_age": 60}
        self.bridge = h.Bridge(
            self.prosody,
            [Route("load", script("stanza_id.sh"), max_concurrency=32,
                   max_queue=256, env=["ID_LOG=" + self.id_log]),
             Route("big", script("big.sh"), max_output=400000,
                   env=["SIZE=150000"])],
            name="sm-%s" % self._testMethodName, extra_xmpp=extra,
            binary=BASELINE or None)
        self.bridge.socket = os.path.join(self.bridge.dir, "control")
        with open(self.bridge.cfg) as f:
            cfg = f.read()
        cfg = cfg.replace("port = %d\n" % self.prosody.c2s_port,
                          "port = %d\n" % self.proxy.port, 1)
        with open(self.bridge.cfg, "w") as f:
            f.write(cfg + "[control]\nsocket = %s\n" % self.bridge.socket)
        self.cleanups.append(self.bridge.stop)
        self.bridge.start()
        self.clients = []
        for i in range(CLIENTS):
            c = h.Client(self.prosody, "alice@localhost", resource="sm%d" % i)
            self.cleanups.append(c.close)
            self.clients.append(c)

    def tearDown(self):
        h.run_cleanups(self.cleanups)

    # -- load ---------------------------------------------------------------

    def run_load(self, disrupt, total=TOTAL, window=WINDOW, give_up=GIVE_UP):
        """Send `total` iqs to the load route, `window` in flight over the
        clients; `disrupt(progress)` runs in this thread meanwhile, with a
        function telling how many answers arrived so far. Returns the
        replies as {id: ["result" | "error:condition", ...]}."""
        to = "bridge@localhost/load"
        replies = {}
        answered = [0]
        self.stop_sending = threading.Event()
        lock = threading.Lock()
        deadline = time.monotonic() + DEADLINE
        per = total // len(self.clients)
        w = window // len(self.clients)

        def drive(c):
            ids = [c.new_id("sm") for _ in range(per)]
            mine = set(ids)
            pending = {}
            nxt = 0
            cursor = c.mark()
            settle_until = None
            while time.monotonic() < deadline:
                while nxt < per and len(pending) < w and \
                        not self.stop_sending.is_set():
                    id, xml = c.iq(to, id=ids[nxt])
                    nxt += 1
                    with lock:
                        replies[id] = []
                    c.send_raw(xml)
                    pending[id] = time.monotonic()
                if (nxt >= per or self.stop_sending.is_set()) and not pending:
                    # keep listening a little for late duplicates
                    settle_until = settle_until or time.monotonic() + 2.0
                    if time.monotonic() >= settle_until:
                        break
                with c.cond:
                    if len(c.inbound) == cursor:
                        c.cond.wait(0.2)
                    new = c.inbound[cursor:]
                    cursor = len(c.inbound)
                for s in new:
                    if s.id not in mine:
                        continue
                    kind = s.type
                    if s.type == "error":
                        kind = "error:%s" % (s.error() or (None, "?"))[1]
                    with lock:
                        replies[s.id].append(kind)
                        if s.id in pending:
                            answered[0] += 1
                    pending.pop(s.id, None)
                now = time.monotonic()
                for id, t in list(pending.items()):
                    if now - t > give_up:
                        del pending[id]

        threads = [threading.Thread(target=drive, args=(c,), daemon=True)
                   for c in self.clients]
        for t in threads:
            t.start()
        disrupt(lambda: answered[0])
        for t in threads:
            t.join(DEADLINE + 30)
        return replies

    def wait_progress(self, progress, n, timeout=60):
        self.assertTrue(h.wait_until(lambda: progress() >= n, timeout, 0.02),
                        "load stalled at %d answers before the disruption"
                        % progress())

    def count(self, name, replies):
        lost = sorted(i for i, r in replies.items() if not r)
        dup = sorted(i for i, r in replies.items() if len(r) > 1)
        bounced = sorted(i for i, r in replies.items()
                         if any(k != "result" for k in r))
        with open(self.id_log) as f:
            runs = collections.Counter(line.strip() for line in f if line.strip())
        twice = sorted(i for i, n in runs.items() if n > 1)
        kinds = collections.Counter(k for r in replies.values() for k in r
                                    if k != "result")
        print("\n%s: %d iq, %d answered, lost %d, duplicated %d, bounced %d "
              "%s, handlers run %d, run twice %d"
              % (name, len(replies), sum(1 for r in replies.values() if r),
                 len(lost), len(dup), len(bounced), dict(kinds),
                 sum(runs.values()), len(twice)), flush=True)
        for line in self.bridge.read_log().splitlines():
            if re.search(r"session resumed|new session|not acknowledged|"
                         r"disconnected|online as|reconnecting|"
                         r"no acknowledgement|delivered again|kept for|"
                         r"stream management", line):
                print("  " + line, flush=True)
        return lost, dup, bounced, twice

    def assertNoLoss(self, name, replies):
        lost, dup, bounced, twice = self.count(name, replies)
        log = self.bridge.read_log()
        detail = "\nbridge log tail:\n%s" % log[-3000:]
        self.assertEqual(lost, [], "lost answers: %d%s" % (len(lost), detail))
        self.assertEqual(dup, [], "duplicated answers: %d%s" % (len(dup), detail))
        self.assertEqual(bounced, [], "bounced: %d%s" % (len(bounced), detail))
        self.assertEqual(twice, [], "handlers run twice: %d" % len(twice))
        self.assertTrue(self.bridge.alive(), "the bridge died" + detail)

    def online_count(self):
        return self.bridge.read_log().count("route load: online as")

    def wait_back(self, before, timeout=30):
        self.assertTrue(h.wait_until(lambda: self.online_count() > before,
                                     timeout, 0.02),
                        "the route did not come back:\n%s"
                        % h.tail(self.bridge.log))

    # -- cases --------------------------------------------------------------

    def test_cut_mid_load(self):
        def disrupt(progress):
            self.wait_progress(progress, TOTAL // 3)
            before = self.online_count()
            self.proxy.cut()
            self.wait_back(before)
        self.assertNoLoss("one cut", self.run_load(disrupt))
        if not BASELINE:
            self.assertIn("route load: session resumed", self.bridge.read_log())

    def test_stall_longer_than_ack_timeouts(self):
        def disrupt(progress):
            self.wait_progress(progress, TOTAL // 3)
            before = self.online_count()
            self.proxy.stall(6)
            self.wait_back(before, timeout=40)
        self.assertNoLoss("stall", self.run_load(disrupt))
        if not BASELINE:
            log = self.bridge.read_log()
            self.assertIn("no acknowledgement from the server", log)
            self.assertIn("route load: session resumed", log)

    def test_three_cuts_in_a_row(self):
        def disrupt(progress):
            self.wait_progress(progress, TOTAL // 4)
            for _ in range(3):
                before = self.online_count()
                accepted = self.proxy.accepted
                self.proxy.cut()
                # cut again as soon as the bridge has connected again
                h.wait_until(lambda: self.proxy.accepted > accepted, 30, 0.01)
                self.wait_back(before)
        self.assertNoLoss("three cuts", self.run_load(disrupt))

    def test_messages_from_xmpp_cgi_send_across_a_cut(self):
        alice = self.clients[0]
        m = alice.mark()
        bodies = ["sm-msg-%d" % i for i in range(300)]
        before = self.online_count()
        for i, b in enumerate(bodies):
            if i == 100:
                # the connection freezes while messages go out, then is cut
                self.proxy.stall(3)
            r = subprocess.run([cc.SEND, "-s", self.bridge.socket, "-r", "load",
                                "-t", alice.jid, "-m", b],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.wait_back(before)
        h.wait_until(lambda: sum(1 for s in alice.received(m)
                                 if s.kind == "message") >= len(bodies), 30)
        time.sleep(1.0)
        got = collections.Counter(body_of(s) for s in alice.received(m)
                                  if s.kind == "message")
        lost = [b for b in bodies if got[b] == 0]
        dup = [b for b in bodies if got[b] > 1]
        print("\nxmpp-cgi-send across a frozen, then cut connection: %d messages, lost %d, duplicated %d"
              % (len(bodies), len(lost), len(dup)), flush=True)
        self.assertEqual(lost, [], h.tail(self.bridge.log))
        self.assertEqual(dup, [])

    def test_large_answers_leave_with_stream_management(self):
        # No keepalive space follows a stanza while the server counts: answers
        # larger than a socket buffer must still leave whole, and all of them.
        alice = self.clients[0]
        m = alice.mark()
        ids = alice.send_iqs("bridge@localhost/big", 12)
        for id in ids:
            r = alice.wait_for(lambda s: s.id == id, 60, since=m)
            self.assertIsNotNone(r, "no answer to %s:\n%s"
                                 % (id, h.tail(self.bridge.log)))
            self.assertEqual(r.type, "result", r.xml[:300])
            self.assertGreaterEqual(len(r.xml), 150000)
        if not BASELINE:
            self.assertIn("route big: stream management on", self.bridge.read_log())

    def test_prosody_restart_accounts_for_every_answer(self):
        # Resumption is impossible: the server forgot the session. The
        # requesters go too; what the bridge had not seen acknowledged is
        # sent again in the new session or dropped, and the log says how many.
        log_at = self.bridge.log_size()

        def disrupt(progress):
            self.wait_progress(progress, 200)
            self.stop_sending.set()
            self.prosody.restart()
        replies = self.run_load(disrupt, total=800, give_up=5)
        lost, dup, bounced, twice = self.count("prosody restart", replies)
        self.assertEqual(twice, [], "handlers run twice")

        def back():
            log = self.bridge.read_log(log_at)
            cut = log.find("route load: disconnected")
            return cut >= 0 and "route load: online as" in log[cut:]
        self.assertTrue(h.wait_until(back, 40, 0.1), h.tail(self.bridge.log))
        log = self.bridge.read_log(log_at)
        if BASELINE:
            return
        # Every stanza the lost session left unacknowledged is accounted for.
        kept = re.findall(r"route load: connection lost with (\d+) sent answers? "
                          r"not acknowledged and (\d+) waiting", log)
        new = re.findall(r"route load: new session, the last one could not be "
                         r"resumed: (\d+) unacknowledged stanzas? sent again, "
                         r"(\d+) dropped", log)
        self.assertTrue(kept, "no count of unacknowledged answers at the loss:\n"
                        + log[-3000:])
        # the first reconnection after the restart must start a new session
        unacked = int(kept[0][0])
        resent, dropped = map(int, new[0]) if new else (0, 0)
        print("prosody restart: %d unacknowledged at the loss, %d sent again, "
              "%d dropped" % (unacked, resent, dropped), flush=True)
        first_back = log.find("route load: online as")
        self.assertEqual(log.find("session resumed", first_back,
                                  first_back + 400), -1,
                         "resumed a session the server had forgotten")
        self.assertEqual(resent + dropped, unacked, log[-3000:])
        # and the route serves again
        c = h.Client(self.prosody, "bob@localhost", resource="after")
        self.cleanups.append(c.close)
        r = c.query("bridge@localhost/load", timeout=30)
        self.assertEqual(r.type, "result", r.xml)


if __name__ == "__main__":
    unittest.main()
