#!/bin/sh
# e2e test handler: crashes - exits 1 without writing anything.
exit 1
