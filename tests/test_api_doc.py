"""docs/api.md describes exactly the operations the OpenAPI schema has: a new
endpoint without its line there (or a line for one that is gone) fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# A table row naming an operation: | `POST /bookings/{id}/confirm/` | ...
ROW = re.compile(r"^\|\s*`(" + "|".join(METHODS) + r") (/[^`]*)`\s*\|", re.M)


def _normal(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _documented() -> set[tuple[str, str]]:
    return {
        (method, _normal(path)) for method, path in ROW.findall(API_DOC.read_text())
    }


def test_the_api_page_and_the_schema_name_the_same_operations(anon_client):
    schema = anon_client.get("/api/schema/?format=json").json()
    in_schema = {
        (method.upper(), _normal(path.removeprefix("/api/v1")))
        for path, operations in schema["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }
    documented = _documented()
    assert in_schema - documented == set(), "operations missing from docs/api.md"
    assert documented - in_schema == set(), "docs/api.md lists unknown operations"


def test_the_page_is_read():
    # The pattern finds the rows: a broken table would empty the set silently.
    assert len(_documented()) >= 50
