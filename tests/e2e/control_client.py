# A raw client of the bridge's control socket (doc/control-protocol.md) for the
# e2e tests that speak the protocol themselves instead of through xmpp-cgi-send:
# connect, frame a request, read an answer line or an answer's payload.  Also
# the xmpp-cgi-send under test ($XMPP_CGI_SEND, by default tools/xmpp-cgi-send),
# how to run it and how to check its exit status.

import os
import socket
import subprocess
import unittest

import harness as h

SEND = os.environ.get("XMPP_CGI_SEND",
                      os.path.join(h.REPO, "tools", "xmpp-cgi-send"))


def connect(path, timeout=10):
    """A connection to the control socket at `path`; the connect blocks while
    the listen backlog is full, reads time out after `timeout` s."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(timeout)
    return s


def request(verb, route, to, payload, timeout_ms=None):
    """One request: its line (with the iq timeout if given) and payload."""
    data = payload.encode() if isinstance(payload, str) else payload
    head = "%s %s %s %d%s\n" % (verb, route, to, len(data),
                                " %d" % timeout_ms if timeout_ms else "")
    return head.encode() + data


def read_line(s):
    """One answer line (without the newline), or None at end of file."""
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            return None if not buf else buf.decode()
        buf += c
    return buf[:-1].decode()


def read_exact(s, n):
    """n bytes of an answer's payload (fewer at end of file)."""
    buf = b""
    while len(buf) < n:
        c = s.recv(n - len(buf))
        if not c:
            break
        buf += c
    return buf


def run_send(args, sock=None, stdin=None, env=None, timeout=60):
    """Run xmpp-cgi-send with `args` (after `-s SOCK` when sock is given)."""
    argv = [SEND] + (["-s", sock] if sock else []) + list(args)
    return subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True,
                          timeout=timeout, env=env)


class SendTest(unittest.TestCase):
    """A test case that runs xmpp-cgi-send and checks how it exits."""

    def assertExit(self, r, status):
        self.assertEqual(r.returncode, status,
                         "exit %d, stdout %r, stderr %r"
                         % (r.returncode, r.stdout, r.stderr))
