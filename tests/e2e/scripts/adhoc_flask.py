#!/usr/bin/python3
# An ad-hoc command stage through Flask run by wsgiref's CGIHandler
# (tests/e2e/test_adhoc.py): request.form holds the submitted form's fields.
import os
from wsgiref.handlers import CGIHandler

from flask import Flask, Response, request

app = Flask(__name__)


@app.route("/<route>", methods=["POST"])
def stage(route):
    return Response("flask name=%s colors=%s action=%s\n" % (
        request.form.get("name", ""), ",".join(request.form.getlist("colors")),
        os.environ.get("XMPP_ADHOC_ACTION")), mimetype="text/plain")


CGIHandler().run(app)
