# The shared e2e environment: the route table of the one bridge that most
# test modules talk to, and BridgeTest, the TestCase base class that hands
# each test that environment (built on first use, once per process).

import os
import unittest

import harness as h
from harness import Route, script


def routes(work):
    """Every route of the shared bridge.  `work` is a scratch directory."""
    def sub(name):
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        return d

    st = script("status.sh")
    bad = script("badresponse.sh")
    return [
        Route("echo", script("echo.sh")),
        Route("env", script("dump.sh"),
              env=["DUMP_DIR=" + sub("dump"), "GREETING=hello world",
                   "EMPTY_ONE="]),
        # One route per status, parametrised by `env =` ...
        Route("s200text", st, env=["BODY=plain <text> & more"]),
        Route("s200empty", st, env=["CTYPE=text/plain"]),
        Route("s404", st, env=["STATUS=404 Not Found", "BODY=no such thing"]),
        Route("s403", st, env=["STATUS=403 Forbidden"]),
        Route("s500", st, env=["STATUS=500 Oops", "BODY=it broke"]),
        Route("s503", st, env=["STATUS=503 Busy"]),
        Route("s302", st, env=["STATUS=302 Found",
                               "LOCATION=xmpp:other@localhost/x"]),
        Route("s301", st, env=["STATUS=301 Moved",
                               "LOCATION=xmpp:moved@localhost"]),
        Route("s300", st, env=["STATUS=300 Choices"]),
        # ... and one taking everything from the stanza's data-* attributes.
        Route("status", st),
        Route("fail", script("fail.sh")),
        Route("msgreply", st, message_replies="yes",
              env=["BODY=hello from msgreply"]),
        Route("nocolon", bad, env=["MODE=nocolon"]),
        Route("eof", bad, env=["MODE=eof"]),
        Route("noheaders", bad, env=["MODE=noheaders"]),
        Route("status700", bad, env=["MODE=status700"]),
        Route("badxml", bad, env=["MODE=badxml"]),
        Route("killed", bad, env=["MODE=killed"]),
        Route("bighdr", bad, env=["MODE=bighdr"]),
        Route("timeout", script("sleeper.sh"), timeout=1,
              env=["PID_DIR=" + sub("timeout")]),
        Route("stubborn", script("sleeper.sh"), timeout=1,
              env=["PID_DIR=" + sub("stubborn"), "STUBBORN=1"]),
        Route("big", script("big.sh"), max_output=1024, env=["SIZE=5000"]),
        Route("small", script("big.sh"), max_output=1024, env=["SIZE=900"]),
        Route("large", script("big.sh"), env=["SIZE=150000"]),
        Route("noread", script("noread.sh")),
        Route("acl", script("echo.sh"), allow="alice@localhost"),
        Route("aclother", script("echo.sh"), allow="*@other.localhost"),
        Route("aclall", script("echo.sh"), allow="*"),
        Route("queue", script("slow.sh"), max_concurrency=1, max_queue=1,
              env=["LOG_DIR=" + sub("queue"), "SLEEP=1.5"]),
        Route("conc", script("slow.sh"),
              env=["LOG_DIR=" + sub("conc"), "SLEEP=2"]),
    ]


def env():
    return h.shared_env(routes)


PING = "<ping xmlns='urn:e2e:x'>é</ping>"   # a payload for the echo handlers


class ModuleBridge(h.ModuleFixture):
    """A test module's own bridge on the shared Prosody: make(env) builds and
    starts it on first use (with the shared Env); later uses get the same
    bridge, or fail at once if building it failed.  close() stops it."""

    def __init__(self, make, what):
        super().__init__(lambda: make(env()), what)

    def close(self):
        b, self.value = self.value, None
        if b is not None:
            b.stop()


class BridgeTest(unittest.TestCase):
    """Base class: self.env, self.alice/bob/eve, helpers for asserting
    replies."""

    def setUp(self):
        self.env = env()
        self.alice = self.env.alice
        self.bob = self.env.bob
        self.eve = self.env.eve
        self.assertTrue(self.env.bridge.alive(),
                        "bridge died:\n" + h.tail(self.env.bridge.log))

    def to(self, route):
        return self.env.route_jid(route)

    def assertError(self, reply, cond, etype, text=None, kind="iq"):
        """reply is an error stanza of `kind` with condition `cond` of type
        `etype` (and <text> equal to `text` when given)."""
        self.assertEqual(reply.kind, kind, reply.xml)
        self.assertEqual(reply.type, "error", reply.xml)
        err = reply.error()
        self.assertIsNotNone(err, "no <error/> in " + reply.xml)
        self.assertEqual((err[1], err[0]), (cond, etype), reply.xml)
        if text is not None:
            self.assertEqual((err[2] or "").strip(), text, reply.xml)
        return err

    def assertResult(self, reply):
        self.assertEqual(reply.kind, "iq", reply.xml)
        self.assertEqual(reply.type, "result", reply.xml)

    def assertPingEchoed(self, reply):
        """reply is the echo handler's answer to an iq carrying PING: a
        result with that iq (its id, its ping) inside <echo/>."""
        self.assertResult(reply)
        echo = reply.el.find("{urn:xmpp-cgi:echo}echo")
        self.assertIsNotNone(echo, reply.xml)
        inner = echo.find("{jabber:client}iq")
        self.assertIsNotNone(inner, reply.xml)
        self.assertEqual(inner.get("id"), reply.id)
        self.assertEqual(inner.find("{urn:e2e:x}ping").text, "é")

    def assertNoReply(self, client, ids, wait=1.5, since=0):
        """Nothing with one of `ids` arrives within `wait` seconds."""
        ids = set(ids)
        got = client.wait_for(lambda s: s.id in ids, wait, since=since)
        self.assertIsNone(got, "unexpected reply: %r" % (got,))

    def wait_file(self, path, timeout=10):
        self.assertTrue(h.wait_until(lambda: os.path.exists(path), timeout),
                        "%s never appeared; bridge log:\n%s"
                        % (path, h.tail(self.env.bridge.log)))

    def bridge_zombies(self):
        """pids of zombie children of the bridge."""
        return h.zombie_children(self.env.bridge.proc.pid)

    def assertNoZombies(self, settle=3.0):
        h.wait_until(lambda: not self.bridge_zombies(), settle)
        self.assertEqual(self.bridge_zombies(), [],
                         "zombie children of the bridge")


def body_text(reply):
    """Text of the <body/> child of a reply, or None."""
    for c in reply.el:
        if c.tag.rsplit("}", 1)[-1] == "body":
            return c.text or ""
    return None


def env_vars(text):
    """The NAME=value lines of a handler's text answer -> dict (other lines
    are left out)."""
    out = {}
    for line in (text or "").splitlines():
        k, sep, v = line.partition("=")
        if sep:
            out[k] = v
    return out
