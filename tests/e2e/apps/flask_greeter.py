#!/usr/bin/python3
# A Flask application run as a CGI script through wsgiref.handlers.CGIHandler, the
# way Flask's documentation deploys it on a CGI server (tests/e2e/test_frameworks.py).
# Under any route name: /ROUTE/greet/NAME (text), /ROUTE/xml (application/xml),
# /ROUTE/fail (a 500 through abort), anything else Flask's 404.
from wsgiref.handlers import CGIHandler

from flask import Flask, Response, abort, request

app = Flask(__name__)


@app.route("/<route>/greet/<name>", methods=["GET", "POST"])
def greet(route, name):
    return Response("Hello, %s! (path %s, %s, %d bytes)\n"
                    % (name, request.path, request.method,
                       len(request.get_data())),
                    mimetype="text/plain")


@app.route("/<route>/xml", methods=["GET", "POST"])
def xml(route):
    return Response("<greeting xmlns='urn:xmpp-cgi:flask' path='%s'>hello"
                    "</greeting>" % request.path, mimetype="application/xml")


@app.route("/<route>/fail", methods=["GET", "POST"])
def fail(route):
    abort(Response("the greeter failed\n", status=500, mimetype="text/plain"))


if __name__ == "__main__":
    CGIHandler().run(app)
