#!/usr/bin/python3
"""e-relay.py - route e of the choreography (see README.md), in Python
(standard library only).

e receives b's broadcast, a message whose payload is

    <broadcast xmlns='urn:xmpp-cgi:choreography' op='X' origin='A/resource'/>

and passes the operation on to f as a request of its own, waiting for the
answer (xmpp-cgi-send --iq - --wait):

    <iq type='set' id='X.step'>
      <step xmlns='urn:xmpp-cgi:choreography' op='X' origin='A/resource'/>
    </iq>

On the wire the iq carries an id of the bridge's own (xc-...); xmpp-cgi-send
gives the answer back with id X.step.  e logs the outcome on stderr, which
lands in the bridge's log, and answers nothing: a message gets a reply only
when its handler fails (Status 400 for a message that is not a broadcast,
503 when f cannot be reached or refuses).

Environment: from the bridge XMPP_ROUTE and XMPP_CGI_SOCKET; from the
route's env = lines CHOREO_NEXT (f's JID, e.g. bridge@localhost/f) and
optionally CHOREO_SEND (the tool; default xmpp-cgi-send on PATH) and
CHOREO_TIMEOUT (seconds to wait for f, default 20).
"""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

NS = "urn:xmpp-cgi:choreography"
OP_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def log(text):
    sys.stderr.write("e: %s\n" % text)
    sys.stderr.flush()


def respond(status, text=None):
    out = sys.stdout.buffer
    out.write(("Status: %s\n" % status).encode("ascii"))
    if text is None:
        out.write(b"\n")
    else:
        out.write(b"Content-Type: text/plain; charset=utf-8\n\n")
        out.write(text.encode("utf-8") + b"\n")
    out.flush()
    return 0


def main():
    try:
        stanza = ET.fromstring(sys.stdin.buffer.read())
    except ET.ParseError as e:
        return respond("400 Bad Request", "malformed stanza: %s" % e)
    bc = stanza.find("{%s}broadcast" % NS)
    if stanza.tag != "{jabber:client}message" or bc is None:
        return respond("400 Bad Request",
                       "e takes a message with <broadcast xmlns='%s'/>" % NS)
    op, origin = bc.get("op", ""), bc.get("origin", "")
    if not OP_RE.match(op) or not origin:
        return respond("400 Bad Request", "broadcast without a usable op/origin")
    log("op %s: broadcast from %s (origin %s)" % (op, stanza.get("from"), origin))

    nxt = os.environ.get("CHOREO_NEXT")
    if not nxt:
        log("op %s: CHOREO_NEXT is not set" % op)
        return respond("503 Service Unavailable", "e does not know f")
    iq = "<iq type='set' id=%s><step xmlns=%s op=%s origin=%s/></iq>" % (
        quoteattr(op + ".step"), quoteattr(NS), quoteattr(op), quoteattr(origin))
    cmd = [os.environ.get("CHOREO_SEND", "xmpp-cgi-send"),
           "--from-route", os.environ.get("XMPP_ROUTE", "e"), "--to", nxt,
           "--iq", "-", "--wait",
           "--timeout", os.environ.get("CHOREO_TIMEOUT", "20")]
    try:
        r = subprocess.run(cmd, input=iq.encode("utf-8"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        log("op %s: cannot run xmpp-cgi-send: %s" % (op, e))
        return respond("503 Service Unavailable", "e cannot reach f")
    answer = r.stdout.decode("utf-8", "replace").strip()
    if r.returncode != 0:
        log("op %s: f did not accept the step (xmpp-cgi-send exit status %d): %s %s"
            % (op, r.returncode, r.stderr.decode("utf-8", "replace").strip(), answer))
        return respond("503 Service Unavailable", "f did not accept the step")
    try:
        el = ET.fromstring(answer)
        done = el.find("{%s}step-done" % NS)
        log("op %s: f answered %s, id %s%s"
            % (op, el.get("type"), el.get("id"),
               ", step done" if done is not None and done.get("op") == op else ""))
    except ET.ParseError:
        log("op %s: f answered something unreadable: %s" % (op, answer))
    return respond("204 No Content")


if __name__ == "__main__":
    sys.exit(main())
