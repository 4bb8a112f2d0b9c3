# e2e: file descriptors under load (issue 4). With RLIMIT_NOFILE raised and more than
# 1024 descriptors in use by handlers' pipes, a reconnect after a Prosody restart must
# still give libstrophe a socket numbered below 1024 (it select()s; Debian's fortified
# build aborts on a larger one), and the bridge must keep answering. While Prosody is
# down the test fills every free descriptor number below 1024 in the bridge with
# control-socket connections, so the new socket can only land low if the bridge kept
# a number for it.

import os
import resource
import socket
import unittest

import harness as h
from harness import Route, script

HOLD = 700  # handlers kept running: 2 pipes each once stdin is written, over 1024 fds

_prosody = h.ModuleProsody()
prosody = _prosody.get  # a private Prosody for this module, started on first use
tearDownModule = _prosody.stop


def fd_table(pid):
    """{fd: link target} of a process."""
    d = "/proc/%d/fd" % pid
    out = {}
    for name in os.listdir(d):
        try:
            out[int(name)] = os.readlink(os.path.join(d, name))
        except OSError:
            pass
    return out


class Descriptors(unittest.TestCase):
    def test_xmpp_socket_stays_below_1024_with_many_handlers(self):
        p = prosody()
        hold_dir = h.make_tempdir("xmpp-cgi-fds-")
        wrapper = os.path.join(hold_dir, "bridge-4096.sh")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nulimit -n 4096 || exit 99\nexec %s \"$@\"\n" % h.BRIDGE_BIN)
        os.chmod(wrapper, 0o755)
        b = h.Bridge(p, [Route("hold", script("slow.sh"), max_concurrency=HOLD,
                               max_queue=HOLD, timeout=60,
                               env=["LOG_DIR=" + hold_dir, "SLEEP=40"]),
                         Route("echo", script("echo.sh"))],
                     name="fds", binary=wrapper)
        control = os.path.join(hold_dir, "control.sock")
        with open(b.cfg, "a") as f:
            # every connection is held (at most a quarter of 4096) for the whole test
            f.write("[control]\nsocket = %s\nmax_connections = 1024\n"
                    "idle_timeout = 3600\n" % control)
        self.addCleanup(b.stop)
        b.start()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        alice = h.Client(p, "alice@localhost", resource="fds")
        self.addCleanup(alice.close)
        for _ in range(HOLD):
            _, xml = alice.iq("bridge@localhost/hold")
            alice.send_raw(xml)
        pid = b.proc.pid
        self.assertTrue(h.wait_until(lambda: len(fd_table(pid)) > 1300, 90, 0.2),
                        "the bridge holds only %d descriptors\n%s" % (len(fd_table(pid)), b.read_log()[-1500:]))
        self.assertTrue(any(fd >= 1024 for fd in fd_table(pid)))

        since = b.log_size()
        p.stop()
        self.assertTrue(b.wait_log("route echo: disconnected", timeout=20, since=since))
        self.assertTrue(b.wait_log("route hold: disconnected", timeout=20, since=since))
        held = []
        self.addCleanup(lambda: [c.close() for c in held])
        for _ in range(1100):
            free_low = set(range(1024)) - set(fd_table(pid))
            if not free_low:
                break
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(control)
            held.append(c)
            # the bridge accepts it on its next turn, into the lowest free number
            h.wait_until(lambda: len(set(range(1024)) - set(fd_table(pid))) < len(free_low),
                         2, 0.005)
        self.assertFalse(set(range(1024)) - set(fd_table(pid)),
                         "could not fill the bridge's descriptors below 1024")
        p.start()
        b.wait_online(timeout=40, since=since)
        self.assertTrue(b.alive(), b.read_log()[-2000:])

        # libstrophe's socket and the duplicate the event loop watches share an
        # inode; the one libstrophe select()s is the lower and must be below 1024.
        fds = fd_table(pid)
        self.assertGreater(len(fds), 1300, "handlers must still be running")
        sockets = {}
        for fd, target in fds.items():
            if target.startswith("socket:"):
                sockets.setdefault(target, []).append(fd)
        pairs = [sorted(v) for v in sockets.values() if len(v) == 2]
        self.assertGreaterEqual(len(pairs), 2, sockets)  # one per route
        for pair in pairs:
            self.assertLess(pair[0], 1024, pairs)

        bob = h.Client(p, "bob@localhost", resource="fds")
        self.addCleanup(bob.close)
        r = bob.query("bridge@localhost/echo")
        self.assertEqual(r.type, "result", r.xml)
        log = b.read_log()
        self.assertNotIn("buffer overflow", log)
        self.assertNotIn("cannot watch", log)


if __name__ == "__main__":
    unittest.main()
