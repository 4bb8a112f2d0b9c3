// fcgi_main.go - greeter.go as a FastCGI server (net/http/fcgi) on the unix socket
// named by its argument.
package main

import (
	"net"
	"net/http"
	"net/http/fcgi"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		os.Stderr.WriteString("usage: greeter-fcgi SOCKET\n")
		os.Exit(2)
	}
	os.Remove(os.Args[1])
	l, err := net.Listen("unix", os.Args[1])
	if err == nil {
		err = fcgi.Serve(l, http.HandlerFunc(greeter))
	}
	os.Stderr.WriteString("greeter-fcgi: " + err.Error() + "\n")
	os.Exit(1)
}
