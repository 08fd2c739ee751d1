"""What importing the ASGI entry point leaves behind in a worker."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys


def test_a_worker_freezes_its_startup_objects_out_of_the_collectors_way():
    """The start-up objects (Django, every view module, the request
    contract's schema) are frozen, so a full collection does not re-scan them
    while holding the GIL, and the first API request does not build the
    schema."""
    script = (
        "import gc; import venueos.asgi; "
        "from venueos.common import contract; "
        "import sys; print(gc.get_freeze_count(), "
        "'venueos.bookings.api' in sys.modules, contract._index is not None)"
    )
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="venueos.settings",
        VENUEOS_SECRET_KEY=secrets.token_urlsafe(50),
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    frozen, views_loaded, schema_loaded = done.stdout.split()
    assert int(frozen) > 50_000
    assert views_loaded == "True"
    assert schema_loaded == "True"
