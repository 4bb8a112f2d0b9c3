// cgi_main.go - greeter.go as a CGI program (net/http/cgi): one process per request.
package main

import (
	"net/http"
	"net/http/cgi"
	"os"
)

func main() {
	if err := cgi.Serve(http.HandlerFunc(greeter)); err != nil {
		os.Stderr.WriteString("greeter: " + err.Error() + "\n")
		os.Exit(1)
	}
}
