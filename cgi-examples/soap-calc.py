#!/usr/bin/python3
"""soap-calc.py - xmpp-cgi example handler: a SOAP 1.2 calculator (XEP-0072).

The request is an iq (type set) whose payload is a SOAP 1.2 Envelope:

  <iq type='set' ...>
    <env:Envelope xmlns:env='http://www.w3.org/2003/05/soap-envelope'>
      <env:Body>
        <add xmlns='urn:xmpp-cgi:calc'><a>1</a><b>2</b></add>
      </env:Body>
    </env:Envelope>
  </iq>

The operations are add, sub, mul and div; a and b are decimal numbers
(xs:decimal syntax: optional sign, digits, optional fraction).  The answer is
Content-Type: application/soap+xml with an Envelope whose Body holds

  <addResponse xmlns='urn:xmpp-cgi:calc'><result>3</result></addResponse>

Errors are answered with Status: 500 and a SOAP Fault envelope:
env:Sender for requests that cannot succeed as sent (no Envelope, no or
unknown operation, missing or bad numbers, division by zero), env:Receiver
when the calculator itself fails, env:VersionMismatch for a SOAP 1.1
envelope and env:MustUnderstand for a header block marked mustUnderstand.
A calc:* subcode names the problem.  Presence stanzas get Status: 204.

Standard library only.
"""

import decimal
import os
import re
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CALC = "urn:xmpp-cgi:calc"
CLIENT = "jabber:client"
CONTENT_TYPE = "application/soap+xml"

OPERATIONS = ("add", "sub", "mul", "div")
# xs:decimal lexical space, kept short so results stay short and exact.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
MAX_NUMBER_CHARS = 64


class Fault(Exception):
    """A SOAP fault: code is Sender, Receiver, VersionMismatch, ..."""

    def __init__(self, code, subcode, reason):
        super().__init__(reason)
        self.code = code
        self.subcode = subcode
        self.reason = reason


def q(ns, name):
    return "{%s}%s" % (ns, name)


def write(status, body):
    out = sys.stdout.buffer
    if status:
        out.write(b"Status: " + status.encode("ascii") + b"\n")
    out.write(b"Content-Type: " + CONTENT_TYPE.encode("ascii") + b"\n\n")
    out.write(body.encode("utf-8"))
    out.flush()


def envelope(body_xml):
    return ("<env:Envelope xmlns:env='%s'><env:Body>%s</env:Body></env:Envelope>\n"
            % (SOAP_ENV, body_xml))


def fault_envelope(fault):
    subcode = ""
    if fault.subcode:
        subcode = ("<env:Subcode><env:Value xmlns:calc='%s'>calc:%s</env:Value>"
                   "</env:Subcode>" % (CALC, fault.subcode))
    return envelope(
        "<env:Fault>"
        "<env:Code><env:Value>env:%s</env:Value>%s</env:Code>"
        "<env:Reason><env:Text xml:lang='en'>%s</env:Text></env:Reason>"
        "</env:Fault>" % (fault.code, subcode, escape(fault.reason)))


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


def elements(parent):
    """The element children of parent (no comments or processing instructions)."""
    return [child for child in parent if isinstance(child.tag, str)]


def number(op, parent, name):
    el = parent.find(q(CALC, name))
    if el is None:
        raise Fault("Sender", "MissingArgument",
                    "%s: missing <%s> argument" % (op, name))
    text = (el.text or "").strip()
    if len(text) > MAX_NUMBER_CHARS or not NUMBER.match(text):
        raise Fault("Sender", "BadNumber",
                    "%s: <%s> is not a decimal number of at most %d characters"
                    % (op, name, MAX_NUMBER_CHARS))
    return decimal.Decimal(text)


def format_number(value):
    if value == 0:
        return "0"  # also for -0
    # Plain notation without exponent or trailing zeros: 1.50 * 100 -> 150.
    return format(value.normalize(decimal.Context(prec=300)), "f")


def calculate(op, a, b):
    # Enough precision that +, - and * of two 64-character inputs are exact;
    # division is rounded to 34 significant digits (decimal128).
    ctx = decimal.Context(prec=34 if op == "div" else 256,
                          traps=[decimal.DivisionByZero, decimal.InvalidOperation,
                                 decimal.Overflow])
    if op == "add":
        return ctx.add(a, b)
    if op == "sub":
        return ctx.subtract(a, b)
    if op == "mul":
        return ctx.multiply(a, b)
    if b == 0:
        raise Fault("Sender", "DivisionByZero", "div: division by zero")
    return ctx.divide(a, b)


def handle(stanza):
    envelopes = [c for c in elements(stanza) if c.tag.endswith("}Envelope")]
    if not envelopes:
        raise Fault("Sender", "NoEnvelope",
                    "the stanza carries no SOAP Envelope")
    env = envelopes[0]
    if env.tag == q(SOAP11_ENV, "Envelope"):
        raise Fault("VersionMismatch", None,
                    "only SOAP 1.2 (%s) is supported" % SOAP_ENV)
    if env.tag != q(SOAP_ENV, "Envelope"):
        raise Fault("VersionMismatch", None,
                    "the Envelope is not in the SOAP 1.2 namespace")

    header = env.find(q(SOAP_ENV, "Header"))
    if header is not None:
        for block in elements(header):
            if block.get(q(SOAP_ENV, "mustUnderstand"), "").strip() in ("true", "1"):
                raise Fault("MustUnderstand", None,
                            "header block %s is not understood" % block.tag)

    body = env.find(q(SOAP_ENV, "Body"))
    if body is None:
        raise Fault("Sender", "NoBody", "the Envelope has no Body")
    ops = elements(body)
    if len(ops) != 1:
        raise Fault("Sender", "NoOperation",
                    "the Body must hold exactly one operation")
    request = ops[0]
    ns, _, op = request.tag[1:].partition("}") if request.tag.startswith("{") \
        else ("", "", request.tag)
    if ns != CALC or op not in OPERATIONS:
        raise Fault("Sender", "UnknownOperation",
                    "unknown operation <%s>; expected add, sub, mul or div in %s"
                    % (op, CALC))

    a = number(op, request, "a")
    b = number(op, request, "b")
    try:
        result = calculate(op, a, b)
    except decimal.DecimalException as e:
        raise Fault("Sender", "ArithmeticError", "%s: %s" % (op, type(e).__name__))
    return envelope("<%sResponse xmlns='%s'><result>%s</result></%sResponse>"
                    % (op, CALC, format_number(result), op))


def main():
    try:
        stanza = ET.fromstring(read_request())
    except (ET.ParseError, ValueError) as e:
        write("500 Internal Server Error",
              fault_envelope(Fault("Sender", "MalformedRequest",
                                   "malformed request: %s" % e)))
        return
    if stanza.tag == q(CLIENT, "presence"):
        sys.stdout.buffer.write(b"Status: 204 No Content\n\n")
        return
    try:
        write(None, handle(stanza))
    except Fault as fault:
        write("500 Internal Server Error", fault_envelope(fault))
    except Exception as e:  # a bug here: the receiver's fault, not the sender's
        write("500 Internal Server Error",
              fault_envelope(Fault("Receiver", "InternalError",
                                   "calculator failed: %s" % type(e).__name__)))


if __name__ == "__main__":
    main()
