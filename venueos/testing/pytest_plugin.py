"""Gives the test run a real PostgreSQL before pytest-django reads the settings.

With `DATABASE_URL` set, the tests use that server (pytest-django creates and
drops its own `test_venueos` database there). Otherwise a throw-away embedded
PostgreSQL is started in a temporary folder and removed afterwards.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_throwaway_dir: Path | None = None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _throwaway_dir
    os.environ.setdefault("VENUEOS_FAST_PASSWORD_HASHER", "1")
    if not os.environ.get("DATABASE_URL"):
        from venueos import embedded

        _throwaway_dir = Path(tempfile.mkdtemp(prefix="venueos-test-pg-"))
        server = embedded.start(_throwaway_dir / "pgdata", throwaway=True)
        os.environ["DATABASE_URL"] = server.url
    return (yield)


def pytest_unconfigure(config):
    if _throwaway_dir is not None:
        from venueos import embedded

        embedded.stop(_throwaway_dir / "pgdata")
        shutil.rmtree(_throwaway_dir, ignore_errors=True)
