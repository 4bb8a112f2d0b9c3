#!/bin/sh
# bench/run: a CGI script that takes 1 s (1000 requests in flight).
sleep 1
printf 'Content-Type: text/plain\n\nok\n'
