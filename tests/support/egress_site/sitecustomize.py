"""Loaded by Python at start-up in the server processes the tests start (tests/support/server.py puts this
folder on PYTHONPATH): installs the egress guard. Test-only; the product never reads this."""

import os

if os.environ.get("PROMPTWATCH_TEST_EGRESS_LOG"):
    from tests.support import egress

    egress.install(subprocess=True)
