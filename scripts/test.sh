#!/bin/sh
# test.sh - the README's second command: install dependencies, build, run every test
# (unit and end to end, two at a time). Ends with the line "N passed, N failed", also
# when a test failed and make's own error lines came after it.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
sh scripts/build.sh
status=0
make -s -j2 check || status=$?
if [ "$status" -ne 0 ] && [ -r tests/test-suite.count ]; then
	cat tests/test-suite.count
fi
exit "$status"
