import pytest

from tests.servers import database_url, serve


@pytest.fixture(scope="module")
def db_url(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return database_url()


@pytest.fixture(scope="module")
def stream_server(db_url):
    """One `venueos serve` with 2 workers for the module (heartbeats fast)."""
    with serve(db_url, workers=2, VENUEOS_STREAM_HEARTBEAT_SECONDS="0.5") as base:
        yield base
