#!/usr/bin/python3
# The xmpp-cgi demo (run by scripts/demo.sh): starts a throwaway Prosody on
# loopback, the built bridge with routes for the example handlers in
# cgi-examples/, logs in as alice with slixmpp, sends a few real stanzas,
# prints each request and reply, then shuts everything down.
#
#   demo.py          run the demo
#   demo.py --hold   afterwards keep server and bridge running until Ctrl-C,
#                    so another XMPP client can try the routes

import os
import signal
import sys
import time
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True     # keep the source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness as h  # noqa: E402

SOAP = "http://www.w3.org/2003/05/soap-envelope"


def say(text=""):
    print(text)
    sys.stdout.flush()


def indent(text, prefix="    "):
    return "\n".join(prefix + l for l in text.splitlines())


def routes():
    table = [
        ("echo", "echo", {}, []),
        ("env", "env", {}, ["GREETING=hello"]),
        ("hello", "hello", {"message_replies": "yes"}, []),
        ("time", "time", {}, []),
        ("calc", "soap-calc", {}, []),
    ]
    out = []
    for name, stem, opts, env in table:
        path = h.example(stem)
        if path:
            out.append(h.Route(name, path, env=env, **opts))
        else:
            say("(cgi-examples/%s.* missing: no route %s)" % (stem, name))
    return out


def exchange(alice, title, xml, wait_from=None):
    """Send `xml`, print it and the reply (matched by id, or the first
    stanza from `wait_from` for message replies)."""
    say("--- %s" % title)
    say("  alice sends:")
    say(indent(h.pretty(xml)))
    m = alice.mark()
    alice.send_raw(xml)
    if wait_from:
        r = alice.wait_for(lambda s: s.frm == wait_from, 15, since=m)
    else:
        id = ET.fromstring(xml).get("id")
        r = alice.wait_for(lambda s: s.id == id, 15, since=m)
    if r is None:
        say("  (no reply within 15 s)")
    else:
        say("  alice receives:")
        say(indent(h.pretty(r.xml)))
    say()
    return r


def main(argv):
    hold = "--hold" in argv
    say("== xmpp-cgi demo: %s" % h.BRIDGE_BIN)
    if not os.access(h.BRIDGE_BIN, os.X_OK):
        say("bridge binary missing: build the tree first "
            "(autoreconf -fi && ./configure && make)")
        return 1
    rs = routes()
    if not rs:
        say("no example handlers in %s" % h.EXAMPLES)
        return 1

    say("Starting a throwaway Prosody on 127.0.0.1 (users bridge, alice, "
        "bob; password %r) ..." % h.PASSWORD)
    prosody = h.Prosody()
    prosody.start()
    say("  c2s port %d; scratch directory %s (removed at the end)"
        % (prosody.c2s_port, prosody.dir))

    say("Starting xmpp-cgi with routes: %s ..."
        % ", ".join(r.name for r in rs))
    bridge = h.Bridge(prosody, rs)
    bridge.start()
    for line in bridge.read_log().splitlines():
        if "online as" in line:
            say("  " + line)

    say("Logging in as alice@localhost with slixmpp ...")
    alice = h.Client(prosody, "alice@localhost", resource="demo")
    say()

    B = "bridge@localhost/"
    names = {r.name for r in rs}
    if "echo" in names:
        exchange(alice, "iq get to the echo route (shell script)",
                 "<iq type='get' id='demo-1' to='%secho'>"
                 "<ping xmlns='urn:example:ping'>hello, bridge</ping></iq>"
                 % B)
    if "hello" in names:
        exchange(alice, "chat message to the hello route (Python; "
                 "message_replies = yes)",
                 "<message type='chat' id='demo-2' to='%shello'>"
                 "<body>Hi there</body></message>" % B,
                 wait_from=B + "hello")
    if "time" in names:
        exchange(alice, "iq get to the time route (Perl, XEP-0202 style)",
                 "<iq type='get' id='demo-3' to='%stime'>"
                 "<time xmlns='urn:xmpp:time'/></iq>" % B)
    if "calc" in names:
        exchange(alice, "SOAP over XMPP (XEP-0072) to the calc route",
                 "<iq type='set' id='demo-4' to='%scalc'>"
                 "<env:Envelope xmlns:env='%s'><env:Body>"
                 "<mul xmlns='urn:xmpp-cgi:calc'><a>6</a><b>7</b></mul>"
                 "</env:Body></env:Envelope></iq>" % (B, SOAP))

    say("--- the bridge's log")
    say(indent(bridge.read_log().rstrip()))
    say()

    if hold:
        say("Holding: connect any XMPP client to 127.0.0.1:%d as "
            "alice@localhost / %s (CA: %s).  Ctrl-C ends."
            % (prosody.c2s_port, h.PASSWORD, prosody.ca))
        try:
            while bridge.alive():
                time.sleep(1)
        except KeyboardInterrupt:
            say()

    say("Shutting down ...")
    alice.close()
    rc = bridge.stop()
    prosody.stop()
    say("  bridge exited with status %s" % rc)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(main(sys.argv[1:]))
    finally:
        h.cleanup_all()
