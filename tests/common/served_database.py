"""A database wrapper built as `venueos/settings.py` builds it from the
environment, for tests that set a VENUEOS_DB_* variable and look at what
Django makes of it."""

from __future__ import annotations

from urllib.parse import quote

from django.db import connection
from django.db.utils import load_backend

from venueos.settings import _database_from_url


def database_wrapper_from_env(alias: str):
    """The test database's wrapper, its settings read from DATABASE_URL-style
    text through `_database_from_url` with the current environment."""
    params = {k: quote(str(v), safe="") for k, v in connection.settings_dict.items()}
    url = "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(**params)
    settings_dict = {**connection.settings_dict, **_database_from_url(url)}
    return load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
        settings_dict, alias=alias
    )
