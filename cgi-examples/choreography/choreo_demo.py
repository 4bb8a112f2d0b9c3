#!/usr/bin/python3
# choreo_demo.py - runs the choreography of README.md on this machine, from a
# source tree: a throwaway Prosody on 127.0.0.1 (the end-to-end tests'
# harness, tests/e2e/harness.py), the built bridge with this directory's
# xmpp-cgi.conf (made local: port, CA, socket, absolute handler paths), and
# slixmpp clients for A (alice), C (carol) and D (dave).  A starts one
# operation; the script prints what each party receives and what b, e and f
# wrote to the bridge's log, then stops everything.
#
#   cgi-examples/choreography/choreo_demo.py          run it once
#   cgi-examples/choreography/choreo_demo.py --hold   then keep Prosody and the
#                                                     bridge up until Ctrl-C
#
# Needs a built tree (bridge/xmpp-cgi, tools/xmpp-cgi-send), prosody and
# python3-slixmpp.  XMPP_CGI_BIN and XMPP_CGI_SEND override the two binaries.
# tests/e2e/test_control.py imports local_config(), start_bridge() and
# acknowledge_done() from here.

import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
import harness as h  # noqa: E402

NS = "urn:xmpp-cgi:choreography"
CONF = os.path.join(HERE, "xmpp-cgi.conf")
SEND = os.environ.get("XMPP_CGI_SEND",
                      os.path.join(REPO, "tools", "xmpp-cgi-send"))
# A, C and D of the diagram, as the sample configuration names them.
USERS = [("bridge", "localhost"), ("alice", "localhost"),
         ("carol", "localhost"), ("dave", "localhost")]
ROUTES = ("b", "e", "f")


def local_config(prosody, socket, send=SEND, src=CONF):
    """The text of the sample configuration `src`, pointed at `prosody`:
    its port and CA, the control socket `socket`, handler paths made
    absolute, and CHOREO_SEND=`send` added to every route."""
    out = []
    with open(src) as f:
        for line in f.read().splitlines():
            if re.match(r"port\s*=", line):
                line = "port = %d" % prosody.c2s_port
            elif re.match(r";?cafile\s*=", line):
                line = "cafile = %s" % prosody.ca
            elif re.match(r"password\s*=", line):
                line = "password = %s" % h.PASSWORD
            elif re.match(r"socket\s*=", line):
                line = "socket = %s" % socket
            m = re.match(r"cgi\s*=\s*(\S+)", line)
            if m and not m.group(1).startswith("/"):
                line = "cgi = %s" % os.path.join(os.path.dirname(src),
                                                 m.group(1))
            out.append(line)
            if re.match(r'\[route "[^"]+"\]', line):
                out.append("env = CHOREO_SEND=%s" % send)
    return "\n".join(out) + "\n"


def start_bridge(prosody, name="choreography", send=SEND):
    """The bridge on the local copy of the sample configuration, started
    and online; its control socket is <bridge dir>/control."""
    b = h.Bridge(prosody, [h.Route(r) for r in ROUTES], name=name)
    b.socket = os.path.join(b.dir, "control")
    with open(b.cfg, "w") as f:
        f.write(local_config(prosody, b.socket, send))
        f.write("\n" + h.DAEMON_SECTION)
    b.start()
    return b


def acknowledge_done(client):
    """Make a harness Client answer f's <done/> iq with a result, as A's
    user interface would (an unknown iq would get an error)."""
    from slixmpp.xmlstream.handler import Callback
    from slixmpp.xmlstream.matcher import MatchXPath

    def on_done(iq):
        iq.reply(clear=True).send()

    client._call(lambda: client.xmpp.register_handler(Callback(
        "choreography done",
        MatchXPath("{jabber:client}iq/{%s}done" % NS), on_done)))


def say(text=""):
    print(text)
    sys.stdout.flush()


def main(argv):
    hold = "--hold" in argv
    for path in (h.BRIDGE_BIN, SEND):
        if not os.access(path, os.X_OK):
            say("%s is missing: build the tree first "
                "(autoreconf -fi && ./configure && make)" % path)
            return 1
    say("Starting a throwaway Prosody on 127.0.0.1 (users %s; password %r) ..."
        % (", ".join("%s@%s" % u for u in USERS[1:]), h.PASSWORD))
    prosody = h.Prosody(users=USERS)
    prosody.start()
    say("Starting xmpp-cgi with %s (routes b, e, f) ..." % CONF)
    bridge = start_bridge(prosody)
    say("  control socket %s" % bridge.socket)
    say("Logging in A, C and D with slixmpp ...")
    a = h.Client(prosody, "alice@localhost", resource="ui")
    acknowledge_done(a)
    c = h.Client(prosody, "carol@localhost")
    d = h.Client(prosody, "dave@localhost")
    parties = (("A", a), ("C", c), ("D", d))
    say()

    op = "op-%d" % int(time.time())
    xml = ("<iq type='set' id='%s' to='bridge@localhost/b'>"
           "<start xmlns='%s'/></iq>" % (op, NS))
    say("A (%s) sends:" % a.jid)
    say("    " + xml)
    t0 = time.monotonic()
    a.send_raw(xml)
    got = a.wait_for(lambda s: s.id == op + ".done", 20)
    # C and D get theirs before A's done; give stragglers a moment anyway.
    for _, cl in parties[1:]:
        cl.wait_for(lambda s: s.id == op + ".broadcast", 5)
    h.wait_until(lambda: "step done" in bridge.read_log(), 5)
    events = []
    for who, cl in parties:
        for s in cl.received():
            if s.id and s.id.startswith(op):
                events.append((s.time, who, s))
    say()
    for t, who, s in sorted(events, key=lambda e: e[0]):
        say("%6.0f ms  %s receives from %s:" % ((t - t0) * 1000, who, s.frm))
        say("\n".join("    " + l for l in h.pretty(s.xml).splitlines()))
    say()
    say("What the handlers logged (the bridge's log):")
    for line in bridge.read_log().splitlines():
        if re.search(r"\b[bef]: op |route [bef]: ", line):
            say("    " + line)
    say()
    say("The operation %s %s." % (op, "completed" if got else
                                   "did NOT complete (no done for A)"))
    if hold:
        say()
        say("Holding: Prosody on 127.0.0.1:%d (CA %s), users alice, carol, "
            "dave (password %r); routes bridge@localhost/b, e, f; control "
            "socket %s.  Ctrl-C to stop."
            % (prosody.c2s_port, prosody.ca, h.PASSWORD, bridge.socket))
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    for _, cl in parties:
        cl.close()
    bridge.stop()
    prosody.stop()
    return 0 if got else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
