import pytest
from django.db import connections


@pytest.fixture(autouse=True)
def patient_connects():
    """A hundred threads open their connections at the same instant, on two
    CPUs shared with the rest of the suite: the production bound on a connect
    (VENUEOS_DB_CONNECT_TIMEOUT, 3 s) is about a database that went away, and
    a slow harness must not turn a race's loser into a 503. These tests assert
    the race; tests/resilience covers the bound."""
    options = connections.settings["default"]["OPTIONS"]
    before = options.get("connect_timeout")
    options["connect_timeout"] = 30
    yield
    if before is None:
        options.pop("connect_timeout")
    else:
        options["connect_timeout"] = before
