#!/bin/sh
# test.sh - the README's second command: install dependencies, build, run every test
# (unit and end to end). Ends with the line "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
sh scripts/build.sh
exec make -s check
