#!/usr/bin/env bash
# C unit tests of the pure core (cmocka, ASan + UBSan).
set -euo pipefail
make -C "$CSSTATS_SRC/test/unit" -s
