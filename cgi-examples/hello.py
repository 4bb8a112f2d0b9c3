#!/usr/bin/python3
"""hello.py - xmpp-cgi example handler: greet the sender.

Parses the stanza on stdin with xml.etree.ElementTree (standard library only)
and answers text/plain:

  message with a <body>   "Hello, <REMOTE_USER>! You said: <body>"
  message without a body  Status: 204 (chat states, receipts: nothing to say)
  iq                      "Hello, <REMOTE_USER>!"
  presence                Status: 204 (nothing to answer)

Anything that is not a well-formed iq, message or presence stanza in the
jabber:client namespace gets Status: 400 and a text/plain reason, which
xmpp-cgi turns into a bad-request error.

A text body in an iq result is wrapped by xmpp-cgi as <body>text</body>; for a
message it is only sent back when the route sets message_replies = yes.
"""

import os
import sys
import xml.etree.ElementTree as ET

NS = "{jabber:client}"


def respond(text, status=None):
    out = sys.stdout.buffer
    if status:
        out.write(b"Status: " + status.encode("ascii") + b"\n")
    if text is None:
        out.write(b"\n")
    else:
        out.write(b"Content-Type: text/plain; charset=utf-8\n\n")
        out.write(text.encode("utf-8"))
    out.flush()


def read_request():
    data = sys.stdin.buffer
    length = os.environ.get("CONTENT_LENGTH", "")
    if length.isdigit():
        want = int(length)
        chunks = []
        while want > 0:
            chunk = data.read(want)
            if not chunk:
                break
            chunks.append(chunk)
            want -= len(chunk)
        return b"".join(chunks)
    return data.read()


def main():
    user = os.environ.get("REMOTE_USER") or "stranger"
    try:
        stanza = ET.fromstring(read_request())
    except ET.ParseError as e:
        respond("malformed stanza: %s\n" % e, "400 Bad Request")
        return
    except ValueError as e:  # e.g. an unsupported encoding declaration
        respond("malformed stanza: %s\n" % e, "400 Bad Request")
        return

    if stanza.tag == NS + "presence":
        respond(None, "204 No Content")
    elif stanza.tag == NS + "iq":
        respond("Hello, %s!" % user)
    elif stanza.tag == NS + "message":
        body = stanza.find(NS + "body")
        if body is None:
            respond(None, "204 No Content")
        else:
            respond("Hello, %s! You said: %s" % (user, body.text or ""))
    else:
        respond("not an XMPP stanza: <%s>\n" % stanza.tag, "400 Bad Request")


if __name__ == "__main__":
    main()
