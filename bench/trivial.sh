#!/bin/sh
# bench/run: the trivial CGI script of the benchmark (bridge, fcgiwrap, spawn limit).
printf 'Content-Type: text/plain\n\nok\n'
