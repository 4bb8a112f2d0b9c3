// greeter.go - the routes of the Go test apps (tests/e2e/test_frameworks.py), served
// by cgi_main.go through net/http/cgi and by fcgi_main.go through net/http/fcgi.
// Standard library only. Under any route name:
//
//	/ROUTE/greet/NAME  text/plain greeting naming the path net/http saw
//	/ROUTE/xml         an application/xml document
//	/ROUTE/fail        a 500
//	anything else      http.NotFound (404)
package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

func greeter(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	body, _ := io.ReadAll(r.Body)
	switch {
	case len(parts) == 3 && parts[1] == "greet":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Hello, %s! (path %s, host %s, %s %s, %d bytes)\n", parts[2],
			r.URL.Path, r.Host, r.Method, r.Proto, len(body))
	case len(parts) == 2 && parts[1] == "xml":
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, "<greeting xmlns='urn:xmpp-cgi:go' path='%s'>hello</greeting>", r.URL.Path)
	case len(parts) == 2 && parts[1] == "fail":
		http.Error(w, "the greeter failed", http.StatusInternalServerError)
	default:
		http.NotFound(w, r)
	}
}
