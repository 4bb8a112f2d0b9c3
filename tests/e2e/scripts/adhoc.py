#!/usr/bin/python3
# An ad-hoc command handler for tests/e2e/test_adhoc.py: one script, its behaviour
# chosen by XMPP_ADHOC_NODE. Every run appends its stage (action, session, method,
# content type, body) as a JSON line to $ADHOC_DUMP.
import json
import os
import sys
from urllib.parse import parse_qs

env = os.environ
body = sys.stdin.buffer.read(int(env.get("CONTENT_LENGTH") or 0)).decode()
node = env.get("XMPP_ADHOC_NODE", "")
action = env.get("XMPP_ADHOC_ACTION", "")
fields = parse_qs(body, keep_blank_values=True)
with open(env["ADHOC_DUMP"], "a") as f:
    f.write(json.dumps({k: env.get(k) for k in (
        "XMPP_ADHOC_NODE", "XMPP_ADHOC_ACTION", "XMPP_ADHOC_SESSION", "REQUEST_METHOD",
        "CONTENT_TYPE", "CONTENT_LENGTH", "REMOTE_USER", "XMPP_ROUTE")}
        | {"body": body, "stanza": env.get("XMPP_ADHOC_STANZA", "")}) + "\n")

FORM = """<x xmlns='jabber:x:data' type='form'><title>Survey</title>
<instructions>Tell us</instructions>
<field var='name' type='text-single' label='Name'><required/></field>
<field var='colors' type='list-multi' label='Colours'>
<option label='Red'><value>red</value></option>
<option label='Blue'><value>blue</value></option>
<option label='Green'><value>green</value></option></field>
</x>"""


def out(headers, text):
    sys.stdout.write("".join("%s: %s\r\n" % h for h in headers) + "\r\n" + text)


if node in ("greet", "greet-secret"):
    out([("Content-Type", "text/plain")], "Hello, %s!\n" % env.get("REMOTE_USER"))
elif node in ("survey", "slow-survey"):
    if action == "execute" and not body:
        out([("Content-Type", "application/xml"), ("Command-Actions", "complete")], FORM)
    elif action == "cancel":
        out([("Content-Type", "text/plain")], "cancelled\n")
    else:
        out([("Content-Type", "text/plain")], "name=%s colors=%s\n" % (
            ",".join(fields.get("name", [])), ",".join(fields.get("colors", []))))
elif node == "wizard":  # three stages: next, then prev or complete
    step = fields.get("step", ["0"])[0]
    if action in ("execute", "prev"):
        out([("Content-Type", "application/xml"), ("Command-Actions", "next")],
            "<x xmlns='jabber:x:data' type='form'><field var='step' type='hidden'>"
            "<value>1</value></field><field var='a' label='A'/></x>")
    elif action == "next":
        out([("Content-Type", "application/xml"), ("Command-Actions", "complete prev")],
            "<x xmlns='jabber:x:data' type='form'><field var='step' type='hidden'>"
            "<value>2</value></field><field var='b' label='B'/></x>")
    else:
        out([("Content-Type", "application/xml")],
            "<x xmlns='jabber:x:data' type='result'><title>Done</title>"
            "<field var='step'><value>%s</value></field></x>" % step)
elif node == "refuse":
    out([("Status", "403 Forbidden"), ("Content-Type", "text/plain")], "not today\n")
elif node == "broken":
    out([("Status", "500 Internal Server Error"), ("Content-Type", "text/plain")],
        "it broke\n")
elif node == "badform":
    out([("Content-Type", "application/xml")],
        "<x xmlns='jabber:x:data' type='form'><field type='bogus' var='a'/></x>")
elif node == "notxml":
    out([("Content-Type", "application/xml")], "<x xmlns='jabber:x:data' type='form'>")
elif node == "badactions":
    out([("Content-Type", "application/xml"), ("Command-Actions", "next jump")],
        "<x xmlns='jabber:x:data' type='form'><field var='a'/></x>")
else:
    out([("Status", "404 Not Found"), ("Content-Type", "text/plain")], "no such node\n")
